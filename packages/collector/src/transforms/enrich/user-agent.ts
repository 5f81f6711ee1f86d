/**
 * User-agent parsing with ua-parser-js and bot detection with isbot. Parsing costs tens of
 * microseconds, and a batch usually repeats one user agent, so results are memoised in a
 * bounded map (cleared whole when full: cheap, and hostile unique strings cannot grow it).
 */
import { isbot } from 'isbot';
import { UAParser } from 'ua-parser-js';
import { BoundedCache } from './bounded-cache.js';

export interface UserAgentInfo {
  browser: string | null;
  browser_version: string | null;
  os: string | null;
  os_version: string | null;
  device_type: string | null;
  device_vendor: string | null;
  device_model: string | null;
  is_bot: boolean;
}

const EMPTY: UserAgentInfo = {
  browser: null,
  browser_version: null,
  os: null,
  os_version: null,
  device_type: null,
  device_vendor: null,
  device_model: null,
  is_bot: false,
};

const cache = new BoundedCache<UserAgentInfo>(4096, parseUncached);

/** Parses a User-Agent header into browser, OS and device, and flags crawlers and tools. */
export function parseUserAgent(ua: string | null | undefined): UserAgentInfo {
  return ua ? cache.get(ua) : EMPTY;
}

function parseUncached(ua: string): UserAgentInfo {
  const r = new UAParser(ua).getResult();
  const bot = isbot(ua);
  const info: UserAgentInfo = {
    browser: r.browser.name ?? null,
    browser_version: r.browser.version ?? null,
    os: r.os.name ?? null,
    os_version: r.os.version ?? null,
    // ua-parser-js leaves desktop browsers without a device type.
    device_type: r.device.type ?? (bot ? 'bot' : r.browser.name ? 'desktop' : null),
    device_vendor: r.device.vendor ?? null,
    device_model: r.device.model ?? null,
    is_bot: bot,
  };
  return info;
}
