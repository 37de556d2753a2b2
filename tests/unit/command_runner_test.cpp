// The handler contract, with real processes: small scripts written into a temporary folder.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "exec/command_runner.hpp"

using namespace libqueue;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "q-runner-XXXXXX").string();
        REQUIRE(mkdtemp(pattern.data()) != nullptr);
        path = fs::canonical(pattern);
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }

    fs::path script(const std::string& name, const std::string& body) const {
        const fs::path file = path / name;
        std::ofstream(file) << "#!/bin/sh\n" << body << "\n";
        fs::permissions(file, fs::perms::owner_all);
        return file;
    }
};

std::string read_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Collects what a command forwards: the runner writes to an fd, here a file.
struct Output {
    fs::path file;
    int fd;
    explicit Output(const TempDir& dir) : file(dir.path / "output.log") {
        fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
        REQUIRE(fd >= 0);
    }
    ~Output() { ::close(fd); }
    std::string text() const { return read_file(file); }
};

Job make_job(std::string payload = "{}") {
    Job job;
    job.id = "01JOBTESTID";
    job.name = "resize";
    job.queue = "images";
    job.status = Status::processing;
    job.attempts = 2;
    job.max_retries = 5;
    job.payload = std::move(payload);
    job.reserved_by = "test:1:abc";
    return job;
}

CommandOptions options_to(const Output& out) {
    CommandOptions options;
    options.output_fd = out.fd;
    options.kill_grace = 200ms;
    return options;
}

Outcome run(const CommandSpec& spec, const CommandOptions& options, const Job& job = make_job(),
            std::stop_token stop = {}) {
    return exec::run_command(spec, options, job, stop);
}

