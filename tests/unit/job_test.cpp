// Job ids, claim tokens, validation of new jobs, and the JSON forms of jobs and stats.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include <catch2/catch.hpp>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "libqueue/errors.hpp"
#include "libqueue/job.hpp"
#include "libqueue/stats.hpp"

using namespace libqueue;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

const std::string kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// The millisecond time in an id's first 10 characters.
long long id_time_ms(const std::string& id) {
    long long ms = 0;
    for (int i = 0; i < 10; ++i) ms = ms * 32 + (long long)kCrockford.find(id[std::size_t(i)]);
    return ms;
}

Job sample_job() {
    Job job;
    job.id = "01JD0000000000000000000000";
    job.name = "send_email";
    job.queue = "mail";
    job.status = Status::processing;
    job.attempts = 2;
    job.max_retries = 5;
    job.payload = R"({"to":"a@example.com","n":[1,2]})";
    job.last_error = "smtp timeout";
    job.created_at = parse_iso8601("2026-11-23T17:00:00.125Z");
    job.available_at = parse_iso8601("2026-11-23T17:05:00.000Z");
    job.reserved_by = "host:42:ABCD:XYZ";
    return job;
}

}  // namespace

TEST_CASE("job ids: 26 Crockford base32 characters, unique") {
    std::set<std::string> seen;
    for (int i = 0; i < 20'000; ++i) {
        const std::string id = new_job_id();
        REQUIRE(id.size() == 26);
        REQUIRE(id.find_first_not_of(kCrockford) == std::string::npos);
        REQUIRE(seen.insert(id).second);
    }
}

TEST_CASE("job ids are unique across threads") {
    std::mutex mutex;
    std::set<std::string> seen;
    std::size_t made = 0;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            std::vector<std::string> mine;
            for (int i = 0; i < 5'000; ++i) mine.push_back(new_job_id());
            // One generator per process: each thread's ids also come out in order.
            const bool ordered = std::is_sorted(mine.begin(), mine.end());
            std::lock_guard lock(mutex);
            CHECK(ordered);
            seen.insert(mine.begin(), mine.end());
            made += mine.size();
        });
    }
    for (auto& thread : threads) thread.join();
    CHECK(seen.size() == made);
}

TEST_CASE("job ids are time-ordered: the prefix is the creation millisecond") {
    const auto before = system_now();
    const std::string first = new_job_id();
    const auto after = system_now();
    CHECK(id_time_ms(first) >= before.time_since_epoch().count());
    CHECK(id_time_ms(first) <= after.time_since_epoch().count());

    std::string previous = first;
    for (int i = 0; i < 5; ++i) {
        std::this_thread::sleep_for(2ms);
        const std::string next = new_job_id();
        CHECK(previous < next);
        previous = next;
    }
}

