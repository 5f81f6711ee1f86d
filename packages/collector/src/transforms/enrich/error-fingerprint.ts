/**
 * Groups errors: the same bug yields the same fingerprint across users, deploys and line
 * shifts. Numbers, hex ids and quoted values are blanked in the message, and only function
 * and file names (not line numbers) of the top stack frames count, in V8 (Chrome, Node),
 * Firefox and Safari stack formats.
 */
import { createHash } from 'node:crypto';

const VARIABLE = /0x[0-9a-f]+|[0-9a-f]{8,}|\d+|'[^']*'|"[^"]*"/gi;

/** `file.js` of `/app/src/file.js:12:5`: the last path segment, without its line and column. */
function fileOf(location: string): string | undefined {
  let end = location.length;
  if (location.endsWith(')')) end--;
  // Strip `:12:5` from the end, one `:digits` at a time.
  for (;;) {
    let j = end;
    while (j > 0 && location.charCodeAt(j - 1) >= 48 && location.charCodeAt(j - 1) <= 57) j--;
    if (j < end && j > 0 && location[j - 1] === ':') end = j - 1;
    else break;
  }
  const file = location.slice(location.lastIndexOf('/', end - 1) + 1, end);
  return file === '' || /[():]/.test(file) ? undefined : file;
}

/**
 * One stack frame as `[function, file]`: V8 (`    at fn (/app/file.js:1:2)`, `    at /app/file.js:1:2`)
 * or SpiderMonkey/JavaScriptCore (`fn@https://x/file.js:1:2`). Read with string search, not a
 * backtracking regex: a stack line of any length costs time in proportion to its length.
 */
export function frameOf(raw: string): [string, string] | undefined {
  const line = raw.trim();
  if (line.startsWith('at ') || line.startsWith('at\t')) {
    const rest = line.slice(3).trim();
    const open = rest.search(/\s\(/);
    if (open === -1) {
      const file = fileOf(rest);
      return file === undefined ? undefined : ['', file];
    }
    const file = fileOf(rest.slice(open).trimStart().slice(1));
    return file === undefined ? undefined : [rest.slice(0, open).trim(), file];
  }
  const at = line.indexOf('@');
  if (at === -1 || /\s/.test(line.slice(0, at))) return undefined;
  const file = fileOf(line.slice(at + 1));
  return file === undefined ? undefined : [line.slice(0, at), file];
}

export function errorFingerprint(type: string | null, message: string | null, stack: unknown): string {
  const frames: string[] = [];
  if (typeof stack === 'string') {
    for (const line of stack.split('\n', 40)) {
      const f = frameOf(line);
      if (f) frames.push(`${f[0]}@${f[1]}`);
      if (frames.length === 3) break;
    }
  }
  const basis = `${type ?? ''}\n${(message ?? '').replace(VARIABLE, '?')}\n${frames.join('\n')}`;
  return createHash('sha1').update(basis).digest('hex').slice(0, 16);
}
