#!/usr/bin/env node
/**
 * Footprint benchmark: the one command (`npm run bench`). Everything in one run, so the
 * ratios compare numbers taken on the same machine minutes apart:
 *
 *   1. Beacons POST /v1/e against a bare node:http server (same wrk settings), req/s.
 *   2. Batch ingestion POST /v1/batch, 100 events of ~400 bytes per request: a short
 *      connection sweep, then a sustained run at the best connection count, events/s,
 *      with collector RSS and CPU sampled every 250 ms.
 *   3. Loader drain: how fast the WAL backlog left by (2) loads into DuckDB.
 *   4. Ack latency (p50/p90/p99/max) at half the sustained batch rate, open loop
 *      (bench/paced-load.mjs: wrk2 is not packaged for Debian).
 *   5. Reference: the same batches as JSONEachRow INSERTs into a local ClickHouse 18.16.
 *
 * Only 127.0.0.1 is ever contacted. Every load is bounded in time, every process this
 * script starts is stopped by pid at the end (also on Ctrl-C and on the overall time limit).
 * Writes bench/results/latest.json, bench/results/latest.md and docs/bench-ingest.svg, and
 * prints the markdown summary.
 *
 * Options (flags or environment):
 *   --duration N        BENCH_DURATION          sustained runs, seconds (default 15)
 *   --sweep N           BENCH_SWEEP_SECONDS     each connection-sweep step (default 5)
 *   --beacon N          BENCH_BEACON_SECONDS    each beacon measurement (default 8)
 *   --batch-conns LIST  BENCH_BATCH_CONNECTIONS wrk connections to try for batches (16,32,64)
 *   --beacon-conns LIST BENCH_BEACON_CONNECTIONS wrk connections for beacons (16,64,256)
 *   --quick             short runs for a smoke test (numbers not meaningful)
 *   --no-clickhouse     skip the ClickHouse reference
 *   --no-build          do not run `npm run build` first
 *   --cpu-prof          run the batch-phase collector under `node --cpu-prof`
 *                       (profiles in bench/results/prof/; slows it down, so not for headline numbers)
 *   --mem-probe         preload bench/mem-probe.mjs into the batch-phase collector: splits its
 *                       RSS into V8 heap, Buffers and native memory (bench/results/mem-probe.jsonl)
 *   --attempts N        BENCH_ATTEMPTS          tries per measurement on a busy machine (default 3)
 *   --keep              keep the temporary data folders
 *   --render FILE       only re-render latest.md and docs/bench-ingest.svg from a saved results JSON
 *
 * A shared machine spoils numbers, so each measurement starts only once the cores are idle
 * (waiting a bounded time), records how much CPU went to other processes while it ran
 * ("unattributed"), and is repeated (up to --attempts) when that exceeds 0.3 cores; the
 * cleanest attempt is kept and the report shows its figure.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { barChartSvg } from './chart.mjs';
import { batchBodies, beaconBodies, CLICKHOUSE_TABLE, clickhouseBody } from './payload.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const RESULTS = join(BENCH, 'results');
const LUA = join(BENCH, 'post-bodies.lua');
const HOST = '127.0.0.1';
const WRITE_KEY = 'benchkey123';
const ADMIN_TOKEN = 'benchadmin123';
const BASIC_AUTH = `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`;
const EVENTS_PER_BATCH = 100;

// ---------------------------------------------------------------- options

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
function opt(name, env, def) {
  const i = argv.indexOf(`--${name}`);
  if (i !== -1 && argv[i + 1] !== undefined) return argv[i + 1];
  return process.env[env] ?? def;
}
const quick = flag('quick');
const list = (s) =>
  String(s)
    .split(',')
    .map((v) => Number(v.trim()))
    .filter((v) => Number.isInteger(v) && v > 0);
const CFG = {
  duration: Number(opt('duration', 'BENCH_DURATION', quick ? 4 : 15)),
  sweep: Number(opt('sweep', 'BENCH_SWEEP_SECONDS', quick ? 2 : 5)),
  beacon: Number(opt('beacon', 'BENCH_BEACON_SECONDS', quick ? 2 : 8)),
  warmup: quick ? 1 : 3,
  batchConns: list(opt('batch-conns', 'BENCH_BATCH_CONNECTIONS', quick ? '16,64' : '16,32,64')),
  beaconConns: list(opt('beacon-conns', 'BENCH_BEACON_CONNECTIONS', quick ? '64' : '16,64,256')),
  clickhouse: !flag('no-clickhouse'),
  build: !flag('no-build'),
  cpuProf: flag('cpu-prof'),
  memProbe: flag('mem-probe'),
  keep: flag('keep'),
  attempts: Number(opt('attempts', 'BENCH_ATTEMPTS', quick ? 1 : 3)),
  wrkThreads: 1,
  drainTimeout: quick ? 120 : 600,
};
for (const [k, v] of Object.entries(CFG)) {
  if (typeof v === 'number' && !(v > 0)) throw new Error(`bad option ${k}: ${v}`);
}
if (CFG.batchConns.length === 0 || CFG.beaconConns.length === 0) throw new Error('connection lists must not be empty');

// ---------------------------------------------------------------- processes

/** Every child still running, by pid; stopped on exit whatever happens. */
const children = new Map();

function track(child, name) {
  children.set(child.pid, { child, name });
  child.once('exit', () => children.delete(child.pid));
  return child;
}

function killAll(signal = 'SIGKILL') {
  for (const [pid] of children) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}
/** The temporary folder of the run (removed at the end, also on Ctrl-C, unless --keep). */
let workDir;
process.on('exit', () => killAll('SIGKILL'));
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    log(`\n${sig}: stopping everything`);
    killAll('SIGKILL');
    if (workDir && !CFG.keep) rmSync(workDir, { recursive: true, force: true });
    process.exit(130);
  });
}

