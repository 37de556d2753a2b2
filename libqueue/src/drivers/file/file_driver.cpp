// The file driver: every operation loads the queue file under its lock (see file_store.hpp),
// applies the memory driver's lifecycle to it (memory::QueueState) and, when that changed
// anything, writes it back whole. The simple-persistence driver, not the fast one.
#include "drivers/file/file_driver.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <thread>
#include <type_traits>

#include "drivers/data_file.hpp"
#include "drivers/file/file_store.hpp"
#include "drivers/push_tick.hpp"
#include "libqueue/errors.hpp"

namespace libqueue {

namespace {

using namespace file_queue;

// Completed jobs are remembered (with keep_completed) this long, this many at most.
constexpr Milliseconds kRememberCompletedFor{24 * 3'600'000};
constexpr std::size_t kRememberCompletedMax = 1000;

bool any_true(const std::vector<bool>& applied) {
    return std::find(applied.begin(), applied.end(), true) != applied.end();
}

class FileDriver final : public QueueDriver {
  public:
    FileDriver(StoreSettings settings, bool keep_completed)
        : store_(std::move(settings)), keep_completed_(keep_completed) {}

    std::string name() const override { return "file"; }
    Capabilities capabilities() const override { return {}; }
    TimePoint now() override { return system_now(); }

    std::vector<PushResult> store_batch(const std::vector<NewJob>& jobs) override {
        return change(
            [&](QueueFile& file, TimePoint now) {
                try {
                    return file.store_batch(jobs, now);
                } catch (const DataError& e) {
                    throw DataError(e.what() + (" in " + store_.settings().path.string()));
                }
            },
            [](const std::vector<PushResult>& results) {
                return std::any_of(results.begin(), results.end(),
                                   [](const PushResult& r) { return r.created; });
            },
            Growth::refused);
    }

    // The job is saved before the mark: after a crash between the two, the next pass finds the
    // job there and only moves the mark.
    PushResult store_tick(const NewJob& job, const ScheduleTick& tick) override {
        auto lock = store_.lock_exclusive();
        auto all = read_records();
        auto& marks = records_of(all, schedule_record_kind);
        return push_tick_step(value_in(marks, tick.schedule), job, tick,
                              {[&] { return store_.read().find(job.id).has_value(); },
                               [&] {
                                   QueueFile& file = store_.modify();
                                   auto pushed = file.store_batch({job}, system_now()).front();
                                   store_.save(true);
                                   return pushed;
                               },
                               [&](const std::string& value) {
                                   marks[tick.schedule] = record_entry(value);
                                   store_.write_side(kRecordsSuffix, all.dump());
                               }});
    }

    std::vector<Job> claim(const ClaimRequest& request) override {
        return change([&](QueueFile& file, TimePoint now) { return file.claim(request, now); },
                      non_empty<Job>);
    }

    bool heartbeat(const Claim& claim) override { return heartbeat_batch({claim}).front(); }

    // Every heartbeat of this process's jobs in one locked rewrite: with one write per job, a
    // busy file fell behind its heartbeats and live jobs were taken for stale.
    std::vector<bool> heartbeat_batch(const std::vector<Claim>& claims) override {
        return change(
            [&](QueueFile& file, TimePoint now) {
                std::vector<bool> kept;
                for (const auto& claim : claims) kept.push_back(file.heartbeat(claim, now));
                return kept;
            },
            any_true);
    }

    bool complete(const Claim& claim, Milliseconds ran_for) override {
        return complete_batch({{claim, ran_for}}).front();
    }

