// What every conformance test uses: a fresh driver on a fresh store, capability skips, job
// builders, and time helpers that read the driver's own clock.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "libqueue/config.hpp"
#include "libqueue/driver.hpp"
#include "libqueue/handler.hpp"
#include "scratch_dir.hpp"

namespace Catch {
template <>
struct StringMaker<libqueue::Status> {
    static std::string convert(libqueue::Status s) { return std::string(libqueue::to_string(s)); }
};
}  // namespace Catch

// Skips the rest of a test, visibly, when the driver lacks a capability.
#define REQUIRE_CAPABILITY(fixture, capability)                                                \
    do {                                                                                       \
        if (!(fixture).caps().capability) {                                                    \
            WARN("skipped: the " << (fixture).driver_name() << " driver has no " #capability); \
            return;                                                                            \
        }                                                                                      \
    } while (0)

namespace conformance {

using namespace std::chrono_literals;
using libqueue::Claim;
using libqueue::Job;
using libqueue::Milliseconds;
using libqueue::NewJob;
using libqueue::QueueDriver;
using libqueue::Status;
using libqueue::TimePoint;

class DriverFixture {
  public:
    DriverFixture();
    // `adjust` changes the config before the driver is built (e.g. keep_completed = false).
    explicit DriverFixture(const std::function<void(libqueue::Config&)>& adjust);

    QueueDriver& driver();
    const libqueue::Capabilities& caps() const { return caps_; }
    const std::string& driver_name() const;
    const libqueue::Config& config() const { return config_; }
    const std::filesystem::path& scratch() const { return scratch_.path(); }

    // Another driver object on the same store (a second process would build the same).
    std::unique_ptr<QueueDriver> open_another();
    // Drops the fixture's driver (a restart; or before fork(), so children share no connection).
    void close();
    void reopen();

  private:
    ScratchDir scratch_;
    libqueue::Config config_;
    std::unique_ptr<QueueDriver> driver_;
    libqueue::Capabilities caps_;
};

// Builds a NewJob: a_job("mail").queue("high").delay(300ms)
class JobSpec {
  public:
    explicit JobSpec(std::string name) { job_.name = std::move(name); }
    JobSpec& queue(std::string value) {
        job_.queue = std::move(value);
        return *this;
    }
    JobSpec& payload(std::string value) {
        job_.payload = std::move(value);
        return *this;
    }
    JobSpec& max_retries(int value) {
        job_.max_retries = value;
        return *this;
    }
    JobSpec& delay(Milliseconds value) {
        job_.delay = value;
        return *this;
    }
    JobSpec& run_at(TimePoint value) {
        job_.run_at = value;
        return *this;
    }
    JobSpec& unique_key(std::string value) {
        job_.unique_key = std::move(value);
        return *this;
    }
    JobSpec& id(std::string value) {
        job_.id = std::move(value);
        return *this;
    }
    JobSpec& attempts(int value) {
        job_.attempts = value;
        return *this;
    }
    JobSpec& priority(int value) {
        job_.priority = value;
        return *this;
    }
    operator const NewJob&() const { return job_; }

  private:
    NewJob job_;
};

inline JobSpec a_job(std::string name = "conf.job") {
    return JobSpec(std::move(name));
}

// Pushes and requires a newly created job; returns its id.
std::string push(QueueDriver& driver, const NewJob& job);
// The stored job; requires that it exists.
Job stored(QueueDriver& driver, const std::string& id);
// Claims exactly one job (required) from `queues`.
Job claim_one(QueueDriver& driver, std::vector<std::string> queues = {"default"},
              const std::string& worker = "conf-worker");
std::vector<Job> claim(QueueDriver& driver, std::vector<std::string> queues = {"default"},
                       std::size_t limit = 1, const std::string& worker = "conf-worker");
using libqueue::claim_of;

std::vector<std::string> ids_of(const std::vector<Job>& jobs);
// Polls `done` every 20ms until it holds or `limit` passes; its last answer.
template <class Pred>
bool eventually(Pred done, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (done())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
}

bool contains_id(const std::vector<Job>& jobs, const std::string& id);
// All stored jobs, by id.
std::vector<Job> all_jobs(QueueDriver& driver);
// The stats of one queue; requires that the queue is listed.
libqueue::QueueStats queue_stats(QueueDriver& driver, const std::string& queue);

// Sleeps until the driver's clock has moved on by `span` (servers have their own clocks).
void let_time_pass(QueueDriver& driver, Milliseconds span);
void wait_until(QueueDriver& driver, TimePoint when);

// Clocks of servers and our reads of them differ by rounding; times are checked with this slack.
inline constexpr Milliseconds kClockSlack{100};
bool time_within(const std::optional<TimePoint>& actual, TimePoint from, TimePoint to);
std::string show(const std::optional<TimePoint>& t);

}  // namespace conformance

// `actual` (an optional<TimePoint>) lies in [from, to], give or take kClockSlack.
#define CHECK_TIME_WITHIN(actual, from, to)                                                \
    do {                                                                                   \
        INFO(#actual " = " << ::conformance::show(actual) << ", expected within ["         \
                           << ::conformance::show(from) << ", " << ::conformance::show(to) \
                           << "] +-" << ::conformance::kClockSlack.count() << "ms");       \
        CHECK(::conformance::time_within(actual, from, to));                               \
    } while (0)