const log = (msg) => process.stderr.write(`${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (n, d = 0) => (n === null || n === undefined || Number.isNaN(n) ? null : Math.round(n * 10 ** d) / 10 ** d);
const fmt = (n) => (n === null || n === undefined ? 'n/a' : Math.round(n).toLocaleString('en-US'));

/** Runs a command to completion, killing it (by pid) if it outlives timeoutMs. */
function run(cmd, args, { env, timeoutMs, cwd = ROOT, onSpawn } = {}) {
  return new Promise((resolve, reject) => {
    const child = track(spawn(cmd, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] }), cmd);
    onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      log(`${cmd}: time limit reached, killing pid ${child.pid}`);
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, pid: child.pid });
    });
  });
}

/** Starts a long-running process with its output in a log file. */
function startProcess(name, cmd, args, { env, cwd = ROOT, logFile }) {
  const child = track(spawn(cmd, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] }), name);
  const chunks = [];
  const keep = (d) => {
    chunks.push(d);
    if (chunks.length > 2000) chunks.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    name,
    child,
    pid: child.pid,
    exited,
    output: () => Buffer.concat(chunks).toString('utf8'),
    /** SIGTERM, then SIGKILL after graceMs. */
    async stop(graceMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
      if (logFile) writeFileSync(logFile, Buffer.concat(chunks));
    },
  };
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(what, fn, timeoutMs, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let lastErr;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`${what}: not ready after ${timeoutMs} ms${lastErr ? ` (${lastErr.message})` : ''}`);
}

// ---------------------------------------------------------------- /proc sampling

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** utime+stime of a process or thread, in clock ticks. */
function statTicks(path) {
  try {
    const s = readFileSync(path, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return null;
  }
}

/** CPU ticks of a process: all threads, and its main thread (the JS event loop for node). */
function cpuTicks(pid) {
  return { total: statTicks(`/proc/${pid}/stat`), main: statTicks(`/proc/${pid}/task/${pid}/stat`) };
}

function machineTicks() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  // user+nice, system, idle+iowait, irq+softirq
  return { total, user: f[0] + f[1], system: f[2], idle: f[3] + f[4], irq: f[5] + f[6] };
}

/** Samples VmRSS (and CPU ticks) of the watched processes every 250 ms. */
class Sampler {
  constructor(everyMs = 250) {
    this.everyMs = everyMs;
    this.watched = new Map();
    this.samples = [];
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }
  watch(name, pid) {
    this.watched.set(name, pid);
  }
  unwatch(name) {
    this.watched.delete(name);
  }
  sample() {
    const t = Date.now();
    for (const [name, pid] of this.watched) {
      const kb = rssKb(pid);
      if (kb !== null) this.samples.push({ t, name, kb, cpu: statTicks(`/proc/${pid}/stat`) });
    }
  }
  /** Max RSS in MB of `name` between two times, and the sample count. */
  maxRss(name, from, to = Date.now()) {
    let max = 0;
    let n = 0;
    for (const s of this.samples) {
      if (s.name === name && s.t >= from && s.t <= to) {
        n++;
        if (s.kb > max) max = s.kb;
      }
    }
    return { max_mb: n ? round(max / 1024, 1) : null, samples: n };
  }
  /** CPU (cores) of `name` from its samples between two times (for short-lived wrk). */
  cpuCores(name, from, to = Date.now()) {
    const s = this.samples.filter((x) => x.name === name && x.t >= from && x.t <= to && x.cpu !== null);
    if (s.length < 2) return null;
    const a = s[0];
    const b = s[s.length - 1];
    return round((b.cpu - a.cpu) / CLK_TCK / ((b.t - a.t) / 1000), 2);
  }
  stop() {
    clearInterval(this.timer);
  }
}

/**
 * Measures CPU use over a phase: the server process (all threads, and its main thread),
 * this script, and the whole machine. The caller passes the load generator's cores when it
 * knows them; what is left of the machine's busy time is "unattributed": other processes on
 * the machine plus interrupt and softirq work. A large value means the numbers of that phase
 * were taken on a machine that was busy with something else.
 */
function cpuPhase(pid) {
  const t0 = performance.now();
  const p0 = cpuTicks(pid);
  const m0 = machineTicks();
  const self0 = process.cpuUsage();
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  return (loadGeneratorCores = 0) => {
    const secs = (performance.now() - t0) / 1000;
    const p1 = cpuTicks(pid);
    const m1 = machineTicks();
    const self = process.cpuUsage(self0);
    const busy = (m1.total - m0.total - (m1.idle - m0.idle)) / Math.max(1, m1.total - m0.total);
    const processCores = p1.total === null ? null : (p1.total - p0.total) / CLK_TCK / secs;
    const benchCores = (self.user + self.system) / 1e6 / secs;
    return {
      process_cores: round(processCores, 2),
      main_thread_cores: p1.main === null ? null : round((p1.main - p0.main) / CLK_TCK / secs, 2),
      other_threads_cores: p1.total === null ? null : round((p1.total - p0.total - (p1.main - p0.main)) / CLK_TCK / secs, 2),
      load_generator_cores: round(loadGeneratorCores, 2),
      bench_script_cores: round(benchCores, 2),
      machine_busy_pct: round(busy * 100, 1),
      machine_user_pct: round((100 * (m1.user - m0.user)) / Math.max(1, m1.total - m0.total), 1),
      machine_system_pct: round((100 * (m1.system - m0.system + m1.irq - m0.irq)) / Math.max(1, m1.total - m0.total), 1),
      unattributed_cores: round(busy * cores - (processCores ?? 0) - loadGeneratorCores - benchCores, 2),
    };
  };
}

/** The one sampler of the run (created in main). */
let sampler;

// ---------------------------------------------------------------- load generators

/** Bodies file for post-bodies.lua and paced-load.mjs: "<byte length>\n<body>" repeated. */
function writeBodies(file, bodies) {
  writeFileSync(file, Buffer.concat(bodies.flatMap((b) => [Buffer.from(`${Buffer.byteLength(b)}\n`), Buffer.from(b)])));
}

/** One wrk run; returns its JSON summary with rates computed from successful (2xx) responses only. */
async function wrk({ port, path, bodies, contentType = 'application/json', auth = '', connections, seconds, eventsPerRequest }) {
  const env = { ...process.env, WRK_BODIES: bodies, WRK_PATH: path, WRK_CONTENT_TYPE: contentType, WRK_AUTH: auth };
  const started = Date.now();
  const args = ['-t', String(CFG.wrkThreads), '-c', String(connections), '-d', `${seconds}s`, '--timeout', '10s', '-s', LUA];
  const res = await run('wrk', [...args, `http://${HOST}:${port}`], {
    env,
    timeoutMs: (seconds + 30) * 1000,
    onSpawn: (child) => sampler?.watch('wrk', child.pid),
  });
  const wrkCores = sampler?.cpuCores('wrk', started);
  sampler?.unwatch('wrk');
  const line = res.stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (!line) throw new Error(`wrk printed no summary (exit ${res.code}): ${res.stderr || res.stdout}`);
  const j = JSON.parse(line.slice(9));
  const secs = j.duration_us / 1e6;
  const errors = j.errors_connect + j.errors_read + j.errors_write + j.errors_timeout;
  const ok = j.requests - j.errors_status;
  return {
    connections,
    seconds: round(secs, 2),
    requests: j.requests,
    ok_requests: ok,
    non_2xx: j.errors_status,
    socket_errors: errors,
    requests_per_s: round(ok / secs, 1),
    events_per_s: round((ok * eventsPerRequest) / secs, 0),
    latency_ms: {
      mean: round(j.latency_mean_us / 1000, 2),
      p50: round(j.latency_p50_us / 1000, 2),
      p90: round(j.latency_p90_us / 1000, 2),
      p99: round(j.latency_p99_us / 1000, 2),
      max: round(j.latency_max_us / 1000, 2),
    },
    wrk_cpu_cores: wrkCores ?? null,
    started_at: started,
  };
}

// ---------------------------------------------------------------- servers

