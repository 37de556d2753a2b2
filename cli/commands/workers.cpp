// q workers: the workers that run jobs of this backend now, on any host, from the records each
// q work keeps in the backend (libqueue/worker_registry.hpp).
#include <fmt/format.h>

#include <algorithm>

#include "commands/commands.hpp"
#include "libqueue/pauses.hpp"
#include "libqueue/registry.hpp"
#include "libqueue/worker_registry.hpp"
#include "output.hpp"

namespace q {

namespace {

constexpr const char* description =
    "List the workers running now, on every host\n"
    "\n"
    "Each q work keeps a record of itself in the backend, refreshed with its heartbeats (every "
    "third of queue.stale_after) and removed when it stops. A worker unseen for its "
    "stale_after shows as lost: killed, its host down, or cut off from the backend; its jobs "
    "come back by stale recovery, and its record is removed a day later. With --queue, only "
    "the workers serving that queue.";

constexpr const char* footer =
    "Examples:\n"
    "  q workers\n"
    "  q --queue emails workers\n"
    "  q workers --json | jq -r '.[] | select(.state == \"lost\") | .id'\n"
    "\n"
    "Output:\n"
    "A table: WORKER (host:pid:tag), QUEUES, STATE (working, idle, stopping or lost), RUNNING\n"
    "(a job it runs, +N more), UP (since it started), SEEN (its last refresh), COMPLETED,\n"
    "RETRIED and DEAD (since it started); \"no workers\" on stderr when there are none. With "
    "--json an\n"
    "array of {\"id\", \"host\", \"pid\", \"queues\", \"concurrency\", \"started_at\", "
    "\"last_seen\",\n"
    "\"stale_after_ms\", \"state\", \"completed\", \"retried\", \"dead\", \"running\"}.\n"
    "\n"
    "Exit status:\n"
    "  0   listed (also when there are none)\n"
    "  64  a driver without workers of its own (sync, memory)\n"
    "  69  the backend cannot be reached";

std::string running_text(const std::vector<std::string>& ids) {
    if (ids.empty())
        return "-";
    std::string text = ids.front();
    if (ids.size() > 1)
        text += fmt::format(" +{}", ids.size() - 1);
    return text;
}

}  // namespace

void add_workers_command(CLI::App& app, Context& context) {
    auto* cmd = app.add_subcommand("workers", description);
    cmd->footer(footer);
    cmd->callback([&context] {
        libqueue::require_stored_jobs(context.config().driver);
        auto& driver = context.driver();
        auto workers = libqueue::list_workers(driver);
        if (const auto queue = context.queue_filter()) {
            std::erase_if(workers,
                          [&](const libqueue::WorkerRecord& w) { return !w.serves(*queue); });
        }
        if (context.json()) {
            auto out = nlohmann::json::array();
            for (const auto& w : workers) out.push_back(w.to_json());
            emit_json(out);
            return;
        }
        if (workers.empty()) {
            note(context, "no workers");
            return;
        }
        const auto now = driver.now();
        std::vector<std::vector<std::string>> rows;
        for (const auto& w : workers) {
            const auto up = std::chrono::duration_cast<std::chrono::seconds>(
                std::max(now - w.started_at, libqueue::Milliseconds{0}));
            rows.push_back({w.id, fmt::format("{}", fmt::join(w.queues, ",")), w.state(),
                            running_text(w.running), libqueue::format_duration(up),
                            format_relative(std::min(w.last_seen, now), now),
                            std::to_string(w.completed), std::to_string(w.retried),
                            std::to_string(w.dead)});
        }
        print_table(
            {"WORKER", "QUEUES", "STATE", "RUNNING", "UP", "SEEN", "COMPLETED", "RETRIED", "DEAD"},
            rows, 6);
        // A worker idle on a paused queue is waiting on purpose: say so next to it.
        for (const auto& pause : libqueue::paused_queues(driver)) {
            if (!context.queue_filter() || *context.queue_filter() == pause.queue)
                print_line(pause_line(pause));
        }
    });
}

}  // namespace q
