/**
 * Test support for the Node SDK: a real collector (in this process or as a child process),
 * a real HTTP proxy in front of it that can fail on purpose and records what crossed the
 * wire, temporary outbox folders, and free ports. No mocks: every byte goes over TCP.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { eventually, type InProcess, listAll, startInProcess, WRITE_KEY } from '../../../collector/test/support/collector.js';
import { createFootprint, type Footprint, type FootprintOptions } from '../../src/index.js';

export { ADMIN_TOKEN, eventually, killOnExit, listAll, spawnCollector, WRITE_KEY } from '../../../collector/test/support/collector.js';

export async function tempDir(prefix = 'fp-node-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A port nothing listens on (yet). */
export async function freePort(): Promise<number> {
  const srv = http.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export async function startCollector(): Promise<InProcess> {
  return startInProcess();
}

/** A client for tests: memory queue and short intervals unless the test says otherwise. */
export function testClient(endpoint: string, options: Partial<FootprintOptions> = {}): Footprint {
  return createFootprint({
    endpoint,
    writeKey: WRITE_KEY,
    outbox: false,
    flushIntervalMs: 50,
    flushOnExit: false,
    retry: { minDelayMs: 20, maxDelayMs: 200 },
    onError: () => {},
    ...options,
  });
}

/** Events of the collector that satisfy `match`, once there are at least `count` of them. */
export async function eventsWhere(url: string, match: (e: any) => boolean, count = 1, query = ''): Promise<any[]> {
  return eventually(
    async () => {
      const found = (await listAll(url, query)).filter(match);
      return found.length >= count ? found : undefined;
    },
    20_000,
    `${count} matching events`,
  );
}

/** How the proxy answers one request. */
export type ProxyAnswer =
  | 'pass'
  | 'reset'
  /** Passes the request on, then answers 500 instead of the collector's 2xx: the events are stored but the sender does not know. */
  | 'lose-answer'
  | { status: number; headers?: Record<string, string>; body?: unknown };

export interface ProxiedRequest {
  answer: ProxyAnswer;
  encoding: string | undefined;
  messageIds: string[];
  events: any[];
  at: number;
}

/**
 * A real HTTP server in front of the collector. `decide` picks each answer: pass the request
 * on, reset the connection, or answer with a given status. Every request's events are
 * recorded (decoded from gzip), so tests can see exactly what crossed the wire.
 */
export class TestProxy {
  readonly requests: ProxiedRequest[] = [];
  decide: (n: number, events: any[]) => ProxyAnswer = () => 'pass';
  private server: http.Server;
  url = '';

  constructor(private target: string) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  async start(port = 0): Promise<this> {
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** messageIds that reached the collector with a 2xx, in order. */
  deliveredIds(): string[] {
    return this.requests.filter((r) => r.answer === 'pass').flatMap((r) => r.messageIds);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const encoding = req.headers['content-encoding'];
    let events: any[] = [];
    try {
      const text = encoding === 'gzip' ? gunzipSync(raw).toString() : raw.toString();
      const body = JSON.parse(text);
      events = Array.isArray(body) ? body : (body.batch ?? []);
    } catch {
      events = [];
    }
    const answer = this.decide(this.requests.length, events);
    this.requests.push({ answer, encoding, messageIds: events.map((e) => e.messageId), events, at: Date.now() });
    if (answer === 'reset') {
      req.socket.destroy();
      return;
    }
    if (typeof answer === 'object') {
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body ?? { error: { code: 'test', message: `answered ${answer.status} by the test proxy`, path: '' } }));
      return;
    }
    const headers = { ...req.headers };
    delete headers.host;
    const upstream = http.request(`${this.target}${req.url}`, { method: req.method, headers }, (up) => {
      if (answer === 'lose-answer') {
        up.resume();
        up.once('end', () => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end('{"error":{"code":"internal","message":"answer lost by the test proxy","path":""}}');
        });
        return;
      }
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.once('error', () => res.destroy());
    upstream.end(raw);
  }
}

/** A unique marker for one test's events. */
export const marker = (): string => `t-${randomUUID()}`;
