#!/usr/bin/env node
/**
 * Node SDK benchmark (`npm run bench:node`), everything in one run so the numbers compare:
 *
 *   1. Requests/s of the same Express app and the same Fastify app (bench/node-sdk/app.mjs)
 *      with no request logger, with pino-http writing to /dev/null (asynchronous and
 *      synchronous destination), and with Footprint's middleware (its defaults: outbox on, no
 *      gzip to a collector on loopback; with gzip forced; and memory only). wrk, one thread, against 127.0.0.1; each variant in a fresh
 *      process, variants interleaved over several rounds, median reported. The app's own CPU
 *      per request (all its threads, from /proc) is reported too: it shows the overhead even
 *      when wrk, not the app, sets the pace.
 *   2. The cost of one log call: Footprint's `log.info` against pino's `info` to /dev/null
 *      (bench/node-sdk/log-cost.mjs), including each logger's background work.
 *
 * Footprint sends to bench/node-sdk/sink.mjs, which answers 200 at once (the collector has
 * its own benchmark). Only 127.0.0.1 is contacted; every load is bounded in time; every
 * process started here is stopped by pid (also on Ctrl-C and on the overall time limit).
 * Writes bench/results/node-sdk.json and bench/results/node-sdk.md (node-sdk-partial.* for a
 * run restricted with the options below) and prints the markdown.
 *
 * Options (flags or environment):
 *   --duration N     BENCH_NODE_DURATION     seconds per wrk measurement (default 8)
 *   --rounds N       BENCH_NODE_ROUNDS       rounds over all variants (default 5)
 *   --connections N  BENCH_NODE_CONNECTIONS  wrk connections (default 32)
 *   --calls N        BENCH_NODE_CALLS        log calls per log-cost run (default 300000)
 *   --quick          short runs for a smoke test (numbers not meaningful)
 *   --no-build       do not run `npm run build` first
 *   --frameworks L   only these frameworks (express,fastify)
 *   --variants L     only these variants besides `none` (e.g. pino-http,als,footprint)
 *   --no-log-cost    skip the log-call measurement
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const HERE = join(BENCH, 'node-sdk');
const RESULTS = join(BENCH, 'results');
const HOST = '127.0.0.1';
const CLK_TCK = 100;
const OVERALL_LIMIT_MS = 30 * 60_000;

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name, env, def) => {
  const i = args.indexOf(`--${name}`);
  const raw = i !== -1 ? args[i + 1] : process.env[env];
  return raw === undefined ? def : Number(raw);
};
const quick = flag('quick');
const DURATION = option('duration', 'BENCH_NODE_DURATION', quick ? 2 : 8);
const ROUNDS = option('rounds', 'BENCH_NODE_ROUNDS', quick ? 1 : 5);
const CONNECTIONS = option('connections', 'BENCH_NODE_CONNECTIONS', 32);
const CALLS = option('calls', 'BENCH_NODE_CALLS', quick ? 30_000 : 300_000);
const only = (name) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : new Set(args[i + 1].split(','));
};
const onlyVariants = only('variants');
const onlyFrameworks = only('frameworks');
const FRAMEWORKS = ['express', 'fastify'].filter((f) => !onlyFrameworks || onlyFrameworks.has(f));
const VARIANTS = ['none', 'pino-http', 'pino-http-sync', 'footprint', 'footprint-gzip', 'footprint-memory'];
/** Fastify's own request logging (pino inside Fastify), the setup most Fastify apps use. */
const EXTRA = { express: [], fastify: ['fastify-logger'] };
const variantsOf = (framework) =>
  [...VARIANTS.slice(0, 3), ...EXTRA[framework], 'als', ...VARIANTS.slice(3)].filter(
    (v) => v === 'none' || !onlyVariants || onlyVariants.has(v),
  );
const LOG_VARIANTS = flag('no-log-cost') ? [] : ['pino-async', 'pino-sync', 'footprint', 'footprint-memory'];

