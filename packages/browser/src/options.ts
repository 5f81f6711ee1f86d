/**
 * Options of the SDK and their defaults, read from anything a page may pass (a wrong type
 * means the default; only a missing write key or an unusable host stops init), or from the
 * `data-*` attributes of the script tag.
 */

export interface FootprintOptions {
  /** The project's write key (required). Script tag: `data-key`. */
  writeKey: string;
  /** Base URL of the collector. Default: the page's origin; for the script tag, where the script came from. */
  host?: string;
  /** Send page views automatically, single-page-app navigation included. Default true. */
  pageviews?: boolean;
  /** Record every click (`click` events). Default true. `data-fp-event` markup works either way. */
  clicks?: boolean;
  /** Record uncaught errors and unhandled rejections (`error` events). Default true. */
  errors?: boolean;
  /** Count hash changes (`#/route`) as page views. Default false. */
  hash?: boolean;
  /** Keep nothing on the device: ids live in memory for one page load. Default false. */
  cookieless?: boolean;
  /** Add `X-Footprint-Anonymous-Id` and `X-Footprint-Session-Id` to same-origin fetch/XHR calls. Default false. */
  correlate?: boolean;
  /** Send nothing when the browser sends Do-Not-Track or Global Privacy Control. Default false. */
  dnt?: boolean;
  /** Receives every problem the SDK swallowed (dropped or refused events, bad input). Default: console.warn. */
  onError?: (error: Error) => void;
}

export type ResolvedOptions = Required<Omit<FootprintOptions, 'onError'>>;

/** The flags; the first three are on by default, the others off. */
const FLAGS = ['pageviews', 'clicks', 'errors', 'hash', 'cookieless', 'correlate', 'dnt'] as const;

/**
 * Options from untrusted input: the write key, `host` as an absolute URL (relative to
 * `defaultHost`) without trailing slash, and every flag as a boolean. A flag that is missing
 * takes its default; `false` or the text "false", "off" or "0" (script tag attributes
 * are text) turns it off, any other value on. Throws (init reports it) without a write key or
 * with a host that is no URL.
 * @example
 * resolveOptions({ writeKey: 'wk_1', clicks: 'off' }, 'https://shop.example') // clicks: false, host: 'https://shop.example'
 */
export function resolveOptions(input: unknown, defaultHost: string): ResolvedOptions {
  const o = { ...(input as Record<string, unknown>) };
  if (!o.writeKey) throw 'init needs writeKey';
  o.host = new URL((o.host as string) || defaultHost, defaultHost).href.replace(/\/+$/, '');
  FLAGS.forEach((name, i) => {
    const v = o[name];
    o[name] = v == null ? i < 3 : v !== false && !/^(false|off|0)$/.test(v as string);
  });
  return o as ResolvedOptions;
}
