// The file driver: every operation reads the queue file, changes it and writes it back whole
// under the file's lock (see file_store.hpp). The simple-persistence driver, not the fast one.
#include "drivers/file/file_driver.hpp"

#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "drivers/data_file.hpp"
#include "drivers/file/file_store.hpp"
#include "libqueue/errors.hpp"

namespace libqueue {

namespace {

using namespace file_queue;

// Completed jobs leave the file; their identity is remembered this long, this many at most.
constexpr Milliseconds kRememberCompletedFor{24 * 3'600'000};
constexpr std::size_t kRememberCompletedMax = 1000;

bool in_list(const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

bool is_due(const Job& job, TimePoint now) {
    return job.status == Status::pending && (!job.available_at || *job.available_at <= now);
}

class FileDriver final : public QueueDriver {
  public:
    FileDriver(StoreSettings settings, bool keep_completed)
        : store_(std::move(settings)), keep_completed_(keep_completed) {}

    std::string name() const override { return "file"; }
    Capabilities capabilities() const override { return {}; }
    TimePoint now() override { return system_now(); }

    std::vector<PushResult> store_batch(const std::vector<NewJob>& jobs) override {
        auto lock = store_.lock_exclusive();
        QueueFile& file = store_.modify();
        TimePoint now = system_now();
        std::vector<PushResult> results;
        for (const auto& job : jobs) {
            if (job.unique_key) {
                auto existing = std::find_if(file.jobs.begin(), file.jobs.end(), [&](auto& s) {
                    return s.unique_key == job.unique_key &&
                           (s.job.status == Status::pending || s.job.status == Status::processing);
                });
                if (existing != file.jobs.end()) {
                    results.push_back({existing->job.id, false});
                    continue;
                }
            }
            StoredJob stored;
            Job& j = stored.job;
            j.id = job.id.empty() ? new_job_id() : job.id;
            if (!job.id.empty() && contains_id(file, j.id)) {
                throw DataError("job id '" + j.id + "' already exists in " +
                                store_.settings().path.string());
            }
            j.name = job.name;
            j.queue = job.queue;
            j.status = Status::pending;
            j.max_retries = job.max_retries;
            j.payload = job.payload;
            j.created_at = now;
            j.available_at = job.run_at ? *job.run_at : now + job.delay;
            stored.unique_key = job.unique_key;
            file.totals[{j.queue, j.name}].pushed++;
            results.push_back({j.id, true});
            file.jobs.push_back(std::move(stored));
        }
        if (std::none_of(results.begin(), results.end(), [](auto& r) { return r.created; })) {
            store_.unchanged();
        } else {
            store_.save(true);
        }
        return results;
    }

    std::vector<Job> claim(const ClaimRequest& request) override {
        auto lock = store_.lock_exclusive();
        QueueFile& file = store_.modify();
        TimePoint now = system_now();
        std::vector<Job> claimed;
        for (const auto& queue : request.queues) {
            if (claimed.size() >= request.limit)
                break;
            std::vector<StoredJob*> due;
            for (auto& s : file.jobs) {
                if (s.job.queue == queue && is_due(s.job, now))
                    due.push_back(&s);
            }
            auto order = [](const StoredJob* a, const StoredJob* b) {
                auto key = [](const Job& j) {
                    return std::tie(j.available_at, j.created_at, j.id);
                };
                return key(a->job) < key(b->job);
            };
            std::size_t take = std::min(due.size(), request.limit - claimed.size());
            std::partial_sort(due.begin(), due.begin() + std::ptrdiff_t(take), due.end(), order);
            for (std::size_t i = 0; i < take; ++i) {
                Job& j = due[i]->job;
                j.status = Status::processing;
                j.attempts++;
                j.available_at = now;
                j.reserved_by = claim_token(request, claimed.size());
                claimed.push_back(j);
            }
        }
        if (claimed.empty()) {
            store_.unchanged();
        } else {
            store_.save(false);
        }
        return claimed;
    }

    bool heartbeat(const Claim& claim) override { return heartbeat_batch({claim}).front(); }

    // Every heartbeat of this process's jobs in one locked rewrite: with one write per job, a
    // busy file fell behind its heartbeats and live jobs were taken for stale.
    std::vector<bool> heartbeat_batch(const std::vector<Claim>& claims) override {
        std::vector<bool> kept(claims.size(), false);
        if (claims.empty())
            return kept;
        auto lock = store_.lock_exclusive();
        QueueFile& file = store_.modify();
        std::unordered_map<std::string_view, std::size_t> wanted;
        for (std::size_t c = 0; c < claims.size(); ++c) wanted.emplace(claims[c].id, c);
        const TimePoint now = system_now();
        bool changed = false;
        for (auto& stored : file.jobs) {
            Job& j = stored.job;
            auto found = wanted.find(j.id);
            if (found == wanted.end() || j.status != Status::processing ||
                j.reserved_by != claims[found->second].token) {
                continue;
            }
            j.available_at = now;
            kept[found->second] = true;
            changed = true;
        }
        if (changed) {
            store_.save(false);
        } else {
            store_.unchanged();
        }
        return kept;
    }

    bool complete(const Claim& claim, Milliseconds ran_for) override {
        return complete_batch({{claim, ran_for}}).front();
    }

    // One locked read-modify-write of the file (one rewrite, one fsync) for the whole batch.
    std::vector<bool> complete_batch(const std::vector<Completion>& completions) override {
        std::vector<bool> applied(completions.size(), false);
        if (completions.empty())
            return applied;
        auto lock = store_.lock_exclusive();
        QueueFile& file = store_.modify();
        TimePoint now = system_now();
        // Processing jobs by id; an entry leaves the map once completed, so a second completion
        // of the same job in the batch is refused as complete() would refuse it.
        std::unordered_map<std::string_view, std::size_t> processing;
        for (std::size_t i = 0; i < file.jobs.size(); ++i) {
            if (file.jobs[i].job.status == Status::processing)
                processing.emplace(file.jobs[i].job.id, i);
        }
        std::vector<bool> done(file.jobs.size(), false);
        for (std::size_t c = 0; c < completions.size(); ++c) {
            const Claim& claim = completions[c].claim;
            auto found = processing.find(claim.id);
            if (found == processing.end())
                continue;
            Job& j = file.jobs[found->second].job;
            if (j.reserved_by != claim.token)
                continue;
            auto& totals = file.totals[{j.queue, j.name}];
            totals.completed++;
            totals.processing_ms +=
                std::uint64_t(std::max<std::int64_t>(0, completions[c].ran_for.count()));
            if (keep_completed_) {
                Job finished = j;
                finished.status = Status::completed;
                finished.finished_at = now;
                finished.reserved_by.reset();
                file.completed.push_back(std::move(finished));
            }
            done[found->second] = true;
            processing.erase(found);
            applied[c] = true;
        }
        if (std::find(applied.begin(), applied.end(), true) == applied.end()) {
            store_.unchanged();
            return applied;
        }
        // Completed jobs leave the active list (remembered in file.completed when kept).
        std::vector<StoredJob> active;
        active.reserve(file.jobs.size());
        for (std::size_t i = 0; i < file.jobs.size(); ++i) {
            if (!done[i])
                active.push_back(std::move(file.jobs[i]));
        }
        file.jobs = std::move(active);
        if (keep_completed_)
            forget_old_completions(file, now);
        store_.save(false);
        return applied;
    }

    bool release(const Claim& claim, Milliseconds delay, const std::string& error) override {
        return with_claim(claim, [&](QueueFile& file, std::size_t, Job& j) {
            j.status = Status::pending;
            j.available_at = system_now() + delay;
            j.last_error = error;
            j.reserved_by.reset();
            file.totals[{j.queue, j.name}].retries++;
        });
    }

    bool put_back(const Claim& claim) override {
        return with_claim(claim, [&](QueueFile&, std::size_t, Job& j) {
            j.status = Status::pending;
            j.attempts = std::max(0, j.attempts - 1);
            j.available_at = system_now();
            j.reserved_by.reset();
        });
    }

    bool fail(const Claim& claim, const std::string& error) override {
        return with_claim(claim, [&](QueueFile& file, std::size_t, Job& j) {
            j.status = Status::failed;
            j.finished_at = system_now();
            j.last_error = error;
            j.reserved_by.reset();
            file.totals[{j.queue, j.name}].dead++;
        });
    }

    std::optional<Job> find(const std::string& id) override {
        auto lock = store_.lock_shared();
        const QueueFile& file = store_.read();
        for (const auto& s : file.jobs) {
            if (s.job.id == id)
                return s.job;
        }
        for (const auto& j : file.completed) {
            if (j.id == id)
                return j;
        }
        return std::nullopt;
    }

    std::vector<Job> list(const ListFilter& filter) override {
        auto lock = store_.lock_shared();
        const QueueFile& file = store_.read();
        std::vector<Job> out;
        for (const auto& s : file.jobs) {
            if (matches(s.job, filter))
                out.push_back(s.job);
        }
        for (const auto& j : file.completed) {
            if (matches(j, filter))
                out.push_back(j);
        }
        std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.id < b.id; });
        if (filter.limit != 0 && out.size() > filter.limit)
            out.resize(filter.limit);
        return out;
    }

