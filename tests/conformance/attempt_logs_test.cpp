// Attempt logs: what each attempt of a job printed and how it ended, stored beside the jobs by
// every storing driver; written with a batch of completions, pruned by age, seen by another
// process, and kept by a real Worker running real commands (retried, dead, live while running).
#include <array>
#include <cstdio>
#include <thread>

#include "fixture.hpp"
#include "libqueue/attempt_log.hpp"
#include "libqueue/handler.hpp"
#include "libqueue/text.hpp"
#include "libqueue/worker.hpp"

using namespace conformance;
using libqueue::AttemptLog;
using libqueue::AttemptOutcome;
using libqueue::OutputLine;

namespace {

AttemptLog log_of(const std::string& job_id, int attempt, AttemptOutcome outcome) {
    AttemptLog log;
    log.job_id = job_id;
    log.attempt = attempt;
    log.worker = "host:1:W";
    log.started_at = libqueue::system_now();
    log.ended_at = log.started_at + 25ms;
    log.outcome = outcome;
    log.exit_status = outcome == AttemptOutcome::completed ? 0 : 3;
    log.lines = {{OutputLine::Stream::out, 1ms, "first line"},
                 {OutputLine::Stream::err, 2ms, "an error \"quoted\" \\ ünï"}};
    return log;
}

std::vector<std::string> texts(const AttemptLog& log) {
    std::vector<std::string> out;
    for (const auto& line : log.lines) out.push_back(line.text);
    return out;
}

libqueue::Handlers command(const std::string& name, const std::string& script) {
    libqueue::Handlers handlers;
    libqueue::CommandSpec spec;
    spec.command = {"/bin/sh", "-c", script};
    libqueue::CommandOptions options;
    options.forward_output = false;
    handlers.on_command(name, spec, options);
    return handlers;
}

libqueue::WorkerOptions quick_worker() {
    libqueue::WorkerOptions options;
    options.worker_id = "conformance:7:LOGS";
    options.idle_sleep = 20ms;
    options.retry.base = 10ms;
    options.retry.max = 20ms;
    options.announce = false;
    return options;
}

}  // namespace

TEST_CASE("attempt logs are put, replaced and listed in attempt order", "[attempt-logs]") {
    DriverFixture f;
    auto& d = f.driver();
    CHECK(d.attempt_logs("nope").empty());

    auto second = log_of("job-1", 2, AttemptOutcome::running);
    second.ended_at.reset();
    second.exit_status.reset();
    d.put_attempt_logs({second, log_of("job-1", 1, AttemptOutcome::retried),
                        log_of("job-2", 1, AttemptOutcome::completed)});
    auto logs = d.attempt_logs("job-1");
    REQUIRE(logs.size() == 2);
    CHECK(logs[0].attempt == 1);
    CHECK(logs[0].job_id == "job-1");
    CHECK(logs[0].outcome == AttemptOutcome::retried);
    CHECK(logs[0].exit_status == 3);
    CHECK(logs[0].worker == "host:1:W");
    CHECK(texts(logs[0]) == std::vector<std::string>{"first line", "an error \"quoted\" \\ ünï"});
    CHECK(logs[0].lines[1].stream == OutputLine::Stream::err);
    CHECK(logs[0].lines[1].at == 2ms);
    CHECK(logs[1].outcome == AttemptOutcome::running);
    CHECK_FALSE(logs[1].ended_at);

    // The running attempt's final log replaces its live one.
    auto done = log_of("job-1", 2, AttemptOutcome::dead);
    done.error = "exit status 3";
    done.lines.push_back({OutputLine::Stream::out, 9ms, "last"});
    done.cut_after = 1;
    done.cut_lines = 40;
    done.cut_bytes = 4000;
    d.put_attempt_logs({done});
    logs = d.attempt_logs("job-1");
    REQUIRE(logs.size() == 2);
    CHECK(logs[1].outcome == AttemptOutcome::dead);
    CHECK(logs[1].error == "exit status 3");
    CHECK(logs[1].lines.size() == 3);
    CHECK(logs[1].cut_lines == 40);
    CHECK(logs[1].line_number(2) == 42);
    CHECK(d.attempt_logs("job-2").size() == 1);
    // Logs are not jobs.
    CHECK(d.list({}).empty());
}

