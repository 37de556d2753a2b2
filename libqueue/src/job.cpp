#include "libqueue/job.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <nlohmann/json.hpp>
#include <random>

#include "libqueue/errors.hpp"

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

Status status_from_string(std::string_view s) {
    if (s == "pending")
        return Status::pending;
    if (s == "processing")
        return Status::processing;
    if (s == "completed")
        return Status::completed;
    if (s == "failed")
        return Status::failed;
    throw DataError("unknown job status '" + std::string(s) +
                    "' (expected pending, processing, completed or failed)");
}

void validate_new_job(const NewJob& job) {
    if (job.name.empty())
        throw DataError("job name is empty");
    if (job.queue.empty())
        throw DataError("queue name is empty");
    if (job.max_retries < 0)
        throw DataError("max_retries is negative");
    if (!nlohmann::json::accept(job.payload)) {
        throw DataError("payload is not valid JSON: " + (job.payload.size() > 60
                                                             ? job.payload.substr(0, 60) + "..."
                                                             : job.payload));
    }
}

namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// One generator per thread, seeded from the OS: ids must not collide across processes.
std::mt19937_64& thread_rng() {
    thread_local std::mt19937_64 rng{[] {
        std::random_device device;
        std::seed_seq seed{device(), device(), device(), device(), unsigned(getpid())};
        return std::mt19937_64(seed);
    }()};
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

}  // namespace

std::string new_job_id() {
    // 10 chars of millisecond time (sorts by creation) + 16 random chars (80 bits).
    auto ms = static_cast<std::uint64_t>(system_now().time_since_epoch().count());
    std::string out(10, '0');
    for (int i = 9; i >= 0; --i) {
        out[std::size_t(i)] = kCrockford[ms & 31];
        ms >>= 5;
    }
    return out + random_base32(16);
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
