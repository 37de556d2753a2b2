#include "batch.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "libqueue/duration.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/import.hpp"
#include "libqueue/json_limits.hpp"
#include "options.hpp"

namespace q {

namespace {

// One NDJSON line of a batch, checked; throws DataError without the line number.
libqueue::NewJob job_from_line(const nlohmann::json& line, const std::string& default_queue) {
    if (!line.is_object())
        throw libqueue::DataError("expected a JSON object");
    // A whole job record, as q export writes it: moved with its id and attempts.
    if (line.contains("status"))
        return libqueue::moved_job(libqueue::job_from_json(line));
    libqueue::NewJob job;
    job.queue = default_queue;
    auto string_field = [&](const char* key) {
        const auto& value = line.at(key);
        if (!value.is_string())
            throw libqueue::DataError(fmt::format("{}: expected a string", key));
        return value.get<std::string>();
    };
    for (const auto& [key, value] : line.items()) {
        if (key == "name") {
            job.name = string_field("name");
        } else if (key == "payload") {
            job.payload = value.dump();
        } else if (key == "queue") {
            job.queue = string_field("queue");
        } else if (key == "delay") {
            try {
                job.delay = libqueue::duration_from_json(value);
            } catch (const libqueue::Error& e) {
                throw libqueue::DataError(std::string("delay: ") + e.what());
            }
        } else if (key == "max_retries") {
            if (!value.is_number_integer() || value.get<long long>() < 0 ||
                value.get<long long>() > 1'000'000) {
                throw libqueue::DataError("max_retries: expected a whole number >= 0");
            }
            job.max_retries = value.get<int>();
        } else if (key == "priority") {
            if (!value.is_number_integer() || value.get<long long>() < 0 ||
                value.get<long long>() > libqueue::max_priority) {
                throw libqueue::DataError(
                    fmt::format("priority: expected a whole number 0..{}", libqueue::max_priority));
            }
            job.priority = value.get<int>();
        } else if (key == "unique_key") {
            if (!value.is_null())
                job.unique_key = string_field("unique_key");
        } else {
            throw libqueue::DataError(fmt::format(
                "unknown key '{}' (expected name, payload, queue, delay, max_retries, priority, "
                "unique_key)",
                key));
        }
    }
    if (!line.contains("name"))
        throw libqueue::DataError("name: missing");
    libqueue::validate_new_job(job);
    return job;
}

}  // namespace

std::vector<libqueue::NewJob> read_batch(const std::string& source,
                                         const std::string& default_queue,
                                         const std::function<void()>& on_line) {
    std::vector<libqueue::NewJob> jobs;
    with_input(source, [&](std::istream& in) {
        libqueue::BoundedLines lines(in, libqueue::max_batch_line_bytes, "batch");
        for (std::string line; lines.next(line);) {
            const auto number = lines.number();
            if (on_line)
                on_line();
            if (trimmed(line).empty())
                continue;  // a trailing blank line is not a job
            try {
                // The line is one level above the payload it carries.
                libqueue::check_json_depth(line, "payload", 1);
                auto parsed = nlohmann::json::parse(line, nullptr, false);
                if (parsed.is_discarded())
                    throw libqueue::DataError("not valid JSON");
                jobs.push_back(job_from_line(parsed, default_queue));
            } catch (const libqueue::Error& e) {
                throw libqueue::DataError(fmt::format("batch line {}: {}", number, e.what()));
            }
        }
    });
    return jobs;
}

std::string trimmed(const std::string& text) {
    auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos)
        return {};
    auto last = text.find_last_not_of(" \t\r\n");
    return text.substr(first, last - first + 1);
}

}  // namespace q
