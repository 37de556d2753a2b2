#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <stdexcept>

#include "libqueue/errors.hpp"
#include "libqueue/handler.hpp"

using namespace libqueue;
using namespace std::chrono_literals;

namespace {

Job job_named(std::string name, std::string payload = "{}") {
    Job job;
    job.id = "01HANDLERTEST";
    job.name = std::move(name);
    job.payload = std::move(payload);
    job.attempts = 1;
    return job;
}

struct ResizeJob {
    int width;
    static inline int handled_width = 0;
    static std::unique_ptr<ResizeJob> from_json(const nlohmann::json& json) {
        if (!json.contains("width"))
            throw DataError("resize: width missing");
        return std::make_unique<ResizeJob>(ResizeJob{json.at("width").get<int>()});
    }
    void handle() { handled_width = width; }
};

CommandOptions quiet() {
    CommandOptions options;
    options.forward_output = false;
    return options;
}

}  // namespace

TEST_CASE("a callable handler: normal return, exceptions, DataError", "[handlers]") {
    Handlers handlers;
    int calls = 0;
    handlers.on("ok", [&](const Job&) { ++calls; })
        .on("throws", [](const Job&) { throw std::runtime_error("smtp timeout"); })
        .on("bad", [](const Job&) { throw DataError("no recipient"); })
        .on("weird", [](const Job&) { throw 42; });

    CHECK(handlers.execute(job_named("ok"), {}).kind == Outcome::Kind::success);
    CHECK(calls == 1);

    const Outcome failed = handlers.execute(job_named("throws"), {});
    CHECK(failed.kind == Outcome::Kind::failure);
    CHECK(failed.error == "smtp timeout");

    const Outcome bad = handlers.execute(job_named("bad"), {});
    CHECK(bad.kind == Outcome::Kind::bad_data);
    CHECK(bad.error == "no recipient");

    CHECK(handlers.execute(job_named("weird"), {}).kind == Outcome::Kind::failure);
}

TEST_CASE("a job whose name has no handler is bad data, never dropped", "[handlers]") {
    Handlers handlers;
    handlers.on("known", [](const Job&) {});
    CHECK(handlers.has("known"));
    CHECK_FALSE(handlers.has("unknown"));

    const Outcome outcome = handlers.execute(job_named("unknown"), {});
    CHECK(outcome.kind == Outcome::Kind::bad_data);
    CHECK(outcome.error == "no handler for job name 'unknown'");
}

TEST_CASE("on_outcome gives full control and sees the stop token", "[handlers]") {
    Handlers handlers;
    handlers.on_outcome("stoppable", [](const Job&, std::stop_token stop) {
        return stop.stop_requested() ? Outcome::interrupted() : Outcome::failure("busy", 9);
    });
    const Outcome running = handlers.execute(job_named("stoppable"), {});
    CHECK(running.kind == Outcome::Kind::failure);
    CHECK(running.exit_status == 9);

    std::stop_source stop;
    stop.request_stop();
    CHECK(handlers.execute(job_named("stoppable"), stop.get_token()).kind ==
          Outcome::Kind::interrupted);

    SECTION("registering a name again replaces the handler") {
        handlers.on("stoppable", [](const Job&) {});
        CHECK(handlers.execute(job_named("stoppable"), {}).kind == Outcome::Kind::success);
    }
}

TEST_CASE("a job class is built from its payload", "[handlers]") {
    Handlers handlers;
    handlers.on_class<ResizeJob>("resize");

    CHECK(handlers.execute(job_named("resize", R"({"width": 640})"), {}).kind ==
          Outcome::Kind::success);
    CHECK(ResizeJob::handled_width == 640);

    const Outcome missing = handlers.execute(job_named("resize", "{}"), {});
    CHECK(missing.kind == Outcome::Kind::bad_data);
    CHECK(missing.error == "resize: width missing");

    const Outcome not_json = handlers.execute(job_named("resize", "{oops"), {});
    CHECK(not_json.kind == Outcome::Kind::bad_data);
    CHECK(not_json.error.rfind("job 01HANDLERTEST: payload is not JSON", 0) == 0);
}

TEST_CASE("parse_payload", "[handlers]") {
    CHECK(Handlers::parse_payload(job_named("x", R"({"a": [1, 2]})"))["a"][1] == 2);
    CHECK_THROWS_AS(Handlers::parse_payload(job_named("x", "not json")), DataError);
}

TEST_CASE("a command handler follows the exit code contract", "[handlers]") {
    Handlers handlers;
    handlers.on_command("ok", CommandSpec{{"true"}, {}, {}, {}, {}}, quiet())
        .on_command("fails", CommandSpec{{"sh", "-c", "echo boom >&2; exit 4"}, {}, {}, {}, {}},
                    quiet())
        .on_command("bad", CommandSpec{{"sh", "-c", "exit 65"}, {}, {}, {}, {}}, quiet());

    CHECK(handlers.has("ok"));
    CHECK(handlers.execute(job_named("ok"), {}).kind == Outcome::Kind::success);
    const Outcome failed = handlers.execute(job_named("fails"), {});
    CHECK(failed.kind == Outcome::Kind::failure);
    CHECK(failed.exit_status == 4);
    CHECK(failed.error == "boom");
    CHECK(handlers.execute(job_named("bad"), {}).kind == Outcome::Kind::bad_data);
}

TEST_CASE("handlers_from_config registers every handlers.NAME with its settings", "[handlers]") {
    const auto config = parse_config(
        {{"handlers",
          {{"greet",
            {{"command", {"sh", "-c", "test \"$GREETING\" = hello && test \"$PWD\" = /"}},
             {"env", {{"GREETING", "hello"}}},
             {"cwd", "/"}}},
           {"slow", {{"command", {"sleep", "30"}}, {"timeout", "200ms"}}}}}},
        "/tmp");
    Handlers handlers = handlers_from_config(config, quiet());

    CHECK(handlers.has("greet"));
    CHECK(handlers.has("slow"));
    CHECK_FALSE(handlers.has("other"));
    CHECK(handlers.execute(job_named("greet"), {}).kind == Outcome::Kind::success);

    const auto start = std::chrono::steady_clock::now();
    const Outcome slow = handlers.execute(job_named("slow"), {});
    CHECK(std::chrono::steady_clock::now() - start < 3s);
    CHECK(slow.kind == Outcome::Kind::failure);
    CHECK(slow.error == "timed out after 200ms");
}
