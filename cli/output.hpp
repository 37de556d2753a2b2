// How commands print: human text (tables, details, notes on stderr) and machine JSON (one
// compact document per line on stdout, so a list is NDJSON and `jq` reads any output).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "context.hpp"
#include "libqueue/libqueue.hpp"

namespace q {

// One JSON document as a single line on stdout (flushed). Lists print one per line (NDJSON).
void emit_json(const nlohmann::json& value);
// The same, keeping the keys in the order written (events: "event" first).
void emit_ordered_json(const nlohmann::ordered_json& value);
// Indented, for documents people read (q config); still valid JSON.
void emit_json_pretty(const nlohmann::json& value);

// A line on stdout (the command's result: an id, a count).
void print_line(const std::string& text);
// A note for people on stderr ("q: cleared 12 jobs"); silent with -q.
void note(const Context& context, const std::string& text);
// Extra detail on stderr, only with -v (level 1) or -vv (level 2).
void debug(const Context& context, int level, const std::string& text);

// Jobs as an aligned table on stdout: ID NAME QUEUE STATUS ATTEMPTS DUE/FINISHED LAST_ERROR.
// Prints "no jobs" on stderr when empty (unless -q).
// A table on stdout: a header row, then rows, columns two spaces apart, sized by characters
// (UTF-8 code points); columns from `numeric_from` on are right-aligned. No trailing spaces.
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows,
                 std::size_t numeric_from = std::size_t(-1));

void print_job_table(const Context& context, const std::vector<libqueue::Job>& jobs);
// Jobs as NDJSON (job_to_json per line).
void print_jobs_json(const std::vector<libqueue::Job>& jobs);
// The table or NDJSON, as --json asks.
void print_jobs(const Context& context, const std::vector<libqueue::Job>& jobs);

// One job, every field, "key: value" lines on stdout; the payload pretty-printed when it is JSON;
// then its attempts (attempt_output.hpp) when logs are kept.
void print_job_details(const libqueue::Job& job,
                       const std::vector<libqueue::AttemptLog>& history = {});
// The details or job_to_json (plus "attempts_log"), as --json asks.
void print_job(const Context& context, const libqueue::Job& job,
               const std::vector<libqueue::AttemptLog>& history = {});

// "2026-11-23T17:00:00.000Z", or "-" when unset.
std::string format_time(const std::optional<libqueue::TimePoint>& t);
// "in 30s" / "5m ago" relative to now.
std::string format_relative(libqueue::TimePoint t, libqueue::TimePoint now);
// The first line of text, cut to max_chars with "..." (for tables and event lines).
std::string one_line(const std::string& text, std::size_t max_chars = 80);

// The mean run time of the completions q timed ("120ms"), "-" when there are none: q stats'
// tables and its --watch view.
std::string average_run_text(const libqueue::Totals& totals);

// The word human output uses for a status: "dead" for the stored "failed" (the state q dlq
// holds and q work reports), the stored word otherwise. --json keeps the stored word.
std::string status_word(libqueue::Status status);

// "paused: QUEUE since TIME by USER@HOST [until TIME]": how q stats and q workers show a pause.
std::string pause_line(const libqueue::Pause& pause);

bool stdin_is_tty();
bool stderr_is_tty();
// user@host: who asks (a pause, a cancel), for whoever finds what they did.
std::string operator_name();

// Asks "<question> [y/N] " on the terminal and returns the answer. With assume_yes (--yes)
// returns true without asking. Without a terminal on stdin, throws UsageError
// "<what_for>: not a terminal; pass --yes to confirm" (exit 64): never act unconfirmed.
bool confirm(const std::string& question, bool assume_yes, const std::string& what_for);

}  // namespace q
