/**
 * Event model v1: one JSON schema per event `type`, and the TypeScript types derived from
 * them (never written by hand, so they cannot drift from what the collector accepts).
 * Segment types: https://segment.com/docs/connections/spec/ ; Footprint types: docs/events.md.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { commonFields, Dict, Id, Name } from './common.js';
import * as fp from './footprint-types.js';

export const SEGMENT_TYPES = ['page', 'screen', 'track', 'identify', 'group', 'alias'] as const;
export const FOOTPRINT_TYPES = ['click', 'engagement', 'request', 'error', 'log', 'db', 'cron', 'email', 'ai', 'realtime'] as const;
export const EVENT_TYPES = [...SEGMENT_TYPES, ...FOOTPRINT_TYPES] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const open = { additionalProperties: true } as const;
/** The common fields as one schema, for deriving their type. */
export const CommonFields = Type.Object(commonFields, open);

function eventOf(type: EventType, fields: Record<string, TSchema>): TSchema {
  return Type.Object({ type: Type.Literal(type), ...commonFields, ...fields }, open);
}

const props = Type.Optional(Dict);
export const PageEvent = eventOf('page', { name: Type.Optional(Name), category: Type.Optional(Name), properties: props });
export const ScreenEvent = eventOf('screen', { name: Type.Optional(Name), properties: props });
export const TrackEvent = eventOf('track', { event: Name, properties: props });
export const IdentifyEvent = eventOf('identify', { traits: Type.Optional(Dict), properties: props });
export const GroupEvent = eventOf('group', { groupId: Id, traits: Type.Optional(Dict), properties: props });
export const AliasEvent = eventOf('alias', { previousId: Id, userId: Id, properties: props });
export const ClickEvent = eventOf('click', { properties: fp.ClickProperties });
export const EngagementEvent = eventOf('engagement', { properties: fp.EngagementProperties });
export const RequestEvent = eventOf('request', { properties: fp.RequestProperties });
export const ErrorEvent = eventOf('error', { properties: fp.ErrorProperties });
export const LogEvent = eventOf('log', { properties: fp.LogProperties });
export const DbEvent = eventOf('db', { properties: fp.DbProperties });
export const CronEvent = eventOf('cron', { properties: fp.CronProperties });
export const EmailEvent = eventOf('email', { properties: fp.EmailProperties });
export const AiEvent = eventOf('ai', { properties: fp.AiProperties });
export const RealtimeEvent = eventOf('realtime', { properties: fp.RealtimeProperties });

/** The schema of each event type, keyed by `type`. */
export const EVENT_SCHEMAS = {
  page: PageEvent,
  screen: ScreenEvent,
  track: TrackEvent,
  identify: IdentifyEvent,
  group: GroupEvent,
  alias: AliasEvent,
  click: ClickEvent,
  engagement: EngagementEvent,
  request: RequestEvent,
  error: ErrorEvent,
  log: LogEvent,
  db: DbEvent,
  cron: CronEvent,
  email: EmailEvent,
  ai: AiEvent,
  realtime: RealtimeEvent,
} as const satisfies Record<EventType, TSchema>;

type Common = Static<typeof CommonFields>;
type With<T extends EventType, P> = Common & { type: T } & P;
type PropsOf<S extends TSchema> = Static<S>;

export type PageEvent = With<'page', { name?: string; category?: string; properties?: Record<string, unknown> }>;
export type ScreenEvent = With<'screen', { name?: string; properties?: Record<string, unknown> }>;
export type TrackEvent = With<'track', { event: string; properties?: Record<string, unknown> }>;
export type IdentifyEvent = With<'identify', { traits?: Record<string, unknown>; properties?: Record<string, unknown> }>;
export type GroupEvent = With<
  'group',
  { groupId: string | number; traits?: Record<string, unknown>; properties?: Record<string, unknown> }
>;
export type AliasEvent = With<'alias', { previousId: string | number; userId: string | number; properties?: Record<string, unknown> }>;
export type ClickEvent = With<'click', { properties: PropsOf<typeof fp.ClickProperties> }>;
export type EngagementEvent = With<'engagement', { properties: PropsOf<typeof fp.EngagementProperties> }>;
export type RequestEvent = With<'request', { properties: PropsOf<typeof fp.RequestProperties> }>;
export type ErrorEvent = With<'error', { properties: PropsOf<typeof fp.ErrorProperties> }>;
export type LogEvent = With<'log', { properties: PropsOf<typeof fp.LogProperties> }>;
export type DbEvent = With<'db', { properties: PropsOf<typeof fp.DbProperties> }>;
export type CronEvent = With<'cron', { properties: PropsOf<typeof fp.CronProperties> }>;
export type EmailEvent = With<'email', { properties: PropsOf<typeof fp.EmailProperties> }>;
export type AiEvent = With<'ai', { properties: PropsOf<typeof fp.AiProperties> }>;
export type RealtimeEvent = With<'realtime', { properties: PropsOf<typeof fp.RealtimeProperties> }>;
/** Any event the collector accepts. */
export type FootprintEvent =
  | PageEvent
  | ScreenEvent
  | TrackEvent
  | IdentifyEvent
  | GroupEvent
  | AliasEvent
  | ClickEvent
  | EngagementEvent
  | RequestEvent
  | ErrorEvent
  | LogEvent
  | DbEvent
  | CronEvent
  | EmailEvent
  | AiEvent
  | RealtimeEvent;
/** The event of one `type`. */
export type EventOf<T extends EventType> = Extract<FootprintEvent, { type: T }>;

/** Segment requires one of the two identities on its own types; Footprint's types may have none. */
export const IDENTITY_REQUIRED: ReadonlySet<EventType> = new Set(SEGMENT_TYPES);
