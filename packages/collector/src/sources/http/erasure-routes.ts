/**
 * The erasure API: POST /v1/erasure (admin token), body `{"user_id": "..."}` or
 * `{"anonymous_id": "..."}`, optionally with `"project"` (default "default"). It answers
 * once the events are gone from the database, the WAL, the archive and the quarantine file,
 * with the counts and an erasure id that the audit log (data/audit.jsonl) also records.
 * Every mistake in the body is a 400 whose `path` names the field.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../../errors.js';
import { checkErasureId, checkProjectId, ErasureInputError, type ErasureKind, type ErasureReport } from '../../governance/erasure.js';
import { DEFAULT_PROJECT, type KeyRing } from '../../projects/keys.js';
import { SinkUnavailableError } from '../../sinks/sink.js';
import { type BodyLimit, readJsonBody } from './body.js';
import { requireAdmin } from './read-routes.js';
import { sendError, sendJson } from './respond.js';

const BODY_LIMIT: BodyLimit = {
  bytes: 4096,
  name: 'maxErasureBodyBytes',
  expects: 'a JSON object: {"user_id":"..."} or {"anonymous_id":"..."}',
};
const FIELDS = new Set(['user_id', 'anonymous_id', 'project']);

export interface ErasureTarget {
  projectId: string;
  kind: ErasureKind;
  id: string;
}

export interface ErasureDeps {
  keys: KeyRing;
  /** Whether the collector knows the project (write key, settings or stored events). */
  knowsProject(projectId: string): Promise<boolean>;
  erase(target: ErasureTarget): Promise<ErasureReport>;
}

/** Checks an erasure body; throws invalid_body naming the field. */
export function parseErasureBody(body: unknown): ErasureTarget {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw errors.invalidBody('the body must be a JSON object: {"user_id":"..."} or {"anonymous_id":"..."}', 'body');
  }
  const fields = body as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (!FIELDS.has(name))
      throw errors.invalidBody(`${name} is not a field of an erasure; send user_id or anonymous_id, and optionally project`, name);
  }
  const hasUser = fields.user_id !== undefined;
  const hasAnon = fields.anonymous_id !== undefined;
  if (hasUser && hasAnon) throw errors.invalidBody('send either user_id or anonymous_id, not both (one erasure per id)', 'anonymous_id');
  if (!hasUser && !hasAnon) throw errors.invalidBody('user_id or anonymous_id is required', 'user_id');
  const kind: ErasureKind = hasUser ? 'user_id' : 'anonymous_id';
  try {
    return {
      kind,
      id: checkErasureId(fields[kind], kind),
      projectId: fields.project === undefined ? DEFAULT_PROJECT : checkProjectId(fields.project, 'project'),
    };
  } catch (err) {
    if (err instanceof ErasureInputError) throw errors.invalidBody(err.message, err.field);
    throw err;
  }
}

export function createErasureHandler(deps: ErasureDeps) {
  return async function erasure(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      requireAdmin(deps.keys, req);
      const body = await readJsonBody(req, BODY_LIMIT);
      const target = parseErasureBody(body.value);
      try {
        if (!(await deps.knowsProject(target.projectId))) {
          throw errors.invalidBody(`project ${target.projectId} has no write key, settings or events on this collector`, 'project');
        }
        sendJson(res, 200, await deps.erase(target));
      } catch (err) {
        throw err instanceof SinkUnavailableError ? errors.storageUnavailable(err) : err;
      }
    } catch (err) {
      sendError(res, err);
    }
  };
}
