/**
 * Keys whose values are secrets and are removed by default: password, passwd, pwd, secret,
 * token, api key, authorization, cookie, credential(s), private key, and a key named just
 * `session`. Keys are split into words (snake, kebab and camel case), so `access_token`,
 * `apiKey`, `client_secret` and `Set-Cookie` match while `input_tokens`, `tokenizer`,
 * `session_id` and `author` do not.
 */
const SECRET_WORDS = new Set([
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'authorization',
  'cookie',
  'credential',
  'credentials',
]);

function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

const memo = new Map<string, boolean>();

/** Whether a key names a secret. Memoised: the same keys come back in every event. */
export function isSecretKey(key: string): boolean {
  let hit = memo.get(key);
  if (hit === undefined) {
    hit = classify(key);
    if (memo.size >= 8192) memo.clear();
    memo.set(key, hit);
  }
  return hit;
}

function classify(key: string): boolean {
  const w = words(key);
  if (w.length === 1 && w[0] === 'session') return true;
  for (let i = 0; i < w.length; i++) {
    const word = w[i] as string;
    if (SECRET_WORDS.has(word)) return true;
    const next = w[i + 1];
    if ((word === 'api' || word === 'private' || word === 'secret' || word === 'access') && next === 'key') return true;
  }
  return false;
}