    // One locked read-modify-write of the file (one rewrite, one fsync) for the whole batch.
    std::vector<bool> complete_batch(const std::vector<Completion>& completions) override {
        // The logs are appended under the same lock, right after the save, and made before
        // it: a lock of their own made every batch wait behind another process's rewrite and
        // fsync once more, which cost a no-op drain a fifth of its throughput.
        const auto at = system_now();
        std::vector<std::string> lines(completions.size());
        for (std::size_t i = 0; i < completions.size(); ++i) {
            if (completions[i].log)
                lines[i] = log_line(*completions[i].log, at);
        }
        return change(
            [&](QueueFile& file, TimePoint now) {
                std::vector<bool> applied;
                for (const auto& c : completions) {
                    applied.push_back(file.complete(c.claim, c.ran_for, now, keep_completed_));
                }
                if (keep_completed_ && any_true(applied))
                    forget_old_completions(file, now);
                return applied;
            },
            any_true, Growth::allowed,
            [&](const std::vector<bool>& applied) {
                std::string text;
                for (std::size_t i = 0; i < completions.size(); ++i) {
                    if (applied[i])
                        text += lines[i];
                }
                if (!text.empty())
                    append_log_lines(text);
            });
    }

    bool release(const Claim& claim, Milliseconds delay, const std::string& error) override {
        return change(
            [&](QueueFile& file, TimePoint now) { return file.release(claim, delay, error, now); },
            is_true);
    }

    bool put_back(const Claim& claim, Milliseconds delay) override {
        return change(
            [&](QueueFile& file, TimePoint now) { return file.put_back(claim, now + delay); },
            is_true);
    }

    bool fail(const Claim& claim, const std::string& error) override {
        return change([&](QueueFile& file, TimePoint now) { return file.fail(claim, error, now); },
                      is_true);
    }

    std::optional<Job> find(const std::string& id) override {
        return read([&](const QueueFile& file) { return file.find(id); });
    }

    std::vector<Job> list(const ListFilter& filter) override {
        return read([&](const QueueFile& file) { return file.list(filter); });
    }

    std::uint64_t size(const std::string& queue) override {
        return read([&](const QueueFile& file) { return file.size(queue); });
    }

    // Records live beside the queue file in PATH.records, a JSON object
    // {"KIND": {"KEY": {"value": TEXT, "updated_at": MS}}}, replaced atomically under the
    // queue file's lock, so records never touch the queue file the Dart queue system reads.
    void put_record(const std::string& kind, const std::string& key,
                    const std::string& value) override {
        auto lock = store_.lock_exclusive();
        auto all = read_records();
        all[kind][key] = record_entry(value);
        store_.write_side(kRecordsSuffix, all.dump());
    }

    std::vector<Record> records(const std::string& kind) override {
        auto lock = store_.lock_shared();
        const auto all = read_records();
        std::vector<Record> out;
        const auto of_kind = all.find(kind);
        if (of_kind == all.end() || !of_kind->is_object())
            return out;
        for (const auto& [key, entry] : of_kind->items()) {
            const auto value = record_value(entry);
            if (!value)
                continue;  // not written by put_record: not a record
            out.push_back(Record{key, *value,
                                 TimePoint(Milliseconds(entry["updated_at"].get<std::int64_t>()))});
        }
        return out;
    }

    void change_record(const std::string& kind, const std::string& key,
                       const RecordChange& change) override {
        auto lock = store_.lock_exclusive();
        auto all = read_records();
        auto& of_kind = records_of(all, kind);
        if (auto changed = change(value_in(of_kind, key), system_now())) {
            of_kind[key] = record_entry(*changed);
        } else {
            of_kind.erase(key);
        }
        store_.write_side(kRecordsSuffix, all.dump());
    }

    std::uint64_t remove_records(const std::string& kind,
                                 const std::vector<std::string>& keys) override {
        auto lock = store_.lock_exclusive();
        auto all = read_records();
        std::uint64_t removed = 0;
        if (auto of_kind = all.find(kind); of_kind != all.end() && of_kind->is_object()) {
            for (const auto& key : keys) removed += of_kind->erase(key);
        }
        if (removed > 0)
            store_.write_side(kRecordsSuffix, all.dump());
        return removed;
    }

    // Attempt logs live in PATH.logs, one JSON line per write ({"job", "attempt", "at", "body"});
    // the last line of a (job, attempt) is its log. Appending keeps a completion's cost
    // independent of how many logs are kept; a torn last line (a crash mid-append) is skipped;
    // prune_attempt_logs rewrites the file atomically with only the lines it keeps.
    void put_attempt_logs(const std::vector<AttemptLog>& logs) override {
        const auto at = system_now();
        std::string text;
        for (const auto& log : logs) text += log_line(log, at);
        auto lock = store_.lock_exclusive();
        append_log_lines(text);
    }

