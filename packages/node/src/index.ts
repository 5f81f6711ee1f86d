/**
 * @footprint/node: Footprint for Node.js back ends. The framework middleware lives in
 * `@footprint/node/express`, `/fastify`, `/next` and `/http`.
 */
export {
  type AliasInput,
  createFootprint,
  type EventOptions,
  type Footprint,
  type FootprintStats,
  type GroupInput,
  type IdentifyInput,
  LIBRARY,
  type OutgoingEvent,
  type PageInput,
  type ScreenInput,
  type TrackInput,
} from './client.js';
export { type CorrelationContext, currentContext } from './context.js';
export { FootprintSdkError, type SdkErrorCode } from './delivery/drops.js';
export type { FlushResult } from './delivery/pipeline.js';
export type { AiInput, CronOptions, CronRun, DbInput, EmailInput, RealtimeInput } from './events/helpers.js';
export type { LogFn, Logger } from './events/log.js';
export { MASKED, maskEmail, maskQuery, SECRET_QUERY_KEYS } from './events/mask.js';
export type { RequestLoggingOptions } from './http/recorder.js';
export { DEFAULTS, type FootprintOptions, isServerless, type LogLevel, type OutboxOptions, type RetryOptions } from './options.js';
