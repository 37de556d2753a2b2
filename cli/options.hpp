// Turning option values into libqueue values, with messages that name the option.
#pragma once

#include <cstddef>
#include <functional>
#include <istream>
#include <string>

#include "libqueue/libqueue.hpp"

namespace CLI {
class App;
class Validator;
}  // namespace CLI

namespace q {

// What q says of an option given an empty value, after the option's name.
inline constexpr const char* empty_value_message =
    "empty value; leave the option out for its default";

// Adds to every named option of `app` and its subcommands that takes a value a check that the
// value is not empty: "--config ''" (an unset shell variable, often) is a mistake, never "the
// default", so it is refused (exit 64) before anything runs. Call once the tree is built.
void refuse_empty_values(CLI::App& app);

// The check of a count option (--limit N, --max-pending N): a whole number, 0 or more, that fits
// 64 bits. "--limit: expected a whole number, 0 or more; got '-1'" (exit 64).
const CLI::Validator& count_validator();

// validate_label with the option named: "--unique-key: unique key is 300 bytes long; the limit is
// 255" (DataError, exit 65, as for the same label from a batch line), before a driver is opened.
void check_label_option(const std::string& option, const std::string& what,
                        const std::string& value);

// "--delay: bad duration 'x' (expected e.g. 250ms, 30s, 5m, 2h, 1d)" as a UsageError (exit 64).
libqueue::Milliseconds parse_duration_option(const std::string& option, const std::string& text);

// parse_user_time with the option named in the message (UsageError, exit 64).
libqueue::TimePoint parse_time_option(const std::string& option, const std::string& text);

// status_from_string with the option named and the accepted names listed (UsageError, exit 64).
libqueue::Status parse_status_option(const std::string& option, const std::string& text);

// --after ID of the listing commands: where job ID sits in list order (created_at, id).
// NotFoundError (exit 66) naming the id when no such job is stored.
libqueue::ListPosition parse_after_option(libqueue::QueueDriver& driver, const std::string& id);

// Calls `read` with the file, or stdin for "-". NotFoundError (exit 66) when the file cannot be
// opened.
void with_input(const std::string& path_or_dash, const std::function<void(std::istream&)>& read);

// A whole file, or all of stdin for "-", up to `max_bytes` (else DataError naming `what`).
// NotFoundError (exit 66) when the file cannot be opened.
std::string read_input(const std::string& path_or_dash, std::size_t max_bytes,
                       const std::string& what);

}  // namespace q