    std::uint64_t size(const std::string& queue) override {
        auto lock = store_.lock_shared();
        const QueueFile& file = store_.read();
        return std::uint64_t(std::count_if(file.jobs.begin(), file.jobs.end(), [&](auto& s) {
            return s.job.queue == queue && s.job.status == Status::pending;
        }));
    }

    std::uint64_t clear(const std::string& queue) override {
        auto lock = store_.lock_exclusive();
        QueueFile& file = store_.modify();
        auto before = file.jobs.size() + file.completed.size();
        std::erase_if(file.jobs, [&](auto& s) {
            return s.job.queue == queue && s.job.status != Status::processing;
        });
        std::erase_if(file.completed, [&](auto& j) { return j.queue == queue; });
        auto removed = before - file.jobs.size() - file.completed.size();
        finish_change(removed != 0);
        return removed;
    }

    bool cancel(const std::string& id) override {
        return with_job(id, Status::pending, [&](QueueFile& file, Job& j) {
            j.status = Status::failed;
            j.last_error = "cancelled";
            j.finished_at = system_now();
            j.reserved_by.reset();
            file.totals[{j.queue, j.name}].dead++;
        });
    }

    bool retry_dead(const std::string& id) override {
        return with_job(id, Status::failed, [&](QueueFile&, Job& j) { revive(j, system_now()); });
    }

