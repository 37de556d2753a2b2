// find, ids by prefix, list (filters and keyset paging), size, clear, cancel.
#include <algorithm>
#include <set>

#include "fixture.hpp"

using namespace conformance;

namespace {

libqueue::ListFilter filter_all() {
    libqueue::ListFilter filter;
    filter.limit = 0;
    return filter;
}

// Every page of `page` (its filter, order and size), each after the last job of the one before,
// until an empty one; more than `most` pages fails the test (paging that does not move on).
std::vector<std::vector<Job>> pages_of(QueueDriver& d, libqueue::ListFilter page,
                                       std::size_t most) {
    std::vector<std::vector<Job>> pages;
    for (auto chunk = d.list(page); !chunk.empty(); chunk = d.list(page)) {
        page.after = libqueue::list_position(chunk.back());
        pages.push_back(std::move(chunk));
        REQUIRE(pages.size() <= most);
    }
    return pages;
}

std::vector<std::size_t> sizes_of(const std::vector<std::vector<Job>>& pages) {
    std::vector<std::size_t> sizes;
    for (const auto& page : pages) sizes.push_back(page.size());
    return sizes;
}

std::vector<std::string> ids_of(const std::vector<std::vector<Job>>& pages) {
    std::vector<std::string> ids;
    for (const auto& page : pages)
        for (const auto& job : page) ids.push_back(job.id);
    return ids;
}

}  // namespace

TEST_CASE("find returns a job in any state, nothing for an unknown id", "[find]") {
    DriverFixture f;
    auto& d = f.driver();

    CHECK_FALSE(d.find(libqueue::new_job_id()).has_value());
    CHECK_FALSE(d.find("").has_value());
    const auto id = push(d, a_job("found").payload(R"({"a": 1})"));
    CHECK(stored(d, id).status == Status::pending);
    Job running = claim_one(d);
    CHECK(stored(d, id).status == Status::processing);
    REQUIRE(d.fail(claim_of(running), "no"));
    CHECK(stored(d, id).status == Status::failed);
}

TEST_CASE("ids_with_prefix finds jobs in any state and queue by the start of their id", "[find]") {
    DriverFixture f;
    auto& d = f.driver();

    const auto a = push(d, a_job("p").id("prefix-test-a1"));
    const auto b = push(d, a_job("p").id("prefix-test-a2").queue("other"));
    const auto c = push(d, a_job("p").id("prefix-test-b1"));
    push(d, a_job("p").id("prefix-tesx"));
    REQUIRE(d.fail(claim_of(claim_one(d)), "dead"));  // a, the oldest: any state counts

    CHECK(d.ids_with_prefix("prefix-test-a", 10) == std::vector<std::string>{a, b});
    CHECK(d.ids_with_prefix("prefix-test-", 10) == std::vector<std::string>{a, b, c});
    CHECK(d.ids_with_prefix("prefix-test-", 2) == std::vector<std::string>{a, b});
    CHECK(d.ids_with_prefix("prefix-test-b1", 10) == std::vector<std::string>{c});
    CHECK(d.ids_with_prefix("prefix-test-c", 10).empty());
    CHECK(d.ids_with_prefix("prefix-test-a\xff", 10).empty());
    CHECK(d.ids_with_prefix("prefix-test-a", 0).size() == 2);
}

TEST_CASE("list filters by status, queue, name and finish time, ordered by id", "[list]") {
    DriverFixture f;
    auto& d = f.driver();

    for (int i = 0; i < 12; ++i) push(d, a_job("x").queue("a"));
    for (int i = 0; i < 8; ++i) push(d, a_job("y").queue("b"));

    auto everything = d.list(filter_all());
    REQUIRE(everything.size() == 20);
    auto ids = ids_of(everything);
    CHECK(std::is_sorted(ids.begin(), ids.end()));
    CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 20);

    auto by_queue = filter_all();
    by_queue.queue = "a";
    auto in_a = d.list(by_queue);
    CHECK(in_a.size() == 12);
    for (const auto& job : in_a) CHECK(job.queue == "a");

    auto by_name = filter_all();
    by_name.name = "y";
    CHECK(d.list(by_name).size() == 8);
    // A moved std::string: gcc 12 warns, wrongly, on assigning a one-character literal
    // (-Wrestrict, GCC bug 105329).
    by_name.queue = std::string{"a"};
    CHECK(d.list(by_name).empty());

    // One of each state in queue b.
    Job done = claim_one(d, {"b"});
    REQUIRE(d.complete(claim_of(done), 1ms));
    let_time_pass(d, 30ms);
    const TimePoint between = d.now();
    let_time_pass(d, 30ms);
    Job dead = claim_one(d, {"b"});
    REQUIRE(d.fail(claim_of(dead), "bad"));
    Job running = claim_one(d, {"b"});

    auto with_status = [&](Status status) {
        auto filter = filter_all();
        filter.status = status;
        return d.list(filter);
    };
    CHECK(ids_of(with_status(Status::completed)) == std::vector<std::string>{done.id});
    CHECK(ids_of(with_status(Status::failed)) == std::vector<std::string>{dead.id});
    CHECK(ids_of(with_status(Status::processing)) == std::vector<std::string>{running.id});
    CHECK(with_status(Status::pending).size() == 17);

    auto finished = filter_all();
    finished.finished_before = between;
    CHECK(ids_of(d.list(finished)) == std::vector<std::string>{done.id});
    finished.finished_before = d.now() + 1s;
    CHECK(d.list(finished).size() == 2);

    auto limited = filter_all();
    limited.limit = 5;
    CHECK(ids_of(d.list(limited)) == std::vector<std::string>(ids.begin(), ids.begin() + 5));
    CHECK(d.list(libqueue::ListFilter{}).size() == 20);  // the default limit is 100
}

