// Every key a config file may hold, in one table: the loader accepts exactly these (any other key
// is an error that lists the known ones) and q.json(5) is generated from it, so the page and the
// checks cannot drift apart.
#pragma once

#include <string>
#include <vector>

namespace libqueue {

struct ConfigKey {
    // "queue.worker.concurrency". NAME stands for a name of the user's ("handlers.NAME.timeout");
    // a driver's own keys are registered relative to its section ("path" for queue.sqlite.path).
    std::string path;
    std::string type;           // what the value must be: "duration", "boolean", "path", ...
    std::string default_value;  // what applies when the key is absent
    std::string description;
    std::string example;  // a JSON value the loader accepts ("\"30s\""); empty for sections
};

// q's own keys and those of each registered driver (registry.hpp), each section's own entry
// (type "object") before its keys: queue and its keys, queue.retry, queue.worker, each driver's
// section by driver name, handlers, handlers.NAME.
std::vector<ConfigKey> config_keys();

// The names of the keys directly under `section` ("" for the top level, "queue.worker",
// "handlers.NAME"), in table order.
std::vector<std::string> keys_under(const std::string& section);

}  // namespace libqueue