const children = new Set();
const temps = [];
function cleanup() {
  for (const c of children) {
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const t of temps) rmSync(t, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});
setTimeout(() => {
  console.error('node-sdk bench: overall time limit reached');
  cleanup();
  process.exit(1);
}, OVERALL_LIMIT_MS).unref();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Starts a node child that prints "listening <port>"; resolves with it and the port. */
function startChild(script, childArgs) {
  const proc = spawn(process.execPath, [script, ...childArgs], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  let out = '';
  let err = '';
  proc.stderr.on('data', (c) => {
    err += c;
  });
  const exited = new Promise((r) => proc.once('exit', () => r()));
  exited.then(() => children.delete(proc));
  const port = new Promise((resolve, reject) => {
    proc.stdout.on('data', (c) => {
      out += c;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    exited.then(() => reject(new Error(`${script} ${childArgs.join(' ')} exited:\n${out}\n${err}`)));
  });
  return { proc, port, exited, output: () => out, errors: () => err };
}

async function stop(child) {
  child.proc.kill('SIGTERM');
  await Promise.race([child.exited, sleep(10_000)]);
  if (child.proc.exitCode === null) child.proc.kill('SIGKILL');
}

/** User and system CPU ticks of a process (all threads) and of its main thread (the JavaScript thread). */
function cpuTicks(pid) {
  const read = (file) => {
    const stat = readFileSync(file, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(fields[11]), system: Number(fields[12]) };
  };
  return { all: read(`/proc/${pid}/stat`), main: read(`/proc/${pid}/task/${pid}/stat`) };
}

function wrk(port, seconds) {
  const url = `http://${HOST}:${port}/api/orders/42?ref=bench`;
  const r = spawnSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, url], { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr || r.error}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(r.stdout)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? 0);
  const errors = /Socket errors: (.*)/.exec(r.stdout)?.[1] ?? null;
  return { rps, requests, non2xx, errors };
}

async function measureApp(framework, variant, sinkUrl) {
  const outbox = mkdtempSync(join(os.tmpdir(), 'fp-bench-outbox-'));
  temps.push(outbox);
  const app = startChild(join(HERE, 'app.mjs'), [framework, variant, sinkUrl, outbox]);
  const port = await app.port;
  wrk(port, 2); // warm-up: JIT, keep-alive connections, the outbox's first segment
  const t0 = cpuTicks(app.proc.pid);
  const run = wrk(port, DURATION);
  const t1 = cpuTicks(app.proc.pid);
  await stop(app);
  const footprint = /"footprint":(\{.*\})\}/.exec(app.output())?.[1];
  rmSync(outbox, { recursive: true, force: true });
  const us = (ticks) => ((ticks / CLK_TCK) * 1e6) / run.requests;
  return {
    ...run,
    cpuUsPerRequest: us(t1.all.user + t1.all.system - t0.all.user - t0.all.system),
    mainUserUsPerRequest: us(t1.main.user - t0.main.user),
    footprint: footprint ? JSON.parse(footprint) : undefined,
  };
}

