// The Dart queue system's QueueManager flow on the memory driver: dispatch, process, work,
// metrics.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>

#include "libqueue/errors.hpp"
#include "libqueue/manager.hpp"
#include "libqueue/registry.hpp"

using namespace libqueue;
using namespace std::chrono_literals;

namespace {

Config memory_config() {
    Config config;
    config.driver = "memory";
    config.retry = RetrySettings{10ms, 20ms};
    return config;
}

// The Dart queue system's job class: its state is its payload.
class WelcomeEmailJob : public QueueJob {
  public:
    explicit WelcomeEmailJob(std::string email) : email_(std::move(email)) {}
    std::string job_name() const override { return "welcome_email"; }
    void handle() override { sent.push_back(email_); }
    int max_retries() const override { return 5; }
    nlohmann::json to_json() const override { return {{"email", email_}}; }
    static std::unique_ptr<WelcomeEmailJob> from_json(const nlohmann::json& json) {
        return std::make_unique<WelcomeEmailJob>(json.at("email").get<std::string>());
    }
    static inline std::vector<std::string> sent;

  private:
    std::string email_;
};

NewJob job_named(std::string name) {
    NewJob job;
    job.name = std::move(name);
    return job;
}

}  // namespace

TEST_CASE("dispatch a job class and process it", "[manager]") {
    Manager manager(memory_config());
    manager.handlers().on_class<WelcomeEmailJob>("welcome_email");
    WelcomeEmailJob::sent.clear();

    const auto pushed = manager.dispatch(WelcomeEmailJob("ada@example.com"));
    const auto stored = manager.driver().find(pushed.id);
    REQUIRE(stored);
    CHECK(stored->name == "welcome_email");
    CHECK(stored->max_retries == 5);
    CHECK(nlohmann::json::parse(stored->payload) == nlohmann::json{{"email", "ada@example.com"}});

    CHECK(manager.process_one());
    CHECK(WelcomeEmailJob::sent == std::vector<std::string>{"ada@example.com"});
    CHECK(manager.driver().find(pushed.id)->status == Status::completed);
    CHECK_FALSE(manager.process_one());

    const auto metrics = manager.metrics();
    CHECK(metrics.total_queued == 1);
    CHECK(metrics.queued_by_name.at("welcome_email") == 1);
    CHECK(metrics.total_completed == 1);
    CHECK(metrics.success_rate == 1.0);
}

TEST_CASE("dispatch options: queue, delay, unique key", "[manager]") {
    Manager manager(memory_config());
    manager.handlers().on_class<WelcomeEmailJob>("welcome_email");
    DispatchOptions options;
    options.queue = "mail";
    options.delay = 1h;
    options.unique_key = "welcome:ada";

    const auto first = manager.dispatch(WelcomeEmailJob("ada@example.com"), options);
    const auto again = manager.dispatch(WelcomeEmailJob("ada@example.com"), options);

    CHECK(first.created);
    CHECK_FALSE(again.created);
    CHECK(again.id == first.id);
    CHECK(manager.metrics().total_queued == 1);  // the duplicate added nothing
    CHECK(manager.driver().find(first.id)->queue == "mail");
    CHECK_FALSE(manager.process_one({"mail"}));  // not due for an hour
}

TEST_CASE("dispatch_batch is counted per job", "[manager]") {
    Manager manager(memory_config());
    auto results = manager.dispatch_batch({job_named("a"), job_named("a"), job_named("b")});
    CHECK(results.size() == 3);
    const auto metrics = manager.metrics();
    CHECK(metrics.total_queued == 3);
    CHECK(metrics.queued_by_name.at("a") == 2);
    CHECK(manager.driver().size("default") == 3);

    auto bad = job_named("c");
    bad.payload = "{not json";
    CHECK_THROWS_AS(manager.dispatch_batch({job_named("c"), bad}), DataError);
    CHECK(manager.driver().size("default") == 3);  // all or none
    CHECK(manager.metrics().total_queued == 3);
}

