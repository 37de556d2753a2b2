#include "exec/command_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "exec/output_capture.hpp"
#include "exec/output_lines.hpp"
#include "exec/unique_fd.hpp"
#include "lib/posix/sigpipe_block.hpp"
#include "libqueue/duration.hpp"
#include "libqueue/errors.hpp"
#include "secrets.hpp"

extern char** environ;

namespace libqueue::exec {

namespace {

using Clock = std::chrono::steady_clock;

// After the command exits, output its killed helpers had buffered is still read for this long;
// a process that escaped the group (setsid) and keeps the pipe open is not waited for.
constexpr Milliseconds drain_after_exit{200};
// Without a pidfd (old kernels) the command's exit is noticed by polling this often.
constexpr int exit_poll_ms = 20;

std::string error_text(int err) {
    const char* text = strerrordesc_np(err);
    return text ? text : "error " + std::to_string(err);
}

// The child's dup2 onto 0-2 must not clobber another of our pipe ends, which could happen when
// the worker itself runs with a standard stream closed.
int move_above_stdio(UniqueFd& fd) {
    if (fd.get() > 2)
        return 0;
    const int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
    if (moved < 0)
        return errno;
    fd.reset(moved);
    return 0;
}

struct Pipe {
    UniqueFd read_end;
    UniqueFd write_end;
};

// 0 or an errno value.
int make_pipe(Pipe& pipe) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        return errno;
    pipe.read_end.reset(fds[0]);
    pipe.write_end.reset(fds[1]);
    if (int err = move_above_stdio(pipe.read_end))
        return err;
    return move_above_stdio(pipe.write_end);
}

void set_nonblocking(const UniqueFd& fd) {
    const int flags = ::fcntl(fd.get(), F_GETFL);
    if (flags >= 0)
        ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK);
}

// Variables a service manager addresses to the worker's own process (systemd's notify socket and
// watchdog): a handler that inherited them could report for the worker.
bool is_worker_only_variable(std::string_view name) {
    return name == "NOTIFY_SOCKET" || name == "WATCHDOG_USEC" || name == "WATCHDOG_PID";
}

// The worker's environment, then the Q_* variables, then the handler's env (later ones win). The
// worker's own credentials (secrets.hpp) and service-manager variables are left out: a handler is
// a separate program that gets a password only when its own env gives it one.
class Environment {
  public:
    Environment(const Job& job, const CommandSpec& spec) {
        std::vector<std::pair<std::string, std::string>> overrides{
            {"Q_JOB_ID", job.id},
            {"Q_JOB_NAME", job.name},
            {"Q_QUEUE", job.queue},
            {"Q_ATTEMPT", std::to_string(job.attempts)},
            {"Q_MAX_RETRIES", std::to_string(job.max_retries)},
        };
        for (const auto& [key, value] : spec.env) {
            // (a named capture: clang before 16 cannot capture a structured binding)
            auto same = [&key = key](const auto& entry) { return entry.first == key; };
            overrides.erase(std::remove_if(overrides.begin(), overrides.end(), same),
                            overrides.end());
            overrides.emplace_back(key, value);
        }
        for (char** entry = environ; entry && *entry; ++entry) {
            const std::string_view text(*entry);
            const std::string_view key = text.substr(0, text.find('='));
            const bool replaced = std::any_of(overrides.begin(), overrides.end(),
                                              [&](const auto& o) { return o.first == key; });
            if (!replaced && !is_secret_variable(key) && !is_worker_only_variable(key))
                entries_.emplace_back(text);
        }
        for (const auto& [key, value] : overrides) entries_.push_back(key + "=" + value);
        for (auto& entry : entries_) pointers_.push_back(entry.data());
        pointers_.push_back(nullptr);
    }

    char** data() { return pointers_.data(); }

  private:
    std::vector<std::string> entries_;
    std::vector<char*> pointers_;
};