CommandSpec command(std::vector<std::string> argv) {
    CommandSpec spec;
    spec.command = std::move(argv);
    return spec;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// No child of this test process is left unreaped (zombie) or running.
bool no_children_left() {
    int status = 0;
    return ::waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD;
}

bool process_gone(pid_t pid) {
    for (int i = 0; i < 100; ++i) {
        std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
        std::string line;
        if (!std::getline(stat, line))
            return true;
        const auto state = line.substr(line.rfind(')') + 2, 1);
        if (state == "Z" || state == "X")
            return true;  // dead, waiting for its new parent
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

}  // namespace

TEST_CASE("exit 0 is success and the payload arrives on stdin", "[command]") {
    TempDir dir;
    Output out(dir);
    auto spec = command({dir.script("save.sh", "cat > \"$SAVE_TO\"").string()});
    spec.env["SAVE_TO"] = (dir.path / "stdin.json").string();
    const std::string payload = R"({"width": 640, "path": "a b.png"})";

    const Outcome outcome = run(spec, options_to(out), make_job(payload));

    CHECK(outcome.kind == Outcome::Kind::success);
    CHECK(read_file(dir.path / "stdin.json") == payload);
    CHECK(no_children_left());
}

TEST_CASE("the job's variables, the worker's environment and the handler's env", "[command]") {
    TempDir dir;
    Output out(dir);
    ::setenv("Q_RUNNER_TEST_INHERITED", "from-worker", 1);
    ::setenv("Q_RUNNER_TEST_OVERRIDDEN", "from-worker", 1);
    auto spec = command({dir.script("env.sh",
                                    "echo \"$Q_JOB_ID|$Q_JOB_NAME|$Q_QUEUE|$Q_ATTEMPT|"
                                    "$Q_MAX_RETRIES|$Q_RUNNER_TEST_INHERITED|"
                                    "$Q_RUNNER_TEST_OVERRIDDEN|$EXTRA\"")
                             .string()});
    spec.env["EXTRA"] = "handler value";
    spec.env["Q_RUNNER_TEST_OVERRIDDEN"] = "from-handler";

    const Outcome outcome = run(spec, options_to(out));

    CHECK(outcome.kind == Outcome::Kind::success);
    CHECK(out.text() ==
          "[01JOBTESTID] 01JOBTESTID|resize|images|2|5|from-worker|from-handler|handler value\n");
}

TEST_CASE("exit codes: 65 is bad data, others are failures with the stderr tail", "[command]") {
    TempDir dir;
    Output out(dir);

    auto bad = run(command({dir.script("bad.sh", "echo 'width missing' >&2; exit 65").string()}),
                   options_to(out));
    CHECK(bad.kind == Outcome::Kind::bad_data);
    CHECK(bad.exit_status == 65);
    CHECK(bad.error == "width missing");

    auto failed = run(command({dir.script("fail.sh", "echo 'disk full' >&2; exit 3").string()}),
                      options_to(out));
    CHECK(failed.kind == Outcome::Kind::failure);
    CHECK(failed.exit_status == 3);
    CHECK(failed.error == "disk full");

    auto silent = run(command({dir.script("silent.sh", "exit 7").string()}), options_to(out));
    CHECK(silent.kind == Outcome::Kind::failure);
    CHECK(silent.exit_status == 7);
    CHECK(silent.error == "exit status 7");

    auto silent_bad =
        run(command({dir.script("silent65.sh", "exit 65").string()}), options_to(out));
    CHECK(silent_bad.kind == Outcome::Kind::bad_data);
    CHECK(silent_bad.error == "exit status 65 (bad data)");
}

TEST_CASE("death by a signal is a failure with exit status 128+signal", "[command]") {
    TempDir dir;
    Output out(dir);
    auto outcome = run(command({dir.script("die.sh", "kill -KILL $$").string()}), options_to(out));
    CHECK(outcome.kind == Outcome::Kind::failure);
    CHECK(outcome.exit_status == 128 + SIGKILL);
    CHECK(outcome.error == "killed by SIGKILL");
}

TEST_CASE("a timeout sends SIGTERM to the process group", "[command][timeout]") {
    TempDir dir;
    Output out(dir);
    // The script waits on a child: both must go, or the pipes would stay open.
    auto spec = command({dir.script("slow.sh", "echo started >&2; sleep 30; echo never").string()});
    spec.timeout = 300ms;
    const auto start = std::chrono::steady_clock::now();

    auto outcome = run(spec, options_to(out));

    CHECK(seconds_since(start) < 2.0);
    CHECK(outcome.kind == Outcome::Kind::failure);
    CHECK(outcome.exit_status == 128 + SIGTERM);
    CHECK(outcome.error == "timed out after 300ms\nstarted");
    CHECK(out.text().find("never") == std::string::npos);
    CHECK(no_children_left());
}

TEST_CASE("a command that ignores SIGTERM is killed after the grace period", "[command][timeout]") {
    TempDir dir;
    Output out(dir);
    // `trap '' TERM` ignores it in the shell and in the sleep it starts.
    auto spec = command({dir.script("stubborn.sh", "trap '' TERM; sleep 30").string()});
    spec.timeout = 200ms;
    auto options = options_to(out);
    options.kill_grace = 300ms;
    const auto start = std::chrono::steady_clock::now();

    auto outcome = run(spec, options);

    const double took = seconds_since(start);
    CHECK(took >= 0.45);
    CHECK(took < 2.5);
    CHECK(outcome.kind == Outcome::Kind::failure);
    CHECK(outcome.exit_status == 128 + SIGKILL);
    CHECK(outcome.error.rfind("timed out after 200ms", 0) == 0);
    CHECK(no_children_left());
}

TEST_CASE("CommandOptions::default_timeout applies when the handler sets none", "[command]") {
    TempDir dir;
    Output out(dir);
    auto options = options_to(out);
    options.default_timeout = 200ms;
    auto outcome = run(command({"sleep", "30"}), options);
    CHECK(outcome.kind == Outcome::Kind::failure);
    CHECK(outcome.error == "timed out after 200ms");
}

TEST_CASE("a stop request interrupts the command", "[command][stop]") {
    TempDir dir;
    Output out(dir);
    std::stop_source stop;
    std::jthread stopper([&] {
        std::this_thread::sleep_for(200ms);
        stop.request_stop();
    });
    const auto start = std::chrono::steady_clock::now();

    auto outcome = run(command({dir.script("long.sh", "sleep 30").string()}), options_to(out),
                       make_job(), stop.get_token());

    CHECK(seconds_since(start) < 2.0);
    CHECK(outcome.kind == Outcome::Kind::interrupted);
    CHECK(no_children_left());

    SECTION("a stop requested before the start runs nothing") {
        auto marker = dir.path / "ran";
        auto spec = command({dir.script("touch.sh", "touch \"$MARK\"").string()});
        spec.env["MARK"] = marker.string();
        auto again = run(spec, options_to(out), make_job(), stop.get_token());
        CHECK(again.kind == Outcome::Kind::interrupted);
        CHECK_FALSE(fs::exists(marker));
    }
}

TEST_CASE("output lines are forwarded whole, prefixed with the job id", "[command][output]") {
    TempDir dir;
    Output out(dir);
    auto spec = command(
        {dir.script("talk.sh", "echo one; echo two >&2; printf 'no newline at the end'").string()});

    auto outcome = run(spec, options_to(out));

    CHECK(outcome.kind == Outcome::Kind::success);
    const std::string text = out.text();
    CHECK(text.find("[01JOBTESTID] one\n") != std::string::npos);
    CHECK(text.find("[01JOBTESTID] two\n") != std::string::npos);
    CHECK(text.find("[01JOBTESTID] no newline at the end\n") != std::string::npos);

    SECTION("forward_output = false prints nothing") {
        Output quiet(dir);
        auto options = options_to(quiet);
        options.forward_output = false;
        CHECK(run(spec, options).kind == Outcome::Kind::success);
        CHECK(quiet.text().empty());
    }
}

TEST_CASE("concurrent jobs never interleave mid-line", "[command][output]") {
    TempDir dir;
    Output out(dir);
    const std::string line(120, 'x');
    auto spec = command({dir.script("chatty.sh", "i=0; while [ $i -lt 300 ]; do echo " + line +
                                                     "; echo " + line + " >&2; i=$((i+1)); done")
                             .string()});
    std::vector<std::jthread> jobs;
    for (int n = 0; n < 4; ++n) {
        jobs.emplace_back([&, n] {
            Job job = make_job();
            job.id = "JOB" + std::to_string(n);
            CHECK(run(spec, options_to(out), job).kind == Outcome::Kind::success);
        });
    }
    jobs.clear();

    std::istringstream lines(out.text());
    std::string got;
    int count = 0;
    while (std::getline(lines, got)) {
        ++count;
        INFO(got);
        REQUIRE(got.size() == 7 + line.size());
        REQUIRE(got.substr(0, 4) == "[JOB");
        REQUIRE(got.substr(5, 2) == "] ");
        REQUIRE(got.substr(7) == line);
    }
    CHECK(count == 4 * 600);
}

TEST_CASE("last_error keeps the last 4 KiB of stderr", "[command][output]") {
    TempDir dir;
    Output out(dir);
    auto spec = command({dir.script("noisy.sh",
                                    "i=0; while [ $i -lt 1000 ]; do echo \"line $i\" >&2; "
                                    "i=$((i+1)); done; echo 'the real cause' >&2; exit 1")
                             .string()});
    auto outcome = run(spec, options_to(out));
    CHECK(outcome.kind == Outcome::Kind::failure);
    CHECK(outcome.error.size() <= exec::stderr_tail_bytes);
    CHECK(outcome.error.size() > 4000);
    CHECK(outcome.error.substr(outcome.error.size() - 14) == "the real cause");
    CHECK(outcome.error.find("line 0\n") == std::string::npos);
}

TEST_CASE("the command runs in the handler's cwd, else the worker's", "[command]") {
    TempDir dir;
    Output out(dir);
    fs::create_directory(dir.path / "work");
    auto spec = command({"pwd"});
    spec.cwd = dir.path / "work";
    CHECK(run(spec, options_to(out)).kind == Outcome::Kind::success);
    CHECK(out.text() == "[01JOBTESTID] " + (dir.path / "work").string() + "\n");

    SECTION("a relative command resolves from cwd") {
        dir.script("work/local.sh", "echo local");
        Output again(dir);
        auto relative = command({"./local.sh"});
        relative.cwd = dir.path / "work";
        CHECK(run(relative, options_to(again)).kind == Outcome::Kind::success);
        CHECK(again.text() == "[01JOBTESTID] local\n");
    }
    SECTION("a missing cwd is named in the error") {
        spec.cwd = dir.path / "missing";
        auto outcome = run(spec, options_to(out));
        CHECK(outcome.kind == Outcome::Kind::failure);
        CHECK(outcome.error == "cannot execute 'pwd': working directory '" +
                                   (dir.path / "missing").string() +
                                   "': No such file or directory");
    }
}

TEST_CASE("a command that cannot be executed is a failure that says why", "[command]") {
    TempDir dir;
    Output out(dir);

    auto missing = run(command({"q-no-such-command-anywhere", "x"}), options_to(out));
    CHECK(missing.kind == Outcome::Kind::failure);
    CHECK(missing.error ==
          "cannot execute 'q-no-such-command-anywhere': No such file or directory");

    const auto file = dir.path / "not-executable.sh";
    std::ofstream(file) << "#!/bin/sh\nexit 0\n";
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
    auto denied = run(command({file.string()}), options_to(out));
    CHECK(denied.kind == Outcome::Kind::failure);
    CHECK(denied.error == "cannot execute '" + file.string() + "': Permission denied");

    auto empty = run(CommandSpec{}, options_to(out));
    CHECK(empty.kind == Outcome::Kind::failure);
    CHECK(no_children_left());
}

TEST_CASE("no deadlock with a large payload and a large output", "[command]") {
    TempDir dir;
    Output out(dir);
    std::string payload = "[";
    for (int i = 0; i < 100'000; ++i) payload += "\"0123456789\",\n";
    payload += "\"end\"]";

    SECTION("the command echoes stdin while it is still being written") {
        auto outcome = run(command({"cat"}), options_to(out), make_job(payload));
        CHECK(outcome.kind == Outcome::Kind::success);
        // Every line prefixed; the unterminated last line gets its newline.
        CHECK(out.text().size() ==
              payload.size() + 1 + 100'001 * std::string("[01JOBTESTID] ").size());
    }
    SECTION("a command that never reads stdin does not kill the worker with SIGPIPE") {
        auto outcome = run(command({"true"}), options_to(out), make_job(payload));
        CHECK(outcome.kind == Outcome::Kind::success);
    }
}

TEST_CASE("what the command leaves running in its group is killed when it exits", "[command]") {
    TempDir dir;
    Output out(dir);
    auto spec = command({dir.script("leave.sh", "sleep 30 & echo $!").string()});
    const auto start = std::chrono::steady_clock::now();

    auto outcome = run(spec, options_to(out));

    CHECK(outcome.kind == Outcome::Kind::success);
    CHECK(seconds_since(start) < 2.0);
    const std::string text = out.text();
    REQUIRE(text.rfind("[01JOBTESTID] ", 0) == 0);
    const pid_t background = std::stoi(text.substr(14));
    CHECK(process_gone(background));
    CHECK(no_children_left());
}

TEST_CASE("blocked or ignored signals in the worker do not leak into the command", "[command]") {
    TempDir dir;
    Output out(dir);
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigset_t previous;
    pthread_sigmask(SIG_BLOCK, &term, &previous);

    auto spec = command({"sleep", "30"});
    spec.timeout = 200ms;
    auto options = options_to(out);
    options.kill_grace = 5s;
    const auto start = std::chrono::steady_clock::now();
    auto outcome = run(spec, options);
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);

    CHECK(outcome.exit_status == 128 + SIGTERM);  // SIGTERM worked: no need for SIGKILL
    CHECK(seconds_since(start) < 2.0);
}

TEST_CASE("a worker that ignores SIGCHLD gets a failure, not a hang", "[command]") {
    TempDir dir;
    Output out(dir);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    struct sigaction previous {};
    sigaction(SIGCHLD, &ignore, &previous);
    const auto start = std::chrono::steady_clock::now();
    auto outcome = run(command({"true"}), options_to(out));
    sigaction(SIGCHLD, &previous, nullptr);

    CHECK(seconds_since(start) < 2.0);
    CHECK(outcome.kind == Outcome::Kind::failure);
    CHECK(outcome.error == "exit status unknown: the worker ignores SIGCHLD");
}

TEST_CASE("no descriptors leak, whatever the outcome", "[command]") {
    TempDir dir;
    Output out(dir);
    auto count_fds = [] {
        return std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator{});
    };
    const auto before = count_fds();
    auto slow = command({"sleep", "30"});
    slow.timeout = 50ms;
    for (int i = 0; i < 5; ++i) {
        run(command({"true"}), options_to(out));
        run(command({"sh", "-c", "echo x >&2; exit 3"}), options_to(out));
        run(command({"q-no-such-command-anywhere"}), options_to(out));
        run(slow, options_to(out));
    }
    CHECK(count_fds() == before);
    CHECK(no_children_left());
}
