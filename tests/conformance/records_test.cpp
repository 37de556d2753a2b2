// Records: the small keyed values q keeps beside the jobs (the live workers), put, replaced,
// listed by kind, removed, and seen by every process that shares the store.
#include <algorithm>
#include <map>
#include <thread>

#include "fixture.hpp"

using namespace conformance;

namespace {

std::map<std::string, std::string> values_of(const std::vector<libqueue::Record>& records) {
    std::map<std::string, std::string> out;
    for (const auto& r : records) out[r.key] = r.value;
    return out;
}

const libqueue::Record* find_record(const std::vector<libqueue::Record>& records,
                                    const std::string& key) {
    const auto found = std::find_if(records.begin(), records.end(),
                                    [&](const libqueue::Record& r) { return r.key == key; });
    return found == records.end() ? nullptr : &*found;
}

}  // namespace

TEST_CASE("records are put, replaced and listed by kind", "[records]") {
    DriverFixture f;
    auto& d = f.driver();
    CHECK(d.records("worker").empty());

    const auto before = d.now();
    d.put_record("worker", "w1", R"({"pid": 1})");
    d.put_record("worker", "w2", R"({"pid": 2})");
    d.put_record("pause", "w1", "other kind, same key");
    CHECK(values_of(d.records("worker")) ==
          std::map<std::string, std::string>{{"w1", R"({"pid": 1})"}, {"w2", R"({"pid": 2})"}});
    CHECK(values_of(d.records("pause")) ==
          std::map<std::string, std::string>{{"w1", "other kind, same key"}});

    const auto first = d.records("worker");
    const auto* w1 = find_record(first, "w1");
    REQUIRE(w1 != nullptr);
    // updated_at is the driver's clock at the put (to the millisecond; a server's clock may
    // round a little differently than the one read before).
    CHECK(w1->updated_at >= before - 1s);
    CHECK(w1->updated_at <= d.now() + 1s);

    std::this_thread::sleep_for(20ms);
    d.put_record("worker", "w1", R"({"pid": 1, "seen": 2})");
    const auto second = d.records("worker");
    CHECK(second.size() == 2);
    const auto* w1_again = find_record(second, "w1");
    REQUIRE(w1_again != nullptr);
    CHECK(w1_again->value == R"({"pid": 1, "seen": 2})");
    CHECK(w1_again->updated_at > w1->updated_at);
}

TEST_CASE("removing records counts those that were there", "[records]") {
    DriverFixture f;
    auto& d = f.driver();
    d.put_record("worker", "a", "1");
    d.put_record("worker", "b", "2");
    d.put_record("pause", "a", "3");
    CHECK(d.remove_records("worker", {"a", "missing"}) == 1);
    CHECK(d.remove_records("worker", {}) == 0);
    CHECK(values_of(d.records("worker")) == std::map<std::string, std::string>{{"b", "2"}});
    CHECK(values_of(d.records("pause")) == std::map<std::string, std::string>{{"a", "3"}});
}

TEST_CASE("records keep any text and are not jobs", "[records]") {
    DriverFixture f;
    auto& d = f.driver();
    const std::string odd = "line\nbreak \"quoted\" \\ 100% ünïcode {} 12 34";
    d.put_record("worker", "host:4242 with spaces", odd);
    const auto records = d.records("worker");
    REQUIRE(records.size() == 1);
    CHECK(records[0].key == "host:4242 with spaces");
    CHECK(records[0].value == odd);
    CHECK(d.size("default") == 0);
    CHECK(d.list({}).empty());
}

TEST_CASE("another process sees the records", "[records]") {
    DriverFixture f;
    REQUIRE_CAPABILITY(f, shared_between_processes);
    f.driver().put_record("worker", "w1", "v1");
    auto other = f.open_another();
    CHECK(values_of(other->records("worker")) == std::map<std::string, std::string>{{"w1", "v1"}});
    other->put_record("worker", "w2", "v2");
    CHECK(other->remove_records("worker", {"w1"}) == 1);
    CHECK(values_of(f.driver().records("worker")) ==
          std::map<std::string, std::string>{{"w2", "v2"}});
}
