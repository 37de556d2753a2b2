// Schedules on every storing driver: a tick's job is stored once (push_tick), whoever asks and
// however often, even after the job is gone; schedulers racing over the same ticks enqueue each
// once; the catch-up modes after a gap; and real Workers on two driver objects running a
// schedule's jobs with each tick run once.
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "fixture.hpp"
#include "libqueue/scheduler.hpp"
#include "libqueue/worker.hpp"

using namespace conformance;

namespace {

using libqueue::CatchUp;
using libqueue::Schedule;
using std::chrono::minutes;

// A fixed simulated time, well clear of the real clock (the scheduler is given `now`).
const TimePoint kT0 = libqueue::parse_iso8601("2031-03-01T12:00:00Z");

Schedule every(std::string name, Milliseconds period, CatchUp catch_up = CatchUp::latest,
               std::string queue = "sched") {
    Schedule s;
    s.name = std::move(name);
    s.every = period;
    s.job = "tick.job";
    s.queue = std::move(queue);
    s.catch_up = catch_up;
    s.payload = {{"kind", "test"}};
    return s;
}

std::vector<std::string> job_ids_of(QueueDriver& d, const std::string& queue) {
    libqueue::ListFilter filter;
    filter.queue = queue;
    filter.limit = 0;
    std::set<std::string> ids;
    for (const auto& job : d.list(filter)) ids.insert(job.id);
    return {ids.begin(), ids.end()};
}

std::string tick_id(const std::string& name, TimePoint tick) {
    return name + "@" + libqueue::format_iso8601(tick);
}

}  // namespace

TEST_CASE("a tick's job is stored once, even after the job is gone", "[schedules]") {
    DriverFixture f;
    auto& d = f.driver();
    const auto s = every("nightly", minutes(1));
    const auto first = d.push_tick(libqueue::tick_job(s, kT0), {"nightly", kT0});
    CHECK(first.created);
    CHECK(first.id == tick_id("nightly", kT0));
    const auto job = stored(d, first.id);
    CHECK(job.name == "tick.job");
    CHECK(job.queue == "sched");
    CHECK(
        nlohmann::json::parse(job.payload) ==
        nlohmann::json{{"kind", "test"},
                       {"_schedule", {{"name", "nightly"}, {"tick", "2031-03-01T12:00:00.000Z"}}}});

    const auto again = d.push_tick(libqueue::tick_job(s, kT0), {"nightly", kT0});
    CHECK_FALSE(again.created);
    CHECK(again.id == first.id);
    // An earlier tick is behind the mark: nothing.
    CHECK_FALSE(d.push_tick(libqueue::tick_job(s, kT0 - minutes(1)), {"nightly", kT0 - minutes(1)})
                    .created);
    // The job gone (cleared, pruned, deleted on completion): the mark still holds the tick.
    CHECK(d.clear("sched") == 1);
    CHECK_FALSE(d.push_tick(libqueue::tick_job(s, kT0), {"nightly", kT0}).created);
    CHECK(all_jobs(d).empty());

    const auto next =
        d.push_tick(libqueue::tick_job(s, kT0 + minutes(1)), {"nightly", kT0 + minutes(1)});
    CHECK(next.created);
    const auto marks = libqueue::schedule_marks(d);
    REQUIRE(marks.contains("nightly"));
    CHECK(marks.at("nightly").tick == kT0 + minutes(1));
    CHECK(marks.at("nightly").job_id == next.id);
    // Another schedule has a mark of its own.
    CHECK(d.push_tick(libqueue::tick_job(every("other", minutes(1)), kT0), {"other", kT0}).created);
}

TEST_CASE("a tick whose job id is taken moves the mark without a second job", "[schedules]") {
    DriverFixture f;
    auto& d = f.driver();
    const auto s = every("beat", minutes(1));
    // The job is there without the mark: what a crash between the two leaves where they are
    // written apart.
    push(d, a_job("tick.job").queue("sched").id(tick_id("beat", kT0)));
    const auto result = d.push_tick(libqueue::tick_job(s, kT0), {"beat", kT0});
    CHECK_FALSE(result.created);
    CHECK(result.id == tick_id("beat", kT0));
    CHECK(all_jobs(d).size() == 1);
    CHECK(libqueue::schedule_marks(d).at("beat").tick == kT0);
}

TEST_CASE("another process sees a schedule's mark", "[schedules]") {
    DriverFixture f;
    REQUIRE_CAPABILITY(f, shared_between_processes);
    const auto s = every("beat", minutes(1));
    CHECK(f.driver().push_tick(libqueue::tick_job(s, kT0), {"beat", kT0}).created);
    auto other = f.open_another();
    CHECK_FALSE(other->push_tick(libqueue::tick_job(s, kT0), {"beat", kT0}).created);
    CHECK(libqueue::schedule_marks(*other).at("beat").tick == kT0);
}

