/**
 * Erasure: every event of a user (and of the anonymous ids linked to it) leaves the
 * database, the WAL, the archive and the quarantine file; everyone else's data stays byte
 * for byte; the audit log records it without the id; a replay does not bring it back; an
 * erasure through the API loses none of the events ingested meanwhile; a crash mid-erase
 * leaves every segment whole and a rerun completes it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { watch } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { compileMasker } from '@footprint/privacy';
import { dataPaths } from '../src/app.js';
import { listArchived } from '../src/governance/files.js';
import { COLUMN_NAMES } from '../src/model/columns.js';
import { listSegments } from '../src/wal/segments.js';
import { WalSegmentWriter } from '../src/wal/writer.js';
import {
  ADMIN_TOKEN,
  adminAuth,
  basicAuth,
  CLI,
  eventually,
  type InProcess,
  listAll,
  post,
  spawnCollector,
  startInProcess,
  tempDataDir,
  tempDirs,
  WRITE_KEY,
} from './support/collector.js';
import { dumpEvents, idCounts } from './support/duckdb-file.js';
import {
  appendWalAt,
  DAY,
  filesContaining,
  filesUnder,
  loadWal,
  runCli,
  splitLines,
  walLines,
  walLinesOf,
  writeEventsAt,
} from './support/governance.js';
import { assertError, send } from './support/http-client.js';

type Dict = Record<string, unknown>;

/** The ids of one test's victim: a user, the anonymous id it had before signing in, and an aliased one. */
function victimIds() {
  const tag = randomUUID().slice(0, 8);
  return { user: `user-erase-${tag}`, anon: `anon-erase-${tag}-1`, aliased: `anon-erase-${tag}-2` };
}

const IDENTITY = ['user_id', 'anonymous_id', 'previous_id'] as const;
const rowHolds = (row: Dict, ids: readonly string[], project = 'default'): boolean =>
  row.project_id === project && IDENTITY.some((c) => typeof row[c] === 'string' && ids.includes(row[c] as string));
const lineHolds = (line: string, ids: readonly string[]): boolean => rowHolds(JSON.parse(line) as Dict, ids);
const COL = Object.fromEntries(COLUMN_NAMES.map((c, i) => [c, i])) as Record<string, number>;
const dumpRowHolds = (row: string[], ids: readonly string[]): boolean =>
  row[COL.project_id as number] === 'default' && IDENTITY.some((c) => ids.includes(row[COL[c] as number] as string));

/** What a user's session looks like: anonymous pages, then identify, alias, tracks. */
function sessionOf(v: { user: string; anon: string; aliased: string }, n: number): Dict[] {
  return [
    { type: 'page', name: 'Home', anonymousId: v.anon, messageId: `v-page-${n}` },
    { type: 'identify', userId: v.user, anonymousId: v.anon, messageId: `v-identify-${n}`, traits: { plan: 'pro' } },
    { type: 'alias', previousId: v.aliased, userId: v.user, messageId: `v-alias-${n}` },
    { type: 'screen', name: 'Cart', anonymousId: v.aliased, messageId: `v-screen-${n}` },
    { type: 'track', event: 'Order Completed', userId: v.user, messageId: `v-track-${n}`, properties: { total: 10 } },
  ];
}
function othersOf(n: number): Dict[] {
  return [
    { type: 'page', name: 'Home', anonymousId: 'anon-keep-1', messageId: `o-page-${n}` },
    { type: 'identify', userId: 'user-keep-1', anonymousId: 'anon-keep-1', messageId: `o-identify-${n}` },
    { type: 'track', event: 'Order Completed', userId: 'user-keep-2', messageId: `o-track-${n}`, properties: { total: 3 } },
    { type: 'request', messageId: `o-request-${n}`, properties: { method: 'GET', path: '/api', status: 200, duration_ms: 4 } },
  ];
}

/** A WAL line the database refuses (a timestamp that is not one): the loader quarantines it. */
function poisonLine(event: Dict, atMs: number): string {
  return walLinesOf([event], atMs).replace(/"timestamp":"[^"]+"/, '"timestamp":"not-a-time"');
}

async function archiveLines(archiveDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const a of await listArchived(archiveDir)) out.push(...splitLines(gunzipSync(await readFile(a.path))));
  return out;
}
async function quarantineLines(dataDir: string): Promise<string[]> {
  return splitLines(await readFile(dataPaths(dataDir).quarantine).catch(() => Buffer.alloc(0)));
}
async function auditEntries(dataDir: string): Promise<Dict[]> {
  return splitLines(await readFile(dataPaths(dataDir).audit)).map((l) => JSON.parse(l) as Dict);
}

