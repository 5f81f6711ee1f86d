/**
 * First-touch attribution of a session: the UTM parameters and ad click ids of the landing
 * URL, captured when a session starts and attached to every event of the session as
 * `context.campaign`, so redirects that drop the query string lose nothing.
 *
 * Wire format (Segment's `context.campaign`, an open object): source, medium, name, term and
 * content from utm_source, utm_medium, utm_campaign, utm_term and utm_content (any other
 * utm_<x> parameter as <x>, e.g. GA4's utm_id as id); ad click ids
 * (gclid, gbraid, wbraid, dclid, fbclid, msclkid, ttclid, twclid, yclid, li_fat_id) under
 * their own names.
 */

export type Campaign = Record<string, string>;

const UTM = /^utm_/;
const CLICK_ID = /^(\w+cl(k?)id|[gw]braid|li_fat_id)$/;

/**
 * The campaign of a landing page's query string, or undefined when it has none.
 * @example
 * campaignOf('?utm_source=news&utm_campaign=spring&gclid=abc') // { source: 'news', name: 'spring', gclid: 'abc' }
 */
export function campaignOf(search: string): Campaign | undefined {
  let campaign: Campaign | undefined;
  for (const [key, value] of new URLSearchParams(search)) {
    const name = UTM.test(key) ? key.slice(4).replace(/^campaign$/, 'name') : CLICK_ID.test(key) && key;
    if (name && value) (campaign ??= {})[name] ??= value;
  }
  return campaign;
}
