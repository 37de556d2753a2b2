#include "stats_watch.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <iostream>
#include <map>

#include "event_lines.hpp"
#include "output.hpp"
#include "signals.hpp"

namespace q {

namespace {

using SteadyClock = std::chrono::steady_clock;

// Rates are taken over this much of the recent past.
constexpr std::chrono::seconds rate_window{60};

// Keys are read one at a time without echo while the view runs; the terminal is restored on
// every way out.
class KeyboardMode {
  public:
    KeyboardMode() {
        if (::isatty(STDIN_FILENO) != 1 || ::tcgetattr(STDIN_FILENO, &saved_) != 0)
            return;
        termios raw = saved_;
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO);
        raw.c_cc[VMIN] = 0;
        raw.c_cc[VTIME] = 0;
        active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
    ~KeyboardMode() {
        if (active_)
            ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
    }
    KeyboardMode(const KeyboardMode&) = delete;
    KeyboardMode& operator=(const KeyboardMode&) = delete;
    bool active() const { return active_; }

  private:
    termios saved_{};
    bool active_ = false;
};

// The alternate screen without a cursor, left again on every way out.
class FullScreen {
  public:
    FullScreen() { std::cout << "\033[?1049h\033[?25l" << std::flush; }
    ~FullScreen() { std::cout << "\033[?25h\033[?1049l" << std::flush; }
    FullScreen(const FullScreen&) = delete;
    FullScreen& operator=(const FullScreen&) = delete;
};

// A pipe the signal thread writes to, so the wait below wakes at once.
class WakePipe {
  public:
    WakePipe() {
        if (::pipe(fds_) != 0)
            throw libqueue::InternalError("stats --watch: cannot create a pipe");
    }
    ~WakePipe() {
        ::close(fds_[0]);
        ::close(fds_[1]);
    }
    WakePipe(const WakePipe&) = delete;
    WakePipe& operator=(const WakePipe&) = delete;
    void wake() const { (void)!::write(fds_[1], "x", 1); }
    int read_end() const { return fds_[0]; }

  private:
    int fds_[2] = {-1, -1};
};

// Completed and dead totals of one queue over the rate window.
class Rates {
  public:
    void add(SteadyClock::time_point at, const libqueue::Totals& totals) {
        samples_.push_back({at, totals.completed, totals.dead});
        while (samples_.size() > 2 && at - samples_[1].at >= rate_window) samples_.pop_front();
    }
    // Per minute; nullopt until two readings are apart.
    std::optional<double> completed() const { return per_minute(&Sample::completed); }
    std::optional<double> dead() const { return per_minute(&Sample::dead); }

  private:
    struct Sample {
        SteadyClock::time_point at;
        std::uint64_t completed;
        std::uint64_t dead;
    };
    std::optional<double> per_minute(std::uint64_t Sample::*field) const {
        if (samples_.size() < 2)
            return std::nullopt;
        const auto& first = samples_.front();
        const auto& last = samples_.back();
        const double seconds = std::chrono::duration<double>(last.at - first.at).count();
        if (seconds <= 0 || last.*field < first.*field)
            return std::nullopt;
        return double(last.*field - first.*field) * 60.0 / seconds;
    }
    std::deque<Sample> samples_;
};

// Run times over the rate window, by queue, from the histograms every worker keeps in its record
// (counts since it started): the newest reading of each worker less its oldest in the window.
class RunTimes {
  public:
    void add(SteadyClock::time_point at, libqueue::TimePoint now,
             const std::vector<libqueue::WorkerRecord>& workers) {
        for (const auto& w : workers) {
            auto& readings = by_worker_[w.id];
            if (readings.empty() && now - w.started_at < rate_window)
                readings.push_back({at, {}});  // all it ran, it ran in the window
            readings.push_back({at, w.run_time});
        }
        // A worker that is gone (stopped) counts until its last reading leaves the window.
        for (auto it = by_worker_.begin(); it != by_worker_.end();) {
            auto& readings = it->second;
            while (readings.size() > 2 && at - readings[1].at >= rate_window) readings.pop_front();
            it = at - readings.back().at >= rate_window ? by_worker_.erase(it) : std::next(it);
        }
    }