TEST_CASE("list pages in list order (created_at, id) with after", "[list]") {
    DriverFixture f;
    auto& d = f.driver();

    std::vector<NewJob> batch;
    for (int i = 0; i < 25; ++i) batch.push_back(a_job(i % 2 ? "odd" : "even"));
    d.push_batch(batch);
    const auto all = ids_of(d.list(filter_all()));
    REQUIRE(all.size() == 25);

    SECTION("every job once, in list order") {
        libqueue::ListFilter page;
        page.limit = 10;
        const auto pages = pages_of(d, page, 9);
        CHECK(sizes_of(pages) == std::vector<std::size_t>{10, 10, 5});
        CHECK(ids_of(pages) == all);
    }
    SECTION("paging combines with filters") {
        libqueue::ListFilter page;
        page.limit = 4;
        page.name = "odd";
        const auto pages = pages_of(d, page, 3);
        for (const auto& chunk : pages)
            for (const auto& job : chunk) CHECK(job.name == "odd");
        const auto paged = ids_of(pages);
        CHECK(paged.size() == 12);
        std::vector<std::string> odd;
        for (const auto& job : d.list(filter_all()))
            if (job.name == "odd")
                odd.push_back(job.id);
        CHECK(paged == odd);
    }
    SECTION("after the last job: nothing") {
        libqueue::ListFilter page;
        page.after = libqueue::list_position(d.list(filter_all()).back());
        CHECK(d.list(page).empty());
    }
    SECTION("after a job deleted meanwhile: from its position all the same") {
        auto jobs = d.list(filter_all());
        libqueue::ListFilter page = filter_all();
        page.after = libqueue::list_position(jobs[9]);
        page.after->id += "~";  // an id that is stored nowhere, sorting just after jobs[9]'s
        auto rest = ids_of(d.list(page));
        CHECK(rest == std::vector<std::string>(all.begin() + 10, all.end()));
    }
}

TEST_CASE("list in id order pages along the ids, whatever the creation order", "[list]") {
    DriverFixture f;
    auto& d = f.driver();

    // Ids of one shape (so that a collation orders them as bytes do), pushed in the reverse of
    // their order, over two queues and two names.
    std::vector<std::string> by_id;
    for (char letter = 'w'; letter >= 'a'; --letter) {
        const std::string id = std::string("ord-") + letter;
        const int i = 'w' - letter;
        push(d, a_job(i % 3 == 0 ? "three" : "other").id(id).queue(i % 2 ? "ord-a" : "ord-b"));
        by_id.insert(by_id.begin(), id);
    }
    libqueue::ListFilter page;
    page.order = libqueue::ListOrder::id;

    SECTION("every job once, in id order") {
        page.limit = 5;
        const auto pages = pages_of(d, page, 9);
        CHECK(sizes_of(pages) == std::vector<std::size_t>{5, 5, 5, 5, 3});
        CHECK(ids_of(pages) == by_id);
    }
    SECTION("paging combines with filters") {
        page.limit = 2;
        page.queue = "ord-a";
        page.name = "three";
        const auto pages = pages_of(d, page, 2);
        for (const auto& chunk : pages) {
            for (const auto& job : chunk) {
                CHECK(job.queue == "ord-a");
                CHECK(job.name == "three");
            }
        }
        // i = 3, 9, 15, 21: ord-t, ord-n, ord-h, ord-b.
        CHECK(ids_of(pages) == std::vector<std::string>{"ord-b", "ord-h", "ord-n", "ord-t"});
    }
    SECTION("a status filter pages its jobs in id order too") {
        std::vector<std::string> dead;
        for (int i = 0; i < 3; ++i) {
            const Job job = claim_one(d, {"ord-b"});
            REQUIRE(d.fail(claim_of(job), "dead"));
            dead.push_back(job.id);
        }
        std::sort(dead.begin(), dead.end());
        page.status = Status::failed;
        page.limit = 1;
        CHECK(ids_of(pages_of(d, page, 3)) == dead);
        page.status = Status::pending;
        page.limit = 0;
        page.after.reset();
        CHECK(d.list(page).size() == 20);
    }
    SECTION("after an id stored nowhere: from its place in the order") {
        page.limit = 0;
        page.after = libqueue::ListPosition{{}, "ord-jm"};
        CHECK(ids_of(d.list(page)) == std::vector<std::string>(by_id.begin() + 10, by_id.end()));
    }
}

