#include "libqueue/job.hpp"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <tuple>

#include "libqueue/errors.hpp"
#include "libqueue/json_limits.hpp"
#include "libqueue/text.hpp"

namespace libqueue {

std::string_view to_string(Status s) {
    switch (s) {
        case Status::pending:
            return "pending";
        case Status::processing:
            return "processing";
        case Status::completed:
            return "completed";
        case Status::failed:
            return "failed";
    }
    return "unknown";
}

void note_unreadable(Job& job, std::string_view column, std::string_view problem) {
    std::string note = "column " + std::string(column) + ": " + std::string(problem);
    job.unreadable = job.unreadable ? *job.unreadable + "; " + note : note;
}

Status status_from_string(std::string_view s) {
    if (s == "pending")
        return Status::pending;
    if (s == "processing")
        return Status::processing;
    if (s == "completed")
        return Status::completed;
    if (s == "failed")
        return Status::failed;
    throw DataError("unknown job status '" + valid_utf8(s.substr(0, 40)) +
                    "' (expected pending, processing, completed or failed)");
}

namespace {

std::string fmt_control(unsigned char c) {
    if (c == '\n')
        return "a newline";
    if (c == '\t')
        return "a tab";
    if (c == 0)
        return "NUL";
    static constexpr char hex[] = "0123456789abcdef";
    return std::string("byte 0x") + hex[c >> 4] + hex[c & 15];
}

}  // namespace

// Names, queues, unique keys and ids end up in index keys, file names of logs, terminal lines and
// environment variables: printable UTF-8 of bounded size, the same on every driver.
void validate_label(std::string_view what, std::string_view value) {
    if (value.empty())
        throw DataError(std::string(what) + " is empty");
    if (value.size() > max_label_bytes) {
        throw DataError(std::string(what) + " is " + std::to_string(value.size()) +
                        " bytes long; the limit is " + std::to_string(max_label_bytes));
    }
    if (!is_valid_utf8(value))
        throw DataError(std::string(what) + " is not valid UTF-8");
    for (unsigned char c : value) {
        if (c < 0x20 || c == 0x7f) {
            throw DataError(std::string(what) + " contains a control character (" + fmt_control(c) +
                            ")");
        }
    }
}

void validate_new_job(const NewJob& job) {
    validate_label("job name", job.name);
    validate_label("queue name", job.queue);
    if (job.unique_key)
        validate_label("unique key", *job.unique_key);
    if (!job.id.empty())
        validate_label("job id", job.id);
    if (job.max_retries < 0)
        throw DataError("max_retries is negative");
    if (job.attempts < 0)
        throw DataError("attempts is negative");
    if (job.priority < 0 || job.priority > max_priority) {
        throw DataError("priority " + std::to_string(job.priority) + " is not in 0.." +
                        std::to_string(max_priority));
    }
    check_json_depth(job.payload, "payload");
    if (!nlohmann::json::accept(job.payload)) {
        throw DataError("payload is not valid JSON: " + (job.payload.size() > 60
                                                             ? job.payload.substr(0, 60) + "..."
                                                             : job.payload));
    }
}

bool claim_order_before(const Job& a, const Job& b) {
    if (a.priority != b.priority)
        return a.priority > b.priority;
    // A missing available_at is due now: before any time.
    const auto due_a = a.available_at.value_or(TimePoint::min());
    const auto due_b = b.available_at.value_or(TimePoint::min());
    return std::tie(due_a, a.created_at, a.id) < std::tie(due_b, b.created_at, b.id);
}

void validate_new_jobs(const std::vector<NewJob>& jobs) {
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        try {
            validate_new_job(jobs[i]);
        } catch (const DataError& error) {
            throw DataError("batch job " + std::to_string(i + 1) + ": " + error.what());
        }
    }
}

namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// Bumped in a forked child: a child must not repeat its parent's random sequence (or, through the
// id generator's state, its next ids).
std::atomic<unsigned> fork_generation{0};

void watch_forks();

