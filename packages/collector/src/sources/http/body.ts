/**
 * Request bodies: size limits enforced while reading (a client announcing or sending more
 * than the limit is cut off at once), gzip inflated with the same output bound, then UTF-8
 * and JSON checks. JSON is parsed with secure-json-parse, which removes `__proto__` and
 * `constructor.prototype` keys so no payload can reach an object's prototype.
 */

import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { formatBytes } from '@footprint/schema';
import sjson from 'secure-json-parse';
import { errors } from '../../errors.js';

const gunzipAsync = promisify(gunzip);

const ACCEPTED_TYPES = new Set(['application/json', 'text/plain', '']);

export interface BodyLimit {
  bytes: number;
  /** Name of the limit, quoted in the 413 message (e.g. maxBatchBytes). */
  name: string;
  /** What the endpoint takes, for the error on an empty body; default "a JSON event or batch". */
  expects?: string;
}

export interface JsonBody {
  value: unknown;
  /** Size of the decoded JSON text in bytes. */
  bytes: number;
}

function mediaType(req: IncomingMessage): string {
  const raw = req.headers['content-type'] ?? '';
  return raw.split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

function readRaw(req: IncomingMessage, limit: BodyLimit): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const announced = Number(req.headers['content-length']);
    if (announced > limit.bytes) {
      reject(errors.payloadTooLarge(limit.name, formatBytes(limit.bytes)));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit.bytes) {
        req.off('data', onData);
        req.pause();
        reject(errors.payloadTooLarge(limit.name, formatBytes(limit.bytes)));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}

async function inflate(raw: Buffer, limit: BodyLimit): Promise<Buffer> {
  try {
    return await gunzipAsync(raw, { maxOutputLength: limit.bytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw errors.payloadTooLarge(limit.name, `${formatBytes(limit.bytes)} once inflated`);
    }
    throw errors.invalidGzip(err);
  }
}

/** Reads, bounds, inflates and parses a JSON request body. */
export async function readJsonBody(req: IncomingMessage, limit: BodyLimit): Promise<JsonBody> {
  const type = mediaType(req);
  if (!ACCEPTED_TYPES.has(type) && !type.endsWith('+json')) throw errors.unsupportedMediaType(type);
  const encoding = (req.headers['content-encoding'] || 'identity').trim().toLowerCase() || 'identity';
  if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip') throw errors.unsupportedEncoding(encoding);
  let buf = await readRaw(req, limit);
  if (encoding !== 'identity') buf = await inflate(buf, limit);
  if (buf.length === 0) throw errors.invalidBody(`the body is empty; send ${limit.expects ?? 'a JSON event or batch'}`, 'body');
  if (!isUtf8(buf)) throw errors.invalidUtf8();
  const hasBom = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
  const text = buf.toString('utf8', hasBom ? 3 : 0);
  try {
    return { value: sjson.parse(text, undefined, { protoAction: 'remove', constructorAction: 'remove' }), bytes: buf.length };
  } catch (err) {
    throw errors.invalidJson((err as Error).message);
  }
}