    std::uint64_t retry_dead_matching(const ListFilter& filter) override {
        return change_dead(filter, [&](QueueFile& file, std::vector<std::string> ids) {
            TimePoint now = system_now();
            for (auto& s : file.jobs) {
                if (std::binary_search(ids.begin(), ids.end(), s.job.id))
                    revive(s.job, now);
            }
        });
    }

    std::uint64_t clear_dead(const ListFilter& filter) override {
        return change_dead(filter, [&](QueueFile& file, std::vector<std::string> ids) {
            std::erase_if(file.jobs, [&](auto& s) {
                return s.job.status == Status::failed &&
                       std::binary_search(ids.begin(), ids.end(), s.job.id);
            });
        });
    }

    std::vector<Job> recover_stale(Milliseconds stale_after, bool dry_run) override {
        auto lock = store_.lock_exclusive();
        QueueFile& file = store_.modify();
        TimePoint now = system_now();
        std::vector<Job> stale;
        for (auto& s : file.jobs) {
            Job& j = s.job;
            if (j.status != Status::processing)
                continue;
            if (j.available_at && *j.available_at >= now - stale_after)
                continue;
            stale.push_back(j);
            if (dry_run)
                continue;
            const StaleOutcome outcome = stale_outcome(j);
            j.reserved_by.reset();
            if (outcome == StaleOutcome::dead) {
                j.status = Status::failed;
                j.last_error = "worker lost";
                j.finished_at = now;
                file.totals[{j.queue, j.name}].dead++;
            } else if (outcome == StaleOutcome::give_back) {
                j.status = Status::pending;
                j.attempts = std::max(j.attempts - 1, 0);
            } else {
                j.status = Status::pending;  // the lost run was a failed attempt: a retry
                file.totals[{j.queue, j.name}].retries++;
            }
            j.available_at = now;
        }
        finish_change(!dry_run && !stale.empty());
        return stale;
    }

    std::uint64_t prune(Milliseconds older_than, std::size_t limit) override {
        auto lock = store_.lock_exclusive();
        QueueFile& file = store_.modify();
        TimePoint cutoff = system_now() - older_than;
        std::uint64_t removed = 0;
        auto old_enough = [&](const Job& j) {
            bool room = limit == 0 || removed < limit;
            if (room && j.finished_at && *j.finished_at < cutoff) {
                ++removed;
                return true;
            }
            return false;
        };
        std::erase_if(file.completed, old_enough);
        std::erase_if(file.jobs,
                      [&](auto& s) { return s.job.status == Status::failed && old_enough(s.job); });
        finish_change(removed != 0);
        return removed;
    }

