/**
 * The cost of one log call, Footprint's `log.info` against pino's `logger.info`, in a fresh
 * process per variant. The calls run in chunks with a turn of the event loop between them,
 * so each logger's background work (pino's buffered writes; Footprint's outbox writes,
 * batching, gzip and HTTP) happens during the run and is counted. Reports the time spent in
 * the calls themselves and the process's whole CPU time, per call.
 *
 *   node bench/node-sdk/log-cost.mjs <pino-async|pino-sync|footprint|footprint-memory> <calls> <sinkUrl> <outboxDir>
 */
import { setImmediate as turn } from 'node:timers/promises';
import { pino } from 'pino';
import { createFootprint } from '../../packages/node/dist/index.js';

const [variant, callsArg, sinkUrl, outboxDir] = process.argv.slice(2);
const calls = Number(callsArg);
const CHUNK = 1000;
const fields = { order_id: 1234, user: 'u_6', amount: 39.9, currency: 'EUR' };

let log;
let finish;
if (variant.startsWith('pino')) {
  // pino's recommended asynchronous setup buffers 4 KB before each write.
  const dest =
    variant === 'pino-sync'
      ? pino.destination({ dest: '/dev/null', sync: true })
      : pino.destination({ dest: '/dev/null', sync: false, minLength: 4096 });
  const logger = pino(dest);
  log = (i) => logger.info({ ...fields, i }, 'order paid');
  finish = async () => dest.flushSync();
} else {
  const fp = createFootprint({
    endpoint: sinkUrl,
    writeKey: 'bench_write_key',
    outbox: variant === 'footprint' ? { dir: outboxDir } : false,
    onError: () => {},
  });
  log = (i) => fp.log.info('order paid', { ...fields, i });
  finish = async () => {
    const r = await fp.shutdown({ timeoutMs: 30_000 });
    const s = fp.stats();
    if (!r.ok || Object.keys(s.dropped).length > 0) throw new Error(`not all delivered: ${JSON.stringify(s)}`);
  };
  // Let the outbox open before timing.
  await new Promise((r) => setTimeout(r, 100));
}

// Warm up the JIT (in chunks, like the measured run).
for (let done = 0; done < 20_000; done += CHUNK) {
  for (let i = 0; i < CHUNK; i++) log(done + i);
  await turn();
}
await new Promise((r) => setTimeout(r, 200));

const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
let inCalls = 0n;
for (let done = 0; done < calls; done += CHUNK) {
  const s = process.hrtime.bigint();
  for (let i = 0; i < CHUNK; i++) log(done + i);
  inCalls += process.hrtime.bigint() - s;
  await turn();
}
await finish();
const wall = Number(process.hrtime.bigint() - t0) / 1e3;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  `${JSON.stringify({
    variant,
    calls,
    callNs: Number(inCalls) / calls,
    cpuNsPerCall: ((cpu.user + cpu.system) * 1000) / calls,
    wallUsPerCall: wall / calls,
  })}\n`,
);
