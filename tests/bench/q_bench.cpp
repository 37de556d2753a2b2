// q's library-level benchmark (not a test): one figure on one backend per run, printed as one
// JSON line on stdout with the process's peak RSS. scripts/bench runs it many times and writes
// tests/bench/results/.
//   q_bench enqueue  BACKEND [--one N] [--jobs N] [--batch N]
//   q_bench ceiling  sqlite-full|sqlite-normal [--one N] [--jobs N] [--batch N]
//   q_bench drain    BACKEND [--jobs N] [--concurrency N] [--logs 0|1] [--limit-concurrency N]
//   q_bench latency  BACKEND [--samples N] [--gap-ms N] [--background JOBS_PER_S]
//   q_bench floor    postgres [--samples N] [--gap-ms N]   (latency's path, PostgreSQL alone)
//   q_bench claim    BACKEND [--pending N] [--claims N] [--runs N]
//   q_bench complete BACKEND [--jobs N] [--limit N] [--runs N]
//   q_bench soak     BACKEND [--jobs N] [--segments N] [--concurrency N] [--ahead N]
//                    [--delayed-per-s N] [--prune-every-s N] [--keep-s N] [--sample-every-s N]
//                    [--table-options 'NAME=VALUE, ...'] (postgres: the jobs table's storage
//                    parameters, set once the driver has created it)
// Every figure also takes --keep-completed 0|1 (default 1, q's default): 0 deletes a job when it
// completes, as Graphile Worker does.
// BACKEND: sqlite-full, sqlite-normal, postgres, postgres-async (the worker's writes with
// synchronous_commit off), redis, file, memory. postgres and redis use
// $Q_TEST_PG_DSN / $Q_TEST_REDIS_URL (a table / key prefix of their own, dropped at the end);
// without them the run exits 77 (skipped).
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>

#include "harness/backends.hpp"
#include "harness/figures.hpp"
#include "harness/soak.hpp"

namespace {

int usage(const char* why) {
    std::cerr << "q_bench: " << why
              << "\nusage: q_bench enqueue|ceiling|drain|latency|floor|claim|complete|soak BACKEND "
                 "[--option N ...]\n";
    return 64;
}

long peak_rss_kb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;  // kilobytes on Linux
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3)
        return usage("a figure and a backend are required");
    std::string figure = argv[1];
    std::string backend_name = argv[2];
    std::map<std::string, std::string> options;
    for (int i = 3; i < argc; ++i) {
        std::string key = argv[i];
        if (key.rfind("--", 0) != 0 || i + 1 >= argc)
            return usage(("bad option " + key).c_str());
        options[key.substr(2)] = argv[++i];
    }
    // Every option is a count but --table-options; a value that is not one is found when read.
    struct NotANumber {
        std::string key;
    };
    auto get = [&](const std::string& key, std::size_t fallback) {
        auto it = options.find(key);
        if (it == options.end())
            return fallback;
        try {
            std::size_t used = 0;
            const auto value = std::stoul(it->second, &used);
            if (used == it->second.size())
                return std::size_t(value);
        } catch (const std::exception&) {
        }
        throw NotANumber{key};
    };

    if (!bench::Backend::available(backend_name)) {
        std::cerr << "q_bench: backend " << backend_name
                  << " is not available (unknown, or its server variable is not set)\n";
        return 77;
    }
    try {
        const bool keep_completed = get("keep-completed", 1) != 0;
        bench::Backend backend(backend_name, keep_completed);
        nlohmann::json result;
        if (figure == "enqueue") {
            result =
                bench::enqueue(backend, get("one", 2000), get("jobs", 20000), get("batch", 1000));
        } else if (figure == "ceiling") {
            if (!backend.is_sqlite())
                return usage("the ceiling figure is SQLite's: sqlite-full or sqlite-normal");
            result = bench::sqlite_ceiling(backend, get("one", 2000), get("jobs", 20000),
                                           get("batch", 1000));
        } else if (figure == "drain") {
            result = bench::drain(backend, get("jobs", 20000), unsigned(get("concurrency", 1)),
                                  get("logs", 1) != 0, unsigned(get("limit-concurrency", 0)));
        } else if (figure == "latency") {
            result = bench::latency(backend, get("samples", 200), unsigned(get("gap-ms", 20)),
                                    unsigned(get("background", 0)));
        } else if (figure == "floor") {
            if (!backend.is_postgres())
                return usage("the floor figure is PostgreSQL's: postgres");
            result = bench::postgres_latency_floor(backend, get("samples", 200),
                                                   unsigned(get("gap-ms", 20)));
        } else if (figure == "claim") {
            result = bench::claim(backend, get("pending", 1000), get("claims", 500),
                                  unsigned(get("runs", 3)));
        } else if (figure == "complete") {
            result = bench::complete(backend, get("jobs", 20000), get("limit", 100),
                                     unsigned(get("runs", 3)));
        } else if (figure == "soak") {
            bench::SoakOptions soak;
            soak.jobs = get("jobs", soak.jobs);
            soak.segments = std::max<std::size_t>(1, get("segments", soak.segments));
            soak.concurrency = unsigned(get("concurrency", soak.concurrency));
            soak.ahead = get("ahead", soak.ahead);
            soak.delayed_per_s = unsigned(get("delayed-per-s", soak.delayed_per_s));
            soak.prune_every_s = unsigned(get("prune-every-s", soak.prune_every_s));
            soak.keep_s = unsigned(get("keep-s", soak.keep_s));
            soak.sample_every_s =
                std::max(1u, unsigned(get("sample-every-s", soak.sample_every_s)));
            if (auto it = options.find("table-options"); it != options.end()) {
                if (!backend.is_postgres())
                    return usage("--table-options is PostgreSQL's: postgres");
                soak.table_options = it->second;
            }
            result = bench::soak(backend, soak);
        } else {
            return usage(("unknown figure " + figure).c_str());
        }
        result["figure"] = figure;
        result["backend"] = backend_name;
        result["keep_completed"] = keep_completed;
        result["peak_rss_kb"] = peak_rss_kb();
        std::cout << result.dump() << std::endl;
    } catch (const NotANumber& bad) {
        return usage(("not a number after --" + bad.key).c_str());
    } catch (const std::exception& e) {
        std::cerr << "q_bench " << figure << " " << backend_name << ": " << e.what() << "\n";
        return 1;
    }
    return 0;
}