async function getJson(url, timeoutMs = 5000) {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

async function startFootprint(work, name, { cpuProf = false, memProbe = null } = {}) {
  const port = await freePort();
  const dataDir = join(work, `${name}-data`);
  const env = {
    ...process.env,
    FOOTPRINT_PORT: String(port),
    FOOTPRINT_HOST: HOST,
    FOOTPRINT_DATA_DIR: dataDir,
    FOOTPRINT_WRITE_KEY: WRITE_KEY,
    FOOTPRINT_ADMIN_TOKEN: ADMIN_TOKEN,
    FOOTPRINT_LOG_LEVEL: 'warn',
  };
  const profDir = join(RESULTS, 'prof');
  if (cpuProf) mkdirSync(profDir, { recursive: true });
  const nodeArgs = cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  if (memProbe) {
    mkdirSync(dirname(memProbe), { recursive: true });
    rmSync(memProbe, { force: true });
    env.BENCH_MEM_PROBE = memProbe;
    nodeArgs.push('--import', join(BENCH, 'mem-probe.mjs'));
  }
  const proc = startProcess(name, process.execPath, [...nodeArgs, 'packages/collector/dist/cli/main.js', 'serve'], {
    env,
    logFile: join(work, `${name}.log`),
  });
  const base = `http://${HOST}:${port}`;
  await waitFor(`${name} /healthz`, () => getJson(`${base}/healthz`, 1000).then((h) => h.ok), 30_000);
  return { ...proc, port, base, health: () => getJson(`${base}/healthz`) };
}

async function startBare(work) {
  const port = await freePort();
  const proc = startProcess('bare', process.execPath, [join(BENCH, 'bare-server.mjs'), String(port), HOST], {
    logFile: join(work, 'bare.log'),
  });
  await waitFor('bare server', () => proc.output().includes('listening'), 15_000);
  return { ...proc, port };
}

/**
 * Polls /healthz every 250 ms until the loader has caught up (lag_bytes == 0), bounded.
 * Rows are counted by the loader as inserted; every benchmark event has a fresh id.
 */
async function drain(fp, timeoutS) {
  const t0 = performance.now();
  const cpu = cpuPhase(fp.pid);
  const h0 = await fp.health();
  let h = h0;
  const trace = [];
  while ((performance.now() - t0) / 1000 < timeoutS) {
    const lag = h.loader.lag_bytes;
    trace.push({ t: round((performance.now() - t0) / 1000, 2), rows: h.loader.rows, lag_bytes: lag });
    if (lag === 0 && h.wal.queued_bytes === 0) break;
    await sleep(250);
    h = await fp.health();
  }
  const secs = (performance.now() - t0) / 1000;
  const usage = cpu();
  const rows = h.loader.rows - h0.loader.rows;
  const bytes = h0.loader.lag_bytes ?? 0;
  return {
    completed: h.loader.lag_bytes === 0,
    lag_bytes_at_start: h0.loader.lag_bytes,
    lag_seconds_at_start: h0.loader.lag_seconds,
    seconds_to_zero: round(secs, 2),
    rows_loaded: rows,
    events_per_s: secs > 0 ? round(rows / secs, 0) : null,
    wal_mb_per_s: secs > 0 ? round(bytes / 1048576 / secs, 1) : null,
    cpu: usage,
    cpu_us_per_loaded_event: rows > 0 && usage.process_cores !== null ? round((usage.process_cores * secs * 1e6) / rows, 0) : null,
    loader_state: h.loader.state,
    loader_error: h.loader.last_error,
    trace: trace.filter((_, i) => i % 4 === 0),
  };
}

function clickhouseConfig(dir, httpPort, tcpPort) {
  const d = (p) => join(dir, p) + '/';
  for (const p of ['data', 'tmp', 'user_files', 'format_schemas', 'log']) mkdirSync(join(dir, p), { recursive: true });
  writeFileSync(
    join(dir, 'config.xml'),
    `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${d('log')}server.log</log><errorlog>${d('log')}err.log</errorlog><size>100M</size><count>1</count></logger>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <max_connections>1024</max_connections>
  <keep_alive_timeout>30</keep_alive_timeout>
  <max_concurrent_queries>256</max_concurrent_queries>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <mark_cache_size>268435456</mark_cache_size>
  <path>${d('data')}</path>
  <tmp_path>${d('tmp')}</tmp_path>
  <user_files_path>${d('user_files')}</user_files_path>
  <format_schema_path>${d('format_schemas')}</format_schema_path>
  <users_config>${join(dir, 'users.xml')}</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
</yandex>
`,
  );
  writeFileSync(
    join(dir, 'users.xml'),
    `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`,
  );
  return join(dir, 'config.xml');
}

async function clickhouseQuery(port, sql) {
  // DDL can wait for background merges on a loaded machine: allow two minutes.
  const res = await fetch(`http://${HOST}:${port}/`, { method: 'POST', body: sql, signal: AbortSignal.timeout(120_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`ClickHouse: ${text.trim().slice(0, 400)}`);
  return text.trim();
}

async function startClickHouse(work) {
  const dir = join(work, 'clickhouse');
  const httpPort = await freePort();
  const tcpPort = await freePort();
  const config = clickhouseConfig(dir, httpPort, tcpPort);
  const proc = startProcess('clickhouse', 'clickhouse-server', [`--config-file=${config}`], {
    cwd: dir,
    logFile: join(work, 'clickhouse.log'),
  });
  try {
    await waitFor(
      'clickhouse-server',
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`exited with code ${proc.child.exitCode}: ${proc.output().slice(-600)}`);
        const r = await fetch(`http://${HOST}:${httpPort}/ping`, { signal: AbortSignal.timeout(1000) });
        return r.ok && (await r.text()).startsWith('Ok');
      },
      60_000,
      250,
    );
  } catch (err) {
    const errLog = existsSync(join(dir, 'log', 'err.log')) ? readFileSync(join(dir, 'log', 'err.log'), 'utf8').slice(-1500) : '';
    await proc.stop(5000);
    throw new Error(`${err.message}\n${errLog}`);
  }
  const version = await clickhouseQuery(httpPort, 'SELECT version()');
  return { ...proc, port: httpPort, version, dir };
}

// ---------------------------------------------------------------- machine

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const wrkVersion = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  const fsType = spawnSync('df', ['-T', os.tmpdir()], { encoding: 'utf8' }).stdout?.split('\n')[1]?.split(/\s+/)[1] ?? 'unknown';
  let commit = null;
  let dirty = null;
  try {
    const git = (...a) =>
      execFileSync('git', a, { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim();
    commit = git('rev-parse', '--short', 'HEAD');
    // Read-only: how many files under packages/ differ from the commit (the code measured).
    dirty = git('status', '--porcelain', '--', 'packages').split('\n').filter(Boolean).length;
  } catch {
    /* not a git checkout */
  }
  return {
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpu_model: model.trim(),
    memory_gb: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    wrk: ((wrkVersion.stdout || '') + (wrkVersion.stderr || '')).split('\n')[0].trim(),
    tmp_filesystem: fsType,
    commit,
    uncommitted_files_under_packages: dirty,
  };
}

// ---------------------------------------------------------------- the run

let busyBeforeStart = null;

/** Busy share of all cores over `ms` (from /proc/stat), less what our own children used. */
async function machineBusy(ms) {
  const ours = () => [...children.keys()].reduce((sum, pid) => sum + (statTicks(`/proc/${pid}/stat`) ?? 0), 0);
  const a = machineTicks();
  const o0 = ours();
  await sleep(ms);
  const b = machineTicks();
  const o1 = ours();
  const busy = b.total - a.total - (b.idle - a.idle) - Math.max(0, o1 - o0);
  return round((100 * Math.max(0, busy)) / Math.max(1, b.total - a.total), 1);
}

/**
 * Other work on the machine skews every number here. Before each measurement, waits (up to
 * maxSeconds) for the cores to be mostly idle, and records how busy they were. Our own
 * servers are idle at those points (the loader has caught up).
 */
async function waitForQuietMachine(maxSeconds = 300) {
  const deadline = Date.now() + (quick ? 10 : maxSeconds * 2) * 1000;
  let busy = await machineBusy(1000);
  while (busy > 15 && Date.now() < deadline) {
    log(`  the machine is ${busy}% busy with other work; waiting for it to settle...`);
    await sleep(3000);
    busy = await machineBusy(1000);
  }
  if (busy > 15) log(`  warning: measuring anyway with the machine ${busy}% busy; numbers will be low`);
  return busy;
}

/** Unattributed CPU (cores) above which a measurement is repeated. */
const CLEAN_LIMIT = 0.3;

/**
 * Runs one measurement until the machine stayed clean while it ran (bounded attempts) and
 * returns the cleanest attempt. `measure` returns a result with `cpu.unattributed_cores`;
 * `before` restores the starting state before a repeat (e.g. lets the loader catch up).
 */
async function clean(label, measure, { before } = {}) {
  let best;
  const seen = [];
  for (let i = 1; i <= CFG.attempts; i++) {
    if (i > 1 && before) await before();
    await waitForQuietMachine(60);
    const r = await measure();
    const u = r.cpu?.unattributed_cores ?? 0;
    seen.push(u);
    if (!best || u < best.cpu.unattributed_cores) best = r;
    if (u <= CLEAN_LIMIT) break;
    log(`  ${label}: other processes used ${u} cores meanwhile; ${i < CFG.attempts ? 'measuring again' : 'keeping the cleanest attempt'}`);
  }
  best.attempts_unattributed_cores = seen;
  return best;
}

async function main() {
  const startedAt = new Date();
  const watchdog = setTimeout(
    () => {
      log('bench: overall time limit reached; stopping everything');
      killAll('SIGKILL');
      process.exit(1);
    },
    (quick ? 15 : 75) * 60_000,
  );
  watchdog.unref();

  for (const bin of ['wrk', ...(CFG.clickhouse ? ['clickhouse-server'] : [])]) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) {
      throw new Error(`${bin} not found; install it with: apt-get install -y ${bin}`);
    }
  }
  busyBeforeStart = await waitForQuietMachine();
  if (CFG.build) {
    log('building the collector (npm run build)...');
    const b = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit', timeout: 300_000 });
    if (b.status !== 0) throw new Error('npm run build failed');
  }

  const work = mkdtempSync(join(os.tmpdir(), 'footprint-bench-'));
  workDir = work;
  log(`work folder: ${work}`);
  sampler = new Sampler(250);
  const results = { started_at: startedAt.toISOString(), config: CFG, machine: { ...machine(), busy_before_start_pct: busyBeforeStart } };

  // Payloads. Footprint bodies carry no messageId (the collector assigns a UUID), so the
  // same 64 bodies replayed by wrk still produce new rows and the loader does real work.
  const batches = batchBodies(64, EVENTS_PER_BATCH);
  const withIds = batchBodies(64, EVENTS_PER_BATCH, { withIds: true });
  const beacons = beaconBodies(512);
  const files = { batch: join(work, 'batch.bodies'), beacon: join(work, 'beacon.bodies'), clickhouse: join(work, 'clickhouse.bodies') };
  writeBodies(
    files.batch,
    batches.map((b) => b.body),
  );
  writeBodies(files.beacon, beacons);
  writeBodies(
    files.clickhouse,
    withIds.map((b) => clickhouseBody(b.events)),
  );
  const bytes = (arr) => arr.reduce((a, s) => a + Buffer.byteLength(s), 0);
  results.payload = {
    batch_bodies: batches.length,
    events_per_batch: EVENTS_PER_BATCH,
    batch_body_bytes_avg: round(bytes(batches.map((b) => b.body)) / batches.length, 0),
    event_json_bytes_avg: round(
      bytes(batches.flatMap((b) => b.events.map((e) => JSON.stringify(e)))) / (batches.length * EVENTS_PER_BATCH),
      0,
    ),
    beacon_bytes_avg: round(bytes(beacons) / beacons.length, 0),
    clickhouse_body_bytes_avg: round(bytes(withIds.map((b) => clickhouseBody(b.events))) / withIds.length, 0),
    mix: Object.fromEntries(
      Object.entries(
        batches
          .flatMap((b) => b.events)
          .reduce((acc, e) => {
            acc[e.type] = (acc[e.type] ?? 0) + 1;
            return acc;
          }, {}),
      ).map(([k, v]) => [k, round(v / (batches.length * EVENTS_PER_BATCH), 3)]),
    ),
  };

  // ---- 1. beacons: bare node:http, then Footprint, same wrk settings
  log('\n[1/5] beacons: bare node:http vs Footprint POST /v1/e');
  const beaconPath = `/v1/e?key=${WRITE_KEY}`;
  const beaconRun = (port, connections, seconds) =>
    wrk({ port, path: beaconPath, bodies: files.beacon, contentType: 'text/plain', connections, seconds, eventsPerRequest: 1 });
  const beacon = { bare: [], footprint: [] };
  {
    const bare = await startBare(work);
    sampler.watch('bare', bare.pid);
    await beaconRun(bare.port, CFG.beaconConns[0], CFG.warmup);
    for (const c of CFG.beaconConns) {
      const r = await clean(`bare c=${c}`, async () => {
        const cpu = cpuPhase(bare.pid);
        const x = await beaconRun(bare.port, c, CFG.beacon);
        x.cpu = cpu(x.wrk_cpu_cores ?? 0);
        x.main_thread_us_per_request = round((x.cpu.main_thread_cores * 1e6) / x.requests_per_s, 1);
        return x;
      });
      beacon.bare.push(r);
      log(`  bare      c=${c}: ${fmt(r.requests_per_s)} req/s`);
    }
    sampler.unwatch('bare');
    await bare.stop();
  }
  {
    const fp = await startFootprint(work, 'footprint-beacon');
    sampler.watch('footprint-beacon', fp.pid);
    const t0 = Date.now();
    await beaconRun(fp.port, CFG.beaconConns[0], CFG.warmup);
    await drain(fp, CFG.drainTimeout);
    for (const c of CFG.beaconConns) {
      const r = await clean(`footprint beacons c=${c}`, async () => {
        const from = Date.now();
        const cpu = cpuPhase(fp.pid);
        const x = await beaconRun(fp.port, c, CFG.beacon);
        x.cpu = cpu(x.wrk_cpu_cores ?? 0);
        x.main_thread_us_per_request = round((x.cpu.main_thread_cores * 1e6) / x.requests_per_s, 1);
        x.rss = sampler.maxRss('footprint-beacon', from);
        x.drain = await drain(fp, CFG.drainTimeout);
        delete x.drain.trace;
        return x;
      });
      beacon.footprint.push(r);
      log(`  footprint c=${c}: ${fmt(r.requests_per_s)} req/s (max RSS ${r.rss.max_mb} MB)`);
    }
    beacon.rss = sampler.maxRss('footprint-beacon', t0);
    const h = await fp.health();
    beacon.wal = h.wal;
    sampler.unwatch('footprint-beacon');
    await fp.stop(120_000);
  }
  beacon.by_connections = CFG.beaconConns.map((c, i) => ({
    connections: c,
    footprint_rps: beacon.footprint[i].requests_per_s,
    bare_rps: beacon.bare[i].requests_per_s,
    ratio: round(beacon.footprint[i].requests_per_s / beacon.bare[i].requests_per_s, 3),
    footprint_main_thread_us_per_request: beacon.footprint[i].main_thread_us_per_request,
    bare_main_thread_us_per_request: beacon.bare[i].main_thread_us_per_request,
  }));
  beacon.best = beacon.by_connections.reduce((a, b) => (b.footprint_rps > a.footprint_rps ? b : a));
  results.beacon = beacon;

  // ---- 2. batches: sweep, then sustained at the best connection count
  log('\n[2/5] batch ingestion POST /v1/batch (100 events per request)');
  const batchRun = (port, connections, seconds) =>
    wrk({ port, path: '/v1/batch', bodies: files.batch, auth: BASIC_AUTH, connections, seconds, eventsPerRequest: EVENTS_PER_BATCH });
  const memProbeFile = CFG.memProbe ? join(RESULTS, 'mem-probe.jsonl') : null;
  const fp = await startFootprint(work, 'footprint-batch', { cpuProf: CFG.cpuProf, memProbe: memProbeFile });
  sampler.watch('footprint-batch', fp.pid);
  const batch = { sweep: [] };
  const fpStart = Date.now();
  const settle = async () => {
    const d = await drain(fp, CFG.drainTimeout);
    if (!d.completed) log('  warning: the loader did not catch up in time');
    return d;
  };
  for (const c of CFG.batchConns) {
    const r = await clean(
      `batch sweep c=${c}`,
      async () => {
        const cpu = cpuPhase(fp.pid);
        const x = await batchRun(fp.port, c, CFG.sweep);
        x.cpu = cpu(x.wrk_cpu_cores ?? 0);
        return x;
      },
      { before: settle },
    );
    batch.sweep.push(r);
    log(`  sweep c=${c}: ${fmt(r.events_per_s)} events/s`);
  }
  const bestC = batch.sweep.reduce((a, b) => (b.events_per_s > a.events_per_s ? b : a)).connections;
  log(`  waiting for the loader to catch up before the sustained run...`);
  batch.settle = await settle();
  delete batch.settle.trace;
  {
    let h0;
    const r = await clean(
      `sustained batch c=${bestC}`,
      async () => {
        h0 = await fp.health();
        const from = Date.now();
        const cpu = cpuPhase(fp.pid);
        const x = await batchRun(fp.port, bestC, CFG.duration);
        x.cpu = cpu(x.wrk_cpu_cores ?? 0);
        x.main_thread_us_per_event = round((x.cpu.main_thread_cores * 1e6) / x.events_per_s, 1);
        x.h1 = await fp.health();
        x.h0 = h0;
        x.rss = sampler.maxRss('footprint-batch', from);
        return x;
      },
      { before: settle },
    );
    h0 = r.h0;
    const h1 = r.h1;
    delete r.h0;
    delete r.h1;
    r.server = {
      accepted_requests: h1.wal.appends - h0.wal.appends,
      fsyncs: h1.wal.fsyncs - h0.wal.fsyncs,
      wal_bytes: h1.wal.bytes - h0.wal.bytes,
      wal_bytes_per_event: round((h1.wal.bytes - h0.wal.bytes) / ((h1.wal.appends - h0.wal.appends) * EVENTS_PER_BATCH), 0),
      wal_mb_per_s: round((h1.wal.bytes - h0.wal.bytes) / 1048576 / r.seconds, 1),
      requests_per_fsync: round((h1.wal.appends - h0.wal.appends) / Math.max(1, h1.wal.fsyncs - h0.wal.fsyncs), 1),
      loaded_during_load_events_per_s: round((h1.loader.rows - h0.loader.rows) / r.seconds, 0),
      lag_bytes_at_end: h1.loader.lag_bytes,
      lag_seconds_at_end: h1.loader.lag_seconds,
    };
    batch.sustained = r;
    log(`  sustained c=${bestC}, ${CFG.duration} s: ${fmt(r.events_per_s)} events/s, max RSS ${r.rss.max_mb} MB`);

    // ---- 3. drain
    log('\n[3/5] loader drain into DuckDB after the load stops');
    const dfrom = Date.now();
    batch.drain = await drain(fp, CFG.drainTimeout);
    batch.drain.rss = sampler.maxRss('footprint-batch', dfrom);
    log(
      `  ${fmt(batch.drain.rows_loaded)} events in ${batch.drain.seconds_to_zero} s: ${fmt(batch.drain.events_per_s)} events/s` +
        (batch.drain.completed ? '' : ' (did NOT reach lag 0 in time)'),
    );
  }

  // ---- 4. p99 at half the sustained rate, open loop
  log('\n[4/5] ack latency at half the sustained batch rate (open loop)');
  {
    const rate = Math.max(1, Math.round(batch.sustained.requests_per_s / 2));
    const paced = await clean(`half-rate latency`, () => pacedRun(fp, rate), { before: settle });
    batch.paced = paced;
    log(`  ${rate} req/s (${fmt(rate * EVENTS_PER_BATCH)} events/s): p50 ${paced.latency.p50_ms} ms, p99 ${paced.latency.p99_ms} ms`);
  }
  /** One open-loop run of bench/paced-load.mjs against the collector. */
  async function pacedRun(fp, rate) {
    const from = Date.now();
    const cpu = cpuPhase(fp.pid);
    const res = await run(
      process.execPath,
      [
        join(BENCH, 'paced-load.mjs'),
        '--url',
        `http://${HOST}:${fp.port}/v1/batch`,
        '--bodies',
        files.batch,
        '--rate',
        String(rate),
        '--duration',
        String(CFG.duration),
        '--warmup',
        '2',
        '--auth',
        BASIC_AUTH,
        '--sockets',
        '64',
      ],
      { timeoutMs: (CFG.duration + 60) * 1000, onSpawn: (child) => sampler.watch('paced-load', child.pid) },
    );
    const pacedCores = sampler.cpuCores('paced-load', from);
    sampler.unwatch('paced-load');
    const line = res.stdout.split('\n').find((l) => l.startsWith('PACED_JSON '));
    if (!line) throw new Error(`paced-load failed: ${res.stderr}`);
    const paced = JSON.parse(line.slice(11));
    paced.cpu = cpu(pacedCores ?? 0);
    paced.rss = sampler.maxRss('footprint-batch', from);
    const h = await fp.health();
    paced.loader_lag_seconds_at_end = h.loader.lag_seconds;
    paced.events_per_s = round(paced.achieved_rate * EVENTS_PER_BATCH, 0);
    paced.after = await drain(fp, CFG.drainTimeout);
    delete paced.after.trace;
    return paced;
  }
  batch.rss = sampler.maxRss('footprint-batch', fpStart);
  sampler.unwatch('footprint-batch');
  await fp.stop(120_000);
  if (memProbeFile && existsSync(memProbeFile)) {
    const probe = readFileSync(memProbeFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const peak = probe.reduce((a, b) => (b.rss > a.rss ? b : a));
    batch.mem_probe = {
      samples: probe.length,
      at_peak_rss: { ...peak, native_and_other: round(peak.rss - peak.heapTotal - peak.external, 1) },
      max_heap_total: Math.max(...probe.map((p) => p.heapTotal)),
      max_external: Math.max(...probe.map((p) => p.external)),
    };
  }
  results.batch = batch;

  // ---- 5. ClickHouse reference
  log('\n[5/5] reference: ClickHouse JSONEachRow inserts');
  if (CFG.clickhouse) {
    let ch;
    try {
      ch = await startClickHouse(work);
      sampler.watch('clickhouse', ch.pid);
      // Every run inserts into a table of its own: no DROP TABLE, whose background file
      // deletion would run during the next measurement.
      let table = 0;
      const fresh = async () => {
        table++;
        await clickhouseQuery(ch.port, 'CREATE DATABASE IF NOT EXISTS bench');
        await clickhouseQuery(ch.port, CLICKHOUSE_TABLE.replace('bench.events', `bench.events_${table}`));
      };
      await fresh();
      const chRun = (connections, seconds) => {
        const insertPath = `/?query=${encodeURIComponent(`INSERT INTO bench.events_${table} FORMAT JSONEachRow`)}`;
        return wrk({ port: ch.port, path: insertPath, bodies: files.clickhouse, connections, seconds, eventsPerRequest: EVENTS_PER_BATCH });
      };
      const sweep = [];
      for (const c of CFG.batchConns) {
        const r = await clean(
          `ClickHouse sweep c=${c}`,
          async () => {
            const cpu = cpuPhase(ch.pid);
            const x = await chRun(c, CFG.sweep);
            x.cpu = cpu(x.wrk_cpu_cores ?? 0);
            return x;
          },
          { before: fresh },
        );
        sweep.push(r);
        log(`  sweep c=${c}: ${fmt(r.events_per_s)} events/s${r.non_2xx ? ` (${r.non_2xx} non-2xx)` : ''}`);
        await fresh();
      }
      const best = sweep.reduce((a, b) => (b.events_per_s > a.events_per_s ? b : a)).connections;
      const r = await clean(
        `ClickHouse sustained c=${best}`,
        async () => {
          const from = Date.now();
          const cpu = cpuPhase(ch.pid);
          const x = await chRun(best, CFG.duration);
          x.cpu = cpu(x.wrk_cpu_cores ?? 0);
          x.rss = sampler.maxRss('clickhouse', from);
          x.table = `bench.events_${table}`;
          x.rows_in_table = Number(await clickhouseQuery(ch.port, `SELECT count() FROM bench.events_${table}`));
          x.active_parts = Number(
            await clickhouseQuery(
              ch.port,
              `SELECT count() FROM system.parts WHERE database = 'bench' AND table = 'events_${table}' AND active`,
            ),
          );
          const ev = await clickhouseQuery(ch.port, "SELECT event, value FROM system.events WHERE event IN ('InsertedRows', 'MergedRows')");
          x.server_events = Object.fromEntries(
            ev
              .split('\n')
              .map((l) => l.split('\t'))
              .map(([k, v]) => [k, Number(v)]),
          );
          return x;
        },
        { before: fresh },
      );
      results.clickhouse = { version: ch.version, sweep, sustained: r };
      log(`  sustained c=${best}, ${CFG.duration} s: ${fmt(r.events_per_s)} events/s (ClickHouse ${ch.version})`);
    } catch (err) {
      results.clickhouse = { error: err.message };
      log(`  ClickHouse could not be measured: ${err.message}`);
    } finally {
      sampler.unwatch('clickhouse');
      await ch?.stop(30_000);
    }
  } else {
    results.clickhouse = { skipped: true };
  }

  sampler.stop();
  results.finished_at = new Date().toISOString();
  results.summary = summarize(results);
  const md = markdown(results);
  mkdirSync(RESULTS, { recursive: true });
  const jsonFile = join(RESULTS, 'latest.json');
  writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(RESULTS, 'latest.md'), md);
  writeFileSync(join(ROOT, 'docs', 'bench-ingest.svg'), chart(results));
  // Keep the JSON in the repository's format, so `npm run lint` stays clean.
  spawnSync(join(ROOT, 'node_modules', '.bin', 'biome'), ['format', '--write', jsonFile], { cwd: ROOT, stdio: 'ignore', timeout: 60_000 });
  if (!CFG.keep) rmSync(work, { recursive: true, force: true });
  else log(`kept ${work}`);
  if (CFG.cpuProf) log(`CPU profiles: ${readdirSync(join(RESULTS, 'prof')).join(', ')} in bench/results/prof`);
  process.stdout.write(`\n${md}`);
  log('\nwrote bench/results/latest.json, bench/results/latest.md, docs/bench-ingest.svg');
}

