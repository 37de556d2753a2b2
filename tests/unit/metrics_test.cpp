#include <catch2/catch.hpp>
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
    metrics.ran(microseconds(2'000));
    metrics.ran(microseconds(90'000'000));
    metrics.ran(microseconds(500'000'000));
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
