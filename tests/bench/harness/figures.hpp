// The library-level figures. Each measures one thing on a fresh backend and returns its numbers
// as JSON (rates in jobs per second, times in milliseconds); scripts/bench takes the medians.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>

#include "harness/backends.hpp"

namespace bench {

// push() `one_by_one` jobs, then push_batch() `bulk` jobs in batches of `batch`.
nlohmann::json enqueue(Backend& backend, std::size_t one_by_one, std::size_t bulk,
                       std::size_t batch);

// Backend::is_sqlite() only: what SQLite alone takes to store the rows push_batch()
// stores, `bulk` of them in transactions of `batch`, on a database q made (its schema, indexes
// and triggers, its pragmas) and left as enqueue() leaves it (`one_by_one` jobs pushed and
// cleared), in INSERT statements of as many rows as the driver writes at once. Ids and times are
// made before the clock starts: the rate is SQLite's ceiling for q's bulk enqueue, which
// enqueue()'s bulk_jobs_per_s is compared with.
nlohmann::json sqlite_ceiling(Backend& backend, std::size_t one_by_one, std::size_t bulk,
                              std::size_t batch);

// `jobs` no-op jobs stored first (untimed), then a libqueue::Worker with a no-op C++ handler and
// `concurrency` slots drains them (stop_when_empty); the rate counts from run() to its return.
// With `logs`, each attempt's log is kept (queue.logs.enabled), as a worker does by default.
// limit_concurrency > 0: the jobs' name has that concurrency limit (each job asks the backend
// before it starts and gives its place back after: what a limited name costs).
nlohmann::json drain(Backend& backend, std::size_t jobs, unsigned concurrency, bool logs = true,
                     unsigned limit_concurrency = 0);

// A worker (concurrency 1) and another driver object pushing one job every `gap_ms`: the time
// from just before push() to the handler's start, `samples` times. The worker is idle (blocked in
// wait_for_jobs) unless `background_per_s` > 0: then a third driver object pushes that many
// no-op jobs a second into the same queue meanwhile.
nlohmann::json latency(Backend& backend, std::size_t samples, unsigned gap_ms,
                       unsigned background_per_s);

// Backend::is_postgres() only: latency()'s path with PostgreSQL alone, the floor q's push ->
// start is compared with. On the table q made (its indexes and triggers), one connection
// inserts a job and notifies in one statement; another, listening, claims the oldest due job
// with one UPDATE ... FOR UPDATE SKIP LOCKED as soon as the notification comes. Both commit as
// the server's settings say (durably, on scripts/pg-start's). Timed from just before the insert
// to the claim's return, `samples` times, one every `gap_ms`.
nlohmann::json postgres_latency_floor(Backend& backend, std::size_t samples, unsigned gap_ms);

// `pending` jobs stored (in batches), then `runs` times: claim one job at a time and complete it,
// `claims` times. Reports the claim rate (jobs / time inside claim()) and the cycle rate
// (claim + complete). With pending <= 2 * claims the store is refilled before each run, so every
// run starts with `pending` jobs.
nlohmann::json claim(Backend& backend, std::size_t pending, std::size_t claims, unsigned runs);

// `jobs` jobs stored, then claimed `limit` at a time and completed, `runs` times each way: one
// complete() per job, and one complete_batch() per claim. Reports both rates (claim + complete,
// jobs per second) and batch ÷ one-by-one. The store is refilled before every run.
nlohmann::json complete(Backend& backend, std::size_t jobs, std::size_t limit, unsigned runs);

}  // namespace bench