// One generator per thread, seeded from the OS (and again after a fork): ids and claim tokens
// must not collide across processes.
std::mt19937_64& thread_rng() {
    watch_forks();
    thread_local std::mt19937_64 rng;
    thread_local unsigned seeded_for = ~0u;
    const unsigned generation = fork_generation.load(std::memory_order_relaxed);
    if (seeded_for != generation) {
        std::random_device device;
        std::seed_seq seed{device(), device(), device(), device(), unsigned(getpid())};
        rng.seed(seed);
        seeded_for = generation;
    }
    return rng;
}

std::string random_base32(std::size_t length) {
    std::string out(length, '0');
    auto& rng = thread_rng();
    std::uint64_t bits = rng();
    int left = 64;
    for (auto& c : out) {
        if (left < 5) {
            bits = rng();
            left = 64;
        }
        c = kCrockford[bits & 31];
        bits >>= 5;
        left -= 5;
    }
    return out;
}

// The 80-bit part of an id as a number (high 16 bits, low 64), written most significant digit
// first so that text order is numeric order.
struct Random80 {
    std::uint64_t high = 0;
    std::uint64_t low = 0;
};

// The last id this process made. Within one millisecond (or while the clock stands still or goes
// back) the next id keeps that time and adds a random step to the 80-bit part, so ids of one
// process come out strictly increasing and still cannot be guessed from each other. Each new
// millisecond starts from a fresh random value below 2^79, which leaves room for far more steps
// than a process makes in a millisecond; other processes start elsewhere in the 2^79 range.
struct IdState {
    std::mutex mutex;
    std::uint64_t ms = 0;
    Random80 random;
    unsigned fork_generation = 0;
};

IdState& id_state() {
    static IdState state;
    return state;
}

// fork() while another thread makes an id would leave the child a locked mutex: hold it across
// the fork, release it on both sides.
void watch_forks() {
    static const int registered =
        pthread_atfork([] { id_state().mutex.lock(); }, [] { id_state().mutex.unlock(); },
                       [] {
                           fork_generation.fetch_add(1, std::memory_order_relaxed);
                           id_state().mutex.unlock();
                       });
    (void)registered;
}

Random80 fresh_random80(std::mt19937_64& rng) {
    return {rng() & 0x7fff, rng()};
}

void encode(std::uint64_t value, char* out, int digits) {
    for (int i = digits - 1; i >= 0; --i) {
        out[i] = kCrockford[value & 31];
        value >>= 5;
    }
}

}  // namespace

std::string new_job_id() {
    // 10 chars of millisecond time (sorts by creation) + 16 chars of the 80-bit part.
    const auto now = static_cast<std::uint64_t>(system_now().time_since_epoch().count());
    std::uint64_t ms;
    Random80 random;
    {
        IdState& state = id_state();
        std::lock_guard lock(state.mutex);
        auto& rng = thread_rng();
        const unsigned generation = fork_generation.load(std::memory_order_relaxed);
        if (now > state.ms || state.fork_generation != generation) {
            state.ms = std::max(now, state.ms);
            state.random = fresh_random80(rng);
            state.fork_generation = generation;
        } else {
            const std::uint64_t step = 1 + (rng() >> 32);  // 1 .. 2^32
            const std::uint64_t low = state.random.low + step;
            state.random.high += low < state.random.low ? 1 : 0;
            state.random.low = low;
            if (state.random.high > 0xffff) {  // out of room: borrow the next millisecond
                ++state.ms;
                state.random = fresh_random80(rng);
            }
        }
        ms = state.ms;
        random = state.random;
    }
    std::string out(26, '0');
    encode(ms, out.data(), 10);
    // 80 bits = 16 digits: the top 4 from high's 16 bits and low's top 4, then low's other 60.
    encode((random.high << 4) | (random.low >> 60), out.data() + 10, 4);
    encode(random.low & ((std::uint64_t(1) << 60) - 1), out.data() + 14, 12);
    return out;
}

std::string new_claim_token(std::string_view worker_id) {
    return std::string(worker_id) + ":" + random_base32(12);
}

std::string default_worker_id() {
    std::array<char, 256> host{};
    if (gethostname(host.data(), host.size() - 1) != 0)
        host = {'?'};
    return std::string(host.data()) + ":" + std::to_string(getpid()) + ":" + random_base32(4);
}

}  // namespace libqueue
