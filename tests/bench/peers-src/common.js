// Shared by the peer scripts: options, timing, and the one JSON line each run prints (the shape
// q_bench prints, so scripts/bench reads both alike).
"use strict";

const { performance } = require("node:perf_hooks");

function options(defaults) {
  const args = process.argv.slice(2);
  const out = { figure: args[0], ...defaults };
  for (let i = 1; i < args.length; i += 2) {
    const key = args[i].replace(/^--/, "").replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    const value = args[i + 1];
    out[key] = /^\d+$/.test(value) ? Number(value) : value;
  }
  return out;
}

// Milliseconds on a clock every process on this machine shares.
function wallMs() {
  return performance.timeOrigin + performance.now();
}

function percentile(values, p) {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)))];
}

function report(peer, backend, result) {
  const line = {
    ...result,
    peer,
    backend,
    peak_rss_kb: process.resourceUsage().maxRSS,
  };
  process.stdout.write(JSON.stringify(line) + "\n");
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

module.exports = { options, wallMs, percentile, report, sleep };
