/**
 * Project settings: privacy rules and retention per project, read once at start from a JSON
 * file (FOOTPRINT_CONFIG, default `footprint.config.json` in the working folder; absent
 * means every default). The file is checked against a schema and a mistake stops the start
 * with the field's path and the rule it breaks. Format: docs/privacy.md.
 *
 *   {
 *     "projects": {
 *       "default": {
 *         "privacy": { "rules": [...], "allow": ["properties.plan_email"], "cookielessVisitorId": false },
 *         "retention": { "request": 30, "error": 90, "*": 365 }
 *       }
 *     },
 *     "retention": { "intervalMinutes": 60, "archiveDir": "/var/lib/footprint/archive" }
 *   }
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PrivacySettings } from '@footprint/privacy';
import { describeValueError, EVENT_TYPES, type EventType } from '@footprint/schema';
import { type Static, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

const Days = Type.Integer({ minimum: 1, maximum: 36_500, description: 'days to keep' });

export const RetentionDays = Type.Record(Type.String(), Days, {
  description: 'days to keep, by event type; "*" for the types not named',
});

export const ProjectSettings = Type.Object(
  {
    privacy: Type.Optional(PrivacySettings),
    retention: Type.Optional(RetentionDays),
  },
  { additionalProperties: false },
);

export const SettingsFile = Type.Object(
  {
    projects: Type.Optional(Type.Record(Type.String(), ProjectSettings)),
    retention: Type.Optional(
      Type.Object(
        {
          intervalMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_080 })),
          archiveDir: Type.Optional(Type.String({ minLength: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type ProjectSettings = Static<typeof ProjectSettings>;
export type SettingsFile = Static<typeof SettingsFile>;

/**
 * Retention defaults (days). Errors and business events 90 days, API request logs and
 * performance metrics 30 days, identity links a year.
 */
export const DEFAULT_RETENTION: Readonly<Record<EventType, number>> = {
  request: 30,
  db: 30,
  ai: 30,
  realtime: 30,
  log: 30,
  error: 90,
  track: 90,
  cron: 90,
  email: 90,
  page: 90,
  screen: 90,
  click: 90,
  engagement: 90,
  identify: 365,
  group: 365,
  alias: 365,
};

export class SettingsError extends Error {
  override name = 'SettingsError';
}

const checker = TypeCompiler.Compile(SettingsFile);
const TYPES: ReadonlySet<string> = new Set(EVENT_TYPES);

export interface Settings {
  /** Where the settings came from, or null for built-in defaults. */
  source: string | null;
  file: SettingsFile;
  /** Retention in days for every event type of a project (defaults filled in). */
  retentionOf(projectId: string): Record<EventType, number>;
  privacyOf(projectId: string): ProjectSettings['privacy'];
  intervalMinutes: number;
  archiveDir: string | null;
}

/** Checks a parsed settings object; throws SettingsError naming the field. */
export function parseSettings(value: unknown, source: string | null): Settings {
  if (!checker.Check(value)) {
    const first = checker.Errors(value).First();
    throw new SettingsError(`${source ?? 'settings'}: ${first ? describeValueError(first, 'the file').message : 'the file is invalid'}`);
  }
  const file = value as SettingsFile;
  for (const [project, s] of Object.entries(file.projects ?? {})) {
    for (const type of Object.keys(s.retention ?? {})) {
      if (type !== '*' && !TYPES.has(type)) {
        throw new SettingsError(
          `${source ?? 'settings'}: projects.${project}.retention.${type}: not an event type; use one of ${EVENT_TYPES.join(', ')} or "*"`,
        );
      }
    }
  }
  return {
    source,
    file,
    retentionOf(projectId) {
      const configured = file.projects?.[projectId]?.retention ?? {};
      const out = { ...DEFAULT_RETENTION };
      for (const type of EVENT_TYPES) out[type] = configured[type] ?? configured['*'] ?? DEFAULT_RETENTION[type];
      return out;
    },
    privacyOf: (projectId) => file.projects?.[projectId]?.privacy,
    intervalMinutes: file.retention?.intervalMinutes ?? 60,
    archiveDir: file.retention?.archiveDir ?? null,
  };
}

/** Reads the settings file; a missing file at the default location means defaults. */
export async function loadSettings(path: string | undefined, cwd = process.cwd()): Promise<Settings> {
  const file = resolve(cwd, path ?? 'footprint.config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && path === undefined) return parseSettings({}, null);
    throw new SettingsError(`cannot read settings file ${file}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SettingsError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parseSettings(value, file);
}