    // The runs of `queue` in the window, on every worker.
    libqueue::DurationHistogram of(const std::string& queue) const {
        libqueue::DurationHistogram runs;
        for (const auto& [id, readings] : by_worker_) {
            const auto newest = readings.back().run_time.find(queue);
            if (newest == readings.back().run_time.end())
                continue;
            const auto& front = readings.front().run_time;
            const auto oldest = front.find(queue);
            const auto delta = newest->second.since(
                oldest == front.end() ? libqueue::DurationHistogram{} : oldest->second);
            if (delta)
                runs.add(*delta);
        }
        return runs;
    }

  private:
    struct Reading {
        SteadyClock::time_point at;
        std::map<std::string, libqueue::DurationHistogram> run_time;
    };
    std::map<std::string, std::deque<Reading>> by_worker_;
};

// A quantile of run time: "-" without runs, ">5m" above the histogram's last bound.
std::string quantile_text(const libqueue::DurationHistogram& runs, double q) {
    const auto seconds = runs.quantile(q);
    if (!seconds)
        return "-";
    if (std::isinf(*seconds))
        return ">" + libqueue::format_duration(libqueue::Milliseconds(
                         std::int64_t(libqueue::DurationHistogram::bounds.back() * 1000)));
    if (*seconds < 0.01)
        return fmt::format("{:.1f}ms", *seconds * 1000);
    if (*seconds < 1)
        return fmt::format("{:.0f}ms", *seconds * 1000);
    if (*seconds < 60)
        return fmt::format("{:.1f}s", *seconds);
    return libqueue::format_duration(libqueue::Milliseconds(std::int64_t(*seconds * 1000)));
}

std::string rate_text(std::optional<double> rate) {
    return rate ? fmt::format("{:.1f}", *rate) : "-";
}

// The most workers the screen lists one by one; the rest are counted.
constexpr std::size_t workers_listed = 10;

std::map<std::string, std::size_t> count_by_state(const std::vector<libqueue::WorkerRecord>& ws) {
    std::map<std::string, std::size_t> counts;
    for (const auto& w : ws) ++counts[w.state()];
    return counts;
}

void draw_workers(const std::vector<libqueue::WorkerRecord>& workers, libqueue::TimePoint now) {
    std::cout << '\n';
    if (workers.empty()) {
        std::cout << "no workers\n";
        return;
    }
    std::vector<std::vector<std::string>> rows;
    for (std::size_t i = 0; i < workers.size() && i < workers_listed; ++i) {
        const auto& w = workers[i];
        rows.push_back({libqueue::valid_utf8(w.id), w.state(), std::to_string(w.running.size()),
                        format_relative(std::min(w.last_seen, now), now),
                        std::to_string(w.completed), std::to_string(w.dead)});
    }
    print_table({"WORKER", "STATE", "RUNNING", "SEEN", "COMPLETED", "DEAD"}, rows, 4);
    if (workers.size() > workers_listed)
        std::cout << fmt::format("... and {} more (q workers)\n", workers.size() - workers_listed);
}

void draw_screen(const std::vector<libqueue::QueueStats>& queues,
                 std::map<std::string, Rates>& rates, const RunTimes& run_times,
                 const std::vector<libqueue::WorkerRecord>& workers, const std::string& backend,
                 libqueue::Milliseconds interval, const std::string& error) {
    std::cout << "\033[H\033[2J";
    std::cout << fmt::format("q stats on {}, every {}; q or Ctrl-C quits{:>12}\n\n", backend,
                             libqueue::format_duration(interval),
                             local_clock_text(std::chrono::system_clock::now()).substr(0, 8));
    if (!error.empty())
        std::cout << "backend: " << error << "\n\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& q : queues) {
        const auto& r = rates[q.queue];
        const auto runs = run_times.of(q.queue);
        rows.push_back({q.queue, std::to_string(q.counts.due), std::to_string(q.counts.delayed),
                        std::to_string(q.counts.processing), std::to_string(q.counts.failed),
                        rate_text(r.completed()), rate_text(r.dead()), quantile_text(runs, 0.5),
                        quantile_text(runs, 0.95), average_run_text(q.totals)});
    }
    if (rows.empty()) {
        std::cout << "no jobs in any queue\n";
    } else {
        print_table({"QUEUE", "DUE", "DELAYED", "RUNNING", "DEAD", "DONE/MIN", "DEAD/MIN", "P50",
                     "P95", "AVG TIME"},
                    rows, 1);
        std::cout << "(rates, P50 and P95 run time: the last minute; AVG TIME: every run kept)\n";
    }
    draw_workers(workers, libqueue::system_now());
    std::cout << std::flush;
}

void print_lines(const std::vector<libqueue::QueueStats>& queues,
                 std::map<std::string, Rates>& rates, const RunTimes& run_times,
                 const std::vector<libqueue::WorkerRecord>& workers) {
    const auto clock = local_clock_text(std::chrono::system_clock::now()).substr(0, 8);
    for (const auto& q : queues) {
        const auto& r = rates[q.queue];
        const auto runs = run_times.of(q.queue);
        std::cout << fmt::format(
            "{} {} due={} delayed={} running={} dead={} completed/min={} dead/min={} p50={} "
            "p95={}\n",
            clock, libqueue::valid_utf8(q.queue), q.counts.due, q.counts.delayed,
            q.counts.processing, q.counts.failed, rate_text(r.completed()), rate_text(r.dead()),
            quantile_text(runs, 0.5), quantile_text(runs, 0.95));
    }
    auto counts = count_by_state(workers);
    std::cout << fmt::format("{} workers working={} idle={} stopping={} lost={}\n", clock,
                             counts["working"], counts["idle"], counts["stopping"], counts["lost"]);
    std::cout << std::flush;
}

}  // namespace