    static std::string log_line(const AttemptLog& log, TimePoint at) {
        return nlohmann::json{{"job", log.job_id},
                              {"attempt", log.attempt},
                              {"at", std::int64_t(at.time_since_epoch().count())},
                              {"body", attempt_log_body(log)}}
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
               '\n';
    }

    // Under the exclusive lock.
    void append_log_lines(const std::string& text) {
        store_.append_side(kLogsSuffix, text);
        // A running job's log is appended again every second it prints: once the file has grown
        // to twice its size after the last rewrite, it is rewritten with the newest line of each
        // attempt only, so its size follows the logs kept, not the writes.
        const auto size = side_size(kLogsSuffix);
        if (size > kLogsCompactFrom && size > 2 * logs_size_after_rewrite_)
            logs_size_after_rewrite_ = rewrite_logs(std::nullopt).second;
    }

    std::vector<AttemptLog> attempt_logs(const std::string& job_id) override {
        std::map<int, std::string> bodies;
        {
            auto lock = store_.lock_shared();
            for_each_log_line([&](const nlohmann::json& line) {
                if (line["job"] == job_id)
                    bodies[line["attempt"].get<int>()] = line["body"].get<std::string>();
            });
        }
        return attempt_logs_from_bodies(job_id, bodies);
    }

    std::uint64_t prune_attempt_logs(Milliseconds older_than) override {
        const auto cutoff = std::int64_t((system_now() - older_than).time_since_epoch().count());
        auto lock = store_.lock_exclusive();
        auto [removed, size] = rewrite_logs(cutoff);
        logs_size_after_rewrite_ = size;
        return removed;
    }

    std::uint64_t clear(const std::string& queue) override {
        return change([&](QueueFile& file, TimePoint) { return file.clear(queue); }, non_zero);
    }

    bool cancel(const std::string& id) override {
        return change([&](QueueFile& file, TimePoint now) { return file.cancel(id, now); },
                      is_true);
    }

    bool retry_dead(const std::string& id) override {
        return change([&](QueueFile& file, TimePoint now) { return file.retry_dead(id, now); },
                      is_true);
    }

    std::uint64_t retry_dead_matching(const ListFilter& filter) override {
        return change(
            [&](QueueFile& file, TimePoint now) { return file.retry_dead_matching(filter, now); },
            non_zero);
    }

    std::uint64_t clear_dead(const ListFilter& filter) override {
        return change([&](QueueFile& file, TimePoint) { return file.clear_dead(filter); },
                      non_zero);
    }

    std::vector<Job> recover_stale(Milliseconds stale_after, bool dry_run) override {
        return change([&](QueueFile& file,
                          TimePoint now) { return file.recover_stale(stale_after, dry_run, now); },
                      [&](const std::vector<Job>& stale) { return !dry_run && !stale.empty(); });
    }

    std::uint64_t prune(Milliseconds older_than, std::size_t limit,
                        const PruneScope& scope) override {
        return change([&](QueueFile& file,
                          TimePoint now) { return file.prune(older_than, limit, scope, now); },
                      non_zero);
    }

    Stats stats() override {
        return read([&](const QueueFile& file) { return file.stats(system_now()); });
    }

    // No wake-up signal across processes: poll the file's signature (a stat, no read), and
    // wake when it changes or when the earliest delayed job falls due.
    void wait_for_jobs(const std::vector<std::string>& queues, Milliseconds timeout) override {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        FileSignature seen = store_.signature();
        if (auto next = read([&](const QueueFile& file) { return file.next_due(queues); })) {
            auto until_due = *next - system_now();
            if (until_due <= Milliseconds(0))
                return;
            deadline = std::min(deadline, std::chrono::steady_clock::now() + until_due);
        }
        while (std::chrono::steady_clock::now() < deadline) {
            auto left = deadline - std::chrono::steady_clock::now();
            std::this_thread::sleep_for(
                std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50)));
            if (!(store_.signature() == seen))
                return;
        }
    }

  private:
    enum class Growth { allowed, refused };  // refused: a push, which must fit max_file_size