function logCost(variant, sinkUrl) {
  const outbox = mkdtempSync(join(os.tmpdir(), 'fp-bench-outbox-'));
  temps.push(outbox);
  const r = spawnSync(process.execPath, [join(HERE, 'log-cost.mjs'), variant, String(CALLS), sinkUrl, outbox], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 5 * 60_000,
  });
  rmSync(outbox, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`log-cost ${variant} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

async function main() {
  if (!flag('no-build')) execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  const wrkVersion = spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout.split('\n')[0].trim();
  const loadBefore = os.loadavg()[0];
  const sink = startChild(join(HERE, 'sink.mjs'), ['0']);
  const sinkUrl = `http://${HOST}:${await sink.port}`;

  const runs = {};
  for (let round = 1; round <= ROUNDS; round++) {
    for (const framework of FRAMEWORKS) {
      for (const variant of variantsOf(framework)) {
        const r = await measureApp(framework, variant, sinkUrl);
        const key = `${framework}/${variant}`;
        (runs[key] ??= []).push(r);
        console.error(`round ${round} ${key}: ${fmt(r.rps)} req/s, ${fmt(r.cpuUsPerRequest, 1)} µs CPU/request`);
      }
    }
  }

  const logRuns = {};
  for (let round = 1; round <= ROUNDS; round++) {
    for (const variant of LOG_VARIANTS) {
      const r = logCost(variant, sinkUrl);
      (logRuns[variant] ??= []).push(r);
      console.error(`log-cost round ${round} ${variant}: ${fmt(r.callNs)} ns in the call, ${fmt(r.cpuNsPerCall)} ns CPU per call`);
    }
  }
  await stop(sink);

  const http = {};
  for (const framework of FRAMEWORKS) {
    const base = median(runs[`${framework}/none`].map((r) => r.rps));
    const baseCpu = median(runs[`${framework}/none`].map((r) => r.cpuUsPerRequest));
    const baseUser = median(runs[`${framework}/none`].map((r) => r.mainUserUsPerRequest));
    http[framework] = variantsOf(framework).map((variant) => {
      const rs = runs[`${framework}/${variant}`];
      const rps = median(rs.map((r) => r.rps));
      const cpu = median(rs.map((r) => r.cpuUsPerRequest));
      const user = median(rs.map((r) => r.mainUserUsPerRequest));
      return {
        variant,
        rps,
        overheadPct: ((base - rps) / base) * 100,
        cpuUsPerRequest: cpu,
        addedCpuUs: cpu - baseCpu,
        mainUserUsPerRequest: user,
        addedUserUs: user - baseUser,
        non2xx: rs.reduce((n, r) => n + r.non2xx, 0),
        delivered: rs.map((r) => r.footprint?.delivered).filter((x) => x !== undefined),
        dropped: rs.map((r) => r.footprint?.dropped).filter((x) => x !== undefined && Object.keys(x).length > 0),
        runs: rs.map((r) => Math.round(r.rps)),
      };
    });
  }
  const logs = LOG_VARIANTS.map((variant) => ({
    variant,
    callNs: median(logRuns[variant].map((r) => r.callNs)),
    cpuNsPerCall: median(logRuns[variant].map((r) => r.cpuNsPerCall)),
  }));

  const load = `load average ${loadBefore.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end`;
  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), ${fmt(os.totalmem() / 2 ** 30, 1)} GB RAM, Linux ${os.release()}, Node ${process.version}, ${wrkVersion}`;
  const result = {
    date: new Date().toISOString(),
    machine,
    duration: DURATION,
    rounds: ROUNDS,
    connections: CONNECTIONS,
    calls: CALLS,
    http,
    logs,
  };
  const label = {
    none: 'no request logger',
    'pino-http': 'pino-http → /dev/null (async destination)',
    'pino-http-sync': 'pino-http → /dev/null (sync destination)',
    'fastify-logger': "Fastify's own logger (pino) → /dev/null (async destination)",
    als: 'no logger, each request in an AsyncLocalStorage context',
    footprint: 'Footprint middleware (defaults: outbox on; no gzip to a loopback collector)',
    'footprint-gzip': 'Footprint middleware (outbox on, gzip forced)',
    'footprint-memory': 'Footprint middleware (memory only)',
  };
  let md = `### Results (${result.date.slice(0, 16).replace('T', ' ')} UTC)\n\nMachine: ${machine}; ${load}. wrk -t1 -c${CONNECTIONS}, ${DURATION} s per run after a 2 s warm-up, median of ${ROUNDS} interleaved rounds; GET /api/orders/42?ref=bench answering a small JSON object.\n`;
  for (const framework of FRAMEWORKS) {
    md += `\n| ${framework === 'express' ? 'Express 5' : 'Fastify 5'} | requests/s | vs no logger | app CPU per request (added) | JavaScript-thread user CPU per request (added) | runs (req/s) |\n|---|---|---|---|---|---|\n`;
    for (const v of http[framework]) {
      const none = v.variant === 'none';
      const vs = none ? '—' : `${v.overheadPct >= 0 ? '−' : '+'}${fmt(Math.abs(v.overheadPct), 1)} %`;
      const added = (x) => (none ? '' : ` (${x >= 0 ? '+' : '−'}${fmt(Math.abs(x), 1)})`);
      md += `| ${label[v.variant]} | ${fmt(v.rps)} | ${vs} | ${fmt(v.cpuUsPerRequest, 1)} µs${added(v.addedCpuUs)} | ${fmt(v.mainUserUsPerRequest, 1)} µs${added(v.addedUserUs)} | ${v.runs.map((x) => fmt(x)).join(', ')} |\n`;
    }
  }
  if (logs.length > 0)
    md += `\nOne log call (${fmt(CALLS)} calls in chunks of 1,000 with an event-loop turn between chunks; "in the call" is the time spent inside the calls, "CPU per call" is all the process's CPU, background work included, until everything is written or delivered):\n\n| logger | in the call | CPU per call |\n|---|---|---|\n`;
  const logLabel = {
    'pino-async': 'pino `info` → /dev/null (async destination)',
    'pino-sync': 'pino `info` → /dev/null (sync destination)',
    footprint: 'Footprint `log.info` (outbox on)',
    'footprint-memory': 'Footprint `log.info` (memory only)',
  };
  for (const l of logs) md += `| ${logLabel[l.variant]} | ${fmt(l.callNs)} ns | ${fmt(l.cpuNsPerCall)} ns |\n`;

  mkdirSync(RESULTS, { recursive: true });
  // A run restricted to some frameworks or variants does not replace the full results.
  const name = onlyVariants || onlyFrameworks || LOG_VARIANTS.length === 0 ? 'node-sdk-partial' : 'node-sdk';
  writeFileSync(join(RESULTS, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(RESULTS, `${name}.md`), md);
  console.log(md);
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(cleanup);
