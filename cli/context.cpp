#include "context.hpp"

#include <fmt/format.h>

#include "libqueue/text.hpp"
#include "options.hpp"
#include "output.hpp"

namespace q {

const libqueue::Config& Context::config() {
    if (!config_) {
        auto config = libqueue::resolve_config(options.config_path);
        if (options.driver) {
            if (auto why = libqueue::unknown_driver(*options.driver))
                throw libqueue::ConfigError("--driver: " + *why);
            libqueue::use_driver(config, *options.driver);
        }
        for (const auto& line : config.deprecations) note(*this, "warning: " + line);
        for (const auto& line : config.warnings) note(*this, "warning: " + line);
        config_ = std::move(config);
    }
    return *config_;
}

libqueue::Handlers& Context::handlers() {
    if (!handlers_) {
        libqueue::CommandOptions command_options;
        command_options.output_fd = 2;  // stdout stays for results and --json events
        handlers_ = std::make_unique<libqueue::Handlers>(
            libqueue::handlers_from_config(config(), command_options));
    }
    return *handlers_;
}

libqueue::QueueDriver& Context::driver() {
    if (!driver_) {
        const auto& name = config().driver;
        // The memory driver forgets everything when this process exits: a `q push` into it would
        // be lost silently, so only `q run` (push and work in one process) may use it.
        if (name == "memory" && !allow_in_process_driver) {
            throw libqueue::UsageError(
                "driver 'memory' keeps jobs inside one process: use `q run` to push and work "
                "in memory");
        }
        driver_ = libqueue::create_driver(config());
    }
    return *driver_;
}

void Context::note_when_no_config() {
    const auto& used = config();
    if (!used.source.empty() || quiet())
        return;
    const auto& section = used.section(used.driver);
    const auto path = section.is_object() && section.contains("path") && section["path"].is_string()
                          ? " at " + section["path"].get<std::string>()
                          : std::string();
    note(*this,
         fmt::format("no config file found (see q config); jobs are in {}{}", used.driver, path));
}

std::vector<std::string> Context::queues() {
    std::vector<std::string> result;
    const std::string text = options.queue ? *options.queue : config().default_queue;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto comma = text.find(',', start);
        if (comma == std::string::npos)
            comma = text.size();
        auto part = text.substr(start, comma - start);
        if (part.empty()) {
            throw libqueue::UsageError(
                fmt::format("--queue {}: empty queue name", libqueue::quoted(text)));
        }
        if (options.queue)
            check_label_option("--queue", "queue name", part);
        result.push_back(std::move(part));
        start = comma + 1;
    }
    return result;
}

std::optional<std::string> Context::queue_filter() {
    if (!options.queue)
        return std::nullopt;
    return queue();
}

std::string Context::queue() {
    auto names = queues();
    if (names.size() != 1) {
        throw libqueue::UsageError(
            fmt::format("--queue {}: this command takes one queue (lists are for `q work`)",
                        libqueue::quoted(options.queue.value_or(config().default_queue))));
    }
    return names.front();
}

}  // namespace q