TEST_CASE("a quiet attempt's log keeps its worker, times and exit status", "[attempt-logs]") {
    DriverFixture f;
    auto& d = f.driver();
    for (const std::string worker : {"host:1:W", "odd \"host\" \\ ü:2:W"}) {
        auto quiet = log_of("quiet", 1, AttemptOutcome::completed);
        quiet.worker = worker;
        quiet.lines.clear();
        d.put_attempt_logs({quiet});
        const auto logs = d.attempt_logs("quiet");
        REQUIRE(logs.size() == 1);
        CHECK(logs[0].worker == worker);
        CHECK(logs[0].started_at == quiet.started_at);
        CHECK(logs[0].ended_at == quiet.ended_at);
        CHECK(logs[0].exit_status == 0);
        CHECK(logs[0].outcome == AttemptOutcome::completed);
        CHECK(logs[0].lines.empty());
        CHECK(logs[0].error.empty());
    }
}

TEST_CASE("attempt logs keep what a handler printed, whatever the bytes", "[attempt-logs]") {
    DriverFixture f;
    auto& d = f.driver();
    auto log = log_of("job-odd", 1, AttemptOutcome::completed);
    log.lines = {{OutputLine::Stream::out, 0ms, std::string("bad \xff\xfe bytes")},
                 {OutputLine::Stream::out, 0ms, std::string("nul \0 inside", 12)},
                 {OutputLine::Stream::err, 0ms, "tab\tand \x1b[31mescape"}};
    d.put_attempt_logs({log});
    const auto logs = d.attempt_logs("job-odd");
    REQUIRE(logs.size() == 1);
    REQUIRE(logs[0].lines.size() == 3);
    CHECK(libqueue::is_valid_utf8(logs[0].lines[0].text));
    CHECK(logs[0].lines[0].text.find("bad ") == 0);
    CHECK(logs[0].lines[1].text == std::string("nul \0 inside", 12));
    CHECK(logs[0].lines[2].text == "tab\tand \x1b[31mescape");
}

TEST_CASE("a batch of completions writes the logs of those that applied", "[attempt-logs]") {
    DriverFixture f;
    auto& d = f.driver();
    push(d, a_job("a"));
    push(d, a_job("b"));
    const Job first = claim_one(d);
    const Job second = claim_one(d);
    std::vector<libqueue::Completion> batch;
    batch.emplace_back(claim_of(first), 5ms, log_of(first.id, 1, AttemptOutcome::completed));
    batch.emplace_back(Claim{second.id, "not-the-token"}, 5ms,
                       log_of(second.id, 1, AttemptOutcome::completed));
    const auto applied = d.complete_batch(batch);
    CHECK(applied == std::vector<bool>{true, false});
    CHECK(d.attempt_logs(first.id).size() == 1);
    CHECK(d.attempt_logs(second.id).empty());
}

TEST_CASE("a completion's log replaces the attempt's live one and outlives its job",
          "[attempt-logs]") {
    DriverFixture f;
    auto& d = f.driver();
    push(d, a_job("quiet"));
    push(d, a_job("loud"));
    const Job quiet = claim_one(d);
    const Job loud = claim_one(d);
    auto live = log_of(quiet.id, 1, AttemptOutcome::running);
    live.ended_at.reset();
    d.put_attempt_logs({live});

    auto quiet_log = log_of(quiet.id, 1, AttemptOutcome::completed);
    quiet_log.lines.clear();
    auto loud_log = log_of(loud.id, 1, AttemptOutcome::completed);
    loud_log.lines.assign(100, {OutputLine::Stream::out, 1ms, std::string(80, 'x')});
    std::vector<libqueue::Completion> batch;
    batch.emplace_back(claim_of(quiet), 5ms, quiet_log);
    batch.emplace_back(claim_of(loud), 5ms, loud_log);
    REQUIRE(d.complete_batch(batch) == std::vector<bool>{true, true});

    const auto check_logs = [&] {
        auto logs = d.attempt_logs(quiet.id);
        REQUIRE(logs.size() == 1);
        CHECK(logs[0].outcome == AttemptOutcome::completed);
        CHECK(logs[0].lines.empty());
        CHECK(logs[0].ended_at == quiet_log.ended_at);
        CHECK(logs[0].worker == "host:1:W");
        logs = d.attempt_logs(loud.id);
        REQUIRE(logs.size() == 1);
        CHECK(logs[0].lines.size() == 100);
    };
    check_logs();
    std::this_thread::sleep_for(50ms);
    REQUIRE(d.prune(0ms, 0, {}) == 2);
    REQUIRE_FALSE(d.find(quiet.id));
    check_logs();
    CHECK(d.attempt_logs("no-such-job").empty());
}

