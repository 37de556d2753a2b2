// How fast the file driver is with N jobs in the file: single pushes and claim+complete cycles
// per second. Every operation rewrites the whole file, so rates fall with N; the README quotes
// these figures. Usage: file_bench [DIR] (default: a folder under $TMPDIR).
#include <chrono>
#include <filesystem>
#include <iostream>
#include <random>

#include "libqueue/config.hpp"
#include "libqueue/driver.hpp"
#include "libqueue/registry.hpp"

namespace fs = std::filesystem;
using namespace libqueue;
using Clock = std::chrono::steady_clock;

namespace {

double per_second(int operations, Clock::duration took) {
    return operations / std::chrono::duration<double>(took).count();
}

NewJob sample_job(int n) {
    NewJob job;
    job.name = "send_email";
    job.payload =
        R"({"to": "user)" + std::to_string(n) + R"(@example.com", "template": "welcome"})";
    return job;
}

}  // namespace

int main(int argc, char** argv) {
    fs::path dir = argc > 1 ? fs::path(argv[1])
                            : fs::temp_directory_path() /
                                  ("q-file-bench-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir);
    std::cout << "jobs_in_file  file_bytes  push/s  claim+complete/s\n";
    for (int size : {100, 1000, 10000}) {
        Config config;
        config.driver = "file";
        auto path = dir / ("bench-" + std::to_string(size) + ".json");
        config.driver_sections["file"] = {{"path", path.string()}, {"max_file_size", 64 << 20}};
        auto driver = create_driver(config);
        std::vector<NewJob> preload;
        for (int i = 0; i < size; ++i) preload.push_back(sample_job(i));
        driver->push_batch(preload);

        const int rounds = size >= 10000 ? 30 : 100;
        auto start = Clock::now();
        for (int i = 0; i < rounds; ++i) driver->push(sample_job(i));
        auto push_took = Clock::now() - start;

        ClaimRequest request;
        request.worker_id = "bench";
        start = Clock::now();
        for (int i = 0; i < rounds; ++i) {
            auto jobs = driver->claim(request);
            driver->complete({jobs.at(0).id, *jobs.at(0).reserved_by}, Milliseconds(1));
        }
        auto work_took = Clock::now() - start;
        std::cout << size << "  " << fs::file_size(path) << "  "
                  << int(per_second(rounds, push_took)) << "  "
                  << int(per_second(rounds, work_took)) << "\n";
    }
    fs::remove_all(dir);
    return 0;
}
