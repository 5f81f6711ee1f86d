/**
 * One POST of a batch to the collector's Segment-compatible `/v1/batch`: the write key as
 * the HTTP Basic username, a gzip body, a batch-level `sentAt` (set per attempt, so the
 * collector's clock-skew correction stays right for events that waited in the outbox) and
 * a batch-level `context` (library, the app's own context). Never throws: failures come
 * back as a result with `error`.
 */
import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { isoTime } from '../events/clock.js';

const gzipAsync = promisify(gzip);
const CLOSE = Buffer.from(']}');
/** Bodies smaller than this are sent as they are: compressing them saves nothing. */
const GZIP_MIN_BYTES = 1024;
/** Answers are read up to this size (a rejected list of a 2500-event batch fits). */
const MAX_ANSWER_BYTES = 1024 * 1024;

export interface SendResult {
  status: number;
  /** The answer's text (JSON from a Footprint collector). */
  body: string;
  retryAfter: string | undefined;
  /** Network failure or timeout (status is 0). */
  error?: Error;
}

export interface TransportConfig {
  endpoint: URL;
  writeKey: string;
  gzip: boolean;
  gzipLevel: number;
  timeoutMs: number;
  /** Sent as the batch's `context`: defaults for every event's own context. */
  context: Record<string, unknown>;
}

export class HttpTransport {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;
  private readonly auth: string;
  private readonly contextJson: string;

  constructor(private readonly config: TransportConfig) {
    this.url = new URL(`${config.endpoint.pathname.replace(/\/$/, '')}/v1/batch`, config.endpoint);
    const secure = this.url.protocol === 'https:';
    this.agent = secure ? new https.Agent({ keepAlive: true, maxSockets: 2 }) : new http.Agent({ keepAlive: true, maxSockets: 2 });
    this.request = secure ? https.request : http.request;
    this.auth = `Basic ${Buffer.from(`${config.writeKey}:`).toString('base64')}`;
    this.contextJson = JSON.stringify(config.context);
  }

  /** POSTs one batch; `payload` is the events' JSON texts joined by commas. */
  async send(payload: Buffer): Promise<SendResult> {
    const head = Buffer.from(`{"sentAt":"${isoTime()}","context":${this.contextJson},"batch":[`);
    let chunks: Buffer[] = [head, payload, CLOSE];
    const headers: http.OutgoingHttpHeaders = { authorization: this.auth, 'content-type': 'application/json' };
    const size = head.length + payload.length + CLOSE.length;
    if (this.config.gzip && size >= GZIP_MIN_BYTES) {
      chunks = [await gzipAsync(Buffer.concat(chunks, size), { level: this.config.gzipLevel })];
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = chunks.reduce((n, c) => n + c.length, 0);
    return this.post(chunks, headers);
  }

  /** Writes the body as it is given (no copy into one buffer), then reads the answer. */
  private post(chunks: Buffer[], headers: http.OutgoingHttpHeaders): Promise<SendResult> {
    return new Promise((resolve) => {
      let settled = false;
      let deadline: NodeJS.Timeout | undefined;
      const done = (r: SendResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve(r);
      };
      const req = this.request(this.url, { method: 'POST', headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_ANSWER_BYTES) chunks.push(c);
        });
        res.once('end', () => {
          const ra = res.headers['retry-after'];
          done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), retryAfter: ra });
        });
        res.once('error', (error) => done({ status: 0, body: '', retryAfter: undefined, error }));
      });
      // A deadline for the whole exchange, not an idle timer: a collector that trickles its
      // answer a byte at a time must not hold the sender for ever.
      deadline = setTimeout(() => {
        const error = new Error(`no complete answer within ${this.config.timeoutMs} ms`);
        req.destroy(error);
        done({ status: 0, body: '', retryAfter: undefined, error });
      }, this.config.timeoutMs);
      req.once('error', (error) => done({ status: 0, body: '', retryAfter: undefined, error }));
      for (let i = 0; i < chunks.length - 1; i++) req.write(chunks[i]);
      req.end(chunks[chunks.length - 1]);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
