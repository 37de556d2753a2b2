#include <catch2/catch.hpp>
#include <limits>
#include <thread>
#include <vector>

#include "libqueue/metrics.hpp"
#include "libqueue/metrics_text.hpp"

using namespace libqueue;
using namespace std::chrono_literals;

TEST_CASE("an empty snapshot has zero rates", "[metrics]") {
    Metrics metrics;
    const auto s = metrics.snapshot();
    CHECK(s.total_queued == 0);
    CHECK(s.success_rate == 0);
    CHECK(s.failure_rate == 0);
    CHECK(s.average_processing_time_ms == 0);
}

TEST_CASE("counters, rates and the average over completed jobs", "[metrics]") {
    Metrics metrics;
    metrics.queued("email", 3);
    metrics.queued("resize");
    for (int i = 0; i < 5; ++i) metrics.started();
    metrics.completed("email", 10ms);
    metrics.completed("email", 30ms);
    metrics.completed("resize", 20ms);
    metrics.retried("email");
    metrics.dead("email");

    const auto s = metrics.snapshot();
    CHECK(s.total_queued == 4);
    CHECK(s.queued_by_name.at("email") == 3);
    CHECK(s.queued_by_name.at("resize") == 1);
    CHECK(s.total_completed == 3);
    CHECK(s.completed_by_name.at("email") == 2);
    CHECK(s.total_retried == 1);
    CHECK(s.total_failed == 1);
    CHECK(s.failed_by_name.at("email") == 1);
    CHECK(s.currently_processing == 0);  // 5 started: 3 completed, 1 retried, 1 dead
    CHECK(s.success_rate == Approx(0.75));
    CHECK(s.failure_rate == Approx(0.25));
    CHECK(s.average_processing_time_ms == Approx(20.0));
}

TEST_CASE("put back leaves processing without counting; processing never underflows", "[metrics]") {
    Metrics metrics;
    metrics.started();
    metrics.started();
    CHECK(metrics.snapshot().currently_processing == 2);
    metrics.put_back();
    CHECK(metrics.snapshot().currently_processing == 1);
    metrics.put_back();
    metrics.put_back();
    const auto s = metrics.snapshot();
    CHECK(s.currently_processing == 0);
    CHECK(s.total_completed + s.total_failed + s.total_retried == 0);
}

TEST_CASE("reset clears the counters but keeps the jobs still running", "[metrics]") {
    Metrics metrics;
    metrics.queued("a");
    metrics.started();
    metrics.started();
    metrics.completed("a", 5ms);
    metrics.reset();
    auto s = metrics.snapshot();
    CHECK(s.total_queued == 0);
    CHECK(s.total_completed == 0);
    CHECK(s.queued_by_name.empty());
    CHECK(s.average_processing_time_ms == 0);
    CHECK(s.currently_processing == 1);
    metrics.completed("a", 7ms);
    s = metrics.snapshot();
    CHECK(s.currently_processing == 0);
    CHECK(s.average_processing_time_ms == Approx(7.0));
}

TEST_CASE("to_json uses the seed's key names", "[metrics]") {
    Metrics metrics;
    metrics.queued("email", 2);
    metrics.started();
    metrics.started();
    metrics.completed("email", 4ms);
    metrics.dead("email");
    const auto json = metrics.snapshot().to_json();

    CHECK(json.at("total_queued") == 2);
    CHECK(json.at("total_completed") == 1);
    CHECK(json.at("total_failed") == 1);
    CHECK(json.at("total_retried") == 0);
    CHECK(json.at("currently_processing") == 0);
    CHECK(json.at("success_rate").get<double>() == Approx(0.5));
    CHECK(json.at("failure_rate").get<double>() == Approx(0.5));
    CHECK(json.at("average_processing_time_ms").get<double>() == Approx(4.0));
    CHECK(json.at("queued_by_type") == nlohmann::json{{"email", 2}});
    CHECK(json.at("completed_by_type") == nlohmann::json{{"email", 1}});
    CHECK(json.at("failed_by_type") == nlohmann::json{{"email", 1}});
    CHECK(json.at("completed_by_type").is_object());
}