// ---------------------------------------------------------------- report

const TARGETS = {
  batch_events_per_s: 100_000,
  batch_goal_events_per_s: 200_000,
  beacon_rps: 15_000,
  beacon_ratio: 0.75,
  p99_ms: 20,
  rss_mb: 300,
};

function summarize(r) {
  const s = r.batch.sustained;
  const rssMax = Math.max(r.batch.rss.max_mb ?? 0, r.beacon.rss.max_mb ?? 0);
  return {
    batch_events_per_s: s.events_per_s,
    batch_connections: s.connections,
    beacon_rps: r.beacon.best.footprint_rps,
    beacon_connections: r.beacon.best.connections,
    bare_rps_same_settings: r.beacon.best.bare_rps,
    beacon_ratio: r.beacon.best.ratio,
    p99_ms_at_half_rate: r.batch.paced.latency.p99_ms,
    half_rate_events_per_s: r.batch.paced.events_per_s,
    rss_max_mb_under_load: rssMax,
    clickhouse_events_per_s: r.clickhouse.sustained?.events_per_s ?? null,
    footprint_vs_clickhouse: r.clickhouse.sustained ? round(s.events_per_s / r.clickhouse.sustained.events_per_s, 2) : null,
    max_unattributed_cores: maxUnattributed(r),
    drain_events_per_s: r.batch.drain.events_per_s,
    drain_seconds: r.batch.drain.seconds_to_zero,
    met: {
      batch_100k: s.events_per_s >= TARGETS.batch_events_per_s,
      batch_goal_200k: s.events_per_s >= TARGETS.batch_goal_events_per_s,
      beacon_15k: r.beacon.best.footprint_rps >= TARGETS.beacon_rps,
      beacon_ratio_075: r.beacon.best.ratio >= TARGETS.beacon_ratio,
      p99_under_20ms: r.batch.paced.latency.p99_ms < TARGETS.p99_ms,
      rss_under_300mb: rssMax < TARGETS.rss_mb,
    },
  };
}

