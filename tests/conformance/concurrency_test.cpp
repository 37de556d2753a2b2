// Concurrent claims: threads sharing one driver, and processes each with their own driver on one
// store. Every job must be claimed exactly once and none may be missed.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "fixture.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/registry.hpp"

using namespace conformance;

namespace {

constexpr int kClaimers = 4;

// 2000 unless $Q_CONFORMANCE_JOBS says otherwise (a driver that rewrites a whole file per
// operation needs fewer to stay within the suite's time budget).
std::size_t job_count() {
    const char* text = std::getenv("Q_CONFORMANCE_JOBS");
    if (text == nullptr || *text == '\0')
        return 2000;
    return std::max<std::size_t>(std::stoul(text), kClaimers);
}

// What one claimer saw. Catch's assertions are not thread-safe, so claimers only record.
struct Tally {
    std::vector<std::string> ids;
    std::string error;
    int temporary_errors = 0;  // lock timeouts and the like, retried as a worker would
};

// Runs `operation`, retrying on TemporaryError ("try again later") a bounded number of times.
template <class Operation>
auto retrying(Tally& tally, Operation&& operation) {
    for (int tries = 1;; ++tries) {
        try {
            return operation();
        } catch (const libqueue::TemporaryError&) {
            ++tally.temporary_errors;
            if (tries == 20)
                throw;
        }
    }
}

std::vector<std::string> push_many(QueueDriver& d, std::size_t count) {
    std::vector<std::string> ids;
    std::vector<NewJob> batch;
    for (std::size_t i = 0; i < count; ++i) {
        batch.push_back(a_job("bulk").payload("{\"n\": " + std::to_string(i) + "}"));
        if (batch.size() == 250 || i + 1 == count) {
            for (const auto& result : d.push_batch(batch)) ids.push_back(result.id);
            batch.clear();
        }
    }
    return ids;
}

// Claims (several at a time when limit > 1) and completes until nothing is left.
void claim_until_empty(QueueDriver& d, std::size_t limit, const std::string& worker, Tally& tally) {
    try {
        for (;;) {
            auto claimed = retrying(tally, [&] { return claim(d, {"default"}, limit, worker); });
            if (claimed.empty())
                return;
            for (const auto& job : claimed) tally.ids.push_back(job.id);
            for (const auto& job : claimed) {
                if (!retrying(tally, [&] { return d.complete(claim_of(job), 1ms); })) {
                    tally.error = "complete was refused for " + job.id;
                    return;
                }
            }
        }
    } catch (const std::exception& e) {
        tally.error = e.what();
    }
}

// Every pushed id claimed exactly once, nothing else claimed.
void check_exactly_once(const std::vector<std::string>& pushed, const std::vector<Tally>& tallies) {
    std::map<std::string, int> claims;
    std::size_t total = 0;
    int temporary_errors = 0;
    for (const auto& tally : tallies) {
        CHECK(tally.error == "");
        temporary_errors += tally.temporary_errors;
        for (const auto& id : tally.ids) ++claims[id];
        total += tally.ids.size();
    }
    std::vector<std::string> twice;
    for (const auto& [id, count] : claims) {
        if (count > 1)
            twice.push_back(id);
    }
    CHECK(twice.empty());
    CHECK(total == pushed.size());
    CHECK(claims.size() == pushed.size());
    std::size_t missing = 0;
    for (const auto& id : pushed) missing += claims.count(id) == 0 ? 1 : 0;
    CHECK(missing == 0);
    if (temporary_errors > 0) {
        WARN(temporary_errors
             << " claims or completes failed with a temporary error and were retried");
    }
}

void check_all_completed(QueueDriver& d, std::size_t count) {
    CHECK(d.size("default") == 0);
    auto stats = queue_stats(d, "default");
    CHECK(stats.counts.processing == 0);
    CHECK(stats.totals.completed == count);
    INFO("completed jobs are kept until pruned (keep_completed is true)");
    CHECK(stats.counts.completed == count);
}

[[noreturn]] void run_child(const libqueue::Config& config, const std::filesystem::path& out_path,
                            int index) {
    int code = 0;
    try {
        auto driver = libqueue::create_driver(config);
        Tally tally;
        claim_until_empty(*driver, 1 + std::size_t(index % 3), "proc-" + std::to_string(index),
                          tally);
        std::ofstream out(out_path);
        out << "temporary_errors " << tally.temporary_errors << '\n';
        for (const auto& id : tally.ids) out << id << '\n';
        out.close();
        if (!tally.error.empty()) {
            std::cerr << "claimer process " << index << ": " << tally.error << std::endl;
            code = 1;
        }
        if (!out)
            code = 1;
    } catch (const std::exception& e) {
        std::cerr << "claimer process " << index << ": " << e.what() << std::endl;
        code = 2;
    }
    // _exit: the child must not run the parent's atexit handlers or Catch's teardown.
    _exit(code);
}

}  // namespace

