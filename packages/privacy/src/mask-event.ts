/**
 * maskEvent: the masking engine applied to one wire event (the Segment-shaped object an SDK
 * sends), so an application can mask before anything leaves its process. The same rules and
 * secret give the same output as the collector's, field by field.
 */
import type { Masker } from './masker.js';

type Dict = Record<string, unknown>;

const TEXT_FIELDS = ['event', 'name'] as const;
const IDENTITY_FIELDS = ['userId', 'anonymousId', 'groupId', 'previousId'] as const;
const TREE_FIELDS = ['properties', 'traits', 'context'] as const;
const SKIP = new Set<string>([
  'type',
  'messageId',
  'timestamp',
  'originalTimestamp',
  'sentAt',
  'sessionId',
  'requestId',
  'traceId',
  'spanId',
  'integrations',
]);

/**
 * Masks an event in place and answers it.
 * @example
 * const masker = compileMasker({ secret });
 * createFootprint({ endpoint, writeKey, beforeSend: (e) => maskEvent(masker, e) });
 */
export function maskEvent<E extends object>(masker: Masker, event: E): E {
  const e = event as Dict;
  const type = typeof e.type === 'string' ? e.type : 'track';
  for (const field of TEXT_FIELDS) {
    if (typeof e[field] === 'string') e[field] = masker.text(e[field] as string, type, field) ?? null;
  }
  for (const field of IDENTITY_FIELDS) {
    if (typeof e[field] === 'string') e[field] = masker.identity(e[field] as string);
  }
  for (const field of TREE_FIELDS) {
    if (e[field] !== undefined) {
      const out = masker.tree(e[field], type, field);
      if (out === undefined) delete e[field];
      else e[field] = out;
    }
  }
  const ctx = e.context as Dict | undefined;
  if (ctx && typeof ctx.ip === 'string') ctx.ip = masker.ip(ctx.ip, type);
  const props = e.properties as Dict | undefined;
  if (type === 'request' && props && typeof props.ip === 'string') props.ip = masker.ip(props.ip, type);
  for (const key of Object.keys(e)) {
    if (
      SKIP.has(key) ||
      (TEXT_FIELDS as readonly string[]).includes(key) ||
      (IDENTITY_FIELDS as readonly string[]).includes(key) ||
      (TREE_FIELDS as readonly string[]).includes(key)
    )
      continue;
    const out = masker.tree(e[key], type, key);
    if (out === undefined) delete e[key];
    else e[key] = out;
  }
  return event;
}
