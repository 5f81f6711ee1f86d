#!/usr/bin/env node
/**
 * Open-loop, rate-limited load generator (wrk2 is not packaged for Debian): sends POSTs at
 * a fixed rate whatever the server does, over a keep-alive http.Agent, and reports latency
 * percentiles. Latency is measured from the moment a request was *due* (its slot in the
 * schedule), not from when it was written, so a slow server cannot hide its queueing delay
 * by slowing the generator down ("coordinated omission"). The service time (from write to
 * response end) is reported too.
 *
 * Usage:
 *   node bench/paced-load.mjs --url http://127.0.0.1:18181/v1/batch --bodies file --rate 500 \
 *     --duration 15 [--warmup 2] [--auth "Basic ..."] [--content-type application/json] [--sockets 64]
 *
 * `--bodies` uses the format of bench/post-bodies.lua: "<byte length>\n<body>" repeated.
 * Prints one line "PACED_JSON {...}" and exits; the run is bounded by duration + 30 s.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';

function args(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
  return out;
}

export function readBodies(file) {
  const data = readFileSync(file);
  const bodies = [];
  let pos = 0;
  while (pos < data.length) {
    const nl = data.indexOf(10, pos);
    if (nl === -1) break;
    const len = Number(data.toString('latin1', pos, nl));
    bodies.push(data.subarray(nl + 1, nl + 1 + len));
    pos = nl + 1 + len;
  }
  return bodies;
}

/** Nearest-rank percentile of a sorted array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

function summarize(values) {
  const sorted = Float64Array.from(values).sort();
  const r = (v) => (v === null ? null : Math.round(v * 1000) / 1000);
  return {
    count: sorted.length,
    p50_ms: r(percentile(sorted, 50)),
    p90_ms: r(percentile(sorted, 90)),
    p99_ms: r(percentile(sorted, 99)),
    p999_ms: r(percentile(sorted, 99.9)),
    max_ms: r(sorted.length ? sorted[sorted.length - 1] : null),
    mean_ms: r(sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : null),
  };
}

async function main() {
  const a = args(process.argv.slice(2));
  const url = new URL(a.url);
  const rate = Number(a.rate);
  const duration = Number(a.duration ?? 15);
  const warmup = Number(a.warmup ?? 2);
  const sockets = Number(a.sockets ?? 64);
  if (!(rate > 0) || !(duration > 0)) throw new Error('--rate and --duration must be positive');
  if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') throw new Error('paced-load only sends to 127.0.0.1');
  // Hard bound, whatever happens: the schedule plus 40 s.
  setTimeout(
    () => {
      process.stderr.write('paced-load: hard time limit reached\n');
      process.exit(2);
    },
    (warmup + duration + 40) * 1000,
  ).unref();
  const bodies = readBodies(a.bodies);
  const headers = { 'content-type': a['content-type'] ?? 'application/json' };
  if (a.auth) headers.authorization = a.auth;

  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  const total = Math.round((warmup + duration) * rate);
  const firstMeasured = Math.round(warmup * rate);
  const dueLatency = [];
  const serviceTime = [];
  const status = {};
  let errors = 0;
  let sent = 0;
  let done = 0;
  const start = process.hrtime.bigint();
  const nsPerReq = 1e9 / rate;
  let measureStart = 0n;
  let measureEnd = 0n;

  function fire(i) {
    const due = start + BigInt(Math.round(i * nsPerReq));
    const body = bodies[i % bodies.length];
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: 'POST',
        agent,
        headers: { ...headers, 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const end = process.hrtime.bigint();
          if (i >= firstMeasured) {
            dueLatency.push(Number(end - due) / 1e6);
            serviceTime.push(Number(end - written) / 1e6);
            status[res.statusCode] = (status[res.statusCode] ?? 0) + 1;
            if (end > measureEnd) measureEnd = end;
          }
          done++;
        });
      },
    );
    const written = process.hrtime.bigint();
    if (i === firstMeasured) measureStart = written;
    req.on('error', () => {
      errors++;
      done++;
    });
    req.end(body);
  }

  await new Promise((resolve) => {
    const tick = () => {
      const elapsed = Number(process.hrtime.bigint() - start);
      const due = Math.min(total, Math.floor(elapsed / nsPerReq) + 1);
      while (sent < due) fire(sent++);
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  // Wait for the answers, bounded.
  const deadline = Date.now() + 30_000;
  while (done < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  agent.destroy();

  const measured = total - firstMeasured;
  const seconds = Number(measureEnd - measureStart) / 1e9;
  const result = {
    target_rate: rate,
    duration_s: duration,
    warmup_s: warmup,
    sockets,
    scheduled: measured,
    completed: dueLatency.length,
    achieved_rate: seconds > 0 ? Math.round((dueLatency.length / seconds) * 10) / 10 : null,
    status,
    errors,
    unanswered: total - done,
    latency: summarize(dueLatency),
    service_time: summarize(serviceTime),
  };
  process.stdout.write(`PACED_JSON ${JSON.stringify(result)}\n`);
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`paced-load: ${err.stack ?? err}\n`);
  process.exit(1);
});