describe('erasure', () => {
  const dirs = tempDirs();
  after(dirs.removeAll);

  it('removes a user and its linked anonymous ids from the database, WAL, archive and quarantine, and nothing else', async () => {
    const dir = await dirs.make('fp-erase-all-');
    const v = victimIds();
    const victims = [v.user, v.anon, v.aliased];
    const now = Date.now();
    const config = join(dir, 'footprint.config.json');
    await writeFile(config, JSON.stringify({ projects: { default: { retention: { '*': 150 } } }, retention: { archiveDir: 'archive' } }));
    const env = { FOOTPRINT_CONFIG: config };

    // 200 days ago: archived by retention (the archive must be cleaned too).
    await writeEventsAt(dir, now - 200 * DAY, [...sessionOf(v, 200), ...othersOf(200)]);
    await writeEventsAt(dir, now - 10 * DAY, [...sessionOf(v, 10), ...othersOf(10)]);
    // Lines the database refuses go to quarantine.jsonl: one of the victim, one of someone else.
    await appendWalAt(
      dir,
      now - 5 * DAY,
      poisonLine({ type: 'track', event: 'Poison', userId: v.user, messageId: 'v-poison' }, now - 5 * DAY) +
        poisonLine({ type: 'track', event: 'Poison', userId: 'user-keep-2', messageId: 'o-poison' }, now - 5 * DAY),
    );
    await writeEventsAt(dir, now - DAY, [...sessionOf(v, 1), ...othersOf(1)]);
    await loadWal(dir);
    const retention = await runCli(['retention', '--data-dir', dir, '--no-progress'], env);
    assert.equal(retention.code, 0, retention.stderr);
    // Not loaded yet when the erasure starts: the erasure loads it first.
    await writeEventsAt(dir, now, [...sessionOf(v, 0), ...othersOf(0)]);

    const archiveDir = join(dir, 'archive');
    const walBefore = await walLines(dir);
    const archiveBefore = await archiveLines(archiveDir);
    const quarantineBefore = await quarantineLines(dir);
    const dbBefore = await dumpEvents(dataPaths(dir).duckdb);
    assert.ok(
      archiveBefore.some((l) => lineHolds(l, victims)),
      'the fixture archives some of the victim',
    );
    assert.equal(quarantineBefore.length, 2, 'the fixture quarantines two lines');
    assert.ok(dbBefore.some((r) => dumpRowHolds(r, victims)));
    assert.deepEqual((await filesContaining(dir, victims)).length > 0, true);

    const res = await runCli(['erase', '--user', v.user, '--data-dir', dir], env);
    assert.equal(res.code, 0, res.stderr);
    const erasureId = /erasure (er_[\w-]+)/.exec(res.stdout)?.[1];
    assert.ok(erasureId, res.stdout);

    // Everyone else's lines, byte for byte and in order; none of the victim's.
    assert.deepEqual(
      await walLines(dir),
      walBefore.filter((l) => !lineHolds(l, victims)),
    );
    assert.deepEqual(
      await archiveLines(archiveDir),
      archiveBefore.filter((l) => !lineHolds(l, victims)),
    );
    const quarantined = (l: string): string => (JSON.parse(l) as { line: string }).line;
    assert.deepEqual(
      await quarantineLines(dir),
      quarantineBefore.filter((l) => !lineHolds(quarantined(l), victims)),
    );
    const dbAfter = await dumpEvents(dataPaths(dir).duckdb);
    assert.deepEqual(
      dbAfter.filter((r) => !(r[COL.id as number] as string).endsWith('-0')),
      dbBefore.filter((r) => !dumpRowHolds(r, victims)),
    );
    assert.deepEqual(
      dbAfter.filter((r) => (r[COL.id as number] as string).endsWith('-0')).map((r) => r[COL.id as number]),
      ['o-identify-0', 'o-page-0', 'o-request-0', 'o-track-0'],
      'the lines not loaded before the erasure are loaded, less the victim',
    );

    // The audit log: started and completed, with counts and no trace of the ids.
    const audit = await auditEntries(dir);
    assert.deepEqual(
      audit.map((a) => [a.erasure_id, a.actor, a.status]),
      [
        [erasureId, 'cli', 'started'],
        [erasureId, 'cli', 'completed'],
      ],
    );
    const done = audit[1] as Dict;
    assert.equal(done.rows_deleted, 15, 'three sessions of five events were in the database');
    assert.equal(done.linked_ids, 2);
    assert.deepEqual(done.wal, { segments_rewritten: 4, lines_removed: 16 });
    assert.deepEqual(done.archive, { files_rewritten: 1, lines_removed: 5 });
    assert.deepEqual(done.quarantine, { lines_removed: 1 });

    // Not one byte of the ids is left anywhere in the data folder (database file included).
    assert.deepEqual(await filesContaining(dir, victims), []);

    // A replay rebuilds the database from the WAL: the victim does not come back.
    await rm(dataPaths(dir).duckdb);
    const replayed = await runCli(['replay', '--data-dir', dir, '--no-progress'], env);
    assert.equal(replayed.code, 0, replayed.stderr);
    assert.deepEqual(await dumpEvents(dataPaths(dir).duckdb), dbAfter);
    assert.deepEqual(await filesContaining(dir, victims), []);
  });

  it('erases through the admin API while the collector keeps ingesting, losing none of the other events', async () => {
    const dir = await dirs.make('fp-erase-api-');
    const v = victimIds();
    const victims = [v.user, v.anon, v.aliased];
    const fp = await spawnCollector(dir, { FOOTPRINT_WAL_SEGMENT_BYTES: String(64 * 1024), FOOTPRINT_LOG_LEVEL: 'warn' });
    try {
      const victimEvents = Array.from({ length: 8 }, (_, n) => sessionOf(v, n)).flat();
      assert.equal((await post(`${fp.url}/v1/batch`, { batch: [...victimEvents, ...othersOf(-1)] })).status, 200);
      await eventually(async () => ((await listAll(fp.url, `user_id=${v.user}`)).length === 24 ? true : undefined));

      const acked = new Set<string>();
      let stop = false;
      const senders = Array.from({ length: 3 }, async (_, s) => {
        for (let b = 0; !stop; b++) {
          const batch = Array.from({ length: 20 }, (_, i) => ({
            type: 'track',
            event: 'Meanwhile',
            userId: `user-keep-${s}`,
            messageId: `m-${s}-${b}-${i}`,
            properties: { pad: 'x'.repeat(300) },
          }));
          const res = await post(`${fp.url}/v1/batch`, { batch });
          assert.equal(res.status, 200, JSON.stringify(res.body));
          for (const e of batch) acked.add(e.messageId);
        }
      });
      const readStatuses: number[] = [];
      const reader = (async () => {
        while (!stop) readStatuses.push((await fetch(`${fp.url}/v1/events?limit=5`, { headers: adminAuth })).status);
      })();
      await eventually(async () => (acked.size >= 300 ? true : undefined));

      const res = await send(`${fp.url}/v1/erasure`, {
        headers: { ...adminAuth, 'content-type': 'application/json' },
        body: { user_id: v.user },
      });
      assert.equal(res.status, 200, res.text);
      assert.match(res.body.erasure_id, /^er_/);
      assert.equal(res.body.project, 'default');
      assert.equal(res.body.rows_deleted, 40, 'eight sessions of five events');
      assert.equal(res.body.linked_ids, 2);
      assert.ok(res.body.wal.lines_removed >= 40);

      const ackedAtErasure = acked.size;
      await eventually(async () => (acked.size >= ackedAtErasure + 300 ? true : undefined));
      stop = true;
      await Promise.all([...senders, reader]);
      assert.deepEqual([...new Set(readStatuses)], [200], 'reads go on during the erasure');

      await eventually(
        async () => {
          const ids = new Set((await listAll(fp.url, 'event=Meanwhile')).map((e) => e.id as string));
          return [...acked].every((id) => ids.has(id)) ? true : undefined;
        },
        30_000,
        'every acknowledged event to be loaded',
      );
      for (const q of [`user_id=${v.user}`, `anonymous_id=${v.anon}`, `anonymous_id=${v.aliased}`]) {
        assert.deepEqual(await listAll(fp.url, q), [], q);
      }
      const health = (await (await fetch(`${fp.url}/healthz`)).json()) as any;
      assert.equal(health.status, 'ok');
    } finally {
      fp.proc.kill('SIGTERM');
      assert.equal((await fp.exited).code, 0);
    }
    const counts = await idCounts(dataPaths(dir).duckdb);
    assert.deepEqual(
      [...counts].filter(([, n]) => n !== 1),
      [],
      'no event stored twice',
    );
    assert.deepEqual(
      [...counts.keys()].filter((id) => id.startsWith('v-')),
      [],
    );
    assert.ok([...counts.keys()].filter((id) => id.startsWith('m-')).length >= 600);
    assert.deepEqual(await filesContaining(dir, victims), []);
    const audit = await auditEntries(dir);
    assert.deepEqual(
      audit.map((a) => [a.actor, a.status]),
      [
        ['api', 'started'],
        ['api', 'completed'],
      ],
    );
  });

  it('a crash in the middle of rewriting the WAL leaves every segment whole, and a rerun completes the erasure', async () => {
    const dir = await dirs.make('fp-erase-crash-');
    const v = victimIds();
    const victims = [v.user, v.anon, v.aliased];
    const at = Date.now() - DAY;
    const wal = await WalSegmentWriter.open({
      dir: dataPaths(dir).wal,
      maxSegmentBytes: 2 * 1024 * 1024,
      maxSegmentAgeMs: 7 * DAY,
      now: () => at,
    });
    const pad = 'p'.repeat(1500);
    for (let b = 0; b < 60; b++) {
      const events: Dict[] = [];
      for (let i = 0; i < 200; i++) {
        const n = b * 200 + i;
        events.push(
          n % 50 === 0
            ? { type: 'track', event: 'Victim', userId: v.user, anonymousId: v.anon, messageId: `v-${n}`, properties: { pad } }
            : { type: 'track', event: 'Other', userId: `user-keep-${n % 7}`, messageId: `o-${n}`, properties: { pad } },
        );
      }
      await wal.append(walLinesOf(events, at));
    }
    await wal.close();
    await loadWal(dir);
    const segments = await listSegments(dataPaths(dir).wal);
    assert.ok(segments.length >= 8, `the fixture must span many segments (got ${segments.length})`);
    const before = new Map<string, Buffer>();
    const expected = new Map<string, string>();
    for (const s of segments) {
      const bytes = await readFile(s.path);
      before.set(s.path, bytes);
      expected.set(
        s.path,
        splitLines(bytes)
          .filter((l) => !lineHolds(l, victims))
          .join(''),
      );
    }

    // SIGKILL the erase as soon as it starts writing a new segment version.
    const dayDir = join(dataPaths(dir).wal, segments[0]?.day as string);
    const proc = spawn(process.execPath, [CLI, 'erase', '--user', v.user, '--data-dir', dir], {
      env: { ...process.env, FOOTPRINT_DUCKDB_MEMORY: '256MB' },
      stdio: 'ignore',
    });
    const watcher = watch(dayDir, (_event, name) => {
      if (name?.endsWith('.tmp')) proc.kill('SIGKILL');
    });
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      proc.once('exit', (code, signal) => resolve({ code, signal })),
    );
    watcher.close();
    assert.equal(exit.signal, 'SIGKILL', 'the erase must be killed while rewriting the WAL');

    // Every segment is the old version or the new one, whole; every line parses.
    let rewritten = 0;
    for (const s of segments) {
      const now = await readFile(s.path, 'utf8');
      const old = (before.get(s.path) as Buffer).toString('utf8');
      assert.ok(now === old || now === expected.get(s.path), `${s.path} is neither the old nor the new version`);
      if (now !== old) rewritten++;
      for (const line of splitLines(Buffer.from(now))) JSON.parse(line);
    }
    assert.ok(rewritten < segments.length, 'the kill landed before the last segment');
    assert.equal((await auditEntries(dir)).at(-1)?.status, 'started');

    const rerun = await runCli(['erase', '--user', v.user, '--data-dir', dir]);
    assert.equal(rerun.code, 0, rerun.stderr);
    for (const s of segments) assert.equal(await readFile(s.path, 'utf8'), expected.get(s.path));
    assert.deepEqual(
      (await readdir(dayDir)).filter((n) => n.endsWith('.tmp')),
      [],
      'no temporary file is left',
    );
    assert.deepEqual(await filesContaining(dir, victims), []);
    assert.deepEqual(
      (await auditEntries(dir)).map((a) => a.status),
      ['started', 'started', 'completed'],
    );
  });

  it('removes temporary files left by an interrupted rewrite, which the collector never takes for segments', async () => {
    const dir = await dirs.make('fp-erase-temp-');
    const v = victimIds();
    await writeEventsAt(dir, Date.now() - DAY, [...sessionOf(v, 1), ...othersOf(1)]);
    const [seg] = await listSegments(dataPaths(dir).wal);
    assert.ok(seg);
    // A torn temporary version, as a crash during its write would leave it.
    const temp = join(seg.path, '..', `.${seg.path.slice(-12)}.tmp`);
    await writeFile(temp, `${(await readFile(seg.path, 'utf8')).slice(0, 150)}`);
    await writeFile(join(dir, '.quarantine.jsonl.tmp'), '{"torn":');

    const fp = await startInProcess({}, dir);
    try {
      await eventually(async () => ((await listAll(fp.url)).length === 9 ? true : undefined));
    } finally {
      await fp.stop();
    }
    const res = await runCli(['erase', '--user', v.user, '--data-dir', dir]);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(
      (await filesUnder(dir)).filter((f) => f.endsWith('.tmp')),
      [],
    );
    assert.deepEqual(
      (await dumpEvents(dataPaths(dir).duckdb)).map((r) => r[COL.id as number]),
      ['o-identify-1', 'o-page-1', 'o-request-1', 'o-track-1'],
    );
  });
});