class SpawnFileActions {
  public:
    SpawnFileActions() { posix_spawn_file_actions_init(&value_); }
    ~SpawnFileActions() { posix_spawn_file_actions_destroy(&value_); }
    SpawnFileActions(const SpawnFileActions&) = delete;
    SpawnFileActions& operator=(const SpawnFileActions&) = delete;
    posix_spawn_file_actions_t* get() { return &value_; }

  private:
    posix_spawn_file_actions_t value_;
};

class SpawnAttributes {
  public:
    SpawnAttributes() { posix_spawnattr_init(&value_); }
    ~SpawnAttributes() { posix_spawnattr_destroy(&value_); }
    SpawnAttributes(const SpawnAttributes&) = delete;
    SpawnAttributes& operator=(const SpawnAttributes&) = delete;
    posix_spawnattr_t* get() { return &value_; }

  private:
    posix_spawnattr_t value_;
};

// posix_spawnp (glibc's runs the child with vfork-style clone, so spawning stays cheap however big
// the worker is). 0 or an errno value; exec failures (not found, not executable) are reported here.
int spawn(const CommandSpec& spec, Environment& env, const Pipe& in, const Pipe& out,
          const Pipe& err, pid_t& pid) {
    SpawnFileActions actions;
    posix_spawn_file_actions_adddup2(actions.get(), in.read_end.get(), 0);
    posix_spawn_file_actions_adddup2(actions.get(), out.write_end.get(), 1);
    posix_spawn_file_actions_adddup2(actions.get(), err.write_end.get(), 2);
    if (spec.cwd)
        posix_spawn_file_actions_addchdir_np(actions.get(), spec.cwd->c_str());
    // Descriptors other libraries opened without O_CLOEXEC (database sockets) stay ours.
    posix_spawn_file_actions_addclosefrom_np(actions.get(), 3);

    SpawnAttributes attributes;
    // Its own process group, so a timeout can signal the command and everything it started; an
    // empty signal mask and default dispositions, whatever the worker blocks or ignores (SIGPIPE).
    posix_spawnattr_setflags(
        attributes.get(), POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(attributes.get(), 0);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(attributes.get(), &none);
    sigset_t all;
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    posix_spawnattr_setsigdefault(attributes.get(), &all);

    std::vector<char*> argv;
    for (const auto& arg : spec.command) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    return posix_spawnp(&pid, argv[0], actions.get(), attributes.get(), argv.data(), env.data());
}

std::string cannot_execute(const CommandSpec& spec, int err) {
    if (spec.cwd) {
        struct stat info {};
        if (::stat(spec.cwd->c_str(), &info) != 0) {
            return "cannot execute '" + spec.command.front() + "': working directory '" +
                   spec.cwd->string() + "': " + error_text(errno);
        }
        if (!S_ISDIR(info.st_mode)) {
            return "cannot execute '" + spec.command.front() + "': working directory '" +
                   spec.cwd->string() + "' is not a directory";
        }
    }
    return "cannot execute '" + spec.command.front() + "': " + error_text(err);
}

// Every command this process runs, by process group, so a hard exit can take them along
// (kill_running_commands). A group is listed from spawn until its leader is reaped: until then
// its id cannot be reused.
class LiveGroups {
  public:
    void add(pid_t group) {
        std::lock_guard lock(mutex_);
        groups_.insert(group);
    }
    // Reaps the leader of `group`, which has exited (a zombie), and unlists the group in one
    // step under the lock, so kill_all never signals a group id the system has reused since.
    // Returns waitpid's result and fills `status`.
    pid_t reap(pid_t group, int& status) {
        std::lock_guard lock(mutex_);
        pid_t got;
        while ((got = ::waitpid(group, &status, 0)) < 0 && errno == EINTR) {
        }
        groups_.erase(group);
        return got;
    }
    void kill_all(int sig) {
        std::lock_guard lock(mutex_);
        for (pid_t group : groups_) ::kill(-group, sig);
    }

  private:
    std::mutex mutex_;
    std::set<pid_t> groups_;
};

LiveGroups& live_groups() {
    static LiveGroups groups;  // never destroyed before the threads that use it: see exit paths
    return groups;
}

// The spawned command. Whatever happens, it is killed (with its group) and reaped before this
// object goes away, so the worker never leaves a zombie or a runaway job behind.
class Child {
  public:
    explicit Child(pid_t pid) : pid_(pid) {
        live_groups().add(pid);
        const long fd = ::syscall(SYS_pidfd_open, pid, 0);
        if (fd >= 0)
            pidfd_.reset(int(fd));
    }
    ~Child() {
        if (!reaped_) {
            signal_group(SIGKILL);
            reap();
        }
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    int pidfd() const { return pidfd_.get(); }
    bool reaped() const { return reaped_; }
    int status() const { return status_; }

    // Only while the leader is unreaped: its pid then still names the group.
    void signal_group(int sig) const {
        if (!reaped_)
            ::kill(-pid_, sig);
    }

    // True when the leader has exited; it is left a zombie so its group can still be signalled.
    bool has_exited() const {
        siginfo_t info{};
        if (::waitid(P_PID, id_t(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
            return errno == ECHILD;  // already reaped by the system: SIGCHLD is ignored
        }
        return info.si_pid == pid_;
    }

    void reap() {
        // Wait for the leader to exit without reaping it, outside the lock; then reap it and
        // unlist its group at once.
        siginfo_t info{};
        while (::waitid(P_PID, id_t(pid_), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
        }
        int status = 0;
        status_known_ = live_groups().reap(pid_, status) == pid_;
        status_ = status;
        reaped_ = true;
        pidfd_.reset();
    }

    // False when the process ignores SIGCHLD: the kernel then reaps the child and keeps no status.
    bool status_known() const { return status_known_; }

  private:
    pid_t pid_;
    UniqueFd pidfd_;
    bool reaped_ = false;
    bool status_known_ = false;
    int status_ = 0;
};

enum class Ending { none, timeout, stop };

std::string signal_name(int sig) {
    const char* abbrev = sigabbrev_np(sig);
    return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

Outcome outcome_of(int status, Ending ending, std::optional<Milliseconds> timeout,
                   const std::string& stderr_tail) {
    std::optional<int> code;
    if (WIFEXITED(status))
        code = WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        code = 128 + WTERMSIG(status);
    auto or_stderr = [&](std::string fallback) -> std::string {
        if (stderr_tail.empty())
            return fallback;
        return stderr_tail;
    };
    if (ending == Ending::stop)
        return Outcome::interrupted();
    if (ending == Ending::timeout) {
        std::string message =
            "timed out after " + format_duration(timeout.value_or(Milliseconds{}));
        if (!stderr_tail.empty())
            message += "\n" + stderr_tail;
        return Outcome::failure(std::move(message), code);
    }
    if (WIFSIGNALED(status)) {
        return Outcome::failure(or_stderr("killed by " + signal_name(WTERMSIG(status))), code);
    }
    if (code == 0) {
        auto success = Outcome::success();
        success.exit_status = 0;
        return success;
    }
    if (code == 65)
        return Outcome::bad_data(or_stderr("exit status 65 (bad data)"), code);
    return Outcome::failure(or_stderr("exit status " + std::to_string(code.value_or(-1))), code);
}

// Feeds stdin, forwards output and enforces the timeout and the stop request until the command
// has exited and its output is drained.
class Supervisor {
  public:
    Supervisor(const CommandOptions& options, const Job& job, Child& child, Pipe& in, Pipe& out,
               Pipe& err, std::optional<Milliseconds> timeout, std::stop_token stop)
        : options_(options),
          child_(child),
          stdin_(std::move(in.write_end)),
          stdout_(std::move(out.read_end)),
          stderr_(std::move(err.read_end)),
          pending_stdin_(job.payload),
          timeout_(timeout),
          stop_(std::move(stop)),
          stdout_lines_(options.forward_output ? options.output_fd : -1, "[" + job.id + "] "),
          stderr_lines_(options.forward_output ? options.output_fd : -1, "[" + job.id + "] "),
          tail_(stderr_tail_bytes),
          capture_(current_capture()) {
        set_nonblocking(stdin_);
        set_nonblocking(stdout_);
        set_nonblocking(stderr_);
        if (pending_stdin_.empty())
            stdin_.reset();
        if (timeout_)
            deadline_ = Clock::now() + *timeout_;
    }

    Outcome run() {
        posix::SigpipeBlock sigpipe;  // a command that exits early closes its stdin
        UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        std::stop_callback on_stop(stop_, [&wake] {
            const std::uint64_t one = 1;
            if (wake) {
                [[maybe_unused]] const ssize_t n = ::write(wake.get(), &one, sizeof one);
            }
        });
        if (!wake && stop_.stop_possible())
            wake_by_polling_ = true;

        while (step(wake)) {
        }
        stdout_lines_.finish();
        stderr_lines_.finish();
        if (capture_)
            capture_->finish();
        if (!child_.status_known() && ending_ == Ending::none) {
            return Outcome::failure("exit status unknown: the worker ignores SIGCHLD");
        }
        return outcome_of(child_.status(), ending_, timeout_, tail_.text());
    }

  private:
    // One round of poll; false when done.
    bool step(const UniqueFd& wake) {
        const auto now = Clock::now();
        if (child_.reaped()) {
            if (!stdout_ && !stderr_)
                return false;
            if (now >= drain_until_)
                return false;
        } else {
            if (ending_ == Ending::none && wake_by_polling_ && stop_.stop_requested()) {
                begin_ending(Ending::stop);
            }
            if (ending_ == Ending::none && deadline_ && now >= *deadline_) {
                begin_ending(Ending::timeout);
            }
            if (kill_at_ && now >= *kill_at_) {
                child_.signal_group(SIGKILL);
                kill_at_.reset();
            }
        }

        std::array<pollfd, 5> fds{};
        nfds_t count = 0;
        auto watch = [&](const UniqueFd& fd, short events) -> int {
            if (!fd)
                return -1;
            fds[count] = pollfd{fd.get(), events, 0};
            return int(count++);
        };
        const int in_index = watch(stdin_, POLLOUT);
        const int out_index = watch(stdout_, POLLIN);
        const int err_index = watch(stderr_, POLLIN);
        int wake_index = -1;
        if (!child_.reaped()) {
            if (child_.pidfd() >= 0) {
                fds[count] = pollfd{child_.pidfd(), POLLIN, 0};
                ++count;
            }
            if (ending_ == Ending::none)
                wake_index = watch(wake, POLLIN);
        }

        int wait_ms = -1;
        auto wait_until = [&](Clock::time_point t) {
            const auto ms =
                std::chrono::ceil<Milliseconds>(std::max(t - now, Clock::duration::zero()));
            const int bounded = int(std::min<long long>(ms.count(), 60'000));
            wait_ms = wait_ms < 0 ? bounded : std::min(wait_ms, bounded);
        };
        if (child_.reaped()) {
            wait_until(drain_until_);
        } else {
            if (ending_ == Ending::none && deadline_)
                wait_until(*deadline_);
            if (kill_at_)
                wait_until(*kill_at_);
            if (child_.pidfd() < 0 || wake_by_polling_)
                wait_until(now + Milliseconds{exit_poll_ms});
        }
        if (capture_) {
            if (auto due = capture_->publish_due())
                wait_until(*due);
        }

        if (::poll(fds.data(), count, wait_ms) < 0 && errno != EINTR) {
            throw InternalError(std::string("poll on a job's pipes failed: ") + error_text(errno));
        }
        if (in_index >= 0 && fds[in_index].revents != 0)
            write_stdin();
        if (out_index >= 0 && fds[out_index].revents != 0)
            read_from(stdout_, false);
        if (err_index >= 0 && fds[err_index].revents != 0)
            read_from(stderr_, true);
        if (capture_)
            capture_->publish_if_due(Clock::now());
        if (wake_index >= 0 && fds[wake_index].revents != 0 && ending_ == Ending::none) {
            begin_ending(Ending::stop);
        }
        if (!child_.reaped() && child_.has_exited()) {
            // Whatever the command left running in its group goes with it.
            child_.signal_group(SIGKILL);
            child_.reap();
            stdin_.reset();
            drain_until_ = Clock::now() + drain_after_exit;
        }
        return true;
    }

    void begin_ending(Ending why) {
        ending_ = why;
        if (options_.kill_grace.count() <= 0) {
            child_.signal_group(SIGKILL);
        } else {
            child_.signal_group(SIGTERM);
            kill_at_ = Clock::now() + options_.kill_grace;
        }
    }

    void write_stdin() {
        while (!pending_stdin_.empty()) {
            const ssize_t n = ::write(stdin_.get(), pending_stdin_.data(), pending_stdin_.size());
            if (n > 0) {
                pending_stdin_.remove_prefix(std::size_t(n));
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else if (n < 0 && errno == EAGAIN) {
                return;
            } else {
                break;  // EPIPE: the command does not read its stdin; that is its business
            }
        }
        stdin_.reset();  // EOF tells the command the payload is complete
    }

    void read_from(UniqueFd& fd, bool is_stderr) {
        // A bounded number of reads per round keeps a chatty stream from starving the other.
        for (int round = 0; round < 16; ++round) {
            const ssize_t n = ::read(fd.get(), buffer_.data(), buffer_.size());
            if (n > 0) {
                const std::string_view data(buffer_.data(), std::size_t(n));
                if (is_stderr) {
                    stderr_lines_.feed(data);
                    tail_.feed(data);
                } else {
                    stdout_lines_.feed(data);
                }
                if (capture_)
                    capture_->feed(is_stderr ? OutputLine::Stream::err : OutputLine::Stream::out,
                                   data);
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EAGAIN)
                return;
            fd.reset();  // EOF (or an error, which ends the stream just the same)
            return;
        }
    }

    const CommandOptions& options_;
    Child& child_;
    UniqueFd stdin_;
    UniqueFd stdout_;
    UniqueFd stderr_;
    std::string_view pending_stdin_;
    std::optional<Milliseconds> timeout_;
    std::stop_token stop_;
    LineForwarder stdout_lines_;
    LineForwarder stderr_lines_;
    TailBuffer tail_;
    OutputCapture* capture_;  // null: no attempt log is kept
    std::optional<Clock::time_point> deadline_;
    std::optional<Clock::time_point> kill_at_;
    Clock::time_point drain_until_{};
    Ending ending_ = Ending::none;
    bool wake_by_polling_ = false;
    std::array<char, 64 * 1024> buffer_{};
};

}  // namespace

Outcome run_command(const CommandSpec& spec, const CommandOptions& options, const Job& job,
                    std::stop_token stop) {
    if (spec.command.empty()) {
        return Outcome::failure("the handler for '" + job.name + "' has an empty command");
    }
    if (stop.stop_requested())
        return Outcome::interrupted();

    Pipe in, out, err;
    for (Pipe* pipe : {&in, &out, &err}) {
        if (int e = make_pipe(*pipe)) {
            return Outcome::failure("cannot start '" + spec.command.front() +
                                    "': " + error_text(e));
        }
    }
    Environment env(job, spec);
    pid_t pid = -1;
    if (int e = spawn(spec, env, in, out, err, pid)) {
        return Outcome::failure(cannot_execute(spec, e));
    }
    Child child(pid);
    // Only the child keeps these ends: EOF on stdout/stderr then means the job closed them.
    in.read_end.reset();
    out.write_end.reset();
    err.write_end.reset();

    const auto timeout = spec.timeout ? spec.timeout : options.default_timeout;
    Supervisor supervisor(options, job, child, in, out, err, timeout, std::move(stop));
    return supervisor.run();
}

}  // namespace libqueue::exec

namespace libqueue {

void kill_running_commands() {
    exec::live_groups().kill_all(SIGKILL);
}

}  // namespace libqueue
