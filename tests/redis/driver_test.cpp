// What only the redis driver promises (the conformance suite covers the lifecycle): keys under
// one hash tag, the server's clock, scripts reloaded after the server forgot them, reconnecting
// after CLIENT KILL, outcomes kept across a lost connection, blocking wake-ups, stale jobs
// reclaimed by claim itself, batches all or nothing, and messages without the password.
// Runs against the server of scripts/redis-start ($Q_TEST_REDIS_URL); exits 77 without one.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include "drivers/redis/connection.hpp"
#include "drivers/redis/redis_url.hpp"
#include "drivers/redis/scripts.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/registry.hpp"

using namespace libqueue;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

std::string server_url() {
    return std::getenv("Q_TEST_REDIS_URL");
}

std::string unique_prefix() {
    static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::mt19937_64 rng{std::random_device{}()};
    std::string out = "q_redis_test_";
    for (int i = 0; i < 10; ++i) out += kAlphabet[rng() % (sizeof kAlphabet - 1)];
    return out;
}

// A driver on its own key prefix, and a plain connection to look at the server.
struct Fixture {
    std::string prefix = unique_prefix();
    Config config;
    std::unique_ptr<QueueDriver> driver;
    redis::Connection admin{redis::parse_redis_url(server_url()), 2s, 10s};

    explicit Fixture(Milliseconds stale_after = Milliseconds{300'000}) {
        config.driver = "redis";
        config.driver_sections["redis"] = {{"url", server_url()}, {"prefix", prefix}};
        config.stale_after = stale_after;
        driver = create_driver(config);
    }
    ~Fixture() {
        // Leave the shared server as we found it.
        auto keys = admin.command({"KEYS", prefix + ":*"});
        for (std::size_t i = 0; i < redis::size(*keys); ++i) {
            admin.command({"DEL", std::string(redis::text(redis::element(*keys, i)))});
        }
    }

    std::vector<std::string> keys() {
        auto reply = admin.command({"KEYS", prefix + ":*"});
        std::vector<std::string> out;
        for (std::size_t i = 0; i < redis::size(*reply); ++i) {
            out.emplace_back(redis::text(redis::element(*reply, i)));
        }
        return out;
    }

    // Kills the driver's connections (named q-PID by the driver), not the admin one, and not
    // those of other tests sharing the server.
    void kill_driver_connections() {
        auto own_id = redis::integer(*admin.command({"CLIENT", "ID"}));
        auto list = std::string(redis::text(*admin.command({"CLIENT", "LIST"})));
        std::string name = "name=q-" + std::to_string(getpid()) + " ";
        int killed = 0;
        std::istringstream lines(list);
        for (std::string line; std::getline(lines, line);) {
            if (line.find(name) == std::string::npos)
                continue;
            auto id = std::stoll(line.substr(3, line.find(' ') - 3));  // "id=N ..."
            if (id == own_id)
                continue;
            admin.command({"CLIENT", "KILL", "ID", std::to_string(id)});
            ++killed;
        }
        REQUIRE(killed > 0);
    }
};

NewJob job(std::string name = "task") {
    NewJob j;
    j.name = std::move(name);
    j.payload = R"({"n":1})";
    return j;
}

}  // namespace

TEST_CASE("every key of a queue carries the queue's hash tag") {
    Fixture f;
    NewJob a = job();
    a.queue = "mail";
    a.unique_key = "u1";
    f.driver->push(a);
    auto claimed = f.driver->claim({{"mail"}, "w", 1});
    REQUIRE(claimed.size() == 1);
    f.driver->complete(claim_of(claimed[0]), 5ms);
    f.driver->push(job());  // another queue: its own tag

    for (const auto& key : f.keys()) {
        INFO(key);
        bool global = key == f.prefix + ":index" || key == f.prefix + ":queues";
        bool mail = key.rfind(f.prefix + ":{mail}:", 0) == 0;
        bool fallback = key.rfind(f.prefix + ":{default}:", 0) == 0;
        CHECK((global || mail || fallback));
    }
}

TEST_CASE("times come from the server's clock") {
    Fixture f;
    auto reply = f.admin.command({"TIME"});
    auto server_ms = redis::integer(redis::element(*reply, 0)) * 1000 +
                     redis::integer(redis::element(*reply, 1)) / 1000;
    auto driver_ms = f.driver->now().time_since_epoch().count();
    CHECK(std::llabs(driver_ms - server_ms) < 1000);
    auto pushed = f.driver->push(job());
    auto stored = f.driver->find(pushed.id);
    REQUIRE(stored);
    CHECK(std::llabs(stored->created_at.time_since_epoch().count() - server_ms) < 2000);
}