TEST_CASE("pruning logs counts each log of a batch of completions", "[attempt-logs]") {
    DriverFixture f;
    auto& d = f.driver();
    std::vector<libqueue::Completion> batch;
    for (const char* name : {"a", "b", "c"}) {
        push(d, a_job(name));
        const Job job = claim_one(d);
        auto log = log_of(job.id, 1, AttemptOutcome::completed);
        log.lines.clear();
        batch.emplace_back(claim_of(job), 5ms, log);
    }
    REQUIRE(d.complete_batch(batch) == std::vector<bool>{true, true, true});
    CHECK(d.prune_attempt_logs(1h) == 0);
    std::this_thread::sleep_for(1200ms);
    CHECK(d.prune_attempt_logs(600ms) == 3);
    for (const auto& c : batch) CHECK(d.attempt_logs(c.claim.id).empty());
}

TEST_CASE("logs last written before the cutoff are pruned", "[attempt-logs]") {
    DriverFixture f;
    auto& d = f.driver();
    d.put_attempt_logs(
        {log_of("old", 1, AttemptOutcome::retried), log_of("old", 2, AttemptOutcome::completed)});
    std::this_thread::sleep_for(1200ms);
    d.put_attempt_logs({log_of("new", 1, AttemptOutcome::completed)});
    CHECK(d.prune_attempt_logs(600ms) == 2);
    CHECK(d.attempt_logs("old").empty());
    CHECK(d.attempt_logs("new").size() == 1);
    CHECK(d.prune_attempt_logs(600ms) == 0);
    CHECK(d.attempt_logs("new").size() == 1);
}

TEST_CASE("another process sees the attempt logs", "[attempt-logs]") {
    DriverFixture f;
    REQUIRE_CAPABILITY(f, shared_between_processes);
    f.driver().put_attempt_logs({log_of("shared", 1, AttemptOutcome::completed)});
    auto other = f.open_another();
    const auto logs = other->attempt_logs("shared");
    REQUIRE(logs.size() == 1);
    CHECK(texts(logs[0]).front() == "first line");
}

TEST_CASE("a Worker logs every attempt of a command: retried, then dead", "[attempt-logs]") {
    DriverFixture f;
    auto& d = f.driver();
    const auto handlers =
        command("flaky", "echo \"out $Q_ATTEMPT\"; echo \"err $Q_ATTEMPT\" >&2; exit 3");
    const std::string id = push(d, a_job("flaky").max_retries(1));
    auto options = quick_worker();
    options.stop_when_empty = true;
    libqueue::Worker worker(d, handlers, options);
    const auto summary = worker.run();
    CHECK(summary.dead == 1);

    const auto logs = d.attempt_logs(id);
    REQUIRE(logs.size() == 2);
    CHECK(logs[0].attempt == 1);
    CHECK(logs[0].outcome == AttemptOutcome::retried);
    CHECK(logs[0].exit_status == 3);
    CHECK(logs[0].worker == "conformance:7:LOGS");
    REQUIRE(logs[0].lines.size() == 2);
    // Both streams, each line marked (their relative order is the kernel's to decide).
    CHECK(((logs[0].lines[0].text == "out 1" && logs[0].lines[1].text == "err 1") ||
           (logs[0].lines[0].text == "err 1" && logs[0].lines[1].text == "out 1")));
    for (const auto& line : logs[0].lines) {
        CHECK((line.stream == OutputLine::Stream::err) == (line.text == "err 1"));
    }
    CHECK(logs[0].error == "err 1");
    REQUIRE(logs[0].ended_at);
    CHECK(*logs[0].ended_at >= logs[0].started_at);
    CHECK(logs[1].attempt == 2);
    CHECK(logs[1].outcome == AttemptOutcome::dead);
    CHECK(logs[1].error == "err 2");
}