/** Every measurement with its CPU record, for the CPU table of the report. */
function cpuRows(r) {
  const ev = (x) => `${fmt(x.events_per_s)} events/s`;
  const rq = (x) => `${fmt(x.requests_per_s)} req/s`;
  return [
    ...r.beacon.bare.map((x) => [`bare node:http, c=${x.connections}`, rq(x), x.cpu]),
    ...r.beacon.footprint.map((x) => [`Footprint /v1/e, c=${x.connections}`, rq(x), x.cpu]),
    ...r.batch.sweep.map((x) => [`Footprint /v1/batch sweep, c=${x.connections}`, ev(x), x.cpu]),
    [`Footprint /v1/batch sustained, c=${r.batch.sustained.connections}`, ev(r.batch.sustained), r.batch.sustained.cpu],
    ...(r.batch.settle?.cpu
      ? [['Loader drain after the sweep (no ingestion)', `${fmt(r.batch.settle.events_per_s)} events/s`, r.batch.settle.cpu]]
      : []),
    ['Loader drain after the sustained run (no ingestion)', `${fmt(r.batch.drain.events_per_s)} events/s`, r.batch.drain.cpu],
    [`Half-rate latency run (${r.batch.paced.target_rate} req/s)`, `p99 ${r.batch.paced.latency.p99_ms} ms`, r.batch.paced.cpu],
    ...(r.clickhouse.sweep ?? []).map((x) => [`ClickHouse sweep, c=${x.connections}`, ev(x), x.cpu]),
    ...(r.clickhouse.sustained
      ? [[`ClickHouse sustained, c=${r.clickhouse.sustained.connections}`, ev(r.clickhouse.sustained), r.clickhouse.sustained.cpu]]
      : []),
  ];
}

