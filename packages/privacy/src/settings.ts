/**
 * The privacy section of a project's settings: extra rules, an allow-list and options.
 * Rules match by key name (regex), by dotted path, by a regex over text, or by one of the
 * built-in detectors; each rule names one action. Format and examples: docs/privacy.md.
 */
import { type Static, Type } from '@sinclair/typebox';

export const ACTIONS = ['remove', 'mask', 'hash', 'last4', 'keep'] as const;
export type Action = (typeof ACTIONS)[number];

export const DETECTORS = ['email', 'phone', 'card', 'jwt', 'bearer', 'ip'] as const;
export type DetectorName = (typeof DETECTORS)[number];

const ActionSchema = Type.Union(ACTIONS.map((a) => Type.Literal(a)));

export const PrivacyRule = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 100 })),
    /** Regex (case-insensitive) over a key name anywhere in the event. */
    key: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    /** Dotted path from the event's top (`properties.user.email`); `*` matches one segment. */
    path: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    /** Regex over text; every match is replaced by the action's output. */
    pattern: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    /** One of the built-in detectors, to change its action. */
    detector: Type.Optional(Type.Union(DETECTORS.map((d) => Type.Literal(d)))),
    action: ActionSchema,
    /** Event types the rule applies to; all types when absent. */
    types: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
  },
  { additionalProperties: false },
);

export const PrivacySettings = Type.Object(
  {
    /** Built-in rules (emails, phones, cards, secrets, tokens, IPs); on unless false. */
    defaults: Type.Optional(Type.Boolean()),
    rules: Type.Optional(Type.Array(PrivacyRule)),
    /** Dotted paths kept raw, whatever the rules say (`*` matches one segment). */
    allow: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    /** Give events without an anonymousId a daily-rotating visitor id (no cookie needed). */
    cookielessVisitorId: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export type PrivacyRule = Static<typeof PrivacyRule>;
export type PrivacySettings = Static<typeof PrivacySettings>;
