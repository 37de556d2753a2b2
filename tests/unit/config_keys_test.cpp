// The config key table (config_keys.hpp) against the loader: every key it lists is accepted with
// its example value, every other key is refused naming exactly the table's keys, so the table,
// q.json(5) made from it and the checks cannot disagree.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "libqueue/config.hpp"
#include "libqueue/config_keys.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/registry.hpp"

using namespace libqueue;
using nlohmann::json;

namespace {

std::vector<std::string> split_path(const std::string& path) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        const auto dot = path.find('.', start);
        parts.push_back(path.substr(start, dot - start));
        if (dot == std::string::npos)
            return parts;
        start = dot + 1;
    }
}

// A config holding `key` at its example value, plus what the key needs beside it: a handler's
// command (and rate, for a burst), a schedule's job and cron or every, or queue.driver naming the
// driver whose section it is (so the section is checked in full, not only warned about).
json config_with(const ConfigKey& key) {
    json document = json::object();
    json* at = &document;
    for (auto part : split_path(key.path)) {
        if (part == "NAME")
            part = "send_email";
        at = &(*at)[part];
    }
    *at = json::parse(key.example);
    const auto parts = split_path(key.path);
    if (parts[0] == "handlers" && !document["handlers"]["send_email"].contains("command"))
        document["handlers"]["send_email"]["command"] = json::array({"true"});
    if (key.path == "handlers.NAME.burst")
        document["handlers"]["send_email"]["rate"] = "100/1m";  // a burst is of a rate
    if (parts[0] == "schedules" && parts.size() == 3) {
        auto& schedule = document["schedules"]["send_email"];
        if (!schedule.contains("job"))
            schedule["job"] = "send_email";
        if (!schedule.contains("cron") && !schedule.contains("every")) {
            if (schedule.contains("timezone"))
                schedule["cron"] = "@daily";  // a zone is for cron only
            else
                schedule["every"] = "1m";
        }
    }
    if (parts[0] == "queue" && parts.size() == 3) {
        const auto drivers = driver_names();
        if (std::find(drivers.begin(), drivers.end(), parts[1]) != drivers.end())
            document["queue"]["driver"] = parts[1];
    }
    return document;
}

}  // namespace

TEST_CASE("every key of the table is accepted with its example value") {
    const auto keys = config_keys();
    REQUIRE(keys.size() > 20);
    for (const auto& key : keys) {
        INFO(key.path);
        CHECK_FALSE(key.type.empty());
        CHECK_FALSE(key.default_value.empty());
        CHECK_FALSE(key.description.empty());
        if (key.example.empty()) {
            CHECK(key.type == "object");  // only sections go without an example
            continue;
        }
        const auto document = config_with(key);
        INFO(document.dump());
        Config config;
        REQUIRE_NOTHROW(config = parse_config(document, std::filesystem::temp_directory_path()));
        CHECK(config.warnings.empty());
    }
}

TEST_CASE("a key the table does not list is refused, naming the table's keys") {
    std::set<std::string> sections = {""};
    for (const auto& key : config_keys()) {
        if (key.type == "object" && key.path.find("NAME.") == std::string::npos &&
            key.path != "handlers" && key.path != "schedules")
            sections.insert(key.path);
    }
    for (const auto& section : sections) {
        const auto known = keys_under(section);
        if (known.empty())
            continue;  // memory and sync: their checks refuse any setting at all
        INFO(section);
        json document = json::object();
        json* at = &document;
        if (!section.empty()) {
            for (auto part : split_path(section)) at = &(*at)[part == "NAME" ? "job" : part];
        }
        (*at)["no_such_key"] = 1;
        if (section == "handlers.NAME")
            document["handlers"]["job"]["command"] = json::array({"true"});
        if (section.rfind("queue.", 0) == 0 && split_path(section).size() == 2 &&
            section != "queue.retry" && section != "queue.worker" && section != "queue.logs")
            document["queue"]["driver"] = split_path(section)[1];
        std::string listed;
        for (const auto& name : known) listed += (listed.empty() ? "" : ", ") + name;
        try {
            (void)parse_config(document, std::filesystem::temp_directory_path());
            FAIL("accepted " + document.dump());
        } catch (const ConfigError& e) {
            CHECK_THAT(e.what(), Catch::Matchers::Contains(
                                     "no_such_key: unknown key (known: " + listed + ")"));
        }
    }
}

TEST_CASE("the top level holds queue and handlers; every registered driver has a section") {
    CHECK(keys_under("") == std::vector<std::string>{"queue", "handlers", "schedules"});
    const auto queue_keys = keys_under("queue");
    for (const auto& name : driver_names())
        CHECK(std::find(queue_keys.begin(), queue_keys.end(), name) != queue_keys.end());
    CHECK(keys_under("handlers.NAME") == std::vector<std::string>{"command", "timeout", "env",
                                                                  "cwd", "rate", "burst",
                                                                  "concurrency"});
}
