/**
 * Credentials: each project's write keys (send only) and the admin token (read). Kept in
 * `<data>/keys.json` (mode 0600); a missing key is generated on first start and printed
 * once. FOOTPRINT_WRITE_KEY / FOOTPRINT_ADMIN_TOKEN override what the file holds: with
 * FOOTPRINT_WRITE_KEY set, the default project's keys in the file are not accepted.
 *
 *   { "adminToken": "...", "projects": [{ "id": "default", "writeKeys": ["..."], "hashSecret": "..." }] }
 */

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeValueError } from '@footprint/schema';
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

export interface ProjectKeys {
  id: string;
  writeKeys: string[];
  /** Key of the project's keyed hash (privacy `hash` action); made on first start. */
  hashSecret?: string;
}

export interface KeysFile {
  adminToken: string;
  projects: ProjectKeys[];
}

export const DEFAULT_PROJECT = 'default';

export interface KeyRing {
  /** The project a write key belongs to, or undefined. */
  projectOf(writeKey: string): string | undefined;
  isAdmin(token: string): boolean;
  /** The hash secret of a project (every known project has one). */
  hashSecretOf(projectId: string): string;
}

export interface LoadedKeys {
  ring: KeyRing;
  /** Keys made during this start, to print once. */
  generated: { writeKey?: string; adminToken?: string };
  file: KeysFile;
}

function newKey(prefix: string): string {
  return `${prefix}_${randomBytes(18).toString('base64url')}`;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A write key or admin token, in keys.json and in FOOTPRINT_WRITE_KEY / FOOTPRINT_ADMIN_TOKEN: 8 to 200 URL-safe characters. */
export const KEY_PATTERN = '^[A-Za-z0-9_.~-]{8,200}$';
const KEY = Type.String({ pattern: KEY_PATTERN });
const KEYS_FILE = TypeCompiler.Compile(
  Type.Object({
    adminToken: Type.Optional(Type.Union([Type.Literal(''), KEY])),
    projects: Type.Array(
      Type.Object({
        id: Type.String({ minLength: 1, maxLength: 256 }),
        writeKeys: Type.Array(KEY),
        hashSecret: Type.Optional(Type.String({ minLength: 16 })),
      }),
    ),
  }),
);

/** Checks what keys.json holds: its shape, one project per id, no write key in two projects nor equal to the admin token. */
function checkKeysFile(value: unknown, path: string): KeysFile {
  if (!KEYS_FILE.Check(value)) {
    const first = KEYS_FILE.Errors(value).First();
    throw new Error(`${path}: ${first ? describeValueError(first, 'the file').message : 'is not a keys file'}`);
  }
  const file = value as KeysFile;
  const owner = new Map<string, string>();
  const ids = new Set<string>();
  for (const [i, p] of file.projects.entries()) {
    if (ids.has(p.id)) throw new Error(`${path}: projects[${i}].id "${p.id}" appears twice`);
    ids.add(p.id);
    for (const k of p.writeKeys) {
      if (file.adminToken && k === file.adminToken)
        throw new Error(`${path}: projects[${i}].writeKeys holds the admin token; a write key is public`);
      const other = owner.get(k);
      if (other !== undefined && other !== p.id) throw new Error(`${path}: projects[${i}].writeKeys holds a key of project "${other}" too`);
      owner.set(k, p.id);
    }
  }
  return file;
}

export async function loadKeys(dataDir: string, env: { writeKey?: string; adminToken?: string }): Promise<LoadedKeys> {
  const path = join(dataDir, 'keys.json');
  let file: KeysFile | undefined;
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${path} is not readable: ${(err as Error).message}`);
  }
  if (text !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
    }
    file = checkKeysFile(parsed, path);
  }
  const generated: LoadedKeys['generated'] = {};
  let changed = false;
  if (!file) {
    file = { adminToken: '', projects: [{ id: DEFAULT_PROJECT, writeKeys: [] }] };
    changed = true;
  }
  let def = file.projects.find((p) => p.id === DEFAULT_PROJECT);
  if (!def) {
    def = { id: DEFAULT_PROJECT, writeKeys: [] };
    file.projects.push(def);
    changed = true;
  }
  if (!env.writeKey && def.writeKeys.length === 0) {
    generated.writeKey = newKey('fp_wk');
    def.writeKeys.push(generated.writeKey);
    changed = true;
  }
  for (const p of file.projects) {
    if (!p.hashSecret) {
      p.hashSecret = randomBytes(32).toString('base64url');
      changed = true;
    }
  }
  if (!env.adminToken && !file.adminToken) {
    generated.adminToken = newKey('fp_admin');
    file.adminToken = generated.adminToken;
    changed = true;
  }
  const byKey = new Map<string, string>();
  for (const p of file.projects) {
    // FOOTPRINT_WRITE_KEY replaces the default project's keys (so a leaked one can be revoked), as the admin token does.
    if (env.writeKey && p.id === DEFAULT_PROJECT) continue;
    for (const k of p.writeKeys) byKey.set(k, p.id);
  }
  if (env.writeKey) {
    const owner = byKey.get(env.writeKey);
    if (owner !== undefined) {
      throw new Error(
        `FOOTPRINT_WRITE_KEY is a write key of project "${owner}" in ${path}; its events would be filed under "${DEFAULT_PROJECT}": choose another key`,
      );
    }
    byKey.set(env.writeKey, DEFAULT_PROJECT);
  }
  const admin = env.adminToken ?? file.adminToken;
  const clash = byKey.get(admin);
  if (clash !== undefined)
    throw new Error(`the admin token is also a write key of project "${clash}"; a write key is public, so they must differ`);
  // Written only once the keys are known to work together: a refused start leaves the file as it was.
  if (changed) {
    await writeFile(`${path}.tmp`, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    await rename(`${path}.tmp`, path);
  }
  return {
    file,
    generated,
    ring: {
      projectOf: (k) => byKey.get(k),
      isAdmin: (t) => safeEqual(t, admin),
      hashSecretOf: (id) => {
        const secret = file.projects.find((p) => p.id === id)?.hashSecret;
        if (!secret) throw new Error(`project ${id} has no hash secret in keys.json`);
        return secret;
      },
    },
  };
}
