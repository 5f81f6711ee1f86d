/**
 * Gets queued events to the collector without losing them:
 * - every event waits in a bounded queue mirrored to storage (key `fp_q`) until the collector
 *   has acknowledged it, so events of an offline period, or of a page closed before they could
 *   be sent, are sent by the next page load;
 * - one request at a time, BATCH_SIZE events each; failures retry with exponential backoff,
 *   and the browser's `online` event retries at once;
 * - when the page is hidden, a batch goes by sendBeacon and the rest by fetch with keepalive,
 *   unless the collector is unreachable: then the events stay stored for the next page load;
 * - an event the collector refuses (a 4xx: too large, invalid) is dropped and reported, never
 *   retried unchanged;
 * - each event carries its messageId, so a resend (a beacon racing a request in flight, a
 *   retry after a lost answer) is stored once by the collector.
 */
import { storage } from '../identity/storage.js';
import { report } from '../report.js';
import { BATCH_SIZE, batchBody, FLUSH_DELAY_MS, MAX_QUEUED, retryDelay, settled } from './batch.js';

const QUEUE_KEY = 'fp_q';

let url = '';
let queue: string[] = [];
let failures = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
let sending: Promise<void> | undefined;
// Kept before backend correlation wraps window.fetch: the SDK's own requests carry no ids.
let post: typeof fetch;

/** Drops `sent` from the queue (everything when undefined) and mirrors the queue to storage. */
function drop(sent?: string[]): void {
  queue = queue.filter((e) => sent && !sent.includes(e));
  storage(QUEUE_KEY, queue.length ? JSON.stringify(queue) : null);
}

/** Sends the queue, a batch at a time; `keepalive` lets a request outlive the page. */
async function drain(keepalive?: boolean): Promise<void> {
  while (queue.length) {
    const sent = queue.slice(0, BATCH_SIZE);
    const status = await post(url, { method: 'POST', body: batchBody(sent), keepalive }).then(
      (r) => r.status,
      () => 0,
    );
    if (!settled(status)) return void (timer ??= setTimeout(flush, retryDelay(failures++)));
    if (status > 299) report(`${sent.length} events refused: ${status}`);
    failures = 0;
    drop(sent);
  }
}

/** Sends everything queued now; resolves when the collector has answered or the attempt failed. */
export function flush(keepalive?: boolean): Promise<void> {
  clearTimeout(timer);
  timer = undefined;
  return (sending ??= drain(keepalive).finally(() => {
    sending = undefined;
  }));
}

/** Starts delivery to `batchUrl`, with what earlier page loads could not send. */
export function startSender(batchUrl: string): void {
  url = batchUrl;
  post = fetch;
  try {
    queue = JSON.parse(storage(QUEUE_KEY) as string);
  } catch {}
  enqueue();
  addEventListener('online', () => {
    failures = 0;
    flush();
  });
}

/** Queues one serialized event (none: only schedules delivery of the queue). */
export function enqueue(json?: string): void {
  if (json) queue.length < MAX_QUEUED ? queue.push(json) : report('queue full');
  drop([]);
  if (!failures && queue.length >= BATCH_SIZE) flush();
  else if (queue.length) timer ??= setTimeout(flush, FLUSH_DELAY_MS);
}

/** The page is being hidden or left: hand the queue to the browser. */
export function flushOnHide(): void {
  // While the collector is unreachable a beacon would be lost: the events stay stored instead.
  if (failures || !navigator.onLine || !queue.length) return;
  const beacon = queue.slice(0, BATCH_SIZE);
  if (navigator.sendBeacon?.(url, batchBody(beacon))) drop(beacon);
  if (queue.length) flush(true);
}

/** Forgets every queued event (opt-out). */
export const clearQueue = (): void => drop();
