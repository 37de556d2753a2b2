#include "libqueue/cancels.hpp"

#include <nlohmann/json.hpp>
#include <utility>

namespace libqueue {

namespace {

constexpr const char* kind = "cancel";

}  // namespace

void request_cancel(QueueDriver& driver, const CancelRequest& request) {
    const nlohmann::json value = {{"token", request.token},
                                  {"retry", request.retry},
                                  {"by", request.by},
                                  {"taken", request.taken}};
    driver.put_record(kind, request.job_id,
                      value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void forget_cancel(QueueDriver& driver, const std::string& job_id) {
    driver.remove_records(kind, {job_id});
}

std::vector<CancelRequest> cancel_requests(QueueDriver& driver) {
    const auto records = records_if_kept(driver, kind);
    const auto now = driver.now();
    std::vector<CancelRequest> out;
    std::vector<std::string> expired;
    for (const auto& record : records) {
        const auto value = nlohmann::json::parse(record.value, nullptr, false);
        if (!value.is_object() || !value.contains("token") || !value["token"].is_string())
            continue;  // not q's
        if (now - record.updated_at > cancel_request_kept) {
            expired.push_back(record.key);
            continue;
        }
        CancelRequest request;
        request.job_id = record.key;
        request.token = value["token"].get<std::string>();
        const auto flag = [&](const char* key) {
            return value.contains(key) && value[key].is_boolean() && value[key].get<bool>();
        };
        request.retry = flag("retry");
        request.taken = flag("taken");
        if (value.contains("by") && value["by"].is_string())
            request.by = value["by"].get<std::string>();
        request.at = record.updated_at;
        out.push_back(std::move(request));
    }
    if (!expired.empty())
        driver.remove_records(kind, expired);
    return out;
}

std::optional<CancelRequest> cancel_request(QueueDriver& driver, const std::string& job_id) {
    for (auto& request : cancel_requests(driver)) {
        if (request.job_id == job_id)
            return std::move(request);
    }
    return std::nullopt;
}

}  // namespace libqueue
