/**
 * Graceful stop: on SIGTERM or SIGINT the collector stops accepting, answers the requests
 * already in flight, fsyncs, loads what is durable and exits 0.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { listSegments } from '../src/wal/segments.js';
import { basicAuth, CLI, eventually, listAll, post, spawnCollector, startInProcess, tempDataDir, trackEvent } from './support/collector.js';
import { idCounts } from './support/duckdb-file.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Starts a POST whose body is sent in two parts, so it is in flight when the signal lands. */
function slowPost(url: string, body: string): { sentHead: Promise<void>; finish: () => void; done: Promise<number> } {
  const u = new URL(`${url}/v1/batch`);
  let finish = (): void => undefined;
  let headSent = (): void => undefined;
  const sentHead = new Promise<void>((r) => {
    headSent = r;
  });
  const done = new Promise<number>((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: { authorization: basicAuth(), 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    const half = Math.floor(body.length / 2);
    req.write(body.slice(0, half), () => headSent());
    finish = () => req.end(body.slice(half));
  });
  return { sentHead, finish, done };
}

describe('graceful stop', () => {
  it('answers a request that arrives on a kept-alive connection after the signal with 503 and closes that connection', async () => {
    const dataDir = await tempDataDir('fp-life-');
    dirs.push(dataDir);
    const fp = await spawnCollector(dataDir);
    const u = new URL(fp.url);
    const sock = connect(Number(u.port), u.hostname);
    let got = '';
    sock.on('data', (d: Buffer) => {
      got += d.toString();
    });
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    await new Promise((r) => sock.once('connect', r));
    const body = JSON.stringify(trackEvent('life-keepalive'));
    const head = `POST /v1/track HTTP/1.1\r\nHost: x\r\nAuthorization: ${basicAuth()}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    sock.write(head + body);
    while (!got.includes('\r\n\r\n{')) await new Promise((r) => setTimeout(r, 20));
    assert.match(got, /^HTTP\/1\.1 200/);
    // The next request on the same connection: its first line before the signal, the rest after.
    got = '';
    sock.write(head.slice(0, 30));
    await new Promise((r) => setTimeout(r, 100));
    fp.proc.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    sock.write(head.slice(30) + body);
    await closed;
    assert.match(got, /^HTTP\/1\.1 503/);
    assert.match(got, /\r\nconnection: close\r\n/i);
    assert.equal((await fp.exited).code, 0, fp.output());
    const counts = await idCounts(join(dataDir, 'footprint.duckdb'));
    assert.equal(counts.get('life-keepalive'), 1);
  });

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    it(`finishes in-flight requests, loads everything and exits 0 on ${signal}`, async () => {
      const dataDir = await tempDataDir('fp-life-');
      dirs.push(dataDir);
      const fp = await spawnCollector(dataDir);
      const ids = Array.from({ length: 40 }, (_, i) => `life-${signal}-${i}`);
      const inflight = Array.from({ length: 4 }, (_, k) =>
        slowPost(fp.url, JSON.stringify({ batch: ids.slice(k * 10, k * 10 + 10).map((id) => trackEvent(id)) })),
      );
      await Promise.all(inflight.map((p) => p.sentHead));
      await new Promise((r) => setTimeout(r, 100));
      fp.proc.kill(signal);
      await new Promise((r) => setTimeout(r, 200));
      // New connections are refused once the server stopped listening.
      await assert.rejects(fetch(`${fp.url}/healthz`));
      for (const p of inflight) p.finish();
      assert.deepEqual(await Promise.all(inflight.map((p) => p.done)), [200, 200, 200, 200]);
      const exit = await fp.exited;
      assert.equal(exit.code, 0, fp.output());
      assert.match(fp.output(), /stopped cleanly/);
      const counts = await idCounts(join(dataDir, 'footprint.duckdb'));
      assert.deepEqual(
        ids.filter((id) => counts.get(id) !== 1),
        [],
        'every acknowledged event is loaded once before exit',
      );
    });
  }
});

describe('one collector per data folder', () => {
  it('refuses a second collector on a data folder in use, naming the first, and takes over at once after a SIGKILL', async () => {
    const dataDir = await tempDataDir();
    dirs.push(dataDir);
    const first = await spawnCollector(dataDir);
    await assert.rejects(spawnCollector(dataDir), (err: Error) => {
      assert.match(
        err.message,
        new RegExp(
          `is in use by process ${first.proc.pid} .*footprint\\.lock.*another collector \\(or a replay, retention or erase command\\) uses it`,
        ),
      );
      return true;
    });
    // The first one is unharmed and still takes events.
    assert.equal((await post(`${first.url}/v1/track`, trackEvent('still-mine'))).status, 200);
    first.proc.kill('SIGKILL');
    await first.exited;
    // Its lock stays behind, naming a dead process: the next start takes the folder.
    const next = await spawnCollector(dataDir);
    next.proc.kill('SIGTERM');
    const end = await next.exited;
    assert.equal(end.code, 0, `${JSON.stringify(end)}\n${next.output()}`);
  });
});

/** A port another server listens on, for starts that must fail to listen. */
async function busyPort(): Promise<{ busy: ReturnType<typeof createServer>; port: string }> {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  return { busy, port: String((busy.address() as AddressInfo).port) };
}

describe('a start that fails', () => {
  it('names the address it could not listen on, closes what it opened and leaves the data folder free', { timeout: 60_000 }, async () => {
    const dataDir = await tempDataDir();
    dirs.push(dataDir);
    const { busy, port } = await busyPort();
    try {
      await assert.rejects(
        startInProcess({ FOOTPRINT_PORT: port }, dataDir),
        /cannot listen on 127\.0\.0\.1:\d+ \(FOOTPRINT_HOST, FOOTPRINT_PORT\): .*EADDRINUSE/,
      );
    } finally {
      busy.close();
    }
    // The folder is free again, and the WAL and the database were closed (DuckDB would refuse a second open in this process).
    const next = await startInProcess({}, dataDir);
    try {
      assert.equal((await post(`${next.url}/v1/track`, trackEvent('after-failed-start'))).status, 200);
      // Loaded: the failed start's loader does not hold the database any more.
      await eventually(async () => ((await listAll(next.url)).length === 1 ? true : undefined));
    } finally {
      await next.dispose();
    }
  });
});

describe('a data folder that cannot be written', () => {
  it('is named with what to check', async () => {
    // /sys refuses new folders even to root (EPERM), as a read-only or foreign-owned folder would.
    const env: NodeJS.ProcessEnv = { ...process.env, FOOTPRINT_DATA_DIR: '/sys/footprint-data', FOOTPRINT_PORT: '0' };
    const run = spawnSync(process.execPath, [CLI, 'serve'], { env, encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /EPERM|EROFS|EACCES/);
    assert.match(run.stderr, /the data folder must be writable by this user.*FOOTPRINT_DATA_DIR/);
  });
});

describe('keys made by a first start that then fails', () => {
  it('are printed all the same, since the next start will not print them again', { timeout: 60_000 }, async () => {
    const dataDir = await tempDataDir();
    dirs.push(dataDir);
    const { busy, port } = await busyPort();
    const env: NodeJS.ProcessEnv = { ...process.env, FOOTPRINT_DATA_DIR: dataDir, FOOTPRINT_HOST: '127.0.0.1', FOOTPRINT_PORT: port };
    delete env.FOOTPRINT_WRITE_KEY;
    delete env.FOOTPRINT_ADMIN_TOKEN;
    try {
      const run = spawnSync(process.execPath, [CLI, 'serve'], { env, encoding: 'utf8', timeout: 30_000 });
      assert.equal(run.status, 1, run.stdout + run.stderr);
      assert.match(run.stderr, /EADDRINUSE/);
      const file = JSON.parse(await readFile(join(dataDir, 'keys.json'), 'utf8'));
      assert.match(run.stdout, new RegExp(`write key for project "default": ${file.projects[0].writeKeys[0]}\n`));
      assert.match(run.stdout, new RegExp(`admin token: ${file.adminToken}\n`));
    } finally {
      busy.close();
    }
  });
});

describe('/healthz after a crash', () => {
  it('keeps the acknowledged events after a damaged line of the last segment: the line goes to quarantine, nothing is cut', async () => {
    const dataDir = await tempDataDir();
    dirs.push(dataDir);
    const first = await spawnCollector(dataDir);
    for (const id of ['dmg-1', 'dmg-2', 'dmg-3', 'dmg-4']) assert.equal((await post(`${first.url}/v1/track`, trackEvent(id))).status, 200);
    first.proc.kill('SIGKILL');
    await first.exited;
    // Damage inside the acknowledged part (a bad disk block, a hand edit): line 2 cut short.
    const [segment] = (await listSegments(join(dataDir, 'wal'))).slice(-1);
    const path = (segment as { path: string }).path;
    const lines = (await readFile(path, 'utf8')).split('\n');
    lines[1] = (lines[1] as string).slice(0, 40);
    await writeFile(path, lines.join('\n'));
    const next = await spawnCollector(dataDir);
    try {
      const ids = await eventually(async () => {
        const got = (await listAll(next.url)).map((e) => e.id as string).sort();
        return got.length >= 3 ? got : undefined;
      });
      assert.deepEqual(ids, ['dmg-1', 'dmg-3', 'dmg-4']);
      const h = (await (await fetch(`${next.url}/healthz`)).json()) as { wal: { repaired_bytes: number } };
      assert.equal(h.wal.repaired_bytes, 0);
      const quarantined = (await readFile(join(dataDir, 'quarantine.jsonl'), 'utf8')).trim().split('\n');
      assert.deepEqual(
        quarantined.map((l) => JSON.parse(l).line),
        [lines[1]],
      );
    } finally {
      next.proc.kill('SIGTERM');
      await next.exited;
    }
  });

  it('reports in wal.repaired_bytes the torn tail it cut from the last segment at start', async () => {
    const dataDir = await tempDataDir();
    dirs.push(dataDir);
    const first = await spawnCollector(dataDir);
    assert.equal((await post(`${first.url}/v1/track`, trackEvent('before-the-crash'))).status, 200);
    first.proc.kill('SIGKILL');
    await first.exited;
    // Half a line after the acknowledged ones: what a crash in the middle of a write leaves.
    const [segment] = (await listSegments(join(dataDir, 'wal'))).slice(-1);
    const torn = '{"project_id":"default","id":"half-writ';
    await appendFile((segment as { path: string }).path, torn);
    const next = await spawnCollector(dataDir);
    try {
      const h = (await (await fetch(`${next.url}/healthz`)).json()) as { wal: Record<string, unknown> };
      assert.equal(h.wal.repaired_bytes, Buffer.byteLength(torn));
      assert.deepEqual(
        Object.keys(h.wal).filter((k) => /[A-Z]/.test(k)),
        [],
        'snake_case, as the rest of /healthz',
      );
    } finally {
      next.proc.kill('SIGTERM');
      await next.exited;
    }
  });
});
