// What only the file driver promises, beyond the conformance suite: its format on disk, refusal
// of a corrupt file without touching it, the size limit, spaced backups, remembered completions,
// the lock timeout, and the sync driver's push-runs-it outcome.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "libqueue/config.hpp"
#include "libqueue/driver.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/handler.hpp"
#include "libqueue/inspect.hpp"
#include "libqueue/registry.hpp"

namespace fs = std::filesystem;
using namespace libqueue;

namespace {

struct Scratch {
    fs::path dir;
    Scratch() {
        std::random_device rd;
        dir = fs::temp_directory_path() / ("q-file-test-" + std::to_string(rd()));
        fs::create_directories(dir);
    }
    ~Scratch() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

Config file_config(const fs::path& path, nlohmann::json extra = nlohmann::json::object()) {
    Config config;
    config.driver = "file";
    extra["path"] = path.string();
    config.driver_sections["file"] = extra;
    return config;
}

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void spit(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

NewJob job(const std::string& name, std::string payload = "{}") {
    NewJob j;
    j.name = name;
    j.payload = std::move(payload);
    return j;
}

template <class F>
ErrorKind kind_thrown(F f) {
    try {
        f();
    } catch (const Error& e) {
        return e.kind();
    }
    FAIL("nothing was thrown");
    return ErrorKind::internal;
}

}  // namespace

TEST_CASE("the file is q's versioned JSON, 0600, with payloads kept as pushed") {
    Scratch s;
    auto path = s.dir / "sub" / "jobs.json";
    auto driver = create_driver(file_config(path));
    auto id = driver->push(job("email", R"({"to": "a@b.c",  "n": 1})")).id;

    auto doc = nlohmann::json::parse(slurp(path));
    CHECK(doc["format"] == "q-queue-file");
    CHECK(doc["version"] == 1);
    REQUIRE(doc["jobs"].size() == 1);
    CHECK(doc["jobs"][0]["id"] == id);
    CHECK(doc["jobs"][0]["status"] == "pending");
    CHECK(driver->find(id)->payload == R"({"to": "a@b.c",  "n": 1})");

    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    // no temp files left behind
    for (const auto& entry : fs::directory_iterator(path.parent_path())) {
        CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
    }
}

TEST_CASE("a completed job leaves the file but find() still reports it completed") {
    Scratch s;
    auto path = s.dir / "jobs.json";
    auto driver = create_driver(file_config(path));
    auto id = driver->push(job("email")).id;
    ClaimRequest request;
    request.worker_id = "w1";
    auto claimed = driver->claim(request);
    REQUIRE(claimed.size() == 1);
    REQUIRE(driver->complete({id, *claimed[0].reserved_by}, Milliseconds(40)));

    auto doc = nlohmann::json::parse(slurp(path));
    CHECK(doc["jobs"].empty());
    auto found = driver->find(id);
    REQUIRE(found);
    CHECK(found->status == Status::completed);
    auto stats = driver->stats();
    REQUIRE(stats.queues.size() == 1);
    CHECK(stats.queues[0].totals.completed == 1);
    CHECK(stats.queues[0].totals.processing_ms == 40);

    // A second driver object (another process) reads the same.
    auto other = create_driver(file_config(path));
    CHECK(other->find(id)->status == Status::completed);
}

TEST_CASE("a corrupt file is refused by every operation and left byte for byte untouched") {
    Scratch s;
    auto path = s.dir / "jobs.json";
    auto driver = create_driver(file_config(path));
    auto id = driver->push(job("email")).id;
    // make a backup exist: the first change after a good version takes one
    driver->push(job("email"));
    REQUIRE(fs::exists(s.dir / "jobs.json.1"));

    std::string broken = slurp(path);
    broken.insert(broken.find("\"jobs\""), "oops ");
    spit(path, broken);

    auto fresh = create_driver(file_config(path));
    for (QueueDriver* d : {driver.get(), fresh.get()}) {
        CHECK(kind_thrown([&] { d->push(job("x")); }) == ErrorKind::data);
        CHECK(kind_thrown([&] { d->claim(ClaimRequest{}); }) == ErrorKind::data);
        CHECK(kind_thrown([&] { d->find(id); }) == ErrorKind::data);
        CHECK(kind_thrown([&] { d->stats(); }) == ErrorKind::data);
        CHECK(kind_thrown([&] { d->clear("default"); }) == ErrorKind::data);
        CHECK(kind_thrown([&] { d->prune(Milliseconds(0), 0, {}); }) == ErrorKind::data);
        CHECK(kind_thrown([&] { d->recover_stale(Milliseconds(0), false); }) == ErrorKind::data);
    }
    CHECK(slurp(path) == broken);

    try {
        fresh->size("default");
        FAIL("no error");
    } catch (const DataError& e) {
        std::string message = e.what();
        CHECK_THAT(message, Catch::Contains(path.string()));
        CHECK_THAT(message, Catch::Contains("line 5, column 3"));
        CHECK_THAT(message, Catch::Contains("jobs.json.1"));
    }
}

TEST_CASE("valid JSON in the wrong shape is refused too, naming the entry") {
    Scratch s;
    auto path = s.dir / "jobs.json";
    create_driver(file_config(path))->push(job("email"));
    auto doc = nlohmann::json::parse(slurp(path));
    doc["jobs"][0]["status"] = "sleeping";
    std::string text = doc.dump(2);
    spit(path, text);
    try {
        create_driver(file_config(path))->size("default");
        FAIL("no error");
    } catch (const DataError& e) {
        CHECK_THAT(std::string(e.what()), Catch::Contains("jobs[0].status"));
    }
    spit(path, R"([{"id": "1", "type": "Seed", "scheduledAt": "2024-01-15T10:30:00.000Z"}])");
    CHECK(kind_thrown([&] { create_driver(file_config(path))->push(job("x")); }) ==
          ErrorKind::data);
    CHECK(slurp(path).front() == '[');
}

TEST_CASE("a push that would grow the file past max_file_size is refused, nothing dropped") {
    Scratch s;
    auto path = s.dir / "jobs.json";
    auto driver = create_driver(file_config(path, {{"max_file_size", 2000}}));
    std::vector<std::string> ids;
    ErrorKind refused = ErrorKind::internal;
    for (int i = 0; i < 100; ++i) {
        try {
            ids.push_back(driver->push(job("email", R"({"n": )" + std::to_string(i) + "}")).id);
        } catch (const Error& e) {
            refused = e.kind();
            break;
        }
    }
    CHECK(refused == ErrorKind::temporary);
    REQUIRE(ids.size() >= 2);
    CHECK(fs::file_size(path) <= 2000);
    for (const auto& id : ids) CHECK(driver->find(id));
    CHECK(driver->size("default") == ids.size());
}

TEST_CASE("backups are spaced in time, not one per change") {
    Scratch s;
    auto path = s.dir / "jobs.json";
    auto driver = create_driver(file_config(path, {{"max_backups", 3}}));
    for (int i = 0; i < 20; ++i) driver->push(job("email"));
    CHECK(fs::exists(s.dir / "jobs.json.1"));
    CHECK_FALSE(fs::exists(s.dir / "jobs.json.2"));
    // the backup is a good older version
    auto backup = nlohmann::json::parse(slurp(s.dir / "jobs.json.1"));
    CHECK(backup["jobs"].size() == 1);
}

TEST_CASE("a held lock turns into a TemporaryError, not a hang") {
    Scratch s;
    auto path = s.dir / "jobs.json";
    auto driver = create_driver(file_config(path));
    driver->push(job("email"));
    int fd = ::open((path.string() + ".lock").c_str(), O_RDWR);
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_EX) == 0);
    // Reads under a shared lock wait for the writer too; a short timeout keeps the test quick.
    auto started = std::chrono::steady_clock::now();
    // The driver's timeout is 15s; hold long enough to see a wait, then let go and succeed.
    std::thread releaser([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        ::flock(fd, LOCK_UN);
    });
    CHECK(driver->size("default") == 1);
    releaser.join();
    CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(250));
    ::close(fd);
}

