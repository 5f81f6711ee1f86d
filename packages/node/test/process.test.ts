/**
 * Process-level behaviour, in real child processes: uncaught exceptions and unhandled
 * rejections become fatal `error` events while the process still dies as Node makes it die,
 * a crash with the collector down leaves its last event in the outbox for the next start,
 * and a script that simply ends still delivers what it wrote.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { eventsWhere, freePort, marker, removeDir, startCollector, tempDir, testClient, WRITE_KEY } from './support/harness.js';

const APP = fileURLToPath(new URL('./fixtures/crash-app.ts', import.meta.url));

function runApp(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', APP], {
    env: { ...process.env, FOOTPRINT_WRITE_KEY: WRITE_KEY, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  proc.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  proc.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  return new Promise((resolve) => proc.once('exit', (code) => resolve({ code, stderr, stdout })));
}

describe('process hooks', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  const dirs: string[] = [];
  before(async () => {
    collector = await startCollector();
  });
  after(async () => {
    await collector.dispose();
    for (const d of dirs) await removeDir(d);
  });

  it('records an uncaught exception as a fatal error, prints it and exits with code 1 as Node would', async () => {
    const tag = marker();
    const { code, stderr } = await runApp({ MODE: 'throw', TAG: tag, FOOTPRINT_ENDPOINT: collector.url });
    assert.equal(code, 1);
    assert.match(stderr, new RegExp(`fatal boom ${tag}`));
    const [e] = await eventsWhere(collector.url, (x) => x.type === 'error' && x.message === `fatal boom ${tag}`);
    assert.equal(e.level, 'fatal');
    assert.equal(e.properties.handled, false);
    assert.equal(e.properties.origin, 'uncaughtException');
  });

  it('still exits with code 1, printing the error once, when two clients capture it', async () => {
    const tag = marker();
    const { code, stderr } = await runApp({ MODE: 'throw', TAG: tag, FOOTPRINT_ENDPOINT: collector.url, CLIENTS: '2' });
    assert.equal(code, 1);
    assert.equal(stderr.split(`fatal boom ${tag}`).length - 1, 1, stderr);
    const errors = await eventsWhere(collector.url, (x) => x.type === 'error' && x.message === `fatal boom ${tag}`, 2);
    assert.equal(errors.length, 2, 'each client records it');
  });

  it('records an unhandled rejection as a fatal error and exits with code 1', async () => {
    const tag = marker();
    const { code, stderr } = await runApp({ MODE: 'reject', TAG: tag, FOOTPRINT_ENDPOINT: collector.url });
    assert.equal(code, 1);
    assert.match(stderr, new RegExp(`rejected boom ${tag}`));
    const [e] = await eventsWhere(collector.url, (x) => x.type === 'error' && x.message === `rejected boom ${tag}`);
    assert.equal(e.properties.origin, 'unhandledRejection');
  });

  it('leaves the fatal error in the outbox when the collector is down, and the next start delivers it', async () => {
    const tag = marker();
    const outbox = await tempDir('fp-outbox-');
    dirs.push(outbox);
    const down = `http://127.0.0.1:${await freePort()}`;
    const { code } = await runApp({ MODE: 'throw', TAG: tag, FOOTPRINT_ENDPOINT: down, OUTBOX_DIR: outbox });
    assert.equal(code, 1);
    const next = testClient(collector.url, { outbox: { dir: outbox } });
    assert.equal((await next.flush()).ok, true);
    await next.shutdown();
    const events = await eventsWhere(collector.url, (x) => x.message === `fatal boom ${tag}` || x.properties?.tag === tag, 2);
    assert.deepEqual(events.map((x) => x.type).sort(), ['error', 'log']);
  });

  it('reports the events a script without an outbox loses when it ends while the collector is down', async () => {
    const { code, stdout } = await runApp({ MODE: 'exit', TAG: marker(), FOOTPRINT_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
    assert.equal(code, 0);
    assert.match(stdout, /^footprint-error shutdown_timeout 2$/m, stdout);
    assert.equal(stdout.match(/shutdown_timeout/g)?.length, 1, `reported once, by beforeExit or exit: ${stdout}`);
  });

  it('reports what a memory-only shutdown could not deliver once: not again when the process then exits', async () => {
    const { code, stdout } = await runApp({
      MODE: 'shutdown-exit',
      TAG: marker(),
      FOOTPRINT_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
    });
    assert.equal(code, 0);
    assert.match(stdout, /^footprint-error shutdown_timeout 2$/m, stdout);
    assert.equal(stdout.match(/shutdown_timeout/g)?.length, 1, stdout);
    // Dropped, so no longer pending.
    assert.match(stdout, /^stats-pending 0$/m, stdout);
  });

  it('keeps the events of a process.exit() in the outbox for the next start, and reports them without one', async () => {
    const tag = marker();
    const outbox = await tempDir('fp-outbox-');
    dirs.push(outbox);
    const down = `http://127.0.0.1:${await freePort()}`;
    assert.equal((await runApp({ MODE: 'process-exit', TAG: tag, FOOTPRINT_ENDPOINT: down, OUTBOX_DIR: outbox })).code, 3);
    const next = testClient(collector.url, { outbox: { dir: outbox } });
    assert.equal((await next.flush()).ok, true);
    await next.shutdown();
    const events = await eventsWhere(collector.url, (x) => x.properties?.tag === tag, 2);
    assert.deepEqual(events.map((x) => x.message).sort(), ['config invalid', 'starting']);

    const lost = await runApp({ MODE: 'process-exit', TAG: marker(), FOOTPRINT_ENDPOINT: down });
    assert.equal(lost.code, 3);
    assert.match(lost.stdout, /^footprint-error shutdown_timeout 2$/m, lost.stdout);
    assert.equal(lost.stdout.match(/shutdown_timeout/g)?.length, 1, lost.stdout);
  });

  it('delivers what a script wrote when it simply ends, without a shutdown call', async () => {
    const tag = marker();
    const { code } = await runApp({ MODE: 'exit', TAG: tag, FOOTPRINT_ENDPOINT: collector.url });
    assert.equal(code, 0);
    const events = await eventsWhere(collector.url, (x) => x.properties?.tag === tag, 2);
    assert.deepEqual(events.map((x) => x.message).sort(), ['last words', 'starting']);
  });
});