TEST_CASE("scripts are loaded again after the server forgot them") {
    Fixture f;
    f.driver->push(job());
    REQUIRE_FALSE(redis::is_error(*f.admin.command({"SCRIPT", "FLUSH"})));
    auto claimed = f.driver->claim({{"default"}, "w", 1});
    REQUIRE(claimed.size() == 1);
    REQUIRE_FALSE(redis::is_error(*f.admin.command({"SCRIPT", "FLUSH"})));
    CHECK(f.driver->complete(claim_of(claimed[0]), 1ms));
    REQUIRE_FALSE(redis::is_error(*f.admin.command({"SCRIPT", "FLUSH"})));
    // A batch loads the script inside its own transaction.
    CHECK(f.driver->push_batch({job(), job(), job()}).size() == 3);
    CHECK(f.driver->size("default") == 3);
}

TEST_CASE("killed connections are replaced and the operation goes through") {
    Fixture f;
    auto first = f.driver->push(job());
    auto claimed = f.driver->claim({{"default"}, "w", 1});
    REQUIRE(claimed.size() == 1);

    f.kill_driver_connections();
    CHECK(f.driver->heartbeat(claim_of(claimed[0])));
    f.kill_driver_connections();
    CHECK(f.driver->complete(claim_of(claimed[0]), 3ms));
    f.kill_driver_connections();
    auto stored = f.driver->find(first.id);
    REQUIRE(stored);
    CHECK(stored->status == Status::completed);
    f.kill_driver_connections();
    CHECK(f.driver->push_batch({job(), job()}).size() == 2);
    CHECK(f.driver->size("default") == 2);
}

TEST_CASE("a large write into a killed connection is retried, not killed by SIGPIPE") {
    Fixture f;
    f.driver->push(job());  // opens a connection to kill
    NewJob big = job();
    big.payload = "{\"blob\":\"" + std::string(64 * 1024, 'x') + "\"}";
    std::vector<NewJob> batch(400, big);  // ~26 MB: many write(2) calls into a dead socket
    f.kill_driver_connections();
    CHECK(f.driver->push_batch(batch).size() == 400);
    CHECK(f.driver->size("default") == 401);
}

TEST_CASE("an outcome resent after a lost reply counts as done; another token's does not") {
    // The driver resends an outcome with the retry flag when the connection broke before the
    // reply came. Here the scripts run directly, as the resend would.
    Fixture f;
    redis::Scripts scripts;
    scripts.load_all(f.admin);
    auto run = [&](redis::ScriptId id, std::vector<std::string> args) {
        return redis::integer(*scripts.run(f.admin, id, args));
    };
    f.driver->push(job());
    f.driver->push(job());
    auto claimed = f.driver->claim({{"default"}, "w", 2});
    REQUIRE(claimed.size() == 2);
    const auto& a = claimed[0];
    const auto& b = claimed[1];

    REQUIRE(f.driver->release(claim_of(a), 60s, "try again"));
    using redis::ScriptId;
    CHECK(run(ScriptId::release, {f.prefix, a.id, *a.reserved_by, "1", "60000", "try again"}) == 1);
    CHECK(run(ScriptId::release, {f.prefix, a.id, *a.reserved_by, "0", "60000", "try again"}) == 0);
    CHECK(run(ScriptId::fail, {f.prefix, a.id, *a.reserved_by, "1", "x"}) == 0);  // not what ran
    CHECK(run(ScriptId::release, {f.prefix, a.id, "w:someone-else", "1", "0", "x"}) == 0);

    REQUIRE(f.driver->complete(claim_of(b), 2ms));
    CHECK(run(ScriptId::complete, {f.prefix, b.id, *b.reserved_by, "1", "2", "1"}) == 1);
    CHECK(run(ScriptId::complete, {f.prefix, b.id, *b.reserved_by, "0", "2", "1"}) == 0);

    // Nothing was recorded twice.
    auto stats = f.driver->stats();
    REQUIRE(stats.queues.size() == 1);
    CHECK(stats.queues[0].totals.completed == 1);
    CHECK(stats.queues[0].totals.retries == 1);
    CHECK(stats.queues[0].counts.delayed == 1);
    CHECK(stats.queues[0].counts.completed == 1);
}

