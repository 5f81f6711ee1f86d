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

export async function loadKeys(dataDir: string, env: { writeKey?: string; adminToken?: string }): Promise<LoadedKeys> {
  const path = join(dataDir, 'keys.json');
  let file: KeysFile | undefined;
  try {
    file = JSON.parse(await readFile(path, 'utf8')) as KeysFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${path} is not readable JSON: ${(err as Error).message}`);
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
  if (changed) {
    await writeFile(`${path}.tmp`, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    await rename(`${path}.tmp`, path);
  }
  const byKey = new Map<string, string>();
  for (const p of file.projects) {
    // FOOTPRINT_WRITE_KEY replaces the default project's keys (so a leaked one can be revoked), as the admin token does.
    if (env.writeKey && p.id === DEFAULT_PROJECT) continue;
    for (const k of p.writeKeys) byKey.set(k, p.id);
  }
  if (env.writeKey) byKey.set(env.writeKey, DEFAULT_PROJECT);
  const admin = env.adminToken ?? file.adminToken;
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