    Stats stats() override {
        auto lock = store_.lock_shared();
        const QueueFile& file = store_.read();
        StatsBuilder stats(system_now());
        for (const auto& s : file.jobs) stats.count(s.job);
        for (const auto& j : file.completed) stats.count(j);
        for (const auto& [key, t] : file.totals) stats.add_totals(key.first, key.second, t);
        return std::move(stats).finish();
    }

    // No wake-up signal across processes: poll the file's signature (a stat, no read), and
    // wake when it changes or when the earliest delayed job falls due.
    void wait_for_jobs(const std::vector<std::string>& queues, Milliseconds timeout) override {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        FileSignature seen = store_.signature();
        std::optional<TimePoint> next_due;
        {
            auto lock = store_.lock_shared();
            const QueueFile& file = store_.read();
            TimePoint now = system_now();
            for (const auto& s : file.jobs) {
                const Job& j = s.job;
                if (j.status != Status::pending || !in_list(queues, j.queue))
                    continue;
                if (is_due(j, now))
                    return;
                if (!next_due || *j.available_at < *next_due)
                    next_due = *j.available_at;
            }
        }
        if (next_due) {
            auto until_due = *next_due - system_now();
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
    static bool contains_id(const QueueFile& file, const std::string& id) {
        return std::any_of(file.jobs.begin(), file.jobs.end(),
                           [&](auto& s) { return s.job.id == id; }) ||
               std::any_of(file.completed.begin(), file.completed.end(),
                           [&](auto& j) { return j.id == id; });
    }

    static void revive(Job& j, TimePoint now) {
        j.status = Status::pending;
        j.attempts = 0;
        j.available_at = now;
        j.finished_at.reset();
        j.reserved_by.reset();
    }

    static void forget_old_completions(QueueFile& file, TimePoint now) {
        std::erase_if(file.completed, [&](const Job& j) {
            return j.finished_at && *j.finished_at < now - kRememberCompletedFor;
        });
        if (file.completed.size() > kRememberCompletedMax) {
            file.completed.erase(file.completed.begin(),
                                 file.completed.end() - std::ptrdiff_t(kRememberCompletedMax));
        }
    }

    void finish_change(bool changed) {
        if (changed) {
            store_.save(false);
        } else {
            store_.unchanged();
        }
    }

    // The outcomes: apply only while the job is processing under this claim token.
    template <class Change>
    bool with_claim(const Claim& claim, Change change) {
        auto lock = store_.lock_exclusive();
        QueueFile& file = store_.modify();
        for (std::size_t i = 0; i < file.jobs.size(); ++i) {
            Job& j = file.jobs[i].job;
            if (j.id != claim.id)
                continue;
            if (j.status != Status::processing || j.reserved_by != claim.token)
                break;
            change(file, i, j);
            store_.save(false);
            return true;
        }
        store_.unchanged();
        return false;
    }

    template <class Change>
    bool with_job(const std::string& id, Status required, Change change) {
        auto lock = store_.lock_exclusive();
        QueueFile& file = store_.modify();
        for (auto& s : file.jobs) {
            if (s.job.id != id)
                continue;
            if (s.job.status != required)
                break;
            change(file, s.job);
            store_.save(false);
            return true;
        }
        store_.unchanged();
        return false;
    }

    // Dead letters matching filter, by id, up to filter.limit: changed together in one write.
    template <class Change>
    std::uint64_t change_dead(ListFilter filter, Change change) {
        filter.status = Status::failed;
        auto lock = store_.lock_exclusive();
        QueueFile& file = store_.modify();
        std::vector<std::string> ids;
        for (const auto& s : file.jobs) {
            if (matches(s.job, filter))
                ids.push_back(s.job.id);
        }
        std::sort(ids.begin(), ids.end());
        if (filter.limit != 0 && ids.size() > filter.limit)
            ids.resize(filter.limit);
        if (!ids.empty())
            change(file, ids);
        finish_change(!ids.empty());
        return ids.size();
    }

    FileStore store_;
    bool keep_completed_;
};

}  // namespace

nlohmann::json check_file_section(const ConfigChecker& check, const nlohmann::json& section) {
    check.require_object(section, "queue.file");
    nlohmann::json out = section;
    for (const auto& [key, value] : section.items()) {
        const std::string path = "queue.file." + key;
        if (key == "path") {
            out[key] = check.path(value, path);
        } else if (key == "max_file_size") {
            check.count(value, path, 1, UINT64_MAX);
        } else if (key == "max_backups") {
            check.count(value, path, 0, 1000);
        } else {
            check.unknown_key(path, {"path", "max_file_size", "max_backups"});
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
