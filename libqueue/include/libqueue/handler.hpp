// What runs a job: a C++ callable, a job class (the Dart queue system's QueueJob), or an external
// command.
// A handler gets a job and returns an outcome; the worker turns the outcome into complete,
// release with backoff, or fail.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>

#include "libqueue/config.hpp"
#include "libqueue/job.hpp"

namespace libqueue {

struct Outcome {
    enum class Kind {
        success,      // complete
        failure,      // a failed attempt: retry with backoff, or dead when attempts are used up
        bad_data,     // dead at once (a command's exit 65, a DataError thrown by a callable)
        interrupted,  // stopped by the worker's shutdown: put back, the attempt is not counted
    };
    Kind kind = Kind::success;
    std::string error;               // becomes last_error (commands: the last 4 KiB of stderr)
    std::optional<int> exit_status;  // commands: the exit code, or 128+signal

    static Outcome success() { return {}; }
    static Outcome failure(std::string error, std::optional<int> status = std::nullopt) {
        return {Kind::failure, std::move(error), status};
    }
    static Outcome bad_data(std::string error, std::optional<int> status = std::nullopt) {
        return {Kind::bad_data, std::move(error), status};
    }
    static Outcome interrupted() { return {Kind::interrupted, "interrupted by shutdown", {}}; }
};

// Runs one job. `stop` is requested when the worker shuts down and the grace period is over; a
// handler that can stop early returns Outcome::interrupted().
using HandlerFn = std::function<Outcome(const Job&, std::stop_token stop)>;

// Anything that can run a job by its name: the worker, `q run` and the sync driver use it.
class JobExecutor {
  public:
    virtual ~JobExecutor() = default;
    virtual Outcome execute(const Job& job, std::stop_token stop) const = 0;
};

// The Dart queue system's job class: its state is its payload.
class QueueJob {
  public:
    virtual ~QueueJob() = default;
    virtual std::string job_name() const = 0;  // the name handlers are registered under
    virtual void handle() = 0;                 // throw to fail; throw DataError to go dead at once
    virtual std::string display_name() const { return job_name(); }
    virtual int max_retries() const { return 3; }
    virtual nlohmann::json to_json() const { return nlohmann::json::object(); }
};

struct CommandOptions {
    std::optional<Milliseconds> default_timeout;  // when the handler sets none
    Milliseconds kill_grace{5'000};  // SIGTERM to the process group, SIGKILL after this
    int output_fd = 2;               // job stdout/stderr lines go here, prefixed "[job id] "
    bool forward_output = true;
};

// Handlers by job name.
class Handlers : public JobExecutor {
  public:
    // A callable that returns normally on success. Exceptions: DataError -> bad_data, any other
    // std::exception -> failure with its what().
    Handlers& on(const std::string& name, std::function<void(const Job&)> fn);
    // Full control over the outcome.
    Handlers& on_outcome(const std::string& name, HandlerFn fn);
    // A job class T with `static std::unique_ptr<T> from_json(const nlohmann::json&)`.
    template <class T>
    Handlers& on_class(const std::string& name) {
        return on(name, [](const Job& job) {
            auto instance = T::from_json(parse_payload(job));
            instance->handle();
        });
    }
    // An external command (handlers.NAME in the config).
    Handlers& on_command(const std::string& name, CommandSpec spec, CommandOptions options = {});

    bool has(const std::string& name) const;
    // A job whose name has no handler is bad_data "no handler for job name 'x'": it goes dead and
    // is never silently dropped.
    Outcome execute(const Job& job, std::stop_token stop) const override;

    // The payload as JSON; throws DataError when it is not.
    static nlohmann::json parse_payload(const Job& job);

  private:
    std::map<std::string, HandlerFn> handlers_;
};

// Every handlers.NAME of the config as a command handler.
Handlers handlers_from_config(const Config& config, CommandOptions options = {});

// The handlers whose program cannot be started: not found (as a path, or on PATH for a bare
// name), not a file, or not executable. One line each, "handlers.NAME: ...", in name order;
// empty when every program can run. `q work` refuses to start on any.
std::vector<std::string> unrunnable_handlers(const Config& config);

// SIGKILLs the process group of every handler command this process is running. For a hard exit
// (`q work` on a second signal): commands must not outlive their worker as orphans. Any thread
// may call it; it is not async-signal-safe (it takes a lock).
void kill_running_commands();

}  // namespace libqueue
