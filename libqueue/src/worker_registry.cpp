#include "libqueue/worker_registry.hpp"

#include <algorithm>
#include <optional>
#include <tuple>

#include "libqueue/errors.hpp"

namespace libqueue {

namespace {

constexpr const char* kind = "worker";

std::int64_t ms_of(TimePoint t) {
    return t.time_since_epoch().count();
}

std::optional<WorkerRecord> parse_record(const Record& record) {
    const auto json = nlohmann::json::parse(record.value, nullptr, false);
    if (json.is_discarded() || !json.is_object())
        return std::nullopt;
    try {
        WorkerRecord w;
        w.id = record.key;
        w.host = json.at("host").get<std::string>();
        w.pid = json.at("pid").get<std::int64_t>();
        w.queues = json.at("queues").get<std::vector<std::string>>();
        w.concurrency = json.at("concurrency").get<unsigned>();
        w.started_at = TimePoint(Milliseconds(json.at("started_at_ms").get<std::int64_t>()));
        w.stale_after = Milliseconds(json.at("stale_after_ms").get<std::int64_t>());
        w.completed = json.at("completed").get<std::uint64_t>();
        w.retried = json.at("retried").get<std::uint64_t>();
        w.dead = json.at("dead").get<std::uint64_t>();
        w.running = json.at("running").get<std::vector<std::string>>();
        w.stopping = json.value("stopping", false);
        if (const auto run_time = json.find("run_time");
            run_time != json.end() && run_time->is_object()) {
            for (const auto& [queue, histogram] : run_time->items()) {
                if (auto h = DurationHistogram::from_json(histogram))
                    w.run_time.emplace(queue, *h);
            }
        }
        w.last_seen = record.updated_at;
        return w;
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;  // another program's or a newer q's record: not listed
    }
}

// What is stored: the record without what the reader works out (id is the key, last_seen the
// backend's time of the put, lost the reader's verdict).
nlohmann::json stored_form(const WorkerRecord& w) {
    auto run_time = nlohmann::json::object();
    for (const auto& [queue, histogram] : w.run_time) run_time[queue] = histogram.to_json();
    return {
        {"host", w.host},
        {"pid", w.pid},
        {"queues", w.queues},
        {"concurrency", w.concurrency},
        {"started_at_ms", ms_of(w.started_at)},
        {"stale_after_ms", w.stale_after.count()},
        {"completed", w.completed},
        {"retried", w.retried},
        {"dead", w.dead},
        {"running", w.running},
        {"stopping", w.stopping},
        {"run_time", std::move(run_time)},
    };
}

}  // namespace

std::string WorkerRecord::state() const {
    if (lost)
        return "lost";
    if (stopping)
        return "stopping";
    return running.empty() ? "idle" : "working";
}

bool WorkerRecord::serves(const std::string& queue) const {
    return std::find(queues.begin(), queues.end(), queue) != queues.end();
}

nlohmann::json WorkerRecord::to_json() const {
    return {
        {"id", id},
        {"host", host},
        {"pid", pid},
        {"queues", queues},
        {"concurrency", concurrency},
        {"started_at", format_iso8601(started_at)},
        {"last_seen", format_iso8601(last_seen)},
        {"stale_after_ms", stale_after.count()},
        {"state", state()},
        {"completed", completed},
        {"retried", retried},
        {"dead", dead},
        {"running", running},
    };
}

void announce_worker(QueueDriver& driver, const WorkerRecord& worker) {
    driver.put_record(kind, worker.id, stored_form(worker).dump());
}

void forget_worker(QueueDriver& driver, const std::string& worker_id) {
    driver.remove_records(kind, {worker_id});
}

std::vector<WorkerRecord> list_workers(QueueDriver& driver, Milliseconds keep_lost) {
    const auto records = driver.records(kind);
    const TimePoint now = driver.now();
    std::vector<WorkerRecord> workers;
    std::vector<std::string> expired;
    for (const auto& record : records) {
        auto worker = parse_record(record);
        if (!worker)
            continue;
        const auto unseen = now - worker->last_seen;
        worker->lost = unseen > worker->stale_after;
        if (worker->lost && unseen > worker->stale_after + keep_lost) {
            expired.push_back(worker->id);
            continue;
        }
        workers.push_back(std::move(*worker));
    }
    if (!expired.empty())
        driver.remove_records(kind, expired);
    std::sort(workers.begin(), workers.end(), [](const WorkerRecord& a, const WorkerRecord& b) {
        return std::tie(a.started_at, a.id) < std::tie(b.started_at, b.id);
    });
    return workers;
}

std::vector<WorkerRecord> workers_if_kept(QueueDriver& driver) {
    try {
        return list_workers(driver);
    } catch (const UsageError&) {
        return {};
    }
}

}  // namespace libqueue
