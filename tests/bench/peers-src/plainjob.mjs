// plainjob on SQLite (better-sqlite3): queue.add one by one, queue.addMany, workers draining
// no-op jobs, and add -> processor latency. plainjob sets synchronous NORMAL itself; with
// --synchronous FULL each connection is switched to FULL after defineQueue.
// A plainjob worker runs one job at a time; its README scales out with one worker process per
// CPU, so --processes N forks N worker processes (1: a worker in this process).
//   node plainjob.mjs enqueue|drain|latency [--synchronous NORMAL|FULL] [--jobs N] [--one N]
//                                           [--batch N] [--processes N] [--samples N] [--gap-ms N]
import Database from "better-sqlite3";
import { better, defineQueue, defineWorker } from "plainjob";
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { options, wallMs, percentile, report, sleep } = require("./common.js");
const opt = options({ jobs: 20000, one: 2000, batch: 1000, processes: 1, samples: 200, gapMs: 20, synchronous: "NORMAL" });
const quiet = { debug() {}, info() {}, warn() {}, error: console.error };

function open(path) {
  const db = new Database(path);
  const queue = defineQueue({ connection: better(db), logger: quiet });
  if (String(opt.synchronous).toUpperCase() === "FULL") db.pragma("synchronous = FULL");
  return { db, queue };
}

// A worker process of `drain --processes N`: waits for "go", drains, reports its last completion.
async function child(path) {
  const { queue } = open(path);
  let last = 0;
  let count = 0;
  const worker = defineWorker("noop", async () => {}, {
    queue,
    logger: quiet,
    onCompleted: () => {
      count++;
      last = wallMs();
    },
  });
  process.on("message", async (message) => {
    if (message !== "go") return;
    const run = worker.start();
    // The worker loop yields to timers only once it finds nothing to do.
    const check = setInterval(async () => {
      if (queue.countJobs({ status: 0 }) === 0) {
        clearInterval(check);
        await worker.stop();
        await run;
        process.send({ count, last });
        process.exit(0);
      }
    }, 5);
  });
  process.send("ready");
}

function fill(queue, jobs, batch) {
  for (let done = 0; done < jobs; done += batch) {
    const n = Math.min(batch, jobs - done);
    queue.addMany("noop", Array.from({ length: n }, () => ({ n: 1 })));
  }
}

async function enqueue(path) {
  const { queue } = open(path);
  let start = wallMs();
  for (let i = 0; i < opt.one; i++) queue.add("noop", { n: 1 });
  let s = (wallMs() - start) / 1000;
  const result = { one_by_one_jobs: opt.one, bulk_jobs: opt.jobs, batch: opt.batch };
  result.one_by_one_jobs_per_s = opt.one / s;
  result.push_us = (s * 1e6) / opt.one;
  start = wallMs();
  fill(queue, opt.jobs, opt.batch);
  s = (wallMs() - start) / 1000;
  result.bulk_jobs_per_s = opt.jobs / s;
  queue.close();
  return result;
}

async function drain(path) {
  const { queue } = open(path);
  fill(queue, opt.jobs, 1000);
  const children = [];
  for (let i = 0; i < opt.processes; i++) {
    const c = fork(new URL(import.meta.url).pathname, ["child", "--path", path, "--synchronous", opt.synchronous]);
    children.push({
      c,
      ready: new Promise((resolve, reject) => {
        c.once("message", resolve);
        c.once("exit", (code) => reject(new Error(`worker process exited with status ${code} before starting`)));
      }),
      done: new Promise((resolve, reject) => {
        c.on("message", (m) => typeof m === "object" && resolve(m));
        // A worker that dies (one did, in a sqlite-full run with two processes) fails the run
        // now rather than leaving it to the harness's timeout.
        c.on("exit", (code) => reject(new Error(`worker process exited with status ${code} before reporting`)));
      }),
    });
  }
  await Promise.all(children.map((x) => x.ready));
  const start = wallMs();
  for (const x of children) x.c.send("go");
  const results = await Promise.all(children.map((x) => x.done));
  const completed = results.reduce((a, r) => a + r.count, 0);
  const s = (Math.max(...results.map((r) => r.last)) - start) / 1000;
  queue.close();
  return { jobs: opt.jobs, concurrency: opt.processes, completed, seconds: s, jobs_per_s: completed / s };
}

async function latency(path) {
  const { queue } = open(path);
  const pusher = open(path).queue;
  const waiters = new Map();
  const worker = defineWorker(
    "noop",
    async (job) => {
      const now = wallMs();
      const w = waiters.get(JSON.parse(job.data).i);
      if (w) w(now);
    },
    { queue, logger: quiet },
  );
  const run = worker.start();
  await sleep(300);
  const ms = [];
  let lost = 0;
  for (let i = 0; i < opt.samples; i++) {
    await sleep(opt.gapMs);
    const before = wallMs();
    const ran = new Promise((resolve) => waiters.set(i, resolve));
    pusher.add("noop", { i });
    const at = await Promise.race([ran, sleep(5000).then(() => null)]);
    if (at === null) lost++;
    else ms.push(at - before);
  }
  await worker.stop();
  await run;
  return {
    samples: ms.length,
    timed_out: lost,
    p50_ms: percentile(ms, 0.5),
    p99_ms: percentile(ms, 0.99),
    max_ms: Math.max(...ms),
  };
}

async function main() {
  if (opt.figure === "child") return child(opt.path);
  const dir = mkdtempSync(join(process.env.TMPDIR || tmpdir(), "plainjob-bench-"));
  const path = join(dir, "queue.db");
  let result;
  try {
    if (opt.figure === "enqueue") result = await enqueue(path);
    else if (opt.figure === "drain") result = await drain(path);
    else if (opt.figure === "latency") result = await latency(path);
    else throw new Error(`unknown figure ${opt.figure}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const backend = `sqlite-${String(opt.synchronous).toLowerCase()}`;
  report("plainjob", backend, { figure: opt.figure, ...result });
  process.exit(0);
}

main().catch((e) => {
  console.error(`plainjob.mjs: ${e.stack || e}`);
  process.exit(1);
});