describe('erasure requests', () => {
  let fp: InProcess;
  let dir: string;
  const SHOP_KEY = 'shop_write_key_1';
  // The collector's own masking tells erasure the stored forms of an id (emails are stored
  // hashed with the project's secret): nothing is injected. The test computes the same
  // hashes only to check what is stored.
  const identityOf = (project: string): ((id: string) => string) => compileMasker({ secret: fp.keys.ring.hashSecretOf(project) }).identity;
  before(async () => {
    dir = await tempDataDir('fp-erase-api-input-');
    // Two projects: erasure is per project.
    await writeFile(
      join(dir, 'keys.json'),
      JSON.stringify({
        adminToken: ADMIN_TOKEN,
        projects: [
          { id: 'default', writeKeys: [WRITE_KEY] },
          { id: 'shop', writeKeys: [SHOP_KEY] },
        ],
      }),
    );
    fp = await startInProcess({}, dir);
  });
  after(async () => {
    await fp.dispose();
    await rm(dir, { recursive: true, force: true });
  });
  const erasure = (body: unknown, headers: Record<string, string> = { ...adminAuth, 'content-type': 'application/json' }) =>
    send(`${fp.url}/v1/erasure`, { headers, body });

  it('answers a body that is not JSON with 400 invalid_json naming the body', async () => {
    assertError(await erasure('{"user_id": '), 400, 'invalid_json', 'body');
  });

  it('answers a missing, empty, oversized or non-text id with 400 naming the field', async () => {
    assertError(await erasure([]), 400, 'invalid_body', 'body');
    assertError(await erasure({}), 400, 'invalid_body', 'user_id');
    assertError(await erasure({ user_id: '' }), 400, 'invalid_body', 'user_id');
    assertError(await erasure({ anonymous_id: '' }), 400, 'invalid_body', 'anonymous_id');
    assertError(await erasure({ user_id: 'x'.repeat(257) }), 400, 'invalid_body', 'user_id');
    assertError(await erasure({ user_id: { $ne: null } }), 400, 'invalid_body', 'user_id');
    assertError(await erasure({ user_id: null }), 400, 'invalid_body', 'user_id');
    assertError(await erasure({ user_id: 'a', anonymous_id: 'b' }), 400, 'invalid_body', 'anonymous_id');
    assertError(await erasure({ user_id: 'a', role: 'admin' }), 400, 'invalid_body', 'role');
    assertError(await erasure({ user_id: 'a', project: 5 }), 400, 'invalid_body', 'project');
    assertError(await erasure({ user_id: 'a', project: 'no-such-project' }), 400, 'invalid_body', 'project');
  });

  it('refuses ids no event can hold (a lone surrogate, a whole number past 2^53) and says what an empty body should be, auditing none', async () => {
    const audit = join(dir, 'audit.jsonl');
    const before = await readFile(audit, 'utf8').catch(() => '');
    const lone = await erasure('{"user_id":"kim\\ud800"}');
    assertError(lone, 400, 'invalid_body', 'user_id');
    assert.match(lone.body.error.message, /lone UTF-16 surrogate/);
    assertError(await erasure('{"anonymous_id":"a","project":"\\udfff"}'), 400, 'invalid_body', 'project');
    const big = await erasure('{"user_id":9007199254740993}');
    assertError(big, 400, 'invalid_body', 'user_id');
    assert.match(big.body.error.message, /as text/);
    const empty = await erasure('');
    assertError(empty, 400, 'invalid_body', 'body');
    assert.match(empty.body.error.message, /\{"user_id":"\.\.\."\}/);
    assert.equal(await readFile(audit, 'utf8').catch(() => ''), before, 'a refused erasure is not an erasure');
  });

  it('needs the admin token and POST', async () => {
    assertError(await erasure({ user_id: 'a' }, { 'content-type': 'application/json' }), 401, 'missing_admin_token');
    assertError(
      await erasure({ user_id: 'a' }, { authorization: 'Bearer not-the-token', 'content-type': 'application/json' }),
      401,
      'invalid_admin_token',
    );
    assertError(await erasure({ user_id: 'a' }, { authorization: basicAuth(), 'content-type': 'application/json' }), 403, 'forbidden');
    assertError(
      await erasure({ user_id: 'a' }, { authorization: `Bearer ${WRITE_KEY}`, 'content-type': 'application/json' }),
      403,
      'forbidden',
    );
    const get = await send(`${fp.url}/v1/erasure`, { method: 'GET', headers: adminAuth });
    assertError(get, 405, 'method_not_allowed');
    assert.equal(get.headers.get('allow'), 'POST, OPTIONS');
  });

  it('treats an id full of SQL metacharacters as plain text, erasing only its events', async () => {
    const hostile = `x'); DROP TABLE events; -- "\\ %_*`;
    const batch = [
      { type: 'track', event: 'A', userId: hostile, messageId: 'sql-1' },
      { type: 'track', event: 'B', anonymousId: hostile, messageId: 'sql-2' },
      { type: 'track', event: 'C', userId: 'x', messageId: 'sql-3' },
      { type: 'track', event: 'D', userId: "x'", messageId: 'sql-4' },
    ];
    assert.equal((await post(`${fp.url}/v1/batch`, { batch })).status, 200);
    await eventually(async () => ((await listAll(fp.url, 'event=D')).length === 1 ? true : undefined));
    const res = await erasure({ user_id: hostile });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.rows_deleted, 2);
    const left = (await listAll(fp.url)).map((e) => e.id).filter((id) => id.startsWith('sql-'));
    assert.deepEqual(left.sort(), ['sql-3', 'sql-4']);
  });

  it('erases only in the project named, and finds ids the masking stored hashed', async () => {
    const email = `erase.me.${randomUUID().slice(0, 6)}@example.com`;
    const ev = (id: string) => ({ type: 'track', event: 'Hashed', userId: email, messageId: id });
    assert.equal((await post(`${fp.url}/v1/batch`, { batch: [ev('mail-1'), ev('mail-2')] })).status, 200);
    const shop = { authorization: basicAuth(SHOP_KEY), 'content-type': 'application/json' };
    assert.equal((await post(`${fp.url}/v1/batch`, { batch: [ev('shop-1')] }, shop)).status, 200);
    const stored = await eventually(async () => {
      const rows = await listAll(fp.url, 'event=Hashed');
      return rows.length === 3 ? rows : undefined;
    });
    assert.ok(
      stored.every((r) => r.user_id !== email && r.user_id === identityOf(r.project_id)(email)),
      'the email is stored hashed',
    );

    const res = await erasure({ user_id: email });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.rows_deleted, 2);
    assert.deepEqual(
      (await listAll(fp.url, 'event=Hashed')).map((r) => [r.project_id, r.id]),
      [['shop', 'shop-1']],
    );
    const inShop = await erasure({ user_id: email, project: 'shop' });
    assert.equal(inShop.status, 200, inShop.text);
    assert.equal(inShop.body.rows_deleted, 1);
    assert.deepEqual(await listAll(fp.url, 'event=Hashed'), []);
    const audit = await readFile(dataPaths(dir).audit, 'utf8');
    for (const form of [email, identityOf('default')(email), identityOf('shop')(email)]) {
      assert.ok(!audit.includes(form), 'the audit log holds no form of the id');
    }
  });

  it('the erase command explains a missing or empty id instead of erasing', async () => {
    for (const [args, field] of [
      [['--user', ''], '--user'],
      [[], '--user'],
      [['--anonymous-id', ''], '--anonymous-id'],
      [['--user', 'a', '--anonymous-id', 'b'], '--anonymous-id'],
      [['--user', 'a', '--project', ''], '--project'],
    ] as const) {
      const res = await runCli(['erase', ...args, '--data-dir', dir]);
      assert.equal(res.code, 1, `${args.join(' ')}: ${res.stdout}`);
      assert.ok(res.stderr.includes(field), `${args.join(' ')}: ${res.stderr}`);
    }
  });
});
