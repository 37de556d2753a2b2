#!/usr/bin/env python3
"""Turns scripts/bench's raw runs into results.json, results.md and README-table.md.

usage: report.py RAW.jsonl MACHINE.json OUT_DIR

Every figure is the median of its runs. Ratios are q / peer (higher is better for q) except for
latencies and times, where the table says which way is better.
"""
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path


def load(raw_path):
    runs = defaultdict(list)
    errors = {}
    notes = []
    for line in Path(raw_path).read_text().splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if "note" in row:
            notes.append(row)
            continue
        key = (row["subject"], row["label"])
        if "error" in row:
            errors[key] = row["error"]
            continue
        runs[key].append(row)
    return runs, errors, notes


def median_of(rows, field):
    values = []
    for row in rows:
        value = row.get(field)
        if isinstance(value, list):
            values.extend(value)
        elif isinstance(value, (int, float)):
            values.append(value)
    return statistics.median(values) if values else None


def summarize(runs):
    figures = {}
    for (subject, label), rows in runs.items():
        fields = set()
        for row in rows:
            fields.update(k for k, v in row.items() if isinstance(v, (int, float, list)))
        fields.discard("run")
        figures[f"{subject}:{label}"] = {
            "subject": subject,
            "label": label,
            "runs": len(rows),
            **{f: median_of(rows, f) for f in sorted(fields)},
        }
    return figures


def fmt_rate(v):
    if v is None:
        return "—"
    if v >= 100:
        return f"{v:,.0f}"
    return f"{v:.1f}"


def fmt_ms(v):
    return "—" if v is None else (f"{v:.2f}" if v < 10 else f"{v:.0f}")


def fmt_ratio(a, b):
    if a is None or b is None or b == 0:
        return "—"
    return f"{a / b:.2f}×"