TEST_CASE("threads sharing one driver claim every job exactly once", "[concurrency]") {
    DriverFixture f;
    auto& d = f.driver();
    const std::size_t jobs = job_count();
    const auto pushed = push_many(d, jobs);
    REQUIRE(pushed.size() == jobs);

    std::vector<Tally> tallies(kClaimers);
    {
        std::vector<std::jthread> claimers;
        for (int i = 0; i < kClaimers; ++i) {
            claimers.emplace_back([&, i] {
                claim_until_empty(d, 1 + std::size_t(i % 3), "thread-" + std::to_string(i),
                                  tallies[std::size_t(i)]);
            });
        }
    }
    check_exactly_once(pushed, tallies);
    check_all_completed(d, jobs);
}

TEST_CASE("processes with their own drivers claim every job exactly once", "[concurrency]") {
    DriverFixture f;
    REQUIRE_CAPABILITY(f, shared_between_processes);
    const std::size_t jobs = job_count();
    const auto pushed = push_many(f.driver(), jobs);
    REQUIRE(pushed.size() == jobs);
    f.close();  // children must share no connection with us

    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    std::vector<pid_t> children;
    for (int i = 0; i < kClaimers; ++i) {
        const pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0)
            run_child(f.config(), f.scratch() / ("claims-" + std::to_string(i)), i);
        children.push_back(pid);
    }

    // Bounded: a hanging child is killed and reported, never waited on forever.
    const auto give_up = std::chrono::steady_clock::now() + 150s;
    std::map<pid_t, int> statuses;
    while (statuses.size() < children.size()) {
        for (pid_t pid : children) {
            int status = 0;
            if (!statuses.count(pid) && waitpid(pid, &status, WNOHANG) == pid) {
                statuses[pid] = status;
            }
        }
        if (std::chrono::steady_clock::now() > give_up) {
            for (pid_t pid : children) {
                if (!statuses.count(pid))
                    kill(pid, SIGKILL);
            }
            for (pid_t pid : children) {
                if (!statuses.count(pid))
                    waitpid(pid, &statuses[pid], 0);
            }
            FAIL("claimer processes did not finish within 150s");
        }
        std::this_thread::sleep_for(20ms);
    }

    std::vector<Tally> tallies(kClaimers);
    for (int i = 0; i < kClaimers; ++i) {
        const int status = statuses[children[std::size_t(i)]];
        INFO("claimer process " << i);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
        std::ifstream in(f.scratch() / ("claims-" + std::to_string(i)));
        std::string label;
        in >> label >> tallies[std::size_t(i)].temporary_errors >> std::ws;
        CHECK(label == "temporary_errors");
        for (std::string id; std::getline(in, id);) tallies[std::size_t(i)].ids.push_back(id);
    }
    check_exactly_once(pushed, tallies);
    f.reopen();
    check_all_completed(f.driver(), jobs);
}

TEST_CASE("wait_for_jobs returns by its timeout", "[wait]") {
    DriverFixture f;
    auto& d = f.driver();
    const auto start = std::chrono::steady_clock::now();
    d.wait_for_jobs({"default"}, 200ms);
    const auto waited = std::chrono::steady_clock::now() - start;
    CHECK(waited < 200ms + 2s);

    // With a push during the wait it still returns, at the latest by the timeout.
    std::jthread pusher([&] {
        std::this_thread::sleep_for(50ms);
        d.push(a_job("wake.up"));
    });
    const auto again = std::chrono::steady_clock::now();
    d.wait_for_jobs({"default"}, 500ms);
    CHECK(std::chrono::steady_clock::now() - again < 500ms + 2s);
}
