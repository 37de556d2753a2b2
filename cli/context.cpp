#include "context.hpp"

namespace q {

const libqueue::Config& Context::config() {
    if (!config_) {
        config_ = libqueue::resolve_config(options.config_path);
        if (options.driver) config_->driver = *options.driver;
    }
    return *config_;
}

libqueue::QueueDriver& Context::driver() {
    if (!driver_) {
        if (config().driver == "memory") {
            throw libqueue::UsageError(
                "the memory driver lives in one process: use `q run` to work jobs in memory");
        }
        handlers_ = std::make_unique<libqueue::Handlers>(libqueue::handlers_from_config(config()));
        driver_ = libqueue::create_driver(config(), handlers_.get());
    }
    return *driver_;
}

std::string Context::queue() const { return options.queue.value_or("default"); }

}  // namespace q