class Report:
    def __init__(self, figures, errors, machine):
        self.f = figures
        self.errors = errors
        self.machine = machine
        self.targets = []

    def get(self, subject, label, field):
        row = self.f.get(f"{subject}:{label}")
        return None if row is None else row.get(field)

    def best_drain(self, subject, backend):
        """(jobs/s, concurrency) of the best concurrency measured."""
        best = (None, None)
        for row in self.f.values():
            parts = row["label"].split("/")
            if row["subject"] == subject and parts[0] == "drain" and parts[1] == backend:
                rate = row.get("jobs_per_s")
                if rate is not None and (best[0] is None or rate > best[0]):
                    best = (rate, int(parts[2][1:]))
        return best

    def xargs_concurrencies(self):
        """The N values `xargs -P N` ran with, ascending."""
        return sorted({int(r["label"].split("/c")[1]) for r in self.f.values()
                       if r["label"].startswith("xargs-true/")})

    def best_drain_rss(self, subject, backend):
        """Peak RSS (kB) of the drain at subject's best concurrency; None if not measured."""
        _, c = self.best_drain(subject, backend)
        return None if c is None else self.get(subject, f"drain/{backend}/c{c}", "peak_rss_kb")

    def target(self, name, met, figures):
        verdict = "—  (not measured)" if met is None else ("met" if met else "**not met**")
        self.targets.append({"target": name, "met": met, "figures": figures, "verdict": verdict})

    def build(self):
        out = []
        m = self.machine
        mach = m["machine"]
        v = m["versions"]
        out.append("# q benchmark results\n")
        out.append(
            f"{m['date']} · {mach['cpu']} · {mach['nproc']} cores · {mach['memory']} · "
            f"Linux {mach['kernel']} · load average before {mach['load_before']}, after "
            f"{mach['load_after']} · median of {m['runs']} runs per figure · "
            f"{m['jobs']:,} jobs per drain unless said\n"
        )
        out.append(
            f"Versions: {v['q']} (gcc {v['gcc']}, release build), SQLite {v['sqlite']}, "
            f"PostgreSQL {v['postgresql'] or '—'}, Redis {v['redis'] or '—'}, Node {v['node']}; "
            f"graphile-worker {v['graphile-worker']}, BullMQ {v['bullmq']}, plainjob "
            f"{v['plainjob']} (better-sqlite3 {v['better-sqlite3']}).\n"
        )
        for r in m.get("reruns", []):
            out.append(f"Re-measured {r['date']}: {r['sections']} (load average before "
                       f"{r['load_before']}, after {r['load_after']}).\n")
        if m.get("note"):
            out.append(m["note"] + "\n")
        if m.get("smoke"):
            out.append("**Smoke run: a few hundred jobs, q only. Not figures to quote.**\n")
        out.append(
            "PostgreSQL runs with fsync and synchronous_commit on; Redis with AOF, appendfsync "
            "everysec. q keeps completed rows (its default), as BullMQ and plainjob do; "
            "Graphile Worker deletes them.\n"
        )
        out += self.drain_section()
        out += self.logs_section()
        out += self.enqueue_section()
        out += self.latency_section()
        out += self.claim_section()
        out += self.process_section()
        out += self.calls_section()
        out += self.rss_section()
        out += self.targets_section()
        if self.errors:
            out.append("## Runs that failed\n")
            for (subject, label), err in sorted(self.errors.items()):
                out.append(f"- {subject} {label}: `{err.strip()}`")
            out.append("")
        return "\n".join(out)

    def drain_section(self):
        out = ["## (2) No-op jobs processed per second (library worker, C++ no-op handler)\n",
               "| backend | q c=1 | q best (c) | peer | peer c=1 | peer best (c) | q best ÷ peer best |",
               "|---|---:|---:|---|---:|---:|---:|"]
        pairs = [("postgres", "graphile-worker"), ("redis", "bullmq"),
                 ("sqlite-normal", "plainjob"), ("sqlite-full", "plainjob"),
                 ("file", None), ("memory", None)]
        goals = {"graphile-worker": 2.0, "bullmq": 2.0, "plainjob": 3.0}
        for backend, peer in pairs:
            q1 = self.get("q", f"drain/{backend}/c1", "jobs_per_s")
            qb, qc = self.best_drain("q", backend)
            if q1 is None and qb is None:
                continue
            p1 = pb = pc = None
            if peer:
                p1 = self.get(peer, f"drain/{backend}/c1", "jobs_per_s")
                pb, pc = self.best_drain(peer, backend)
            out.append(
                f"| {backend} | {fmt_rate(q1)} | {fmt_rate(qb)} ({qc}) | {peer or '—'} | "
                f"{fmt_rate(p1)} | {fmt_rate(pb)}{f' ({pc})' if pc else ''} | {fmt_ratio(qb, pb)} |"
            )
            if peer:
                goal = goals[peer]
                met = None if qb is None or pb is None else qb >= goal * pb
                self.target(f"no-op jobs/s on {backend} ≥ {goal:g}× {peer}", met,
                            f"q {fmt_rate(qb)} (c={qc}) vs {fmt_rate(pb)} (c={pc}): "
                            f"{fmt_ratio(qb, pb)}")
        out.append("\nc is the worker's concurrency (plainjob: worker processes, one job at a time "
                   "each, as its README scales out; BullMQ: Worker concurrency; Graphile Worker: "
                   "concurrentJobs with its performance-page settings, 24 being its documented "
                   "best). File driver: 1,000 jobs.\n")
        return out

    def logs_section(self):
        """What keeping attempt logs (on by default) costs a no-op drain, per backend."""
        rows = []
        for backend in ["postgres", "redis", "sqlite-normal", "sqlite-full", "file", "memory"]:
            off_label = next((row["label"] for row in self.f.values()
                              if row["subject"] == "q"
                              and row["label"].startswith(f"drain-nologs/{backend}/")), None)
            if off_label is None:
                continue
            c = off_label.rsplit("/c", 1)[1]
            off = self.get("q", off_label, "jobs_per_s")
            on = self.get("q", f"drain/{backend}/c{c}", "jobs_per_s")
            if off is None or on is None:
                continue
            rows.append(f"| {backend} | {c} | {fmt_rate(on)} | {fmt_rate(off)} | {fmt_ratio(on, off)} |")
            self.target(f"no-op jobs/s on {backend} with logs ≥ 0.9× without", on >= 0.9 * off,
                        f"{fmt_rate(on)} with, {fmt_rate(off)} without: {fmt_ratio(on, off)}")
        if not rows:
            return []
        return ["## (2b) The cost of attempt logs (queue.logs, on by default)\n",
                "| backend | c | with logs | without | with ÷ without |",
                "|---|---:|---:|---:|---:|"] + rows + [""]

    def enqueue_section(self):
        out = ["## (1) Enqueue, jobs per second\n",
               "| backend | q push() one by one | q push_batch() (1,000 a batch) | `q push --batch FILE` (whole process) | peer | peer one by one | peer bulk | q bulk ÷ peer bulk |",
               "|---|---:|---:|---:|---|---:|---:|---:|"]
        peers = {"postgres": "graphile-worker", "redis": "bullmq",
                 "sqlite-normal": "plainjob", "sqlite-full": "plainjob"}
        apis = {"graphile-worker": "addJobs", "bullmq": "addBulk", "plainjob": "addMany"}
        for backend in ["postgres", "redis", "sqlite-normal", "sqlite-full", "file", "memory"]:
            one = self.get("q", f"enqueue/{backend}", "one_by_one_jobs_per_s")
            bulk = self.get("q", f"enqueue/{backend}", "bulk_jobs_per_s")
            if one is None:
                continue
            cli = self.get("q", f"push-batch-cli/{backend}", "jobs_per_s")
            peer = peers.get(backend)
            p1 = self.get(peer, f"enqueue/{backend}", "one_by_one_jobs_per_s") if peer else None
            pb = self.get(peer, f"enqueue/{backend}", "bulk_jobs_per_s") if peer else None
            out.append(f"| {backend} | {fmt_rate(one)} | {fmt_rate(bulk)} | {fmt_rate(cli)} | "
                       f"{peer or '—'} | {fmt_rate(p1)} | {fmt_rate(pb)} | {fmt_ratio(bulk, pb)} |")
            if peer:
                met = None if bulk is None or pb is None else bulk > pb
                self.target(f"bulk enqueue on {backend} beats {peer}'s {apis[peer]}", met,
                            f"q {fmt_rate(bulk)} vs {fmt_rate(pb)} jobs/s: {fmt_ratio(bulk, pb)}")
        out.append("")
        ceilings = []
        for backend in ["sqlite-normal", "sqlite-full"]:
            bulk = self.get("q", f"enqueue/{backend}", "bulk_jobs_per_s")
            alone = self.get("sqlite", f"ceiling/{backend}", "bulk_jobs_per_s")
            if alone is None:
                continue
            ceilings.append(f"| {backend} | {fmt_rate(bulk)} | {fmt_rate(alone)} | "
                            f"{fmt_ratio(bulk, alone)} |")
            met = None if bulk is None else bulk >= 0.9 * alone
            self.target(f"bulk enqueue on {backend} reaches 0.9× of SQLite alone", met,
                        f"q {fmt_rate(bulk)} vs {fmt_rate(alone)} jobs/s: {fmt_ratio(bulk, alone)}")
        if ceilings:
            out += ["SQLite alone: the same rows inserted into a database q made (its schema, "
                    "indexes and triggers, its pragmas), with q's INSERT statements of 32 rows and "
                    "one transaction per 1,000, ids and times made before the clock starts "
                    "(`q_bench ceiling`). What q adds is making ids, checking payloads and its "
                    "counters.\n",
                    "| backend | q push_batch() | SQLite alone | q ÷ SQLite alone |",
                    "|---|---:|---:|---:|"] + ceilings + [""]
        return out

    def latency_section(self):
        out = ["## (3) push → start latency (1,000 jobs, ms; lower is better)\n",
               "| backend | q p50 | q p99 | q p50 loaded | q p99 loaded | peer | peer p50 | peer p99 |",
               "|---|---:|---:|---:|---:|---|---:|---:|"]
        peers = {"postgres": "graphile-worker", "redis": "bullmq", "sqlite-normal": "plainjob"}
        goals = {"postgres": 2.0, "redis": 0.8}
        for backend in ["postgres", "postgres-async", "redis", "sqlite-normal", "sqlite-full",
                        "file", "memory"]:
            p50 = self.get("q", f"latency/{backend}", "p50_ms")
            if p50 is None:
                continue
            p99 = self.get("q", f"latency/{backend}", "p99_ms")
            l50 = self.get("q", f"latency-loaded/{backend}", "p50_ms")
            l99 = self.get("q", f"latency-loaded/{backend}", "p99_ms")
            peer = peers.get(backend)
            pp50 = self.get(peer, f"latency/{backend}", "p50_ms") if peer else None
            pp99 = self.get(peer, f"latency/{backend}", "p99_ms") if peer else None
            out.append(f"| {backend} | {fmt_ms(p50)} | {fmt_ms(p99)} | {fmt_ms(l50)} | "
                       f"{fmt_ms(l99)} | {peer or '—'} | {fmt_ms(pp50)} | {fmt_ms(pp99)} |")
            if backend in goals:
                f50 = self.get("postgres", f"floor/{backend}", "p50_ms")
                floor = "" if f50 is None else f"; PostgreSQL alone on the same path p50 {fmt_ms(f50)} ms"
                self.target(f"push→start p50 on {backend} ≤ {goals[backend]:g} ms", p50 <= goals[backend],
                            f"p50 {fmt_ms(p50)} ms, p99 {fmt_ms(p99)} ms idle; "
                            f"p50 {fmt_ms(l50)} ms, p99 {fmt_ms(l99)} ms loaded{floor}")
        out.append("\nThe time from just before push() (another driver object, as another process "
                   "would be) to the handler's start. Idle: the worker waits with idle_sleep 1s, so "
                   "anything well under 500 ms is a wake-up, not a poll. Loaded: a third driver "
                   "object pushes 1,000 other no-op jobs a second, one at a time, into the same "
                   "queue and worker meanwhile (not on the file driver, which takes a few hundred "
                   "pushes a second). postgres-async: `queue.postgres.synchronous_commit: \"off\"`, "
                   "the worker's claims and outcomes not waiting for the server's disk (pushes "
                   "still do; the risk is in the README). plainjob polls every second (its default `pollIntervall`) "
                   "and has no wake-up; it is measured over 50 jobs.\n")
        f50 = self.get("postgres", "floor/postgres", "p50_ms")
        if f50 is not None:
            f99 = self.get("postgres", "floor/postgres", "p99_ms")
            q50 = self.get("q", "latency/postgres", "p50_ms")
            out.append(f"PostgreSQL alone on the same path (`q_bench floor`, run by run alternated "
                       f"with q's idle figure): p50 {fmt_ms(f50)} ms, p99 {fmt_ms(f99)} ms; q ÷ "
                       f"that at p50 {fmt_ratio(q50, f50)}. On the table q made, one connection "
                       "inserts a job and notifies in one statement; another, listening, claims the "
                       "oldest due job with one UPDATE … FOR UPDATE SKIP LOCKED when the "
                       "notification comes; both commit durably. What q adds: the push's counters "
                       "and id, the claim's tokens and job columns, and the worker around the "
                       "driver.\n")
        return out

    def claim_section(self):
        out = ["## (4) Claim rate with 1,000 vs 1,000,000 pending jobs (one job a claim, each completed)\n",
               "| backend | claims/s, 1k pending | claims/s, 1M pending | 1M ÷ 1k | claim+complete/s 1k | claim+complete/s 1M |",
               "|---|---:|---:|---:|---:|---:|"]
        for backend in ["sqlite-normal", "sqlite-full", "postgres"]:
            small = self.get("q", f"claim/{backend}/1k", "claim_per_s")
            big = self.get("q", f"claim/{backend}/big", "claim_per_s")
            if small is None:
                continue
            pending = self.get("q", f"claim/{backend}/big", "pending")
            c1 = self.get("q", f"claim/{backend}/1k", "claim_complete_per_s")
            c2 = self.get("q", f"claim/{backend}/big", "claim_complete_per_s")
            out.append(f"| {backend} | {fmt_rate(small)} | {fmt_rate(big)} | {fmt_ratio(big, small)} | "
                       f"{fmt_rate(c1)} | {fmt_rate(c2)} |")
            met = None if big is None else big >= 0.8 * small
            self.target(f"claim rate on {backend} at {pending or 0:,.0f} pending ≥ 0.8× at 1k", met,
                        f"{fmt_rate(big)} vs {fmt_rate(small)} claims/s: {fmt_ratio(big, small)}")
        out.append("\nclaims/s counts the time inside claim() only; the last two columns the whole "
                   "claim + complete cycle. 500 claims a run.\n")
        return out

    def process_section(self):
        out = ["## (5) Whole processes: `q work` running `true` per job vs `xargs`, and `q push`\n"]
        xc = self.xargs_concurrencies()
        if xc:
            out.append("| runner | " + " | ".join(f"jobs/s, N={c}" for c in xc) +
                       f" | ÷ xargs at N={xc[-1]} | peak RSS of `q work` |")
            out.append("|---|" + "---:|" * (len(xc) + 2))
            x = {c: self.get("xargs", f"xargs-true/c{c}", "jobs_per_s") for c in xc}
            out.append("| `xargs -P N -n 1 true` | " + " | ".join(fmt_rate(x[c]) for c in xc) +
                       " | 1.00× | — |")
            for backend in ["sqlite-full", "sqlite-normal", "postgres", "redis"]:
                rates = {c: self.get("q", f"work-true/{backend}/c{c}", "jobs_per_s") for c in xc}
                if all(r is None for r in rates.values()):
                    continue
                rss = self.get("q", f"work-true/{backend}/c{xc[-1]}", "peak_rss_kb")
                out.append(f"| `q work --concurrency N` on {backend} | " +
                           " | ".join(fmt_rate(rates[c]) for c in xc) +
                           f" | {fmt_ratio(rates[xc[-1]], x[xc[-1]])} | "
                           f"{'—' if rss is None else f'{rss / 1024:.1f} MiB'} |")
                r, xr = rates[xc[-1]], x[xc[-1]]
                met = None if r is None or xr is None else r >= 0.7 * xr
                self.target(f"`q work` with `true` on {backend} ≥ 0.7× xargs (N={xc[-1]})", met,
                            f"{fmt_rate(r)} vs {fmt_rate(xr)} jobs/s: {fmt_ratio(r, xr)}")
            jobs = self.get("xargs", f"xargs-true/c{xc[-1]}", "jobs")
            out.append(f"\n{jobs or 0:,.0f} jobs; q's time is the whole `q work --stop-when-empty` "
                       "process (start, claims, a fork/exec per job, outcomes, exit); the jobs "
                       "were pushed before, untimed.\n")
        out.append("| backend | `q push NAME` wall time per call, median (ms) |")
        out.append("|---|---:|")
        for backend in ["sqlite-full", "sqlite-normal", "postgres", "redis"]:
            ms = self.get("q", f"push-call/{backend}", "median_ms")
            if ms is not None:
                out.append(f"| {backend} | {fmt_ms(ms)} |")
        out.append("")
        return out

    # q beside what a script would run instead, one process each; the targets of issue 17.
    CALL_PAIRS = [
        ("`q version` vs `true`", ("q", "call/version"), ("baseline", "call/true"), 2.0),
        ("`q push` (sqlite, FULL) vs `sqlite3` INSERT", ("q", "call/push/sqlite-full"),
         ("baseline", "call/client/sqlite-full"), 1.2),
        ("`q push` (postgres) vs `psql -c` INSERT", ("q", "call/push/postgres"),
         ("baseline", "call/client/postgres"), 1.3),
        ("`q push` (redis) vs `redis-cli` EVALSHA", ("q", "call/push/redis"),
         ("baseline", "call/client/redis"), 1.3),
    ]

    def calls_section(self):
        out = ["## (7) One call: q beside the program a script would run instead\n",
               "| pair | q (ms) | baseline (ms) | q ÷ baseline | target |",
               "|---|---:|---:|---:|---:|"]
        measured = False
        for name, (qs, ql), (bs, bl), limit in self.CALL_PAIRS:
            q_ms = self.get(qs, ql, "median_ms")
            b_ms = self.get(bs, bl, "median_ms")
            if q_ms is None or b_ms is None:
                continue
            measured = True
            out.append(f"| {name} | {fmt_ms(q_ms)} | {fmt_ms(b_ms)} | {fmt_ratio(q_ms, b_ms)} | "
                       f"≤ {limit}× |")
            self.target(f"{name} ≤ {limit}×", q_ms <= limit * b_ms,
                        f"{fmt_ms(q_ms)} / {fmt_ms(b_ms)} ms")
        if not measured:
            return []
        out.append("\nWall time of one whole process, median (hyperfine). The baselines do the "
                   "same one-row insert on the same store: sqlite3 on q's WAL database, psql (the "
                   "client binary, not Debian's Perl wrapper) on q's table, redis-cli one "
                   "EVALSHA of a script that stores a hash and indexes it.\n")
        return out

    def rss_section(self):
        out = ["## (6) Peak RSS while draining (whole process, MiB)\n",
               "| backend | q (library worker, best c) | peer | peer |",
               "|---|---:|---|---:|"]
        for backend in ["postgres", "redis", "sqlite-normal", "sqlite-full", "file", "memory"]:
            if self.best_drain("q", backend)[1] is None:
                continue
            rss = self.best_drain_rss("q", backend)
            peer = PEERS.get(backend)
            prss = self.best_drain_rss(peer, backend) if peer else None
            out.append(f"| {backend} | {mib(rss)} | {peer or '—'} | {mib(prss)} |")
        out.append("\nplainjob with several processes: the parent's RSS (each worker process is a "
                   "similar Node process). `q work` (the CLI) is in the table above.\n")
        return out

    def targets_section(self):
        out = ["## Targets (issue 6)\n", "| target | figures | verdict |", "|---|---|---|"]
        for t in self.targets:
            out.append(f"| {t['target']} | {t['figures']} | {t['verdict']} |")
        out.append("")
        return out

    def readme_table(self):
        m = self.machine
        mach = m["machine"]
        lines = ["| figure | q | peer | q ÷ peer |", "|---|---:|---:|---:|"]
        for backend, peer in [("postgres", "graphile-worker"), ("redis", "bullmq"),
                              ("sqlite-normal", "plainjob"), ("sqlite-full", "plainjob")]:
            qb, qc = self.best_drain("q", backend)
            pb, pc = self.best_drain(peer, backend)
            if qb is None or pb is None:
                continue
            lines.append(f"| no-op jobs/s, {backend} vs {peer} | {fmt_rate(qb)} | {fmt_rate(pb)} | "
                         f"{fmt_ratio(qb, pb)} |")
        for backend, peer in [("postgres", "graphile-worker"), ("redis", "bullmq"),
                              ("sqlite-normal", "plainjob"), ("sqlite-full", "plainjob")]:
            qb = self.get("q", f"enqueue/{backend}", "bulk_jobs_per_s")
            pb = self.get(peer, f"enqueue/{backend}", "bulk_jobs_per_s")
            if qb is None or pb is None:
                continue
            lines.append(f"| bulk enqueue jobs/s, {backend} vs {peer} | {fmt_rate(qb)} | "
                         f"{fmt_rate(pb)} | {fmt_ratio(qb, pb)} |")
        for backend in ["sqlite-normal", "sqlite-full"]:
            qb = self.get("q", f"enqueue/{backend}", "bulk_jobs_per_s")
            alone = self.get("sqlite", f"ceiling/{backend}", "bulk_jobs_per_s")
            if qb is None or alone is None:
                continue
            lines.append(f"| bulk enqueue jobs/s, {backend} vs SQLite alone, same rows | "
                         f"{fmt_rate(qb)} | {fmt_rate(alone)} | {fmt_ratio(qb, alone)} |")
        for backend, peer in [("postgres", "graphile-worker"), ("redis", "bullmq")]:
            q50 = self.get("q", f"latency/{backend}", "p50_ms")
            p50 = self.get(peer, f"latency/{backend}", "p50_ms")
            if q50 is None:
                continue
            lines.append(f"| push→start p50 ms, {backend} vs {peer} (lower is better) | "
                         f"{fmt_ms(q50)} | {fmt_ms(p50)} | {fmt_ratio(q50, p50)} |")
            alone = self.get("postgres", f"floor/{backend}", "p50_ms")
            if alone is not None:
                lines.append(f"| push→start p50 ms, {backend} vs PostgreSQL alone, same path "
                             f"(lower is better) | {fmt_ms(q50)} | {fmt_ms(alone)} | "
                             f"{fmt_ratio(q50, alone)} |")
        xc = self.xargs_concurrencies()
        if xc:
            c = xc[-1]
            x = self.get("xargs", f"xargs-true/c{c}", "jobs_per_s")
            for backend in ["sqlite-full", "redis"]:
                r = self.get("q", f"work-true/{backend}/c{c}", "jobs_per_s")
                if r is not None:
                    lines.append(f"| `q work` ({backend}) vs `xargs -P {c} -n 1`, `true` jobs/s | "
                                 f"{fmt_rate(r)} | {fmt_rate(x)} | {fmt_ratio(r, x)} |")
        for backend in ["sqlite-normal", "postgres"]:
            small = self.get("q", f"claim/{backend}/1k", "claim_per_s")
            big = self.get("q", f"claim/{backend}/big", "claim_per_s")
            if small is not None and big is not None:
                lines.append(f"| claims/s at 1M pending vs 1k, {backend} | {fmt_rate(big)} | "
                             f"{fmt_rate(small)} | {fmt_ratio(big, small)} |")
        for name, (qs, ql), (bs, bl), _ in self.CALL_PAIRS:
            q_ms = self.get(qs, ql, "median_ms")
            b_ms = self.get(bs, bl, "median_ms")
            if q_ms is not None and b_ms is not None:
                lines.append(f"| one call, ms: {name} (lower is better) | {fmt_ms(q_ms)} | "
                             f"{fmt_ms(b_ms)} | {fmt_ratio(q_ms, b_ms)} |")
        lines += ["", *readme_details(self)]
        together = ("q and each peer in the same run" if len(set(
            section_dates(m)[s] for s in ["lib", "process", "peers"])) == 1 else
            "q's and the peers' figures from the runs dated below, so a ratio across sections "
            "compares different hours")
        head = (f"Measured on {mach['cpu']} ({mach['nproc']} cores, {mach['memory']}), median of "
                f"{m['runs']} runs, {together}; {when_measured(m)}. Every "
                "figure, the peers' settings and the targets are in "
                "tests/bench/results/results.md. Reproduce with `scripts/bench`.\n")
        return head + "\n" + "\n".join(lines) + "\n"


