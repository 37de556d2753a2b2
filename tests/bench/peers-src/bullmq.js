// BullMQ on Redis: Queue.add one by one, Queue.addBulk, a Worker with a no-op processor at the
// given concurrency (BullMQ's knob for throughput), and add -> processor latency.
//   node bullmq.js enqueue|drain|latency --url redis://HOST:PORT [--jobs N] [--one N]
//                                        [--batch N] [--concurrency N] [--samples N] [--gap-ms N]
// Uses a queue of its own (bench_PID) and obliterates it at the end. Completed jobs are kept,
// as BullMQ does by default (and as q does).
"use strict";

const { Queue, Worker } = require("bullmq");
const { options, wallMs, percentile, report, sleep } = require("./common");

const opt = options({ jobs: 20000, one: 2000, batch: 1000, concurrency: 50, samples: 200, gapMs: 20 });
const url = new URL(opt.url);
const connection = { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null };
const name = `bench_${process.pid}`;

async function fill(queue, jobs, batch) {
  for (let done = 0; done < jobs; done += batch) {
    const n = Math.min(batch, jobs - done);
    await queue.addBulk(Array.from({ length: n }, () => ({ name: "noop", data: { n: 1 } })));
  }
}

async function enqueue(queue) {
  let start = wallMs();
  for (let i = 0; i < opt.one; i++) await queue.add("noop", { n: 1 });
  let s = (wallMs() - start) / 1000;
  const result = { one_by_one_jobs: opt.one, bulk_jobs: opt.jobs, batch: opt.batch };
  result.one_by_one_jobs_per_s = opt.one / s;
  result.push_us = (s * 1e6) / opt.one;
  start = wallMs();
  await fill(queue, opt.jobs, opt.batch);
  s = (wallMs() - start) / 1000;
  result.bulk_jobs_per_s = opt.jobs / s;
  return result;
}

async function drain(queue) {
  await fill(queue, opt.jobs, 1000);
  let done = 0;
  let finished;
  const allDone = new Promise((resolve) => (finished = resolve));
  const start = wallMs();
  const worker = new Worker(name, async () => {}, { connection, concurrency: opt.concurrency });
  worker.on("completed", () => {
    if (++done === opt.jobs) finished();
  });
  await allDone;
  const s = (wallMs() - start) / 1000;
  await worker.close();
  return { jobs: opt.jobs, concurrency: opt.concurrency, completed: done, seconds: s, jobs_per_s: done / s };
}

async function latency(queue) {
  const waiters = new Map();
  const worker = new Worker(
    name,
    async (job) => {
      const now = wallMs();
      const w = waiters.get(job.data.i);
      if (w) w(now);
    },
    { connection, concurrency: opt.concurrency },
  );
  await worker.waitUntilReady();
  await sleep(300);
  const ms = [];
  let lost = 0;
  for (let i = 0; i < opt.samples; i++) {
    await sleep(opt.gapMs);
    const before = wallMs();
    const ran = new Promise((resolve) => waiters.set(i, resolve));
    await queue.add("noop", { i });
    const at = await Promise.race([ran, sleep(5000).then(() => null)]);
    if (at === null) lost++;
    else ms.push(at - before);
  }
  await worker.close();
  return {
    samples: ms.length,
    timed_out: lost,
    p50_ms: percentile(ms, 0.5),
    p99_ms: percentile(ms, 0.99),
    max_ms: Math.max(...ms),
  };
}

async function main() {
  const queue = new Queue(name, { connection });
  let result;
  try {
    if (opt.figure === "enqueue") result = await enqueue(queue);
    else if (opt.figure === "drain") result = await drain(queue);
    else if (opt.figure === "latency") result = await latency(queue);
    else throw new Error(`unknown figure ${opt.figure}`);
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
  }
  report("bullmq", "redis", { figure: opt.figure, ...result });
}

main().catch((e) => {
  console.error(`bullmq.js: ${e.stack || e}`);
  process.exit(1);
});
