#include "libqueue/metrics.hpp"

#include <algorithm>
#include <limits>

namespace libqueue {

namespace {

// A job leaves "processing" however it ends; never below zero even when a caller reports an
// outcome for a job it did not mark started.
void leave_processing(MetricsSnapshot& data) {
    if (data.currently_processing > 0)
        --data.currently_processing;
}

}  // namespace

void DurationHistogram::observe(std::chrono::microseconds took) {
    const double seconds = double(std::max<std::int64_t>(took.count(), 0)) / 1e6;
    ++count;
    sum_seconds += seconds;
    const auto* bucket = std::lower_bound(bounds.begin(), bounds.end(), seconds);
    if (bucket != bounds.end())
        ++in_bucket[std::size_t(bucket - bounds.begin())];
}

void DurationHistogram::add(const DurationHistogram& other) {
    for (std::size_t i = 0; i < in_bucket.size(); ++i) in_bucket[i] += other.in_bucket[i];
    count += other.count;
    sum_seconds += other.sum_seconds;
}

std::optional<DurationHistogram> DurationHistogram::since(const DurationHistogram& earlier) const {
    DurationHistogram delta;
    for (std::size_t i = 0; i < in_bucket.size(); ++i) {
        if (in_bucket[i] < earlier.in_bucket[i])
            return std::nullopt;
        delta.in_bucket[i] = in_bucket[i] - earlier.in_bucket[i];
    }
    if (count < earlier.count)
        return std::nullopt;
    delta.count = count - earlier.count;
    delta.sum_seconds = std::max(0.0, sum_seconds - earlier.sum_seconds);
    return delta;
}

std::optional<double> DurationHistogram::quantile(double q) const {
    if (count == 0)
        return std::nullopt;
    const double rank = q * double(count);
    double below = 0;  // observations in the buckets before this one
    for (std::size_t i = 0; i < in_bucket.size(); ++i) {
        const auto here = double(in_bucket[i]);
        if (here > 0 && below + here >= rank) {
            const double lower = i == 0 ? 0.0 : bounds[i - 1];
            return lower + (bounds[i] - lower) * std::clamp((rank - below) / here, 0.0, 1.0);
        }
        below += here;
    }
    return std::numeric_limits<double>::infinity();
}

nlohmann::json DurationHistogram::to_json() const {
    return {{"buckets", in_bucket}, {"count", count}, {"sum", sum_seconds}};
}

std::optional<DurationHistogram> DurationHistogram::from_json(const nlohmann::json& json) {
    if (!json.is_object())
        return std::nullopt;
    const auto buckets = json.find("buckets");
    const auto count = json.find("count");
    const auto sum = json.find("sum");
    if (buckets == json.end() || !buckets->is_array() || buckets->size() != bounds.size() ||
        count == json.end() || !count->is_number_unsigned() || sum == json.end() ||
        !sum->is_number())
        return std::nullopt;
    DurationHistogram h;
    std::uint64_t in_buckets = 0;
    for (std::size_t i = 0; i < bounds.size(); ++i) {
        const auto& n = (*buckets)[i];
        if (!n.is_number_unsigned())
            return std::nullopt;
        h.in_bucket[i] = n.get<std::uint64_t>();
        in_buckets += h.in_bucket[i];
    }
    h.count = count->get<std::uint64_t>();
    h.sum_seconds = sum->get<double>();
    if (h.count < in_buckets || !(h.sum_seconds >= 0))
        return std::nullopt;
    return h;
}

nlohmann::json MetricsSnapshot::to_json() const {
    return {
        {"total_queued", total_queued},
        {"total_completed", total_completed},
        {"total_failed", total_failed},
        {"total_retried", total_retried},
        {"currently_processing", currently_processing},
        {"success_rate", success_rate},
        {"failure_rate", failure_rate},
        {"average_processing_time_ms", average_processing_time_ms},
        {"queued_by_type", queued_by_name},
        {"completed_by_type", completed_by_name},
        {"failed_by_type", failed_by_name},
    };
}

void Metrics::queued(const std::string& name, std::uint64_t count) {
    std::lock_guard lock(mutex_);
    data_.total_queued += count;
    data_.queued_by_name[name] += count;
}

void Metrics::claimed(std::uint64_t jobs, std::chrono::microseconds took) {
    std::lock_guard lock(mutex_);
    data_.total_claimed += jobs;
    data_.claim_time.observe(took);
}

void Metrics::ran(const std::string& queue, std::chrono::microseconds took) {
    std::lock_guard lock(mutex_);
    data_.run_time.observe(took);
    data_.run_time_by_queue[queue].observe(took);
}

void Metrics::started() {
    std::lock_guard lock(mutex_);
    ++data_.currently_processing;
}

void Metrics::completed(const std::string& name, Milliseconds ran_for) {
    std::lock_guard lock(mutex_);
    leave_processing(data_);
    ++data_.total_completed;
    ++data_.completed_by_name[name];
    processing_ms_ += std::uint64_t(std::max<Milliseconds::rep>(ran_for.count(), 0));
}

void Metrics::retried(const std::string&) {
    std::lock_guard lock(mutex_);
    leave_processing(data_);
    ++data_.total_retried;
}

void Metrics::dead(const std::string& name) {
    std::lock_guard lock(mutex_);
    leave_processing(data_);
    ++data_.total_failed;
    ++data_.failed_by_name[name];
}

void Metrics::put_back() {
    std::lock_guard lock(mutex_);
    leave_processing(data_);
}

MetricsSnapshot Metrics::snapshot() const {
    std::lock_guard lock(mutex_);
    MetricsSnapshot copy = data_;
    const double finished = double(copy.total_completed + copy.total_failed);
    if (finished > 0) {
        copy.success_rate = double(copy.total_completed) / finished;
        copy.failure_rate = double(copy.total_failed) / finished;
    }
    if (copy.total_completed > 0) {
        copy.average_processing_time_ms = double(processing_ms_) / double(copy.total_completed);
    }
    return copy;
}

void Metrics::reset() {
    std::lock_guard lock(mutex_);
    // currently_processing is a gauge of jobs still running, not a counter: it survives a reset.
    const auto processing = data_.currently_processing;
    data_ = MetricsSnapshot{};
    data_.currently_processing = processing;
    processing_ms_ = 0;
}

}  // namespace libqueue