TEST_CASE("metrics are thread-safe", "[metrics]") {
    Metrics metrics;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 10'000; ++i) {
                metrics.queued("job");
                metrics.started();
                metrics.completed("job", 1ms);
                (void)metrics.snapshot();
            }
        });
    }
    for (auto& thread : threads) thread.join();
    const auto s = metrics.snapshot();
    CHECK(s.total_queued == 40'000);
    CHECK(s.total_completed == 40'000);
    CHECK(s.currently_processing == 0);
    CHECK(s.average_processing_time_ms == Approx(1.0));
}

TEST_CASE("a duration lands in the first bucket whose bound holds it", "[metrics]") {
    using std::chrono::microseconds;
    DurationHistogram h;
    h.observe(microseconds(1'000));        // exactly 1ms: the first bucket (le is inclusive)
    h.observe(microseconds(1'001));        // just above: the second
    h.observe(microseconds(400'000'000));  // 400s: above every bound, counted only in count
    h.observe(microseconds(-5));           // a clock step back counts as 0
    CHECK(h.in_bucket[0] == 2);
    CHECK(h.in_bucket[1] == 1);
    std::uint64_t bucketed = 0;
    for (auto n : h.in_bucket) bucketed += n;
    CHECK(bucketed == 3);
    CHECK(h.count == 4);
    CHECK(h.sum_seconds == Approx(400.002001));
}

TEST_CASE("process metrics print cumulative histograms ending in +Inf", "[metrics]") {
    using std::chrono::microseconds;
    Metrics metrics;
    metrics.claimed(3, microseconds(700));
    metrics.ran("default", microseconds(2'000));
    metrics.ran("default", microseconds(90'000'000));
    metrics.ran("default", microseconds(500'000'000));
    const auto text = process_metrics_text(metrics.snapshot(), MetricsFormat::openmetrics);
    CHECK(text.find("q_process_jobs_claimed_total 3\n") != std::string::npos);
    CHECK(text.find("q_process_claim_seconds_bucket{le=\"0.001\"} 1\n") != std::string::npos);
    CHECK(text.find("q_process_job_run_seconds_bucket{le=\"0.001\"} 0\n") != std::string::npos);
    CHECK(text.find("q_process_job_run_seconds_bucket{le=\"0.0025\"} 1\n") != std::string::npos);
    CHECK(text.find("q_process_job_run_seconds_bucket{le=\"60.0\"} 1\n") != std::string::npos);
    CHECK(text.find("q_process_job_run_seconds_bucket{le=\"300.0\"} 2\n") != std::string::npos);
    CHECK(text.find("q_process_job_run_seconds_bucket{le=\"+Inf\"} 3\n") != std::string::npos);
    CHECK(text.find("q_process_job_run_seconds_count 3\n") != std::string::npos);
    CHECK(text.find("# TYPE q_process_job_run_seconds histogram\n") != std::string::npos);
}

TEST_CASE("a histogram's quantiles are interpolated within their bucket", "[metrics]") {
    using std::chrono::microseconds;
    DurationHistogram h;
    CHECK_FALSE(h.quantile(0.5));
    // 10 runs of 20ms (the bucket 10ms..25ms), 10 of 200ms (100ms..250ms).
    for (int i = 0; i < 10; ++i) h.observe(microseconds(20'000));
    for (int i = 0; i < 10; ++i) h.observe(microseconds(200'000));
    CHECK(*h.quantile(0.5) == Approx(0.025));         // the top of the lower bucket
    CHECK(*h.quantile(0.25) == Approx(0.0175));       // halfway through it
    CHECK(*h.quantile(0.95) == Approx(0.1 + 0.135));  // 9 of 10 through the upper one
    h.observe(microseconds(400'000'000));             // above the last bound
    CHECK(*h.quantile(0.99) == std::numeric_limits<double>::infinity());
}

TEST_CASE("a histogram read twice gives what was observed in between", "[metrics]") {
    using std::chrono::microseconds;
    DurationHistogram h;
    h.observe(microseconds(500));
    const auto earlier = h;
    h.observe(microseconds(3'000'000));
    h.observe(microseconds(3'000'000));
    const auto delta = h.since(earlier);
    REQUIRE(delta);
    CHECK(delta->count == 2);
    CHECK(delta->in_bucket[0] == 0);
    CHECK(*delta->quantile(0.5) == Approx(3.75));  // halfway through 2.5s..5s
    CHECK_FALSE(earlier.since(h));                 // counts that went down: a restarted worker

    DurationHistogram sum = earlier;
    sum.add(*delta);
    CHECK(sum.count == h.count);
    CHECK(sum.in_bucket == h.in_bucket);
}

TEST_CASE("a histogram survives its JSON form; anything else is refused", "[metrics]") {
    using std::chrono::microseconds;
    DurationHistogram h;
    h.observe(microseconds(700));
    h.observe(microseconds(999'000'000));
    const auto back = DurationHistogram::from_json(nlohmann::json::parse(h.to_json().dump()));
    REQUIRE(back);
    CHECK(back->in_bucket == h.in_bucket);
    CHECK(back->count == 2);
    CHECK(back->sum_seconds == Approx(h.sum_seconds));
    CHECK_FALSE(DurationHistogram::from_json(
        nlohmann::json::parse(R"({"buckets":[1],"count":1,"sum":0})")));
    CHECK_FALSE(DurationHistogram::from_json(nlohmann::json::parse(R"("text")")));
    auto fewer = h.to_json();
    fewer["count"] = 0;  // fewer than its buckets hold
    CHECK_FALSE(DurationHistogram::from_json(fewer));
    auto negative = h.to_json();
    negative["buckets"][0] = -1;
    CHECK_FALSE(DurationHistogram::from_json(negative));
}
