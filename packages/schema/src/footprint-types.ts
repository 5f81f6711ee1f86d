/**
 * Typed `properties` of Footprint's own event types, for what the Segment spec has no word
 * for. Field names follow the operational logs teams keep (API, error, DB, realtime, email, cron
 * and AI-call logs) and the browser's click and dwell-time logs. Every object also accepts
 * further keys of the application's own, stored as they are.
 */
import { Type } from '@sinclair/typebox';

const Ms = Type.Number({ minimum: 0, description: 'milliseconds' });
const Count = Type.Integer({ minimum: 0 });
const Pct = Type.Number({ minimum: 0, maximum: 100, description: 'percent, 0-100' });
const Text = Type.String();
const open = { additionalProperties: true } as const;

/** A click in a web page: what was clicked and where (click position as % of the page). */
export const ClickProperties = Type.Object(
  {
    tag: Type.String({ minLength: 1, maxLength: 64 }),
    selector: Type.Optional(Text),
    element_id: Type.Optional(Text),
    classes: Type.Optional(Type.Array(Text)),
    text: Type.Optional(Text),
    href: Type.Optional(Text),
    x_pct: Type.Optional(Pct),
    y_pct: Type.Optional(Pct),
    viewport_x_pct: Type.Optional(Pct),
    viewport_y_pct: Type.Optional(Pct),
    outbound: Type.Optional(Type.Boolean()),
    download: Type.Optional(Type.Boolean()),
  },
  open,
);

/** Engaged (dwell) time and deepest scroll of one page view, sent when the page is left. */
export const EngagementProperties = Type.Object(
  { engaged_ms: Ms, max_scroll_pct: Type.Optional(Pct), page_view_id: Type.Optional(Text) },
  open,
);

/** One HTTP request seen by a server (API request/response log). */
export const RequestProperties = Type.Object(
  {
    method: Type.String({ minLength: 1, maxLength: 16 }),
    path: Type.String({ minLength: 1 }),
    route: Type.Optional(Text),
    query: Type.Optional(Type.Union([Text, Type.Record(Type.String(), Type.Unknown())])),
    status: Type.Integer({ minimum: 100, maximum: 599 }),
    duration_ms: Ms,
    request_bytes: Type.Optional(Count),
    response_bytes: Type.Optional(Count),
    ip: Type.Optional(Text),
    user_agent: Type.Optional(Text),
    referrer: Type.Optional(Text),
    client_id: Type.Optional(Text),
    error_message: Type.Optional(Text),
  },
  open,
);

export const ErrorLevel = Type.Union([Type.Literal('warning'), Type.Literal('error'), Type.Literal('critical'), Type.Literal('fatal')]);

/** An exception (error log with type, message, stack, code, location, severity). */
export const ErrorProperties = Type.Object(
  {
    message: Type.String({ minLength: 1 }),
    error_type: Type.Optional(Text),
    stack: Type.Optional(Text),
    code: Type.Optional(Type.Union([Text, Type.Number()])),
    level: Type.Optional(ErrorLevel),
    handled: Type.Optional(Type.Boolean()),
    file: Type.Optional(Text),
    line: Type.Optional(Count),
    function: Type.Optional(Text),
    impact: Type.Optional(Type.Union([Type.Literal('high'), Type.Literal('medium'), Type.Literal('low')])),
  },
  open,
);

export const LogLevel = Type.Union([
  Type.Literal('trace'),
  Type.Literal('debug'),
  Type.Literal('info'),
  Type.Literal('warn'),
  Type.Literal('error'),
  Type.Literal('fatal'),
]);

/** A structured log line: message plus the fields the application attached. */
export const LogProperties = Type.Object({ level: LogLevel, message: Type.String(), logger: Type.Optional(Text) }, open);

/** A database operation (query type, table, duration, rows affected, DB error code). */
export const DbProperties = Type.Object(
  {
    operation: Type.String({ minLength: 1, maxLength: 64 }),
    table: Type.Optional(Text),
    duration_ms: Ms,
    rows: Type.Optional(Count),
    error_code: Type.Optional(Type.Union([Text, Type.Number()])),
    error_message: Type.Optional(Text),
  },
  open,
);

/** One run of a scheduled job (job name, duration, records processed, status, failed step). */
export const CronProperties = Type.Object(
  {
    job: Type.String({ minLength: 1 }),
    status: Type.Union([Type.Literal('started'), Type.Literal('success'), Type.Literal('failure'), Type.Literal('missed')]),
    duration_ms: Type.Optional(Ms),
    records_processed: Type.Optional(Count),
    error_message: Type.Optional(Text),
    failed_step: Type.Optional(Text),
  },
  open,
);

/** An email send (campaign, masked recipient, status, provider message id, latency). */
export const EmailProperties = Type.Object(
  {
    status: Type.Union([Type.Literal('sent'), Type.Literal('failed'), Type.Literal('bounced'), Type.Literal('delivered')]),
    provider: Type.Optional(Text),
    provider_message_id: Type.Optional(Text),
    recipient: Type.Optional(Text),
    campaign_id: Type.Optional(Text),
    duration_ms: Type.Optional(Ms),
    batch_size: Type.Optional(Count),
    error_code: Type.Optional(Type.Union([Text, Type.Number()])),
    error_message: Type.Optional(Text),
  },
  open,
);

/** A call to an AI model (provider, model, tokens, duration, cost, error, retries). */
export const AiProperties = Type.Object(
  {
    provider: Type.String({ minLength: 1 }),
    model: Type.String({ minLength: 1 }),
    input_tokens: Type.Optional(Count),
    output_tokens: Type.Optional(Count),
    cost_usd: Type.Optional(Type.Number({ minimum: 0 })),
    duration_ms: Type.Optional(Ms),
    endpoint: Type.Optional(Text),
    retries: Type.Optional(Count),
    error_type: Type.Optional(Text),
    error_message: Type.Optional(Text),
  },
  open,
);

/** A realtime channel state change (channel, SUBSCRIBED/CLOSED/TIMED_OUT/CHANNEL_ERROR). */
export const RealtimeProperties = Type.Object(
  {
    channel: Type.String({ minLength: 1 }),
    status: Type.String({ minLength: 1, maxLength: 64 }),
    reconnect_tries: Type.Optional(Count),
    error_code: Type.Optional(Type.Union([Text, Type.Number()])),
    error_message: Type.Optional(Text),
  },
  open,
);
