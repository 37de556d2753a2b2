// One small error hierarchy for everything libqueue throws. The CLI maps each kind to a sysexits.h
// code in exactly one place (cli/main.cpp); library code never exits.
#pragma once

#include <stdexcept>
#include <string>

namespace libqueue {

enum class ErrorKind {
    usage,        // the caller asked for something malformed (bad flag value, bad duration)
    data,         // bad input data: payload, batch line, queue file contents
    not_found,    // no job with that id
    unavailable,  // the backend cannot be reached
    temporary,    // try again later: queue file full, lock timeout
    config,       // the config file is wrong: unknown key, wrong type, unknown driver
    internal,     // a bug or an unexpected backend answer
};

class Error : public std::runtime_error {
  public:
    Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    ErrorKind kind() const noexcept { return kind_; }

  private:
    ErrorKind kind_;
};

struct UsageError : Error {
    explicit UsageError(const std::string& m) : Error(ErrorKind::usage, m) {}
};
struct DataError : Error {
    explicit DataError(const std::string& m) : Error(ErrorKind::data, m) {}
};
struct NotFoundError : Error {
    explicit NotFoundError(const std::string& m) : Error(ErrorKind::not_found, m) {}
};
struct UnavailableError : Error {
    explicit UnavailableError(const std::string& m) : Error(ErrorKind::unavailable, m) {}
};
struct TemporaryError : Error {
    explicit TemporaryError(const std::string& m) : Error(ErrorKind::temporary, m) {}
};
struct ConfigError : Error {
    explicit ConfigError(const std::string& m) : Error(ErrorKind::config, m) {}
};
struct InternalError : Error {
    explicit InternalError(const std::string& m) : Error(ErrorKind::internal, m) {}
};

}  // namespace libqueue
