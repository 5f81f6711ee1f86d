/** One minimal valid event of every type, as a client would send it (without messageId). */
export const MINIMAL_EVENTS: Record<string, Record<string, unknown>> = {
  track: { type: 'track', event: 'Signed Up', anonymousId: 'anon-1' },
  page: { type: 'page', name: 'Home', anonymousId: 'anon-1' },
  screen: { type: 'screen', name: 'Settings', userId: 'user-1' },
  identify: { type: 'identify', userId: 'user-1', traits: { plan: 'pro' } },
  group: { type: 'group', groupId: 'acme', userId: 'user-1', traits: { seats: 3 } },
  alias: { type: 'alias', previousId: 'anon-1', userId: 'user-1' },
  click: { type: 'click', properties: { tag: 'button', x_pct: 50, y_pct: 10 } },
  engagement: { type: 'engagement', properties: { engaged_ms: 4200, max_scroll_pct: 80 } },
  request: { type: 'request', properties: { method: 'get', path: '/api/orders', status: 200, duration_ms: 12.5 } },
  error: { type: 'error', properties: { message: 'boom', error_type: 'Error' } },
  log: { type: 'log', properties: { level: 'info', message: 'started' } },
  db: { type: 'db', properties: { operation: 'select', table: 'orders', duration_ms: 3 } },
  cron: { type: 'cron', properties: { job: 'nightly-report', status: 'success', duration_ms: 900 } },
  email: { type: 'email', properties: { status: 'sent', provider: 'ses' } },
  ai: { type: 'ai', properties: { provider: 'openai', model: 'gpt-4o-mini', input_tokens: 10 } },
  realtime: { type: 'realtime', properties: { channel: 'room:1', status: 'SUBSCRIBED' } },
};

/** Browser user agents with what the collector should make of them. */
export const USER_AGENTS = {
  chromeWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  iphoneSafari:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1',
  firefoxMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:121.0) Gecko/20100101 Firefox/121.0',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
} as const;
