#include "options.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace q {

void refuse_empty_values(CLI::App& app) {
    static const CLI::Validator non_empty(
        [](const std::string& text) -> std::string {
            return text.empty() ? empty_value_message : "";
        },
        "");
    for (auto* option : app.get_options()) {
        if (!option->get_lnames().empty() && option->get_type_size_max() > 0)
            option->check(non_empty);
    }
    for (auto* command : app.get_subcommands([](CLI::App*) { return true; }))
        refuse_empty_values(*command);
}

const CLI::Validator& count_validator() {
    // Digits only: CLI11's NonNegativeNumber reads a double, so its message names the largest
    // double and it lets "1e3" and "0.5" through to a conversion of its own.
    static const CLI::Validator validator(
        [](const std::string& text) -> std::string {
            const bool digits_only =
                !text.empty() &&
                std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
            if (!digits_only) {
                return "expected a whole number, 0 or more; got '" +
                       libqueue::valid_utf8(text.substr(0, 40)) + "'";
            }
            std::uint64_t value = 0;
            const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
            if (result.ec == std::errc::result_out_of_range)
                return "'" + libqueue::valid_utf8(text.substr(0, 40)) + "' is too large";
            return {};
        },
        "N");
    return validator;
}

void check_label_option(const std::string& option, const std::string& what,
                        const std::string& value) {
    try {
        libqueue::validate_label(what, value);
    } catch (const libqueue::DataError& e) {
        throw libqueue::DataError(option + ": " + e.what());
    }
}

libqueue::Milliseconds parse_duration_option(const std::string& option, const std::string& text) {
    try {
        return libqueue::parse_duration(text);
    } catch (const libqueue::Error& e) {
        throw libqueue::UsageError(option + ": " + e.what());
    }
}

libqueue::TimePoint parse_time_option(const std::string& option, const std::string& text) {
    try {
        return libqueue::parse_user_time(text);
    } catch (const libqueue::Error& e) {
        throw libqueue::UsageError(option + ": " + e.what());
    }
}

libqueue::Status parse_status_option(const std::string& option, const std::string& text) {
    // "dead" is what q calls the stored status "failed" (q dlq, q work): both are read.
    if (text == "dead")
        return libqueue::Status::failed;
    try {
        return libqueue::status_from_string(text);
    } catch (const libqueue::Error&) {
        throw libqueue::UsageError(option + ": unknown status " + libqueue::quoted(text) +
                                   " (expected pending, processing, completed, or dead/failed)");
    }
}

void with_input(const std::string& path_or_dash, const std::function<void(std::istream&)>& read) {
    if (path_or_dash == "-") {
        read(std::cin);
        return;
    }
    // A directory opens as a stream and fails only on the first read, as an internal error.
    std::error_code ec;
    if (std::filesystem::is_directory(path_or_dash, ec))
        throw libqueue::NotFoundError(path_or_dash + ": is a directory, not a file");
    std::ifstream file(path_or_dash, std::ios::binary);
    if (!file) {
        // sysexits' EX_NOINPUT (66): an input file that does not exist or cannot be read.
        throw libqueue::NotFoundError(path_or_dash + ": cannot read: " + std::strerror(errno));
    }
    read(file);
}

std::string read_input(const std::string& path_or_dash, std::size_t max_bytes,
                       const std::string& what) {
    std::string text;
    with_input(path_or_dash,
               [&](std::istream& in) { text = libqueue::read_at_most(in, max_bytes, what); });
    return text;
}

libqueue::ListPosition parse_after_option(libqueue::QueueDriver& driver, const std::string& id) {
    auto job = driver.find(id);
    if (!job) {
        throw libqueue::NotFoundError("--after: no job with id " + libqueue::quoted(id) +
                                      " (the last id of a page to continue from)");
    }
    return libqueue::list_position(*job);
}

}  // namespace q