TEST_CASE("a reserved job past its deadline is reclaimed by the next claim") {
    Fixture f(300ms);
    auto pushed = f.driver->push(job());
    auto first = f.driver->claim({{"default"}, "dead-worker", 1});
    REQUIRE(first.size() == 1);
    CHECK(f.driver->claim({{"default"}, "other", 1}).empty());  // not yet stale

    std::this_thread::sleep_for(450ms);
    auto second = f.driver->claim({{"default"}, "other", 1});
    REQUIRE(second.size() == 1);
    CHECK(second[0].id == pushed.id);
    CHECK(second[0].attempts == 2);
    CHECK(second[0].reserved_by->rfind("other", 0) == 0);
    // The lost worker's outcome is refused; the new owner's goes through.
    CHECK_FALSE(f.driver->complete(claim_of(first[0]), 1ms));
    CHECK(f.driver->complete(claim_of(second[0]), 1ms));
}

TEST_CASE("heartbeats keep a long job from being reclaimed") {
    Fixture f(300ms);
    f.driver->push(job());
    auto first = f.driver->claim({{"default"}, "alive", 1});
    REQUIRE(first.size() == 1);
    for (int i = 0; i < 6; ++i) {
        std::this_thread::sleep_for(100ms);
        REQUIRE(f.driver->heartbeat(claim_of(first[0])));
    }
    CHECK(f.driver->claim({{"default"}, "other", 1}).empty());
    CHECK(f.driver->complete(claim_of(first[0]), 600ms));
}

TEST_CASE("an idle waiter wakes within milliseconds of a push") {
    Fixture f;
    std::atomic<bool> woke{false};
    Clock::duration waited{};
    std::thread waiter([&] {
        auto start = Clock::now();
        f.driver->wait_for_jobs({"default"}, 5s);
        waited = Clock::now() - start;
        woke = true;
    });
    std::this_thread::sleep_for(300ms);
    CHECK_FALSE(woke);  // nothing pushed yet: still blocked
    f.driver->push(job());
    waiter.join();
    CHECK(waited < 2s);
}

TEST_CASE("a waiter returns when the earliest delayed job comes due") {
    Fixture f;
    NewJob later = job();
    later.delay = 400ms;
    f.driver->push(later);
    // Take the push's wake-up signal, so only the due time can end the wait.
    f.admin.command({"DEL", f.prefix + ":{default}:wake"});
    auto start = Clock::now();
    f.driver->wait_for_jobs({"default"}, 5s);
    auto waited = Clock::now() - start;
    CHECK(waited >= 300ms);
    CHECK(waited < 2s);
    std::this_thread::sleep_for(50ms);
    CHECK(f.driver->claim({{"default"}, "w", 1}).size() == 1);
}

TEST_CASE("a batch with a taken id stores nothing") {
    Fixture f;
    auto taken = f.driver->push(job());
    std::vector<NewJob> batch{job(), job(), job()};
    batch[2].id = taken.id;
    CHECK_THROWS_AS(f.driver->push_batch(batch), DataError);
    CHECK(f.driver->size("default") == 1);

    batch[2].id = "";
    batch[1].payload = "{not json";
    CHECK_THROWS_AS(f.driver->push_batch(batch), DataError);
    CHECK(f.driver->size("default") == 1);

    // Large batches go out in chunks, still as one transaction.
    std::vector<NewJob> big(2500, job());
    CHECK(f.driver->push_batch(big).size() == 2500);
    CHECK(f.driver->size("default") == 2501);
}

TEST_CASE("a claim of many returns each job as stored, in one reply") {
    Fixture f;
    std::vector<NewJob> batch(300, job());
    batch[7].unique_key = "u7";
    f.driver->push_batch(batch);
    f.driver->push(job("other"));  // a second name: counts per name stay right
    auto claimed = f.driver->claim({{"default"}, "w", 256});
    REQUIRE(claimed.size() == 256);
    for (const auto& j : claimed) {
        auto stored = f.driver->find(j.id);
        REQUIRE(stored);
        CHECK(j.status == Status::processing);
        CHECK(j.attempts == 1);
        CHECK(j.name == stored->name);
        CHECK(j.payload == stored->payload);
        CHECK(j.created_at == stored->created_at);
        CHECK(j.status == stored->status);
        CHECK(j.attempts == stored->attempts);
        CHECK(j.available_at == stored->available_at);
        CHECK(j.reserved_by == stored->reserved_by);
    }
    // A job claimed again after a release counts its second attempt.
    REQUIRE(f.driver->release(claim_of(claimed[0]), 0ms, "again"));
    auto rest = f.driver->claim({{"default"}, "w", 256});
    REQUIRE(rest.size() == 46);
    auto again =
        std::find_if(rest.begin(), rest.end(), [&](const Job& j) { return j.id == claimed[0].id; });
    REQUIRE(again != rest.end());
    CHECK(again->attempts == 2);
    auto stats = f.driver->stats();
    REQUIRE(stats.queues.size() == 1);
    CHECK(stats.queues[0].counts.processing == 301);
    CHECK(stats.queues[0].counts.due == 0);
    CHECK(stats.queues[0].by_name["task"].processing == 300);
    CHECK(stats.queues[0].by_name["other"].processing == 1);
}