TEST_CASE("job ids made in a tight loop are strictly increasing as text") {
    // Thousands fall in one millisecond: the order must not depend on the random part.
    std::vector<std::string> ids;
    ids.reserve(10'000);
    for (int i = 0; i < 10'000; ++i) ids.push_back(new_job_id());
    std::size_t out_of_order = 0;
    for (std::size_t i = 1; i < ids.size(); ++i) {
        if (!(ids[i - 1] < ids[i]))
            ++out_of_order;
    }
    CHECK(out_of_order == 0);
    CHECK(id_time_ms(ids.front()) <= id_time_ms(ids.back()));
    for (const auto& id : ids) {
        REQUIRE(id.size() == 26);
        REQUIRE(id.find_first_not_of(kCrockford) == std::string::npos);
    }
}

TEST_CASE("a forked child makes ids of its own, not its parent's next ones") {
    const std::string before = new_job_id();  // the generator has state to copy
    int pipe_fds[2];
    REQUIRE(pipe(pipe_fds) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        std::string ids;
        for (int i = 0; i < 100; ++i) ids += new_job_id() + new_claim_token("w");
        ssize_t written = write(pipe_fds[1], ids.data(), ids.size());
        _exit(written == ssize_t(ids.size()) ? 0 : 1);
    }
    close(pipe_fds[1]);
    std::string mine;
    for (int i = 0; i < 100; ++i) mine += new_job_id() + new_claim_token("w");
    std::string theirs;
    char buffer[4096];
    for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
        theirs.append(buffer, std::size_t(n));
    close(pipe_fds[0]);
    int status = 0;
    waitpid(child, &status, 0);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    REQUIRE(theirs.size() == mine.size());
    // 100 ids of 26 chars and 100 tokens of "w:" + 12 chars, in turn.
    const std::size_t each = 26 + 14;
    std::set<std::string> seen;
    for (const std::string* all : {&mine, &theirs}) {
        for (std::size_t at = 0; at < all->size(); at += each) {
            CHECK(seen.insert(all->substr(at, 26)).second);
            CHECK(seen.insert(all->substr(at + 26, 14)).second);
        }
    }
    CHECK(before < mine.substr(0, 26));
}

TEST_CASE("claim tokens and worker ids") {
    const std::string worker = default_worker_id();
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    CHECK(worker.rfind(std::string(host) + ":" + std::to_string(getpid()) + ":", 0) == 0);
    CHECK(default_worker_id() != worker);

    const std::string a = new_claim_token(worker), b = new_claim_token(worker);
    CHECK(a.rfind(worker + ":", 0) == 0);
    CHECK(b.rfind(worker + ":", 0) == 0);
    CHECK(a != b);
}

TEST_CASE("status names") {
    for (Status s : {Status::pending, Status::processing, Status::completed, Status::failed}) {
        CHECK(status_from_string(to_string(s)) == s);
    }
    CHECK(to_string(Status::failed) == "failed");
    CHECK_THROWS_AS(status_from_string("dead"), DataError);
    CHECK_THROWS_WITH(status_from_string("Pending"), Contains("'Pending'"));
}

TEST_CASE("validate_new_job names the bad field") {
    NewJob ok;
    ok.name = "resize";
    ok.payload = R"({"w": 100})";
    CHECK_NOTHROW(validate_new_job(ok));
    for (const char* payload : {"[]", "1", "\"text\"", "null", " {} "}) {
        ok.payload = payload;
        CHECK_NOTHROW(validate_new_job(ok));
    }

    NewJob job = ok;
    job.name = "";
    CHECK_THROWS_AS(validate_new_job(job), DataError);
    CHECK_THROWS_WITH(validate_new_job(job), Contains("name"));

    job = ok;
    job.queue = "";
    CHECK_THROWS_WITH(validate_new_job(job), Contains("queue"));

    job = ok;
    job.max_retries = -1;
    CHECK_THROWS_WITH(validate_new_job(job), Contains("max_retries"));

    for (int priority : {-1, max_priority + 1}) {
        job = ok;
        job.priority = priority;
        CHECK_THROWS_WITH(validate_new_job(job), Contains("priority"));
    }
    for (int priority : {0, 1, max_priority}) {
        job = ok;
        job.priority = priority;
        CHECK_NOTHROW(validate_new_job(job));
    }

    // Names, queues, unique keys and ids: 1 to 255 bytes of printable UTF-8, on every driver.
    for (auto [field, value, says] :
         {std::tuple{"name", std::string(256, 'n'), "256 bytes long; the limit is 255"},
          std::tuple{"queue", std::string("a\nb"), "contains a control character (a newline)"},
          std::tuple{"queue", std::string("a\0b", 3), "contains a control character (NUL)"},
          std::tuple{"name", std::string("caf\xe9"), "is not valid UTF-8"},
          std::tuple{"unique_key", std::string("k\x7f"), "control character (byte 0x7f)"},
          std::tuple{"id", std::string(300, 'i'), "job id is 300 bytes long"}}) {
        INFO(field << ": " << value);
        job = ok;
        if (std::string(field) == "name")
            job.name = value;
        else if (std::string(field) == "queue")
            job.queue = value;
        else if (std::string(field) == "unique_key")
            job.unique_key = value;
        else
            job.id = value;
        CHECK_THROWS_AS(validate_new_job(job), DataError);
        CHECK_THROWS_WITH(validate_new_job(job), Contains(says));
    }
    job = ok;
    job.name = std::string(255, 'n');
    job.queue = "émails";
    CHECK_NOTHROW(validate_new_job(job));

    for (const char* payload : {"", "{", "{'a': 1}", "hello", "{} {}"}) {
        INFO("payload: " << payload);
        job = ok;
        job.payload = payload;
        CHECK_THROWS_AS(validate_new_job(job), DataError);
        CHECK_THROWS_WITH(validate_new_job(job), Contains("payload"));
    }
}

TEST_CASE("claim order: higher priority, then due time (missing first), created_at, id") {
    const TimePoint t0 = parse_iso8601("2026-11-23T17:00:00.000Z");
    auto job = [&](int priority, std::optional<TimePoint> due, TimePoint created, std::string id) {
        Job j;
        j.priority = priority;
        j.available_at = due;
        j.created_at = created;
        j.id = std::move(id);
        return j;
    };
    // Each pair: the first is claimed before the second.
    const std::vector<std::pair<Job, Job>> before = {
        {job(1, t0 + 10s, t0 + 10s, "b"), job(0, t0, t0, "a")},
        {job(1000, t0 + 1h, t0, "z"), job(999, t0, t0, "a")},
        {job(2, t0, t0 + 5s, "z"), job(2, t0 + 1s, t0, "a")},
        {job(0, std::nullopt, t0 + 9s, "z"), job(0, t0 - 1h, t0, "a")},
        {job(0, t0, t0, "z"), job(0, t0, t0 + 1ms, "a")},
        {job(0, t0, t0, "a"), job(0, t0, t0, "b")},
    };
    for (const auto& [first, second] : before) {
        INFO(first.id << " p" << first.priority << " before " << second.id << " p"
                      << second.priority);
        CHECK(claim_order_before(first, second));
        CHECK_FALSE(claim_order_before(second, first));
    }
    const Job same = job(3, t0, t0, "x");
    CHECK_FALSE(claim_order_before(same, same));
}

TEST_CASE("job_to_json: every column, names for status, ISO times or null") {
    const json out = job_to_json(sample_job());
    CHECK(out["id"] == "01JD0000000000000000000000");
    CHECK(out["name"] == "send_email");
    CHECK(out["queue"] == "mail");
    CHECK(out["status"] == "processing");
    CHECK(out["attempts"] == 2);
    CHECK(out["max_retries"] == 5);
    CHECK(out["payload"] == json::parse(R"({"to":"a@example.com","n":[1,2]})"));
    CHECK(out["last_error"] == "smtp timeout");
    CHECK(out["created_at"] == "2026-11-23T17:00:00.125Z");
    CHECK(out["available_at"] == "2026-11-23T17:05:00.000Z");
    CHECK(out["finished_at"].is_null());
    CHECK(out["reserved_by"] == "host:42:ABCD:XYZ");
    CHECK(out["priority"] == 0);
    CHECK(out.size() == 13);

    Job plain = sample_job();
    plain.last_error.reset();
    plain.available_at.reset();
    plain.reserved_by.reset();
    plain.payload = "not json at all";
    const json bare = job_to_json(plain);
    CHECK(bare["last_error"].is_null());
    CHECK(bare["available_at"].is_null());
    CHECK(bare["reserved_by"].is_null());
    CHECK(bare["payload"] == "not json at all");
}

TEST_CASE("job JSON round trip") {
    Job job = sample_job();
    job.priority = 42;
    job.finished_at = parse_iso8601("2026-11-23T17:06:00.999Z");
    for (Status s : {Status::pending, Status::processing, Status::completed, Status::failed}) {
        job.status = s;
        const Job back = job_from_json(job_to_json(job));
        CHECK(back.id == job.id);
        CHECK(back.name == job.name);
        CHECK(back.queue == job.queue);
        CHECK(back.status == s);
        CHECK(back.attempts == job.attempts);
        CHECK(back.max_retries == job.max_retries);
        CHECK(json::parse(back.payload) == json::parse(job.payload));
        CHECK(back.last_error == job.last_error);
        CHECK(back.created_at == job.created_at);
        CHECK(back.available_at == job.available_at);
        CHECK(back.finished_at == job.finished_at);
        CHECK(back.reserved_by == job.reserved_by);
        CHECK(back.priority == job.priority);
        CHECK(job_to_json(back) == job_to_json(job));
    }
    // Payloads that are JSON scalars or strings stay JSON.
    for (const char* payload : {"\"hi\"", "42", "null", "[1,\"a\"]"}) {
        job.payload = payload;
        CHECK(job_from_json(job_to_json(job)).payload == payload);
    }
}

TEST_CASE("job_from_json: defaults for optional fields, errors name the field") {
    const json minimal = {
        {"id", "X"}, {"name", "n"}, {"status", "pending"}, {"created_at", "2026-11-23T17:00:00Z"}};
    const Job job = job_from_json(minimal);
    CHECK(job.queue == "default");
    CHECK(job.attempts == 0);
    CHECK(job.max_retries == 3);
    CHECK(job.payload == "{}");
    CHECK_FALSE(job.last_error);
    CHECK_FALSE(job.available_at);

    for (const char* field : {"id", "name", "status", "created_at"}) {
        json missing = minimal;
        missing.erase(field);
        CHECK_THROWS_AS(job_from_json(missing), DataError);
        CHECK_THROWS_WITH(job_from_json(missing), Contains(std::string("'") + field + "'"));
    }
    auto with = [&](const char* field, json value) {
        json copy = minimal;
        copy[field] = std::move(value);
        return copy;
    };
    CHECK_THROWS_WITH(job_from_json(with("attempts", "2")), Contains("'attempts'"));
    CHECK_THROWS_WITH(job_from_json(with("max_retries", 1.5)), Contains("'max_retries'"));
    CHECK_THROWS_WITH(job_from_json(with("available_at", "soon")), Contains("'available_at'"));
    CHECK_THROWS_WITH(job_from_json(with("reserved_by", 7)), Contains("'reserved_by'"));
    CHECK_THROWS_WITH(job_from_json(with("status", "dead")), Contains("'dead'"));
    CHECK_THROWS_AS(job_from_json(json::array()), DataError);
}

TEST_CASE("stats_to_json: counts, totals, rates, by name") {
    Stats stats;
    stats.now = parse_iso8601("2026-11-23T17:00:00Z");
    QueueStats q;
    q.queue = "default";
    q.counts = {4, 2, 1, 10, 3};
    q.totals = {20, 9, 3, 5, 4'500, 9};
    q.oldest_due_age = Milliseconds(12'345);
    q.by_name["mail"] = {4, 2, 1, 10, 3};
    q.totals_by_name["mail"] = {20, 9, 3, 5, 4'500, 9};  // 9 completions timed
    q.totals_by_name["gone"] = {1, 0, 1, 0, 0};          // only totals left: rows pruned
    stats.queues.push_back(q);
    QueueStats idle;
    idle.queue = "idle";
    idle.totals.pushed = 1;
    stats.queues.push_back(idle);

    const json out = stats_to_json(stats);
    CHECK(out["now"] == "2026-11-23T17:00:00.000Z");
    REQUIRE(out["queues"].size() == 2);
    const json& d = out["queues"][0];
    CHECK(d["queue"] == "default");
    CHECK(d["due"] == 4);
    CHECK(d["delayed"] == 2);
    CHECK(d["processing"] == 1);
    CHECK(d["completed"] == 10);
    CHECK(d["failed"] == 3);
    CHECK(d["oldest_due_age_ms"] == 12'345);
    CHECK(d["totals"] == json{{"pushed", 20},
                              {"completed", 9},
                              {"dead", 3},
                              {"retries", 5},
                              {"processing_ms", 4'500}});
    CHECK(d["success_rate"].get<double>() == Approx(0.75));
    CHECK(d["average_processing_ms"].get<double>() == Approx(500.0));
    CHECK(d["by_name"]["mail"]["due"] == 4);
    CHECK(d["by_name"]["mail"]["totals"]["completed"] == 9);
    CHECK(d["by_name"]["mail"]["success_rate"].get<double>() == Approx(0.75));
    CHECK(d["by_name"]["gone"]["due"] == 0);
    CHECK(d["by_name"]["gone"]["success_rate"] == 0.0);
    CHECK(d["by_name"]["gone"]["average_processing_ms"].is_null());

    const json& i = out["queues"][1];
    CHECK(i["oldest_due_age_ms"].is_null());
    CHECK(i["success_rate"].is_null());
    CHECK(i["average_processing_ms"].is_null());
    CHECK(i["by_name"] == json::object());
}