/** The largest "unattributed" CPU of any measurement: how clean the machine was. */
function maxUnattributed(r) {
  const phases = [
    ...r.beacon.bare.map((x) => ['beacon bare', x.connections, x.cpu]),
    ...r.beacon.footprint.map((x) => ['beacon footprint', x.connections, x.cpu]),
    ...r.batch.sweep.map((x) => ['batch sweep', x.connections, x.cpu]),
    ['batch sustained', r.batch.sustained.connections, r.batch.sustained.cpu],
    ['half-rate latency', r.batch.paced.sockets, r.batch.paced.cpu],
    ...(r.clickhouse.sweep ?? []).map((x) => ['clickhouse sweep', x.connections, x.cpu]),
    ...(r.clickhouse.sustained ? [['clickhouse sustained', r.clickhouse.sustained.connections, r.clickhouse.sustained.cpu]] : []),
  ].filter(([, , cpu]) => cpu);
  const worst = phases.reduce((a, b) => (b[2].unattributed_cores > a[2].unattributed_cores ? b : a), phases[0]);
  return worst ? { cores: worst[2].unattributed_cores, phase: `${worst[0]} c=${worst[1]}` } : null;
}

/** The "other load" cell: unattributed cores, flagged when the measurement was disturbed. */
const noise = (cpu) => {
  const u = cpu?.unattributed_cores;
  if (u === null || u === undefined) return '';
  return u > CLEAN_LIMIT ? `⚠ ${u}` : String(u);
};

