#include "libqueue/metrics_text.hpp"

#include <fmt/format.h>

#include <functional>
#include <map>
#include <sstream>

#include "libqueue/text.hpp"

namespace libqueue {

namespace {

// A label value as both formats want it: backslash, double quote and newline escaped.
std::string label_value(const std::string& raw) {
    std::string out;
    for (char c : valid_utf8(raw)) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string labels(const std::string& queue, const std::string* name = nullptr,
                   const char* state = nullptr) {
    std::string out = "{queue=\"" + label_value(queue) + "\"";
    if (name != nullptr)
        out += ",name=\"" + label_value(*name) + "\"";
    if (state != nullptr)
        out += ",state=\"" + std::string(state) + "\"";
    return out + "}";
}

// A bucket bound as OpenMetrics spells it: a float, so "1.0" rather than "1".
std::string bound_text(double bound) {
    std::string text = fmt::format("{}", bound);
    if (text.find_first_of(".e") == std::string::npos)
        text += ".0";
    return text;
}

class Writer {
  public:
    explicit Writer(MetricsFormat format) : format_(format) {}

    // A family's HELP and TYPE lines. `name` is the family as OpenMetrics names it (a counter
    // without _total); Prometheus' text format names a counter family by its samples' name.
    void family(const std::string& name, const char* type, const char* help) {
        const bool counter = std::string_view(type) == "counter";
        const std::string shown =
            counter && format_ == MetricsFormat::prometheus ? name + "_total" : name;
        out_ << "# HELP " << shown << ' ' << help << '\n';
        out_ << "# TYPE " << shown << ' ' << type << '\n';
    }
    void sample(const std::string& name, const std::string& labels, double value) {
        out_ << name << labels << ' ' << fmt::format("{}", value) << '\n';
    }
    void sample(const std::string& name, const std::string& labels, std::uint64_t value) {
        out_ << name << labels << ' ' << value << '\n';
    }
    // A histogram's cumulative _bucket samples (le="+Inf" last), then _sum and _count.
    void histogram(const std::string& name, const DurationHistogram& h) {
        std::uint64_t below = 0;
        for (std::size_t i = 0; i < h.bounds.size(); ++i) {
            below += h.in_bucket[i];
            sample(name + "_bucket", "{le=\"" + bound_text(h.bounds[i]) + "\"}", below);
        }
        sample(name + "_bucket", "{le=\"+Inf\"}", h.count);
        sample(name + "_sum", "", h.sum_seconds);
        sample(name + "_count", "", h.count);
    }
    std::string finish() {
        if (format_ == MetricsFormat::openmetrics)
            out_ << "# EOF\n";
        return out_.str();
    }

  private:
    MetricsFormat format_;
    std::ostringstream out_;
};

}  // namespace

std::string stats_to_metrics_text(const Stats& stats, MetricsFormat format,
                                  const std::vector<WorkerRecord>& workers) {
    Writer w(format);
    // Each family lists every queue and job name the stats hold, so a family's samples stay
    // together (both formats require it).
    const auto for_each_name =
        [&](const std::function<void(const QueueStats&, const std::string&, const StateCounts*,
                                     const Totals*)>& emit) {
            for (const auto& queue : stats.queues) {
                std::map<std::string, std::pair<const StateCounts*, const Totals*>> names;
                for (const auto& [name, counts] : queue.by_name) names[name].first = &counts;
                for (const auto& [name, totals] : queue.totals_by_name)
                    names[name].second = &totals;
                for (const auto& [name, both] : names) emit(queue, name, both.first, both.second);
            }
        };

    w.family("q_jobs", "gauge", "Jobs stored now, by queue, job name and state.");
    for_each_name([&](const QueueStats& q, const std::string& name, const StateCounts* counts,
                      const Totals*) {
        const StateCounts none;
        const StateCounts& c = counts != nullptr ? *counts : none;
        for (const auto& [state, n] : {std::pair{"due", c.due},
                                       {"delayed", c.delayed},
                                       {"processing", c.processing},
                                       {"completed", c.completed},
                                       {"dead", c.failed}}) {
            w.sample("q_jobs", labels(q.queue, &name, state), n);
        }
    });

    w.family("q_oldest_due_age_seconds", "gauge",
             "How long the oldest due job of the queue has waited; 0 when none is due.");
    for (const auto& queue : stats.queues) {
        const double age = queue.oldest_due_age ? double(queue.oldest_due_age->count()) / 1000 : 0;
        w.sample("q_oldest_due_age_seconds", labels(queue.queue), age);
    }

    const std::pair<const char*, std::uint64_t Totals::*> counters[] = {
        {"q_jobs_pushed", &Totals::pushed},
        {"q_jobs_completed", &Totals::completed},
        {"q_jobs_dead", &Totals::dead},
        {"q_job_retries", &Totals::retries},
    };
    const char* helps[] = {
        "Jobs pushed since the queue was created.",
        "Jobs completed since the queue was created.",
        "Jobs that went to the dead letters since the queue was created.",
        "Failed attempts that were retried.",
    };
    for (std::size_t i = 0; i < std::size(counters); ++i) {
        // Plain copies, not a structured binding: clang 14 cannot capture those in a lambda.
        const std::string family = counters[i].first;
        const auto member = counters[i].second;
        w.family(family, "counter", helps[i]);
        for_each_name([&](const QueueStats& q, const std::string& name, const StateCounts*,
                          const Totals* totals) {
            w.sample(family + "_total", labels(q.queue, &name),
                     totals != nullptr ? totals->*member : std::uint64_t{0});
        });
    }

    w.family("q_job_run_seconds", "summary", "Run time of the completions q timed.");
    for_each_name([&](const QueueStats& q, const std::string& name, const StateCounts*,
                      const Totals* totals) {
        const Totals none;
        const Totals& t = totals != nullptr ? *totals : none;
        w.sample("q_job_run_seconds_sum", labels(q.queue, &name), double(t.processing_ms) / 1000);
        w.sample("q_job_run_seconds_count", labels(q.queue, &name), t.timed);
    });

    w.family(
        "q_workers", "gauge",
        "Workers serving the queue now, by state (a worker of several queues counts in each).");
    std::map<std::string, std::map<std::string, std::uint64_t>> by_queue;
    for (const auto& queue : stats.queues) by_queue[queue.queue];
    for (const auto& worker : workers) {
        for (const auto& queue : worker.queues) ++by_queue[queue][worker.state()];
    }
    for (const auto& [queue, states] : by_queue) {
        for (const char* state : {"working", "idle", "stopping", "lost"}) {
            const auto found = states.find(state);
            w.sample("q_workers", "{queue=\"" + label_value(queue) + "\",state=\"" + state + "\"}",
                     found == states.end() ? std::uint64_t{0} : found->second);
        }
    }
    return w.finish();
}

std::string process_metrics_text(const MetricsSnapshot& metrics, MetricsFormat format) {
    Writer w(format);
    const auto by_name = [](const std::string& name) {
        return "{name=\"" + label_value(name) + "\"}";
    };
    w.family("q_process_jobs_completed", "counter", "Jobs this process completed.");
    for (const auto& [name, n] : metrics.completed_by_name)
        w.sample("q_process_jobs_completed_total", by_name(name), n);
    w.family("q_process_jobs_dead", "counter", "Jobs this process sent to the dead letters.");
    for (const auto& [name, n] : metrics.failed_by_name)
        w.sample("q_process_jobs_dead_total", by_name(name), n);
    w.family("q_process_job_retries", "counter",
             "Failed attempts this process released for a retry.");
    w.sample("q_process_job_retries_total", "", metrics.total_retried);
    w.family("q_process_jobs_running", "gauge", "Jobs this process runs now.");
    w.sample("q_process_jobs_running", "", metrics.currently_processing);
    w.family("q_process_jobs_claimed", "counter", "Jobs this process claimed.");
    w.sample("q_process_jobs_claimed_total", "", metrics.total_claimed);
    w.family("q_process_claim_seconds", "histogram",
             "How long each claim took at the backend, however many jobs it returned.");
    w.histogram("q_process_claim_seconds", metrics.claim_time);
    w.family("q_process_job_run_seconds", "histogram",
             "How long each handler this process ran took, whatever its outcome.");
    w.histogram("q_process_job_run_seconds", metrics.run_time);
    return w.finish();
}

}  // namespace libqueue
