// Runs a job as an external command: the handler contract (docs/lifecycle.md, "The handler
// contract").
#pragma once

#include <stop_token>

#include "libqueue/config.hpp"
#include "libqueue/handler.hpp"
#include "libqueue/job.hpp"

namespace libqueue::exec {

// How much of the end of stderr becomes last_error.
inline constexpr std::size_t stderr_tail_bytes = 4096;

// Executes spec.command directly (no shell) in its own process group, with the payload on stdin,
// the worker's environment (less the credentials of secrets.hpp, such as PGPASSWORD) plus Q_JOB_ID,
// Q_JOB_NAME, Q_QUEUE, Q_ATTEMPT, Q_MAX_RETRIES and spec.env, in spec.cwd when set. Output lines go
// to options.output_fd prefixed "[job id] ".
//
// Exit 0: success. Exit 65: bad_data. Other exits, death by a signal (exit_status 128+signal), the
// timeout, a command that cannot be executed: failure. A stop request: interrupted. A timeout or a
// stop sends SIGTERM to the process group, then SIGKILL after options.kill_grace. When the command
// exits, whatever it left running in its process group is killed. The child is always reaped.
Outcome run_command(const CommandSpec& spec, const CommandOptions& options, const Job& job,
                    std::stop_token stop);

}  // namespace libqueue::exec