const yes = (b) => (b ? '**met**' : '**missed**');

function markdown(r) {
  const s = r.summary;
  const b = r.batch;
  const m = r.machine;
  const lines = [];
  lines.push(`### Results (${r.started_at.slice(0, 16).replace('T', ' ')} UTC)`);
  lines.push('');
  lines.push(
    `Machine: ${m.nproc} cores (${m.cpu_model}), ${m.memory_gb} GB RAM, ${m.os}, Node ${m.node}, ${m.wrk}, temp dirs on ${m.tmp_filesystem}.`,
  );
  lines.push(
    `Code: commit ${m.commit ?? 'unknown'}${m.uncommitted_files_under_packages ? ` plus ${m.uncommitted_files_under_packages} uncommitted files under packages/` : ''}.`,
  );
  lines.push(
    `Payload: ${r.payload.events_per_batch} events per batch, ${r.payload.event_json_bytes_avg} bytes per event on average ` +
      `(${r.payload.batch_body_bytes_avg} bytes per body); beacons ${r.payload.beacon_bytes_avg} bytes.`,
  );
  lines.push('');
  const bestBeacon = r.beacon.footprint.find((x) => x.connections === s.beacon_connections);
  const bareSame = r.beacon.bare.find((x) => x.connections === s.beacon_connections);
  lines.push('| # | Measurement | Result | Target | | other load¹ |');
  lines.push('|---|---|---|---|---|---|');
  lines.push(
    `| 1 | Batch ingestion, POST /v1/batch, wrk c=${s.batch_connections}, ${b.sustained.seconds} s | **${fmt(s.batch_events_per_s)} events/s** ` +
      `(${fmt(b.sustained.requests_per_s)} req/s) | ≥ 100,000 (goal 200,000) | ${yes(s.met.batch_100k)} | ${noise(b.sustained.cpu)} |`,
  );
  lines.push(
    `| 2 | Beacons, POST /v1/e, wrk c=${s.beacon_connections} | **${fmt(s.beacon_rps)} req/s** | ≥ 15,000 | ${yes(s.met.beacon_15k)} | ${noise(bestBeacon?.cpu)} |`,
  );
  lines.push(
    `| 2 | Beacons vs bare node:http (${fmt(s.bare_rps_same_settings)} req/s, same settings) | **${s.beacon_ratio}×** | ≥ 0.75× | ${yes(s.met.beacon_ratio_075)} | ${noise(bareSame?.cpu)} (bare) |`,
  );
  lines.push(
    `| 3 | Ack latency at half the batch rate (${fmt(b.paced.target_rate)} req/s = ${fmt(s.half_rate_events_per_s)} events/s, open loop) | ` +
      `**p99 ${b.paced.latency.p99_ms} ms** (p50 ${b.paced.latency.p50_ms}, p90 ${b.paced.latency.p90_ms}, max ${b.paced.latency.max_ms}) | p99 < 20 ms | ${yes(s.met.p99_under_20ms)} | ${noise(b.paced.cpu)} |`,
  );
  lines.push(
    `| 4 | Collector RSS under load (max of 250 ms samples) | **${s.rss_max_mb_under_load} MB** ` +
      `(batch ${b.sustained.rss.max_mb}, half rate ${b.paced.rss.max_mb}, drain ${b.drain.rss.max_mb}, beacons ${r.beacon.rss.max_mb}) | < 300 MB | ${yes(s.met.rss_under_300mb)} | |`,
  );
  if (r.clickhouse.sustained) {
    const c = r.clickhouse.sustained;
    lines.push(
      `| 5 | Reference: ClickHouse ${r.clickhouse.version} JSONEachRow INSERT, wrk c=${c.connections}, ${c.seconds} s | **${fmt(c.events_per_s)} events/s** ` +
        `(${c.non_2xx} non-2xx; Footprint = ${s.footprint_vs_clickhouse}× ClickHouse) | — | | ${noise(c.cpu)} |`,
    );
  } else {
    lines.push(`| 5 | Reference: ClickHouse | not measured: ${String(r.clickhouse.error ?? 'skipped').split('\n')[0]} | — | | |`);
  }
  lines.push(
    `| 6 | Loader drain into DuckDB after the load (${fmt(b.drain.rows_loaded)} events backlog) | **${fmt(b.drain.events_per_s)} events/s**, ` +
      `lag 0 after ${b.drain.seconds_to_zero} s${b.drain.completed ? '' : ' (NOT reached)'}; ${b.drain.cpu_us_per_loaded_event} µs CPU per event | — | | ${noise(b.drain.cpu)} |`,
  );
  if (b.settle?.rows_loaded > 0) {
    lines.push(
      `| 6 | Loader drain after the connection sweep (${fmt(b.settle.rows_loaded)} events backlog) | **${fmt(b.settle.events_per_s)} events/s**, ` +
        `lag 0 after ${b.settle.seconds_to_zero} s; ${b.settle.cpu_us_per_loaded_event} µs CPU per event | — | | ${noise(b.settle.cpu)} |`,
    );
  }
  lines.push('');
  lines.push(
    `¹ CPU used by other processes on the machine while the measurement ran (cores of ${r.machine.nproc}); ` +
      `above ${CLEAN_LIMIT} the figure is marked ⚠ and is lower than this machine can do when idle.`,
  );
  lines.push('');
  lines.push('Batch connection sweep (events/s):');
  lines.push('');
  lines.push(`| wrk connections | ${r.batch.sweep.map((x) => x.connections).join(' | ')} |`);
  lines.push(`|---|${r.batch.sweep.map(() => '---').join('|')}|`);
  const cell = (x) => `${fmt(x.events_per_s)}${x.cpu?.unattributed_cores > CLEAN_LIMIT ? ` (⚠ ${x.cpu.unattributed_cores})` : ''}`;
  lines.push(`| Footprint | ${r.batch.sweep.map(cell).join(' | ')} |`);
  if (r.clickhouse.sweep) lines.push(`| ClickHouse | ${r.clickhouse.sweep.map(cell).join(' | ')} |`);
  lines.push('');
  lines.push('Beacons by connection count (req/s):');
  lines.push('');
  lines.push(
    '| wrk connections | Footprint /v1/e | bare node:http | ratio | main-thread CPU per request, Footprint / bare | Footprint p99 (closed loop) |',
  );
  lines.push('|---|---|---|---|---|---|');
  r.beacon.by_connections.forEach((x, i) => {
    lines.push(
      `| ${x.connections} | ${fmt(x.footprint_rps)} | ${fmt(x.bare_rps)} | ${x.ratio}× | ` +
        `${x.footprint_main_thread_us_per_request} µs / ${x.bare_main_thread_us_per_request} µs | ${r.beacon.footprint[i].latency_ms.p99} ms |`,
    );
  });
  lines.push('');
  const sv = b.sustained.server;
  const cpu = b.sustained.cpu;
  lines.push(
    `During the sustained batch run: collector main thread ${cpu.main_thread_cores} cores ` +
      `(${b.sustained.main_thread_us_per_event} µs per event), other collector threads ` +
      `(DuckDB loader, libuv pool) ${cpu.other_threads_cores} cores, machine ${cpu.machine_busy_pct}% busy; ` +
      `${sv.requests_per_fsync} requests per fsync, WAL ${sv.wal_bytes_per_event} bytes per event (${sv.wal_mb_per_s} MB/s); ` +
      `the loader kept up with ${fmt(sv.loaded_during_load_events_per_s)} events/s while the load ran.`,
  );
  lines.push('');
  lines.push(`CPU during each measurement (cores; the machine has ${r.machine.nproc}):`);
  lines.push('');
  lines.push(
    '| measurement | result | server process | of which main thread | load generator | machine busy (user / system) | unattributed |',
  );
  lines.push('|---|---|---|---|---|---|---|');
  for (const [name, res, cpuOf] of cpuRows(r)) {
    if (!cpuOf) continue;
    lines.push(
      `| ${name} | ${res} | ${cpuOf.process_cores} | ${cpuOf.main_thread_cores} | ${cpuOf.load_generator_cores} | ` +
        `${cpuOf.machine_busy_pct}% (${cpuOf.machine_user_pct} / ${cpuOf.machine_system_pct}) | ${cpuOf.unattributed_cores} |`,
    );
  }
  lines.push('');
  if (s.max_unattributed_cores) {
    lines.push('');
    lines.push(
      `Machine cleanliness: the largest CPU use not explained by the measured server, its load generator and this script ` +
        `was ${s.max_unattributed_cores.cores} cores (${s.max_unattributed_cores.phase}); values near 0.1 are interrupt/softirq work, ` +
        `larger ones mean other processes competed for the ${r.machine.nproc} cores.`,
    );
  }
  lines.push('');
  return `${lines.join('\n')}\n`;
}