TEST_CASE("complete_batch: chunks, queues, repeats and unique keys, totals right") {
    Fixture f;
    std::vector<NewJob> batch(1100, job());
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i].queue = i % 3 == 0 ? "b" : "a";
    batch[0].unique_key = "once";
    f.driver->push_batch(batch);
    std::vector<Completion> completions;
    for (;;) {
        auto claimed = f.driver->claim({{"a", "b"}, "w", 256});
        if (claimed.empty())
            break;
        for (const auto& j : claimed) completions.push_back({claim_of(j), 2ms});
    }
    REQUIRE(completions.size() == 1100);
    completions.push_back(completions[5]);  // the same claim again: already done
    completions.push_back({{completions[6].claim.id, "w:not-the-token"}, 2ms});
    auto applied = f.driver->complete_batch(completions);
    REQUIRE(applied.size() == 1102);
    for (std::size_t i = 0; i < 1100; ++i) CHECK(applied[i]);
    CHECK_FALSE(applied[1100]);
    CHECK_FALSE(applied[1101]);

    auto stats = f.driver->stats();
    REQUIRE(stats.queues.size() == 2);
    std::uint64_t completed = 0, processing_ms = 0;
    for (const auto& q : stats.queues) {
        CHECK(q.counts.processing == 0);
        CHECK(q.counts.completed == q.totals.completed);
        completed += q.totals.completed;
        processing_ms += q.totals.processing_ms;
    }
    CHECK(completed == 1100);
    CHECK(processing_ms == 2200);
    CHECK(stats.queues[0].totals_by_name["task"].completed == stats.queues[0].totals.completed);
    // The unique key was let go with its job.
    NewJob again = job();
    again.queue = "b";
    again.unique_key = "once";
    CHECK(f.driver->push(again).created);
}

TEST_CASE("complete_batch with keep_completed false leaves no trace but the totals") {
    Fixture f;
    f.config.keep_completed = false;
    f.driver = create_driver(f.config);
    f.driver->push_batch(std::vector<NewJob>(20, job()));
    std::vector<Completion> completions;
    for (const auto& j : f.driver->claim({{"default"}, "w", 20})) {
        completions.push_back({claim_of(j), 1ms});
    }
    CHECK(f.driver->complete_batch(completions) == std::vector<bool>(20, true));
    for (const auto& key : f.keys()) {
        INFO(key);
        bool job_hash = key.find(":job:") != std::string::npos;
        CHECK_FALSE(job_hash);
    }
    CHECK(redis::integer(*f.admin.command({"HLEN", f.prefix + ":index"})) == 0);
    CHECK(redis::integer(*f.admin.command({"ZCARD", f.prefix + ":{default}:ids"})) == 0);
    CHECK(redis::integer(*f.admin.command({"ZCARD", f.prefix + ":{default}:reserved"})) == 0);
    auto stats = f.driver->stats();
    REQUIRE(stats.queues.size() == 1);
    CHECK(stats.queues[0].totals.completed == 20);
    CHECK(stats.queues[0].totals.processing_ms == 20);
}

