// q import-file PATH: the jobs of a queue file (q's, the Dart file drivers', or q export's NDJSON)
// moved into the configured driver, all or nothing (libqueue/import.hpp says what moves).
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "commands/commands.hpp"
#include "libqueue/errors.hpp"
#include "libqueue/import.hpp"
#include "libqueue/registry.hpp"
#include "output.hpp"

namespace q {

namespace {

struct ImportArgs {
    std::string path;
    std::string tz;
    bool dry_run = false;
    bool skip_unreadable = false;
};

constexpr const char* description =
    "Move the jobs of a queue file into the configured driver\n"
    "\n"
    "Reads PATH as q inspect-file does (q's queue file, the Dart file drivers' jobs.json in "
    "either layout, or q export's NDJSON) and pushes its jobs in one batch, all or nothing, "
    "keeping each job's id, name, queue, payload, max_retries, attempts used and due time. A job "
    "that was processing comes in due now (nobody runs it here); completed jobs and dead "
    "letters stay behind, each named with the reason. PATH itself is never changed: remove it "
    "(or stop its workers) once the import is done, or the jobs run in both places.";

constexpr const char* footer =
    "Examples:\n"
    "  q import-file --dry-run storage/queue/jobs.json\n"
    "  q import-file storage/queue/jobs.json && mv storage/queue/jobs.json jobs.json.imported\n"
    "  q --config old.json export --status pending > jobs.ndjson && q import-file jobs.ndjson\n"
    "\n"
    "Output:\n"
    "What was imported and what was skipped, and why. With --json one document:\n"
    "{\"path\", \"layout\", \"driver\", \"dry_run\", \"imported\": N, \"jobs\": [{\"entry\", "
    "\"id\"}],\n"
    "\"skipped\": [{\"entry\", \"id\", \"reason\"}]}.\n"
    "\n"
    "Exit status:\n"
    "  0   imported (or, with --dry-run, would be); also when there was nothing to import\n"
    "  64  bad option, or the sync driver (it stores nothing)\n"
    "  65  PATH is not a queue file; an entry cannot be read (without --skip-unreadable); a\n"
    "      job's id is already in the driver. Nothing is imported.\n"
    "  66  no such file\n"
    "  69  the backend cannot be reached";

void print_human(const libqueue::FileInspection& inspection, const libqueue::ImportPlan& plan,
                 const std::string& driver, bool dry_run) {
    std::cout << fmt::format("{} {} job{} from {} ({}) into {}\n",
                             dry_run ? "would import" : "imported", plan.jobs.size(),
                             plan.jobs.size() == 1 ? "" : "s", inspection.path.string(),
                             libqueue::to_string(inspection.layout), driver);
    if (dry_run) {
        for (std::size_t i = 0; i < plan.jobs.size(); ++i) {
            const auto& job = plan.jobs[i];
            std::cout << fmt::format("  {}: {} {} (queue {}, attempts {})\n", plan.entries[i],
                                     job.id, job.name, job.queue, job.attempts);
        }
    }
    if (!plan.skipped.empty()) {
        std::cout << fmt::format("skipped {}:\n", plan.skipped.size());
        for (const auto& skip : plan.skipped) {
            std::cout << fmt::format("  {}{}: {}\n", skip.entry,
                                     skip.id.empty() ? "" : " " + skip.id, skip.reason);
        }
    }
}

nlohmann::json plan_to_json(const libqueue::FileInspection& inspection,
                            const libqueue::ImportPlan& plan, const std::string& driver,
                            bool dry_run) {
    nlohmann::json jobs = nlohmann::json::array();
    for (std::size_t i = 0; i < plan.jobs.size(); ++i)
        jobs.push_back({{"entry", plan.entries[i]}, {"id", plan.jobs[i].id}});
    nlohmann::json skipped = nlohmann::json::array();
    for (const auto& skip : plan.skipped)
        skipped.push_back({{"entry", skip.entry}, {"id", skip.id}, {"reason", skip.reason}});
    return {{"path", inspection.path.string()},
            {"layout", std::string(libqueue::to_string(inspection.layout))},
            {"driver", driver},
            {"dry_run", dry_run},
            {"imported", plan.jobs.size()},
            {"jobs", std::move(jobs)},
            {"skipped", std::move(skipped)}};
}

void run_import(Context& context, const ImportArgs& args) {
    const std::string driver_name = context.config().driver;
    // The registry says which drivers run jobs at push instead of storing them (sync).
    if (libqueue::dispatch_mode(driver_name) == libqueue::DispatchMode::run_at_dispatch) {
        throw libqueue::UsageError(fmt::format(
            "driver '{}' stores nothing: import into a driver that keeps jobs", driver_name));
    }
    auto inspection = libqueue::inspect_queue_file(args.path, libqueue::LocalZone(args.tz));
    if (!inspection.problems.empty() && !args.skip_unreadable) {
        const auto& first = inspection.problems.front();
        throw libqueue::DataError(
            fmt::format("{}: {} entr{} cannot be read (first, {}: {}); nothing imported "
                        "(--skip-unreadable imports the rest)",
                        inspection.path.string(), inspection.problems.size(),
                        inspection.problems.size() == 1 ? "y" : "ies", first.entry, first.error));
    }
    auto plan = libqueue::plan_import(inspection);
    if (!args.dry_run && !plan.jobs.empty()) {
        try {
            context.driver().push_batch(plan.jobs);
        } catch (const libqueue::DataError& e) {
            throw libqueue::DataError(
                fmt::format("{}: {}; nothing imported", inspection.path.string(), e.what()));
        }
    }
    if (context.json()) {
        emit_json(plan_to_json(inspection, plan, driver_name, args.dry_run));
    } else {
        print_human(inspection, plan, driver_name, args.dry_run);
    }
}

}  // namespace

void add_import_file_command(CLI::App& app, Context& context) {
    auto args = std::make_shared<ImportArgs>();
    auto* cmd = app.add_subcommand("import-file", description);
    cmd->footer(footer);
    cmd->add_option("PATH", args->path, "The queue file to import")->required()->type_name("PATH");
    cmd->add_flag("--dry-run", args->dry_run, "Show what would be imported; change nothing");
    cmd->add_flag("--skip-unreadable", args->skip_unreadable,
                  "Import the readable jobs when some entries cannot be read (they are listed)");
    cmd->add_option("--tz", args->tz,
                    "Read times written without a zone as local time in ZONE (default: this "
                    "machine's)")
        ->type_name("ZONE");
    cmd->callback([&context, args] { run_import(context, *args); });
}

}  // namespace q