TEST_CASE("a Worker logs a completed attempt, and caps a long output", "[attempt-logs]") {
    DriverFixture f;
    auto& d = f.driver();
    // 3000 lines of 10 bytes is 30 KB: past a 4 KiB cap, the middle goes.
    const auto handlers = command("chatty",
                                  "i=0; while [ $i -lt 3000 ]; do printf 'line %04d\\n' $i; "
                                  "i=$((i+1)); done");
    const std::string id = push(d, a_job("chatty"));
    auto options = quick_worker();
    options.stop_when_empty = true;
    options.logs.max_bytes = 4096;
    libqueue::Worker worker(d, handlers, options);
    CHECK(worker.run().completed == 1);
    const auto logs = d.attempt_logs(id);
    REQUIRE(logs.size() == 1);
    const auto& log = logs[0];
    CHECK(log.outcome == AttemptOutcome::completed);
    CHECK(log.exit_status == 0);
    CHECK(log.error.empty());
    REQUIRE(log.lines.size() > 10);
    CHECK(log.lines.front().text == "line 0000");
    CHECK(log.lines.back().text == "line 2999");
    CHECK(log.cut_lines > 0);
    CHECK(log.lines.size() + log.cut_lines == 3000);
    CHECK(log.cut_bytes == log.cut_lines * 10);
    std::size_t kept = 0;
    for (const auto& line : log.lines) kept += line.text.size() + 1;
    CHECK(kept <= 4096);
    // The first line after the cut is numbered as in the whole output.
    std::array<char, 16> expected{};
    std::snprintf(expected.data(), expected.size(), "line %04zu",
                  std::size_t(log.line_number(log.cut_after)));
    CHECK(log.lines[log.cut_after].text == expected.data());
}

TEST_CASE("a running attempt's output is visible before it ends", "[attempt-logs]") {
    DriverFixture f;
    auto& d = f.driver();
    const auto marker = f.scratch() / "go";
    const auto handlers = command("slow", "echo started; while [ ! -e '" + marker.string() +
                                              "' ]; do sleep 0.05; done; echo finished");
    const std::string id = push(d, a_job("slow"));
    auto options = quick_worker();
    options.stop_when_empty = true;
    libqueue::Worker worker(d, handlers, options);
    std::thread runner([&] { worker.run(); });
    const bool live = eventually([&] {
        const auto logs = d.attempt_logs(id);
        return logs.size() == 1 && logs[0].outcome == AttemptOutcome::running &&
               texts(logs[0]) == std::vector<std::string>{"started"};
    });
    CHECK(live);
    std::filesystem::create_directories(marker);
    runner.join();
    const auto logs = d.attempt_logs(id);
    REQUIRE(logs.size() == 1);
    CHECK(logs[0].outcome == AttemptOutcome::completed);
    CHECK(texts(logs[0]) == std::vector<std::string>{"started", "finished"});
}

TEST_CASE("a log written again and again keeps only its newest version", "[attempt-logs]") {
    DriverFixture f;
    auto& d = f.driver();
    auto log = log_of("chatty", 1, AttemptOutcome::running);
    log.lines.assign(40, {OutputLine::Stream::out, 1ms, std::string(100, 'x')});
    for (int i = 0; i < 600; ++i) {  // a running job published every second for ten minutes
        log.lines.back().text = "line " + std::to_string(i);
        d.put_attempt_logs({log});
    }
    const auto logs = d.attempt_logs("chatty");
    REQUIRE(logs.size() == 1);
    CHECK(logs[0].lines.back().text == "line 599");
    if (f.driver_name() == "file") {
        // 600 appends of ~4.5 KB would be 2.7 MB: the file is rewritten as it grows.
        const auto path = f.config().section("file").at("path").get<std::string>() + ".logs";
        CHECK(std::filesystem::file_size(path) < 2'500'000);
    }
}