TEST_CASE(
    "inspect reads q's file and the Dart queue system's layouts, reporting corrupt entries by "
    "index") {
    Scratch s;
    auto path = s.dir / "jobs.json";
    auto driver = create_driver(file_config(path));
    NewJob later = job("report");
    later.delay = Milliseconds(3'600'000);
    driver->push(job("email"));
    driver->push(later);
    std::string before = slurp(path);
    auto inspection = inspect_queue_file(path);
    CHECK(inspection.layout == FileLayout::q_queue_file);
    REQUIRE(inspection.jobs.size() == 2);
    CHECK(inspection.jobs[0].due);
    CHECK_FALSE(inspection.jobs[1].due);
    CHECK(slurp(path) == before);

    auto seed = s.dir / "seed.json";
    spit(seed, R"([
      {"id": "123", "type": "ImportantJob", "payload": {"a": 1},
       "scheduledAt": "2024-01-15T10:30:00.000Z", "attempts": 0, "maxRetries": 3},
      {"id": "124", "type": "Later", "payload": {},
       "scheduledAt": "2999-01-15T10:30:00.000Z", "createdAt": "2024-01-15T10:00:00.000Z",
       "attempts": 1, "maxRetries": 5},
      {"id": "125", "type": "Broken", "scheduledAt": "not a time"},
      42
    ])");
    auto seeded = inspect_queue_file(seed);
    CHECK(seeded.layout == FileLayout::dart_array);
    REQUIRE(seeded.jobs.size() == 2);
    CHECK(seeded.jobs[0].job.name == "ImportantJob");
    CHECK(seeded.jobs[0].due);
    CHECK_FALSE(seeded.jobs[1].due);
    CHECK(seeded.jobs[1].job.max_retries == 5);
    REQUIRE(seeded.problems.size() == 2);
    CHECK(seeded.problems[0].entry == "[2]");
    CHECK(seeded.problems[1].entry == "[3]");

    spit(seed, R"({"jobs": [{"id": "1", "type": "A", "scheduledAt": "2024-01-15T10:30:00Z"}]})");
    CHECK(inspect_queue_file(seed).layout == FileLayout::dart_object);
    CHECK(kind_thrown([&] { inspect_queue_file(s.dir / "missing.json"); }) == ErrorKind::not_found);
    spit(seed, "{\n  \"jobs\": [\n  }");
    CHECK(kind_thrown([&] { inspect_queue_file(seed); }) == ErrorKind::data);
    CHECK_FALSE(fs::exists(s.dir / "seed.json.lock"));
}