TEST_CASE("complete_batch reloads its script, survives killed connections, and a resend counts") {
    Fixture f;
    f.driver->push_batch(std::vector<NewJob>(6, job()));
    auto claimed = f.driver->claim({{"default"}, "w", 6});
    REQUIRE(claimed.size() == 6);
    CHECK(f.driver->complete_batch({}).empty());

    REQUIRE_FALSE(redis::is_error(*f.admin.command({"SCRIPT", "FLUSH"})));
    CHECK(f.driver->complete_batch({{claim_of(claimed[0]), 1ms}, {claim_of(claimed[1]), 1ms}}) ==
          std::vector<bool>{true, true});
    f.kill_driver_connections();
    CHECK(f.driver->complete_batch({{claim_of(claimed[2]), 1ms}}) == std::vector<bool>{true});

    // As the driver resends a batch whose reply was lost: with the retry flag, what ran counts.
    redis::Scripts scripts;
    scripts.load_all(f.admin);
    const auto& a = claimed[3];
    const auto& b = claimed[4];
    REQUIRE(f.driver->complete(claim_of(a), 1ms));
    auto resend = [&](const char* retry) {
        auto reply = scripts.run(f.admin, redis::ScriptId::complete_batch,
                                 {f.prefix, retry, "1", "2", a.id, *a.reserved_by, "1", b.id,
                                  *b.reserved_by, "1", "1", "", "1", ""});
        return std::vector<std::int64_t>{redis::integer(redis::element(*reply, 0)),
                                         redis::integer(redis::element(*reply, 1))};
    };
    CHECK(resend("1") == std::vector<std::int64_t>{1, 1});  // a: done before; b: done now
    CHECK(resend("0") == std::vector<std::int64_t>{0, 0});
    auto stats = f.driver->stats();
    REQUIRE(stats.queues.size() == 1);
    CHECK(stats.queues[0].totals.completed == 5);
    CHECK(stats.queues[0].counts.processing == 1);
}

TEST_CASE("unreachable server: UnavailableError quickly, without the password") {
    Config config;
    config.driver = "redis";
    // Port 1 on loopback: nothing listens there.
    config.driver_sections["redis"] = {{"url", "redis://:topsecret@127.0.0.1:1/0"}};
    auto start = Clock::now();
    try {
        create_driver(config);
        FAIL("connected to port 1");
    } catch (const UnavailableError& error) {
        std::string message = error.what();
        CHECK(message.find("topsecret") == std::string::npos);
        CHECK(message.find("127.0.0.1:1") != std::string::npos);
    }
    CHECK(Clock::now() - start < 5s);
}

TEST_CASE("a refused password is a config error without the password") {
    Config config;
    config.driver = "redis";
    auto url = redis::parse_redis_url(server_url());
    config.driver_sections["redis"] = {
        {"url", "redis://:wrongsecret@" + url.host + ":" + std::to_string(url.port) + "/0"}};
    try {
        create_driver(config);
        FAIL("a password the server does not have was accepted");
    } catch (const ConfigError& error) {
        CHECK(std::string(error.what()).find("wrongsecret") == std::string::npos);
    }
}

TEST_CASE("the password can come from Q_REDIS_PASSWORD") {
    // The test server has no password, so a password from the environment must be refused:
    // proof that it was read and sent.
    setenv("Q_REDIS_PASSWORD", "envsecret", 1);
    Config config;
    config.driver = "redis";
    config.driver_sections["redis"] = {{"url", server_url()}};
    CHECK_THROWS_AS(create_driver(config), ConfigError);
    unsetenv("Q_REDIS_PASSWORD");
    CHECK_NOTHROW(create_driver(config));
}

TEST_CASE("stats warn when the server keeps nothing on disk") {
    Fixture f;
    auto get = [&](const char* key) {
        auto reply = f.admin.command({"CONFIG", "GET", key});
        return std::string(redis::text(redis::element(*reply, 1)));
    };
    auto aof = get("appendonly");
    auto save = get("save");
    CHECK(f.driver->warnings().empty() == (aof == "yes" || !save.empty()));

    f.admin.command({"CONFIG", "SET", "appendonly", "no"});
    f.admin.command({"CONFIG", "SET", "save", ""});
    auto warnings = f.driver->warnings();
    f.admin.command({"CONFIG", "SET", "appendonly", aof});
    f.admin.command({"CONFIG", "SET", "save", save});
    REQUIRE(warnings.size() == 1);
    CHECK_THAT(warnings[0], Catch::Contains("appendonly"));
    CHECK(f.driver->warnings().empty() == (aof == "yes" || !save.empty()));
}

int main(int argc, char* argv[]) {
    const char* url = std::getenv("Q_TEST_REDIS_URL");
    if (url == nullptr || *url == '\0') {
        std::cerr << "redis-driver: skipped: Q_TEST_REDIS_URL is not set (eval "
                     "\"$(scripts/redis-start)\")\n";
        return 77;
    }
    return Catch::Session().run(argc, argv);
}
