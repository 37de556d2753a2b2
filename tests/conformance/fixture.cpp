#include "fixture.hpp"

#include <thread>

#include "drivers_under_test.hpp"
#include "libqueue/registry.hpp"

namespace conformance {

DriverFixture::DriverFixture() : DriverFixture([](libqueue::Config&) {}) {}

DriverFixture::DriverFixture(const std::function<void(libqueue::Config&)>& adjust)
    : config_(driver_under_test().config_for(scratch_.path())) {
    adjust(config_);
    reopen();
    caps_ = driver_->capabilities();
}

QueueDriver& DriverFixture::driver() {
    REQUIRE(driver_ != nullptr);
    return *driver_;
}

const std::string& DriverFixture::driver_name() const {
    return driver_under_test().name;
}

std::unique_ptr<QueueDriver> DriverFixture::open_another() {
    return libqueue::create_driver(config_);
}

void DriverFixture::close() {
    driver_.reset();
}

void DriverFixture::reopen() {
    driver_.reset();
    driver_ = libqueue::create_driver(config_);
}

std::string push(QueueDriver& driver, const NewJob& job) {
    auto result = driver.push(job);
    REQUIRE(result.created);
    REQUIRE_FALSE(result.id.empty());
    return result.id;
}

Job stored(QueueDriver& driver, const std::string& id) {
    auto job = driver.find(id);
    INFO("job " << id);
    REQUIRE(job.has_value());
    return *job;
}

std::vector<Job> claim(QueueDriver& driver, std::vector<std::string> queues, std::size_t limit,
                       const std::string& worker) {
    libqueue::ClaimRequest request;
    request.queues = std::move(queues);
    request.worker_id = worker;
    request.limit = limit;
    return driver.claim(request);
}

Job claim_one(QueueDriver& driver, std::vector<std::string> queues, const std::string& worker) {
    auto claimed = claim(driver, std::move(queues), 1, worker);
    REQUIRE(claimed.size() == 1);
    REQUIRE(claimed.front().reserved_by.has_value());
    return claimed.front();
}

std::vector<std::string> ids_of(const std::vector<Job>& jobs) {
    std::vector<std::string> ids;
    for (const auto& job : jobs) ids.push_back(job.id);
    return ids;
}

bool contains_id(const std::vector<Job>& jobs, const std::string& id) {
    for (const auto& job : jobs) {
        if (job.id == id)
            return true;
    }
    return false;
}

std::vector<Job> all_jobs(QueueDriver& driver) {
    libqueue::ListFilter everything;
    everything.limit = 0;
    return driver.list(everything);
}

libqueue::QueueStats queue_stats(QueueDriver& driver, const std::string& queue) {
    auto stats = driver.stats();
    for (auto& entry : stats.queues) {
        if (entry.queue == queue)
            return entry;
    }
    FAIL("queue '" << queue << "' is missing from stats()");
    return {};
}

void wait_until(QueueDriver& driver, TimePoint when) {
    // Bounded, so a driver whose clock stands still fails instead of hanging the suite.
    const auto give_up = std::chrono::steady_clock::now() + 30s;
    while (driver.now() < when) {
        REQUIRE(std::chrono::steady_clock::now() < give_up);
        std::this_thread::sleep_for(5ms);
    }
}

void let_time_pass(QueueDriver& driver, Milliseconds span) {
    const TimePoint start = driver.now();
    std::this_thread::sleep_for(span);
    wait_until(driver, start + span);
}

bool time_within(const std::optional<TimePoint>& actual, TimePoint from, TimePoint to) {
    return actual && *actual >= from - kClockSlack && *actual <= to + kClockSlack;
}

std::string show(const std::optional<TimePoint>& t) {
    return t ? libqueue::format_iso8601(*t) : std::string("null");
}

}  // namespace conformance
