// Graphile Worker on PostgreSQL, at the settings of its performance page (concurrentJobs 24,
// maxPoolSize 25, localQueue size 500, completeJobBatchDelay 0, failJobBatchDelay 0).
//   node graphile.js enqueue|drain|latency --dsn URL [--jobs N] [--one N] [--batch N]
//                                          [--concurrency N] [--samples N] [--gap-ms N]
// Works in a schema of its own (gw_bench_PID), dropped at the end.
"use strict";

const { run, makeWorkerUtils } = require("graphile-worker");
const { Client } = require("pg");
const { options, wallMs, percentile, report, sleep } = require("./common");

const opt = options({ jobs: 20000, one: 2000, batch: 1000, concurrency: 24, samples: 200, gapMs: 20 });
const schema = `gw_bench_${process.pid}`;
const { Logger } = require("graphile-worker");
const logger = new Logger(() => () => {});

function preset(concurrency) {
  return {
    worker: {
      connectionString: opt.dsn,
      schema,
      concurrentJobs: concurrency,
      maxPoolSize: Math.max(25, concurrency + 1),
      localQueue: { size: 500 },
      completeJobBatchDelay: 0,
      failJobBatchDelay: 0,
    },
  };
}

async function sql(text) {
  const client = new Client({ connectionString: opt.dsn });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function fill(utils, jobs, batch) {
  for (let done = 0; done < jobs; done += batch) {
    const n = Math.min(batch, jobs - done);
    await utils.addJobs(Array.from({ length: n }, () => ({ identifier: "noop", payload: { n: 1 } })));
  }
}

async function enqueue(utils) {
  let start = wallMs();
  for (let i = 0; i < opt.one; i++) await utils.addJob("noop", { n: 1 });
  let s = (wallMs() - start) / 1000;
  const result = { one_by_one_jobs: opt.one, bulk_jobs: opt.jobs, batch: opt.batch };
  result.one_by_one_jobs_per_s = opt.one / s;
  result.push_us = (s * 1e6) / opt.one;
  start = wallMs();
  await fill(utils, opt.jobs, opt.batch);
  s = (wallMs() - start) / 1000;
  result.bulk_jobs_per_s = opt.jobs / s;
  return result;
}

async function drain(utils) {
  await fill(utils, opt.jobs, 1000);
  await sql(`ANALYZE "${schema}"._private_jobs`);
  let done = 0;
  let finished;
  const allDone = new Promise((resolve) => (finished = resolve));
  const taskList = {
    noop: async () => {
      if (++done === opt.jobs) finished(wallMs());
    },
  };
  const start = wallMs();
  const runner = await run({ preset: preset(opt.concurrency), taskList, noHandleSignals: true, logger });
  await allDone;
  await runner.stop(); // flushes the batched completions: the jobs are done only then
  const s = (wallMs() - start) / 1000;
  return { jobs: opt.jobs, concurrency: opt.concurrency, completed: done, seconds: s, jobs_per_s: done / s };
}

async function latency(utils) {
  const started = new Map();
  const waiters = new Map();
  const taskList = {
    noop: async (payload) => {
      const now = wallMs();
      started.set(payload.i, now);
      const w = waiters.get(payload.i);
      if (w) w(now);
    },
  };
  const runner = await run({ preset: preset(opt.concurrency), taskList, noHandleSignals: true, logger });
  await sleep(300);
  const ms = [];
  let lost = 0;
  for (let i = 0; i < opt.samples; i++) {
    await sleep(opt.gapMs);
    const before = wallMs();
    const ran = new Promise((resolve) => waiters.set(i, resolve));
    await utils.addJob("noop", { i });
    const at = await Promise.race([ran, sleep(5000).then(() => null)]);
    if (at === null) lost++;
    else ms.push(at - before);
  }
  await runner.stop();
  return {
    samples: ms.length,
    timed_out: lost,
    p50_ms: percentile(ms, 0.5),
    p99_ms: percentile(ms, 0.99),
    max_ms: Math.max(...ms),
  };
}

async function main() {
  const utils = await makeWorkerUtils({ connectionString: opt.dsn, schema, logger });
  let result;
  try {
    await utils.migrate();
    if (opt.figure === "enqueue") result = await enqueue(utils);
    else if (opt.figure === "drain") result = await drain(utils);
    else if (opt.figure === "latency") result = await latency(utils);
    else throw new Error(`unknown figure ${opt.figure}`);
  } finally {
    await utils.release();
    await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  }
  report("graphile-worker", "postgres", { figure: opt.figure, ...result });
}

main().catch((e) => {
  console.error(`graphile.js: ${e.stack || e}`);
  process.exit(1);
});
