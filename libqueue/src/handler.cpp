#include "libqueue/handler.hpp"

#include <exception>
#include <utility>

#include "exec/command_runner.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/json_limits.hpp"

namespace libqueue {

Handlers& Handlers::on(const std::string& name, std::function<void(const Job&)> fn) {
    return on_outcome(name, [fn = std::move(fn)](const Job& job, std::stop_token) {
        fn(job);  // exceptions become outcomes in execute()
        return Outcome::success();
    });
}

Handlers& Handlers::on_outcome(const std::string& name, HandlerFn fn) {
    handlers_[name] = std::move(fn);
    return *this;
}

Handlers& Handlers::on_command(const std::string& name, CommandSpec spec, CommandOptions options) {
    return on_outcome(name,
                      [spec = std::move(spec), options](const Job& job, std::stop_token stop) {
                          return exec::run_command(spec, options, job, std::move(stop));
                      });
}

bool Handlers::has(const std::string& name) const {
    return handlers_.count(name) != 0;
}

Outcome Handlers::execute(const Job& job, std::stop_token stop) const {
    const auto handler = handlers_.find(job.name);
    if (handler == handlers_.end()) {
        return Outcome::bad_data("no handler for job name '" + job.name + "'");
    }
    try {
        return handler->second(job, std::move(stop));
    } catch (const DataError& e) {
        return Outcome::bad_data(e.what());
    } catch (const std::exception& e) {
        return Outcome::failure(e.what());
    } catch (...) {
        return Outcome::failure("the handler for '" + job.name +
                                "' threw a non-standard exception");
    }
}

nlohmann::json Handlers::parse_payload(const Job& job) {
    check_json_depth(job.payload, "job " + job.id + ": payload");
    try {
        return nlohmann::json::parse(job.payload);
    } catch (const nlohmann::json::parse_error& e) {
        throw DataError("job " + job.id + ": payload is not JSON: " + e.what());
    } catch (const nlohmann::json::out_of_range&) {
        throw DataError("job " + job.id + ": payload is not JSON: a number is out of range");
    }
}

Handlers handlers_from_config(const Config& config, CommandOptions options) {
    Handlers handlers;
    for (const auto& [name, spec] : config.handlers) handlers.on_command(name, spec, options);
    return handlers;
}

}  // namespace libqueue