function chart(r) {
  const busy = (cpu) => (cpu?.unattributed_cores > CLEAN_LIMIT ? ' ⚠ busy machine' : '');
  const bestOf = (sweep) => sweep.reduce((a, b) => (b.events_per_s > a.events_per_s ? b : a));
  const fpSweep = bestOf(r.batch.sweep);
  const bars = [
    {
      label: `Footprint /v1/batch, ${r.batch.sustained.seconds} s`,
      value: r.summary.batch_events_per_s,
      color: '#2e86de',
      note: `events/s${busy(r.batch.sustained.cpu)}`,
    },
    { label: 'Footprint /v1/batch, best 5 s sweep', value: fpSweep.events_per_s, color: '#74b9ff', note: `events/s${busy(fpSweep.cpu)}` },
  ];
  if (r.clickhouse.sustained) {
    const chSweep = bestOf(r.clickhouse.sweep);
    bars.push({
      label: `ClickHouse ${r.clickhouse.version}, ${r.clickhouse.sustained.seconds} s`,
      value: r.clickhouse.sustained.events_per_s,
      color: '#f39c12',
      note: `events/s${busy(r.clickhouse.sustained.cpu)}`,
    });
    bars.push({ label: 'ClickHouse, best 5 s sweep', value: chSweep.events_per_s, color: '#fdcb6e', note: `events/s${busy(chSweep.cpu)}` });
  }
  bars.push({
    label: 'Footprint loader → DuckDB (drain)',
    value: r.summary.drain_events_per_s ?? 0,
    color: '#7f8c8d',
    note: `events/s${busy(r.batch.drain.cpu)}`,
  });
  const beaconCpu = r.beacon.footprint.find((x) => x.connections === r.summary.beacon_connections)?.cpu;
  const bareCpu = r.beacon.bare.find((x) => x.connections === r.summary.beacon_connections)?.cpu;
  bars.push({
    label: `Footprint /v1/e, c=${r.summary.beacon_connections}`,
    value: r.summary.beacon_rps,
    color: '#27ae60',
    note: `events/s${busy(beaconCpu)}`,
  });
  bars.push({
    label: `bare node:http 204, c=${r.summary.beacon_connections}`,
    value: r.summary.bare_rps_same_settings,
    color: '#95a5a6',
    note: `req/s${busy(bareCpu)}`,
  });
  return barChartSvg({
    title: 'Ingestion throughput, one run, same machine',
    subtitle:
      `${r.machine.nproc} cores, ${r.machine.memory_gb} GB, Node ${r.machine.node}, ${r.started_at.slice(0, 16).replace('T', ' ')} UTC; ` +
      `batches of 100 events (~${r.payload.event_json_bytes_avg} B each), acked after fsync`,
    unit: 'events per second (bare node:http: requests per second)',
    bars,
    lines: [{ value: TARGETS.batch_events_per_s, label: 'batch target 100k' }],
  });
}

/** --render FILE: rebuilds the markdown and the chart from saved results, runs nothing. */
function render(file) {
  const results = JSON.parse(readFileSync(file, 'utf8'));
  results.summary = summarize(results);
  const md = markdown(results);
  writeFileSync(join(RESULTS, 'latest.md'), md);
  writeFileSync(join(ROOT, 'docs', 'bench-ingest.svg'), chart(results));
  process.stdout.write(md);
}

const renderFile = opt('render', 'BENCH_RENDER', null);
const start = renderFile ? Promise.resolve().then(() => render(renderFile)) : main();
start.catch((err) => {
  log(`bench failed: ${err.stack ?? err}`);
  killAll('SIGKILL');
  process.exit(1);
});
