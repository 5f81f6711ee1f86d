/**
 * The on-disk outbox end to end: a collector that is down and then up (a real collector
 * process started late on the port the SDK sends to), an application process SIGKILLed with
 * events in its outbox and started again, the disk bound, and the fallback to memory.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile, rename, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LOCK_STALE_MS } from '@footprint/folder-lock';
import { DropReporter } from '../src/delivery/drops.js';
import { Pipeline } from '../src/delivery/pipeline.js';
import type { FootprintSdkError } from '../src/index.js';
import { resolveOptions } from '../src/options.js';
import {
  eventsWhere,
  eventually,
  freePort,
  killOnExit,
  marker,
  removeDir,
  spawnCollector,
  startCollector,
  TestProxy,
  tempDir,
  testClient,
  WRITE_KEY,
} from './support/harness.js';

const APP = fileURLToPath(new URL('./fixtures/outbox-app.ts', import.meta.url));

/** The outbox test app as a child process, spoken to one JSON line at a time. */
function startApp(endpoint: string, outboxDir: string) {
  const proc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', APP], {
    env: { ...process.env, FOOTPRINT_ENDPOINT: endpoint, FOOTPRINT_WRITE_KEY: WRITE_KEY, OUTBOX_DIR: outboxDir },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  killOnExit(proc);
  const waiting: Array<(v: any) => void> = [];
  createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (l) => waiting.shift()?.(JSON.parse(l)));
  const exited = new Promise<NodeJS.Signals | number | null>((r) => proc.once('exit', (code, signal) => r(signal ?? code)));
  // A child that dies answers every question still open with its end, so no test waits forever.
  void exited.then((end) => {
    for (const w of waiting.splice(0)) w({ exited: end });
  });
  const next = () => new Promise<any>((r) => waiting.push(r));
  const ready = next();
  const ask = (cmd: object): Promise<any> => {
    const answer = next();
    proc.stdin?.write(`${JSON.stringify(cmd)}\n`);
    return answer;
  };
  return { proc, ready, exited, ask, stats: () => ask({ cmd: 'stats' }) };
}

async function linesOnDisk(dir: string): Promise<number> {
  let n = 0;
  for (const f of await readdir(dir)) if (f.endsWith('.jsonl')) n += (await readFile(join(dir, f), 'utf8')).split('\n').length - 1;
  return n;
}

