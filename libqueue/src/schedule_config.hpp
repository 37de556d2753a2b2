// Reading the config's "schedules" section, and writing it back for `q config`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "libqueue/config_checker.hpp"
#include "libqueue/schedule.hpp"

namespace libqueue {

// Each schedule checked (ConfigError naming the key); those without a queue get default_queue.
std::vector<Schedule> check_schedules(const ConfigChecker& check, const nlohmann::json& schedules,
                                      const std::string& default_queue);

// One schedule as the config would write it.
nlohmann::json schedule_json(const Schedule& schedule);

}  // namespace libqueue
