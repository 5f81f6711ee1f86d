/**
 * Groups errors: the same bug yields the same fingerprint across users, deploys and line
 * shifts. Numbers, hex ids and quoted values are blanked in the message, and only function
 * and file names (not line numbers) of the top stack frames count, in V8 (Chrome, Node),
 * Firefox and Safari stack formats.
 */
import { createHash } from 'node:crypto';

const VARIABLE = /0x[0-9a-f]+|[0-9a-f]{8,}|\d+|'[^']*'|"[^"]*"/gi;
/** V8 frames: `    at fn (/app/file.js:1:2)`; SpiderMonkey/JavaScriptCore frames: `fn@https://x/file.js:1:2`. */
const V8_FRAME = /^\s*at\s+(?:(.*?)\s+\()?(?:.*\/)?([^/():]+)(?::\d+)*\)?\s*$/;
const GECKO_FRAME = /^\s*([^@\s]*)@(?:.*\/)?([^/():]+)(?::\d+)*\s*$/;

export function errorFingerprint(type: string | null, message: string | null, stack: unknown): string {
  const frames: string[] = [];
  if (typeof stack === 'string') {
    for (const line of stack.split('\n', 40)) {
      const m = V8_FRAME.exec(line) ?? GECKO_FRAME.exec(line);
      if (m) frames.push(`${m[1] ?? ''}@${m[2] ?? ''}`);
      if (frames.length === 3) break;
    }
  }
  const basis = `${type ?? ''}\n${(message ?? '').replace(VARIABLE, '?')}\n${frames.join('\n')}`;
  return createHash('sha1').update(basis).digest('hex').slice(0, 16);
}