describe('the outbox', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await removeDir(d);
  });
  const dir = async () => {
    const d = await tempDir('fp-outbox-');
    dirs.push(d);
    return d;
  };

  it('keeps events on disk while the collector is down and delivers them once a collector starts', async () => {
    const port = await freePort();
    const outbox = await dir();
    const m = marker();
    const fp = testClient(`http://127.0.0.1:${port}`, { outbox: { dir: outbox } });
    for (let i = 0; i < 200; i++) fp.track({ event: 'while_down', anonymousId: m, messageId: `${m}-${i}`, properties: { i } });
    await eventually(async () => (fp.stats().mode === 'outbox' && fp.stats().staged === 0 ? true : undefined));
    assert.equal(fp.stats().pending, 200);
    assert.equal(await linesOnDisk(outbox), 200, 'all 200 events are in the outbox files');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(fp.stats().delivered, 0);

    const data = await dir();
    const collector = await spawnCollector(data, { FOOTPRINT_PORT: String(port) });
    try {
      const stored = await eventsWhere(collector.url, () => true, 200, `anonymous_id=${m}`);
      assert.equal(new Set(stored.map((e) => e.id)).size, 200);
      await eventually(async () => (fp.stats().delivered === 200 && fp.stats().pending === 0 ? true : undefined));
      await fp.shutdown();
      assert.equal(await linesOnDisk(outbox), 0, 'delivered events leave the disk');
    } finally {
      await fp.shutdown({ timeoutMs: 10 });
      collector.proc.kill('SIGTERM');
      await collector.exited;
    }
  });

  it('delivers, after a restart, every event a SIGKILLed process left in its outbox, and none it had delivered', async () => {
    const collector = await startCollector();
    const proxy = await new TestProxy(collector.url).start();
    const outbox = await dir();
    const m = marker();
    try {
      const first = startApp(proxy.url, outbox);
      await first.ready;
      await first.ask({ cmd: 'send', prefix: m, from: 0, count: 30 });
      await eventually(async () => ((await first.stats()).delivered === 30 ? true : undefined));

      proxy.decide = () => 'reset';
      await first.ask({ cmd: 'send', prefix: m, from: 30, count: 50 });
      await eventually(async () => {
        const s = await first.stats();
        return s.mode === 'outbox' && s.staged === 0 && s.pending === 50 ? true : undefined;
      });
      first.proc.kill('SIGKILL');
      assert.equal(await first.exited, 'SIGKILL');
      const beforeRestart = proxy.requests.length;

      proxy.decide = () => 'pass';
      const second = startApp(proxy.url, outbox);
      await second.ready;
      await eventually(async () => {
        const s = await second.stats();
        return s.pending === 0 && s.delivered === 50 ? true : undefined;
      });
      await second.ask({ cmd: 'exit' });
      assert.equal(await second.exited, 0);

      const resent = proxy.requests.slice(beforeRestart).flatMap((r) => r.messageIds);
      assert.deepEqual(
        [...new Set(resent)].sort(),
        Array.from({ length: 50 }, (_, i) => `${m}-${30 + i}`).sort(),
        'after the restart only the undelivered events are sent',
      );
      const passed = proxy.deliveredIds().filter((id) => id.startsWith(m));
      assert.equal(passed.length, 80, 'each of the 80 events reached the collector exactly once');
      assert.equal(new Set(passed).size, 80);

      const stored = await eventsWhere(collector.url, () => true, 80, `anonymous_id=${m}`);
      const perId = new Map<string, number>();
      for (const e of stored) perId.set(e.id, (perId.get(e.id) ?? 0) + 1);
      assert.equal(perId.size, 80);
      assert.ok([...perId.values()].every((n) => n === 1));
    } finally {
      await proxy.stop();
      await collector.dispose();
    }
  });

  it('takes in a sibling folder whose foreign lock goes stale after the start (a container restarted under the same host name)', async () => {
    const base = await dir();
    const left = join(base, 'ob');
    const m = marker();
    // A process that could not deliver: its events stay in its folder.
    const first = testClient(`http://127.0.0.1:${await freePort()}`, { outbox: { dir: left } });
    for (let i = 0; i < 5; i++) first.track({ event: 'stranded', anonymousId: m, messageId: `${m}-${i}` });
    await eventually(async () => (first.stats().mode === 'outbox' && first.stats().staged === 0 ? true : undefined));
    await first.shutdown({ timeoutMs: 10 });
    // As the restarted container sees it: the folder is a sibling, locked by a process of another
    // pid namespace, whose lock goes stale (LOCK_STALE_MS) a moment after this process starts.
    await rename(left, `${left}.1`);
    const lock = join(`${left}.1`, 'lock');
    await writeFile(lock, JSON.stringify({ pid: 1, host: hostname(), space: 'another-pid-namespace', token: 't' }));
    const aged = new Date(Date.now() - LOCK_STALE_MS + 1_500);
    await utimes(lock, aged, aged);

    const collector = await startCollector();
    const o = resolveOptions({ endpoint: collector.url, writeKey: WRITE_KEY, outbox: { dir: left } });
    const pipeline = new Pipeline(
      { ...o, outbox: { ...(o.outbox as NonNullable<typeof o.outbox>), adoptIntervalMs: 300 } },
      new DropReporter(() => {}),
    );
    try {
      const stored = await eventsWhere(collector.url, () => true, 5, `anonymous_id=${m}`);
      assert.equal(new Set(stored.map((e) => e.id)).size, 5);
    } finally {
      await pipeline.shutdown(1_000);
      await collector.dispose();
    }
  });

  it('bounds the disk: beyond outbox.maxBytes new events are dropped, counted and reported', async () => {
    const port = await freePort();
    const outbox = await dir();
    const errors: FootprintSdkError[] = [];
    const fp = testClient(`http://127.0.0.1:${port}`, { outbox: { dir: outbox, maxBytes: 20_000 }, onError: (e) => errors.push(e) });
    for (let i = 0; i < 100; i++) fp.log.info('fills the disk', { i, pad: 'x'.repeat(400) });
    await eventually(async () => (fp.stats().staged === 0 && fp.stats().mode === 'outbox' ? true : undefined));
    const s = fp.stats();
    assert.ok((s.dropped.outbox_full ?? 0) > 0);
    assert.equal(s.pending + (s.dropped.outbox_full ?? 0), 100);
    let size = 0;
    for (const f of await readdir(outbox)) if (f.endsWith('.jsonl')) size += (await stat(join(outbox, f))).size;
    assert.ok(size <= 20_000, `${size} bytes on disk`);
    assert.equal(errors.find((e) => e.code === 'outbox_full')?.code, 'outbox_full');
    await fp.shutdown({ timeoutMs: 100 });
  });

  it('falls back to memory, and says so, when the outbox folder cannot be created', async () => {
    const parent = await dir();
    const file = join(parent, 'not-a-folder');
    await writeFile(file, 'x');
    const collector = await startCollector();
    try {
      const errors: FootprintSdkError[] = [];
      const m = marker();
      const fp = testClient(collector.url, { outbox: { dir: join(file, 'outbox') }, onError: (e) => errors.push(e) });
      fp.log.info('still delivered', { marker: m });
      await fp.shutdown();
      assert.equal(fp.stats().mode, 'memory');
      assert.equal(errors[0]?.code, 'outbox_unavailable');
      await eventsWhere(collector.url, (e) => e.properties?.marker === m);
    } finally {
      await collector.dispose();
    }
  });

  it('is on by default for a server and off on a serverless platform', async () => {
    const cwd = process.cwd();
    const work = await dir();
    process.chdir(work);
    try {
      const server = testClient('http://127.0.0.1:9', { outbox: undefined });
      await eventually(async () => (server.stats().mode !== 'opening' ? true : undefined));
      assert.equal(server.stats().outboxDir, join(work, '.footprint', 'outbox'));
      await server.shutdown({ timeoutMs: 10 });
      process.env.AWS_LAMBDA_FUNCTION_NAME = 'fn';
      const lambda = testClient('http://127.0.0.1:9', { outbox: undefined });
      assert.equal(lambda.stats().mode, 'memory');
      await lambda.shutdown({ timeoutMs: 10 });
    } finally {
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
      process.chdir(cwd);
    }
  });
});
