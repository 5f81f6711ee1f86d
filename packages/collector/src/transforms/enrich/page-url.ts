/**
 * Page URL and referrer enrichment: host, path, UTM parameters (from `context.campaign`
 * first, else the page URL's query string) and the referrer's domain.
 */
import { BoundedCache } from './bounded-cache.js';

export interface Campaign {
  utm_source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  utm_term: string | null;
  utm_content: string | null;
}

export interface ParsedUrl {
  host: string | null;
  path: string | null;
  params: URLSearchParams | null;
}

const NONE: ParsedUrl = { host: null, path: null, params: null };

const urls = new BoundedCache<ParsedUrl>(2048, parseUncached);

/** Parses an absolute URL (memoised: pages repeat); anything unparsable yields nulls. */
export function parseUrl(url: unknown): ParsedUrl {
  if (typeof url !== 'string' || url === '') return NONE;
  return urls.get(url);
}

function parseUncached(url: string): ParsedUrl {
  try {
    const u = new URL(url);
    return { host: u.hostname || null, path: u.pathname || null, params: u.search ? u.searchParams : null };
  } catch {
    return NONE;
  }
}

/** The domain of a referrer URL, without a leading `www.`; null when absent or unparsable. */
export function referrerDomain(referrer: unknown): string | null {
  if (typeof referrer !== 'string' || referrer === '') return null;
  const { host } = parseUrl(referrer);
  if (!host) return null;
  return host.startsWith('www.') ? host.slice(4) : host;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** UTM fields from a Segment `context.campaign` object, else from the page URL's query. */
export function campaignOf(campaign: Record<string, unknown> | undefined, params: URLSearchParams | null): Campaign {
  if (campaign && (campaign.source || campaign.medium || campaign.name || campaign.term || campaign.content)) {
    return {
      utm_source: str(campaign.source),
      utm_medium: str(campaign.medium),
      utm_campaign: str(campaign.name),
      utm_term: str(campaign.term),
      utm_content: str(campaign.content),
    };
  }
  return {
    utm_source: params?.get('utm_source') || null,
    utm_medium: params?.get('utm_medium') || null,
    utm_campaign: params?.get('utm_campaign') || null,
    utm_term: params?.get('utm_term') || null,
    utm_content: params?.get('utm_content') || null,
  };
}