TEST_CASE("schedulers racing over the same ticks enqueue each tick once", "[schedules]") {
    DriverFixture f;
    const int kSchedulers = 4;
    const int kSteps = 40;  // simulated seconds
    std::vector<std::unique_ptr<QueueDriver>> others;
    std::vector<QueueDriver*> drivers;
    for (int i = 0; i < kSchedulers; ++i) {
        if (f.caps().shared_between_processes && i > 0) {
            others.push_back(f.open_another());
            drivers.push_back(others.back().get());
        } else {
            drivers.push_back(&f.driver());
        }
    }
    const auto s = every("race", std::chrono::seconds(1), CatchUp::all);
    std::atomic<int> created{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kSchedulers; ++i) {
        threads.emplace_back([&, i] {
            libqueue::Scheduler scheduler(*drivers[i], {s}, kT0);
            for (int step = 1; step <= kSteps; ++step) {
                // Each scheduler's clock a little apart from the others'.
                const auto now = kT0 + std::chrono::seconds(step) + Milliseconds(i * 7);
                created += int(scheduler.run_once(now).size());
            }
        });
    }
    for (auto& t : threads) t.join();
    const auto ids = job_ids_of(f.driver(), "sched");
    CHECK(created == kSteps);
    REQUIRE(ids.size() == std::size_t(kSteps));
    CHECK(ids.front() == tick_id("race", kT0 + std::chrono::seconds(1)));
    CHECK(ids.back() == tick_id("race", kT0 + std::chrono::seconds(kSteps)));
}

TEST_CASE("after a gap, catch_up none skips, latest enqueues one, all each tick", "[schedules]") {
    DriverFixture f;
    auto& d = f.driver();
    const auto period = minutes(5);
    std::vector<Schedule> schedules = {every("skip", period, CatchUp::none, "none"),
                                       every("one", period, CatchUp::latest, "latest"),
                                       every("each", period, CatchUp::all, "all")};
    {
        libqueue::Scheduler before(d, schedules, kT0 - Milliseconds(500));
        CHECK(before.run_once(kT0 + Milliseconds(200)).size() == 3);  // kT0 for each
    }
    // A new scheduler (a restart) after a gap: ticks kT0+5m .. kT0+70m were missed, the last
    // of them 100s ago (past schedule_on_time).
    const auto now = kT0 + minutes(70) + std::chrono::seconds(100);
    libqueue::Scheduler after(d, schedules, now);
    const auto enqueued = after.run_once(now);
    std::map<std::string, int> per_schedule;
    for (const auto& tick : enqueued) ++per_schedule[tick.schedule];
    CHECK(per_schedule["skip"] == 0);
    CHECK(per_schedule["one"] == 1);
    CHECK(per_schedule["each"] == 14);
    CHECK(job_ids_of(d, "none") == std::vector<std::string>{tick_id("skip", kT0)});
    CHECK(job_ids_of(d, "latest") ==
          std::vector<std::string>{tick_id("one", kT0), tick_id("one", kT0 + minutes(70))});
    CHECK(job_ids_of(d, "all").size() == 15);
    // A tick found on time runs for catch_up none too.
    CHECK(after.run_once(kT0 + minutes(75) + Milliseconds(300)).size() == 3);
    CHECK(job_ids_of(d, "none").size() == 2);
}

TEST_CASE("all caps the catch-up at the latest ticks", "[schedules]") {
    DriverFixture f;
    auto& d = f.driver();
    const auto s = every("each", std::chrono::seconds(1), CatchUp::all);
    libqueue::Scheduler first(d, {s}, kT0 - Milliseconds(1));
    CHECK(first.run_once(kT0).size() == 1);
    libqueue::Scheduler later(d, {s}, kT0);
    const auto enqueued = later.run_once(kT0 + std::chrono::hours(1));
    REQUIRE(enqueued.size() == libqueue::max_catch_up_ticks);
    CHECK(enqueued.back().tick == kT0 + std::chrono::hours(1));
    CHECK(enqueued.front().tick ==
          kT0 + std::chrono::hours(1) - std::chrono::seconds(libqueue::max_catch_up_ticks - 1));
}

TEST_CASE("Workers on two driver objects run each tick of a schedule once", "[schedules]") {
    // Jobs are deleted on completion, so only the marks keep a tick from running again.
    DriverFixture f([](libqueue::Config& c) { c.keep_completed = false; });
    auto& d = f.driver();
    std::unique_ptr<QueueDriver> other;
    QueueDriver* second = &d;
    if (f.caps().shared_between_processes) {
        other = f.open_another();
        second = other.get();
    }
    std::mutex mutex;
    std::map<std::string, int> runs;  // by tick
    libqueue::Handlers handlers;
    handlers.on("tick.job", [&](const Job& job) {
        const auto tick =
            nlohmann::json::parse(job.payload)["_schedule"]["tick"].get<std::string>();
        std::lock_guard lock(mutex);
        ++runs[tick];
    });
    libqueue::WorkerOptions options;
    options.queues = {"sched"};
    options.idle_sleep = 50ms;
    options.announce = false;
    // catch_up all: a scheduler pass that comes late (a slow machine, a sanitizer build) still
    // pushes every tick since the mark, so a missing tick below is a tick lost, not skipped.
    options.schedules = {every("beat", std::chrono::seconds(1), CatchUp::all)};
    libqueue::Worker a(d, handlers, options);
    libqueue::Worker b(*second, handlers, options);
    std::thread ta([&] { a.run(); });
    std::thread tb([&] { b.run(); });
    std::this_thread::sleep_for(4500ms);
    a.stop();
    b.stop();
    ta.join();
    tb.join();
    std::lock_guard lock(mutex);
    INFO("ticks run: " << runs.size());
    CHECK(runs.size() >= 3);
    for (const auto& [tick, count] : runs) {
        INFO("tick " << tick);
        CHECK(count == 1);
    }
    // Consecutive seconds: no tick skipped while the workers ran.
    if (!runs.empty()) {
        const auto first = libqueue::parse_iso8601(runs.begin()->first);
        const auto last = libqueue::parse_iso8601(runs.rbegin()->first);
        CHECK(std::size_t((last - first) / std::chrono::seconds(1)) + 1 == runs.size());
    }
}
