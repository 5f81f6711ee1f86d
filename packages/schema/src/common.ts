/**
 * Fields shared by every event type: the Segment tracking spec's common fields plus
 * Footprint's correlation ids (session, request, trace). Identifiers may arrive as numbers
 * (many back ends use integer user ids); the collector stores them as text.
 * See https://segment.com/docs/connections/spec/common/
 */
import { type TSchema, Type } from '@sinclair/typebox';
import { LIMITS } from './limits.js';

export const Id = Type.Union([Type.String({ minLength: 1, maxLength: LIMITS.maxIdLength }), Type.Number()], {
  description: 'An identifier; numbers are stored as text.',
});
export const ShortText = Type.String({ maxLength: LIMITS.maxIdLength });
export const Name = Type.String({ minLength: 1, maxLength: LIMITS.maxNameLength });
export const DateTime = Type.String({ format: 'date-time', description: 'ISO-8601 date-time' });
/** A free-form JSON object (properties, traits). Its contents are checked for depth and text. */
export const Dict = Type.Record(Type.String(), Type.Unknown());

export const PageContext = Type.Object({
  url: Type.Optional(Type.String()),
  path: Type.Optional(Type.String()),
  title: Type.Optional(Type.String()),
  referrer: Type.Optional(Type.String()),
  search: Type.Optional(Type.String()),
});

export const CampaignContext = Type.Object({
  name: Type.Optional(Type.String()),
  source: Type.Optional(Type.String()),
  medium: Type.Optional(Type.String()),
  term: Type.Optional(Type.String()),
  content: Type.Optional(Type.String()),
});

export const LibraryContext = Type.Object({
  name: Type.Optional(Type.String()),
  version: Type.Optional(Type.String()),
});

/** `context` of the Segment spec; unknown keys are kept as they are. */
export const Context = Type.Object(
  {
    ip: Type.Optional(Type.String({ maxLength: 64 })),
    userAgent: Type.Optional(Type.String({ maxLength: 2048 })),
    page: Type.Optional(PageContext),
    campaign: Type.Optional(CampaignContext),
    library: Type.Optional(LibraryContext),
    locale: Type.Optional(Type.String()),
    timezone: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

/** Fields every event may carry. `type` is added per event type. */
export const commonFields = {
  messageId: Type.Optional(Id),
  userId: Type.Optional(Type.Union([Id, Type.Null()])),
  anonymousId: Type.Optional(Type.Union([Id, Type.Null()])),
  sessionId: Type.Optional(Type.Union([Id, Type.Null()])),
  requestId: Type.Optional(ShortText),
  traceId: Type.Optional(ShortText),
  spanId: Type.Optional(ShortText),
  timestamp: Type.Optional(DateTime),
  originalTimestamp: Type.Optional(DateTime),
  sentAt: Type.Optional(DateTime),
  context: Type.Optional(Context),
  integrations: Type.Optional(Dict),
} satisfies Record<string, TSchema>;