    static bool is_true(bool applied) { return applied; }
    static bool non_zero(std::uint64_t count) { return count != 0; }
    template <class T>
    static bool non_empty(const std::vector<T>& items) {
        return !items.empty();
    }

    // Under the shared lock: a query of the loaded file.
    template <class Query>
    std::invoke_result_t<Query&, const QueueFile&> read(Query query) {
        auto lock = store_.lock_shared();
        return query(store_.read());
    }

    // Under the exclusive lock: applies `operation` to the loaded file and saves it when
    // `changed(result)`; an operation that changed nothing writes nothing (idle workers poll).
    // `after_save(result)` runs next, still under the lock.
    struct NothingAfterSave {
        template <class Result>
        void operator()(const Result&) const {}
    };
    template <class Operation, class Changed, class AfterSave = NothingAfterSave>
    std::invoke_result_t<Operation&, QueueFile&, TimePoint> change(Operation operation,
                                                                   Changed changed,
                                                                   Growth growth = Growth::allowed,
                                                                   AfterSave after_save = {}) {
        auto lock = store_.lock_exclusive();
        QueueFile& file = store_.modify();
        auto result = operation(file, system_now());
        if (changed(result)) {
            store_.save(growth == Growth::refused);
        } else {
            store_.unchanged();
        }
        after_save(result);
        return result;
    }

    static void forget_old_completions(QueueFile& file, TimePoint now) {
        auto completed = completed_oldest_first(file);
        std::size_t excess =
            completed.size() > kRememberCompletedMax ? completed.size() - kRememberCompletedMax : 0;
        for (std::size_t i = 0; i < completed.size(); ++i) {
            const Job& job = file.jobs().find(completed[i])->job;
            if (i >= excess && job.finished_at && *job.finished_at >= now - kRememberCompletedFor)
                break;
            file.jobs().erase(completed[i]);
        }
    }

    static constexpr const char* kRecordsSuffix = "records";
    static constexpr const char* kLogsSuffix = "logs";
    static constexpr std::uint64_t kLogsCompactFrom = 1 << 20;  // bytes

    // Under the exclusive lock: PATH.logs with only the newest line of each (job, attempt), less
    // those written before `cutoff` (ms) when given. Returns (logs removed, the file's size).
    std::pair<std::uint64_t, std::uint64_t> rewrite_logs(std::optional<std::int64_t> cutoff) {
        std::map<std::pair<std::string, int>, nlohmann::json> newest;
        std::uint64_t lines = 0;
        for_each_log_line([&](const nlohmann::json& line) {
            ++lines;
            newest[{line["job"].get<std::string>(), line["attempt"].get<int>()}] = line;
        });
        std::uint64_t removed = 0;
        std::string kept;
        for (const auto& [key, line] : newest) {
            if (cutoff && line["at"].get<std::int64_t>() < *cutoff) {
                ++removed;
                continue;
            }
            kept += line.dump() + '\n';
        }
        if (removed > 0 || newest.size() < lines)
            store_.write_side(kLogsSuffix, kept);
        return {removed, side_size(kLogsSuffix)};
    }

    std::uint64_t side_size(const std::string& suffix) const {
        std::error_code error;
        const auto size = std::filesystem::file_size(store_.side_path(suffix), error);
        return error ? 0 : std::uint64_t(size);
    }

    // Under a lock: each well-formed line of PATH.logs (others are skipped: a torn append).
    template <class Visit>
    void for_each_log_line(Visit visit) const {
        const auto text = store_.read_side(kLogsSuffix);
        if (!text)
            return;
        std::string_view rest(*text);
        while (!rest.empty()) {
            const auto end = rest.find('\n');
            if (end == std::string_view::npos)
                break;  // no newline: an append cut short
            auto line = nlohmann::json::parse(rest.substr(0, end), nullptr, false);
            rest.remove_prefix(end + 1);
            if (line.is_object() && line.contains("job") && line["job"].is_string() &&
                line.contains("attempt") && line["attempt"].is_number_integer() &&
                line.contains("at") && line["at"].is_number_integer() && line.contains("body") &&
                line["body"].is_string())
                visit(line);
        }
    }