TEST_CASE("process_one retries with backoff, then the job goes dead", "[manager]") {
    Manager manager(memory_config());
    int runs = 0;
    manager.handlers().on("flaky", [&](const Job&) {
        ++runs;
        throw std::runtime_error("gateway timeout");
    });
    auto job = job_named("flaky");
    job.max_retries = 1;
    const auto id = manager.dispatch(job).id;

    CHECK(manager.process_one());
    CHECK(manager.driver().find(id)->status == Status::pending);
    CHECK(manager.metrics().total_retried == 1);
    CHECK_FALSE(manager.process_one());  // backoff: not due yet
    std::this_thread::sleep_for(30ms);
    CHECK(manager.process_one());
    const auto dead = manager.driver().find(id);
    CHECK(dead->status == Status::failed);
    CHECK(dead->last_error == "gateway timeout");
    CHECK(runs == 2);
    const auto metrics = manager.metrics();
    CHECK(metrics.total_failed == 1);
    CHECK(metrics.failed_by_name.at("flaky") == 1);
    CHECK(metrics.currently_processing == 0);
    CHECK(metrics.failure_rate == 1.0);
}

TEST_CASE("the config's handlers are registered as commands", "[manager]") {
    auto config = memory_config();
    config.handlers["shell-ok"] = CommandSpec{{"true"}, {}, {}, {}, {}};
    config.handlers["shell-bad"] = CommandSpec{{"sh", "-c", "exit 65"}, {}, {}, {}, {}};
    Manager manager(config);
    CHECK(manager.handlers().has("shell-ok"));
    const auto ok = manager.dispatch(job_named("shell-ok")).id;
    const auto bad = manager.dispatch(job_named("shell-bad")).id;

    CHECK(manager.process_one());
    CHECK(manager.process_one());
    CHECK(manager.driver().find(ok)->status == Status::completed);
    CHECK(manager.driver().find(bad)->status == Status::failed);
    CHECK(manager.driver().find(bad)->attempts == 1);
}

TEST_CASE("work takes unset options from the config", "[manager]") {
    auto config = memory_config();
    config.worker.max_jobs = 2;
    config.worker.concurrency = 3;
    config.worker.delay = 5ms;
    config.worker.timeout = 1h;
    config.stale_after = 90s;
    Manager manager(config);

    const auto defaults = manager.default_worker_options();
    CHECK(defaults.max_jobs == 2u);
    CHECK(defaults.concurrency == 3u);
    CHECK(defaults.delay == 5ms);
    CHECK(defaults.max_time == Milliseconds{1h});
    CHECK(defaults.stale_after == 90s);
    CHECK(defaults.retry.base == 10ms);

    manager.handlers().on("ok", [](const Job&) {});
    for (int i = 0; i < 5; ++i) manager.dispatch(job_named("ok"));
    WorkerOptions options = manager.default_worker_options();
    options.idle_sleep = 20ms;
    options.stop_when_empty = true;
    const auto summary = manager.work(options);

    CHECK(summary.completed == 2);
    CHECK(summary.stop_reason == "max_jobs");
    CHECK(manager.metrics().total_completed == 2);

    SECTION("options the caller set win, also when they equal the defaults") {
        options.concurrency = 1;  // the config says 3
        std::atomic<int> running{0}, most{0};
        manager.handlers().on("slow", [&](const Job&) {
            most = std::max(most.load(), ++running);
            std::this_thread::sleep_for(20ms);
            --running;
        });
        for (int i = 0; i < 3; ++i) manager.dispatch(job_named("slow"));
        options.max_jobs = 6;  // the 3 left of "ok", then the slow ones, one at a time
        CHECK(manager.work(options).completed == 6);
        CHECK(most == 1);
    }
}

TEST_CASE("reset_metrics starts the counts over", "[manager]") {
    Manager manager(memory_config());
    manager.dispatch(job_named("x"));
    CHECK(manager.metrics().total_queued == 1);
    manager.reset_metrics();
    CHECK(manager.metrics().total_queued == 0);
    CHECK(manager.metrics().to_json().at("total_queued") == 0);
}

TEST_CASE("a Manager with a driver the caller built", "[manager]") {
    Manager manager(create_driver(memory_config()), memory_config());
    CHECK(manager.driver().name() == "memory");
    CHECK_THROWS_AS(Manager(nullptr), UsageError);
}

TEST_CASE("an unknown driver is a config error", "[manager]") {
    Config config;
    config.driver = "carrier-pigeon";
    CHECK_THROWS_AS(Manager(config), ConfigError);
}
