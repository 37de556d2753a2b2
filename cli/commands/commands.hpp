// Every subcommand adds itself to the app through one function; main.cpp lists them all.
#pragma once

#include <CLI/CLI.hpp>

#include "context.hpp"

namespace q {

void add_push_command(CLI::App& app, Context& context);
void add_work_command(CLI::App& app, Context& context);
void add_run_command(CLI::App& app, Context& context);
void add_show_command(CLI::App& app, Context& context);
void add_wait_command(CLI::App& app, Context& context);
void add_cancel_command(CLI::App& app, Context& context);
void add_list_command(CLI::App& app, Context& context);
void add_size_command(CLI::App& app, Context& context);
void add_clear_command(CLI::App& app, Context& context);
void add_prune_command(CLI::App& app, Context& context);
void add_stats_command(CLI::App& app, Context& context);
void add_dlq_command(CLI::App& app, Context& context);
void add_recover_stale_command(CLI::App& app, Context& context);
void add_config_command(CLI::App& app, Context& context);
void add_version_command(CLI::App& app, Context& context);
void add_inspect_file_command(CLI::App& app, Context& context);
void add_migrate_command(CLI::App& app, Context& context);

}  // namespace q