SECTIONS = ["lib", "peers", "process", "claim", "calls"]


PEERS = {"postgres": "graphile-worker", "redis": "bullmq", "sqlite-normal": "plainjob",
         "sqlite-full": "plainjob"}


_NO_PEER = object()  # no peer runs on this backend (unlike None: a peer figure that is missing)


def pair(q, peer, fmt):
    """'q / peer' for a table cell; just q's figure where no peer runs on the backend."""
    return fmt(q) if peer is _NO_PEER else f"{fmt(q)} / {fmt(peer)}"


def mib(kb):
    return "—" if kb is None else f"{kb / 1024:.1f}"


def readme_details(report):
    """The rest of the figures, one row a backend: q's, then the peer's where one runs there."""
    r = report
    xc = r.xargs_concurrencies()
    n = xc[-1] if xc else None
    lines = [f"| backend (peer) | push one by one, jobs/s | `q push --batch FILE`, jobs/s | "
             f"no-op at concurrency 1, jobs/s | push→start p99 ms | peak RSS draining, MiB | "
             f"`q work` `true` at N={n}, jobs/s | `q push` ms a call |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for backend in ["postgres", "redis", "sqlite-normal", "sqlite-full", "file", "memory"]:
        peer = PEERS.get(backend)

        def of(subject, label, field):
            return r.get(subject, label, field) if subject else _NO_PEER

        q_rss = r.best_drain_rss("q", backend)
        p_rss = r.best_drain_rss(peer, backend) if peer else _NO_PEER
        cells = [
            pair(of("q", f"enqueue/{backend}", "one_by_one_jobs_per_s"),
                 of(peer, f"enqueue/{backend}", "one_by_one_jobs_per_s"), fmt_rate),
            fmt_rate(r.get("q", f"push-batch-cli/{backend}", "jobs_per_s")),
            pair(of("q", f"drain/{backend}/c1", "jobs_per_s"),
                 of(peer, f"drain/{backend}/c1", "jobs_per_s"), fmt_rate),
            pair(of("q", f"latency/{backend}", "p99_ms"),
                 of(peer, f"latency/{backend}", "p99_ms"), fmt_ms),
            pair(q_rss, p_rss, mib),
            fmt_rate(r.get("q", f"work-true/{backend}/c{n}", "jobs_per_s")) if n else "—",
            fmt_ms(r.get("q", f"push-call/{backend}", "median_ms")),
        ]
        lines.append(f"| {backend}{f' ({peer})' if peer else ''} | " + " | ".join(cells) + " |")
    if n:
        x = r.get("xargs", f"xargs-true/c{n}", "jobs_per_s")
        lines.append(f"\n`xargs -P {n} -n 1 true`: {fmt_rate(x)} jobs/s. Peak RSS is the whole "
                     "process at its best concurrency.")
    return lines


def section_dates(m):
    """Each section's latest run: (date, one-minute load at its start)."""
    latest = {s: (m["date"], m["machine"]["load_before"]) for s in SECTIONS}
    for rerun in m.get("reruns", []):
        for section in rerun["sections"].split(","):
            if section in latest:
                latest[section] = (rerun["date"], rerun["load_before"])
    return latest


def when_measured(m):
    """When each section's figures were taken (its latest run) and the one-minute load then."""
    latest = section_dates(m)
    groups = {}
    for section in SECTIONS:
        groups.setdefault(latest[section], []).append(section)
    parts = []
    for (date, load), sections in sorted(groups.items(), reverse=True):
        stamp = date[:16].replace("T", " ")
        noun = "section" if len(sections) == 1 else "sections"
        parts.append(f"{' and '.join(sections)} {noun} {stamp} UTC (load average "
                     f"{load.split()[0]} at the start)")
    return "; ".join(parts)


def main():
    raw, machine_path, out_dir = sys.argv[1:4]
    runs, errors, notes = load(raw)
    machine = json.loads(Path(machine_path).read_text())
    figures = summarize(runs)
    report = Report(figures, errors, machine)
    markdown = report.build()
    if notes:
        markdown += "\n## Notes\n\n" + "\n".join(f"- {n['note']}" for n in notes) + "\n"
    out = Path(out_dir)
    (out / "results.md").write_text(markdown + "\n")
    (out / "README-table.md").write_text(report.readme_table())
    (out / "results.json").write_text(json.dumps({
        **machine,
        "figures": figures,
        "targets": report.targets,
        "failed": [{"subject": s, "label": l, "error": e} for (s, l), e in errors.items()],
        "notes": notes,
    }, indent=2) + "\n")


if __name__ == "__main__":
    main()