TEST_CASE("size counts a queue's pending jobs, due and delayed", "[size]") {
    DriverFixture f;
    auto& d = f.driver();

    push(d, a_job().queue("s"));
    push(d, a_job().queue("s"));
    push(d, a_job().queue("s"));
    push(d, a_job().queue("elsewhere"));
    if (f.caps().delayed_jobs)
        push(d, a_job().queue("s").delay(1h));
    const std::uint64_t pending = f.caps().delayed_jobs ? 4 : 3;
    CHECK(d.size("s") == pending);

    Job running = claim_one(d, {"s"});
    CHECK(d.size("s") == pending - 1);
    Job dead = claim_one(d, {"s"});
    REQUIRE(d.fail(claim_of(dead), "x"));
    REQUIRE(d.complete(claim_of(running), 1ms));
    CHECK(d.size("s") == pending - 2);
    CHECK(d.size("elsewhere") == 1);
    CHECK(d.size("nothing-here") == 0);
}

TEST_CASE("clear deletes a queue's jobs except those processing", "[clear]") {
    DriverFixture f;
    auto& d = f.driver();

    const auto done = push(d, a_job().queue("c"));
    REQUIRE(d.complete(claim_of(claim_one(d, {"c"})), 1ms));
    const auto dead = push(d, a_job().queue("c"));
    REQUIRE(d.fail(claim_of(claim_one(d, {"c"})), "x"));
    const auto running_id = push(d, a_job().queue("c"));
    Job running = claim_one(d, {"c"});
    REQUIRE(running.id == running_id);
    const auto waiting = push(d, a_job().queue("c"));
    std::uint64_t expected = 3;
    if (f.caps().delayed_jobs) {
        push(d, a_job().queue("c").delay(1h));
        ++expected;
    }
    const auto other = push(d, a_job().queue("other"));

    CHECK(d.clear("c") == expected);
    CHECK_FALSE(d.find(done).has_value());
    CHECK_FALSE(d.find(dead).has_value());
    CHECK_FALSE(d.find(waiting).has_value());
    CHECK(stored(d, running_id).status == Status::processing);
    CHECK(stored(d, other).status == Status::pending);
    CHECK(d.size("c") == 0);
    CHECK(d.size("other") == 1);
    CHECK(d.complete(claim_of(running), 1ms));  // the running job is still its worker's
    CHECK(d.clear("c") == 1);
    CHECK(d.clear("c") == 0);
}

TEST_CASE("cancel turns a pending job into a dead letter", "[cancel]") {
    DriverFixture f;
    auto& d = f.driver();

    const auto id = push(d, a_job("unwanted"));
    const Job waiting = stored(d, id);
    const TimePoint before = d.now();
    CHECK(d.cancel(id));
    const TimePoint after = d.now();
    Job job = stored(d, id);
    CHECK(job.status == Status::failed);
    CHECK(job.available_at == waiting.available_at);  // unchanged by cancel
    CHECK(job.last_error == "cancelled");
    CHECK_TIME_WITHIN(job.finished_at, before, after);
    CHECK_FALSE(job.reserved_by.has_value());
    CHECK(job.attempts == 0);
    CHECK(d.size("default") == 0);
    CHECK(claim(d).empty());
    CHECK(queue_stats(d, "default").totals.dead == 1);

    CHECK_FALSE(d.cancel(id));  // already dead
    CHECK_FALSE(d.cancel(libqueue::new_job_id()));

    const auto busy = push(d, a_job("busy"));
    Job running = claim_one(d);
    REQUIRE(running.id == busy);
    CHECK_FALSE(d.cancel(busy));
    CHECK(stored(d, busy).status == Status::processing);
    CHECK(d.complete(claim_of(running), 1ms));
    CHECK_FALSE(d.cancel(busy));
    CHECK(stored(d, busy).status == Status::completed);

    // A cancelled job is retryable like any dead letter.
    CHECK(d.retry_dead(id));
    CHECK(claim_one(d).id == id);
}

TEST_CASE("cancel works on a delayed job", "[cancel][delayed]") {
    DriverFixture f;
    REQUIRE_CAPABILITY(f, delayed_jobs);
    auto& d = f.driver();
    const auto id = push(d, a_job().delay(1h));
    CHECK(d.cancel(id));
    CHECK(stored(d, id).status == Status::failed);
    CHECK(d.size("default") == 0);
}