    // The records of `kind` in `all` (PATH.records' object), made an object if they are not one.
    static nlohmann::json& records_of(nlohmann::json& all, const std::string& kind) {
        auto& of_kind = all[kind];
        if (!of_kind.is_object())
            of_kind = nlohmann::json::object();
        return of_kind;
    }

    // The value of record `key` among `of_kind`; nullopt when there is none (or not one
    // record_entry wrote).
    static std::optional<std::string> value_in(const nlohmann::json& of_kind,
                                               const std::string& key) {
        const auto found = of_kind.find(key);
        return found == of_kind.end() ? std::nullopt : record_value(*found);
    }

    // One record as PATH.records holds it, written now.
    static nlohmann::json record_entry(const std::string& value) {
        return {{"value", value},
                {"updated_at", std::int64_t(system_now().time_since_epoch().count())}};
    }

    // The value of an entry record_entry wrote; nullopt for anything else.
    static std::optional<std::string> record_value(const nlohmann::json& entry) {
        if (!entry.is_object() || !entry.contains("value") || !entry["value"].is_string() ||
            !entry.contains("updated_at") || !entry["updated_at"].is_number_integer())
            return std::nullopt;
        return entry["value"].get<std::string>();
    }

    // Under a lock: PATH.records, {} when there is none. One that does not parse is never
    // written over (DataError naming it); removing it loses only what workers rewrite.
    nlohmann::json read_records() const {
        const auto text = store_.read_side(kRecordsSuffix);
        if (!text)
            return nlohmann::json::object();
        auto parsed = nlohmann::json::parse(*text, nullptr, false);
        if (parsed.is_discarded() || !parsed.is_object()) {
            throw DataError(store_.side_path(kRecordsSuffix).string() +
                            ": not a records file q wrote (it holds only the live workers; "
                            "remove it and they write it again)");
        }
        return parsed;
    }

    FileStore store_;
    bool keep_completed_;
    std::uint64_t logs_size_after_rewrite_ = 0;  // by this process; 0 until it rewrites
};

}  // namespace

std::vector<ConfigKey> file_section_keys() {
    return {
        {"", "object", "{}",
         "The file driver: one JSON file, rewritten whole and atomically on every change; for "
         "small queues and for reading with jq.",
         ""},
        {"path", "path", "\"$XDG_DATA_HOME/q/jobs.json\"",
         "The queue file, q's own JSON format; every change is written to a temporary file, "
         "synced and renamed over it, under PATH.lock.",
         "\"storage/queue/jobs.json\""},
        {"max_file_size", "whole number of bytes, at least 1", "5242880 (5 MiB)",
         "A push that would grow the file past this is refused (exit 75) and nothing is stored.",
         "5242880"},
        {"max_backups", "whole number, 0 to 1000", "5",
         "Backups PATH.1 (newest) to PATH.N, at most one new one a minute; a file that does not "
         "parse is never written over, and the error names the newest good backup.",
         "5"},
    };
}

nlohmann::json check_file_section(const ConfigChecker& check, const nlohmann::json& section) {
    check.require_object(section, "queue.file");
    nlohmann::json out = section;
    for (const auto& [key, value] : section.items()) {
        const std::string path = "queue.file." + key;
        check.require_known("queue.file", key, path);
        if (key == "path") {
            out[key] = check.path(value, path);
        } else if (key == "max_file_size") {
            check.count(value, path, 1, UINT64_MAX);
        } else if (key == "max_backups") {
            check.count(value, path, 0, 1000);
        } else {
            check.unknown_key(path, keys_under("queue.file"));
        }
    }
    default_data_file(out, default_queue_file);
    return out;
}

std::unique_ptr<QueueDriver> make_file_driver(const DriverContext& context) {
    const nlohmann::json& section = context.section;
    StoreSettings settings;
    settings.path = data_file_path(section, "queue.file");
    settings.max_file_size = section.value("max_file_size", settings.max_file_size);
    settings.max_backups = section.value("max_backups", settings.max_backups);
    return std::make_unique<FileDriver>(std::move(settings), context.config.keep_completed);
}

}  // namespace libqueue