void watch_stats(
    Context& context, libqueue::Milliseconds interval,
    const std::function<std::vector<libqueue::QueueStats>(const libqueue::Stats&)>& select) {
    WakePipe wake;
    SignalWatcher signals([&wake](int) { wake.wake(); });
    auto& driver = context.driver();
    const bool screen = ::isatty(STDOUT_FILENO) == 1;
    std::optional<FullScreen> full_screen;
    std::optional<KeyboardMode> keyboard;
    if (screen) {
        full_screen.emplace();
        keyboard.emplace();
    }
    std::map<std::string, Rates> rates;
    RunTimes run_times;
    std::vector<libqueue::QueueStats> queues;
    std::vector<libqueue::WorkerRecord> workers;
    bool keys = keyboard && keyboard->active();
    for (;;) {
        std::string error;
        try {
            const auto stats = driver.stats();
            queues = select(stats);
            const auto at = SteadyClock::now();
            for (const auto& q : queues) rates[q.queue].add(at, q.totals);
            workers = libqueue::workers_if_kept(driver);
            if (context.options.queue) {
                const auto wanted = context.queues();
                std::erase_if(workers, [&](const libqueue::WorkerRecord& w) {
                    return std::none_of(wanted.begin(), wanted.end(),
                                        [&](const std::string& q) { return w.serves(q); });
                });
            }
            run_times.add(at, libqueue::system_now(), workers);
        } catch (const libqueue::Error& e) {
            // A backend that went away is shown and read again; anything else ends the watch.
            if (e.kind() != libqueue::ErrorKind::unavailable &&
                e.kind() != libqueue::ErrorKind::temporary)
                throw;
            error = e.what();
            if (!screen)
                std::cerr << "q: stats: " << error << '\n';
        }
        if (screen) {
            draw_screen(queues, rates, run_times, workers, driver.name(), interval, error);
        } else {
            print_lines(queues, rates, run_times, workers);
        }

        // Wait out the interval, waking for a signal or, on the screen, the q key.
        const auto until = SteadyClock::now() + interval;
        for (;;) {
            const auto left =
                std::chrono::duration_cast<libqueue::Milliseconds>(until - SteadyClock::now());
            if (left.count() <= 0)
                break;
            pollfd fds[2] = {{wake.read_end(), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
            const nfds_t count = keys ? 2 : 1;
            if (::poll(fds, count, int(left.count())) <= 0)
                continue;
            if ((fds[0].revents & POLLIN) != 0)
                return;  // a signal: leave cleanly (exit 0)
            if (count == 2 && (fds[1].revents & POLLIN) != 0) {
                char key = 0;
                if (::read(STDIN_FILENO, &key, 1) == 1 && (key == 'q' || key == 'Q'))
                    return;
            } else if (count == 2 && fds[1].revents != 0) {
                keys = false;  // the terminal went away: only signals end the watch now
            }
        }
    }
}

}  // namespace q
