/**
 * Whether anything may be recorded: not after optOut() (kept on the device, also in
 * cookieless mode, because the visitor asked for it), and, with the `dnt` option, not when
 * the browser sends Do-Not-Track or Global Privacy Control.
 */
import { storage } from '../identity/storage.js';

const OPT_OUT_KEY = 'fp_out';
let honourDnt = false;
let optedOut = false;

export function startConsent(dnt: boolean): void {
  honourDnt = dnt;
  optedOut = storage(OPT_OUT_KEY, undefined, true) === '1';
}

export function blocked(): boolean {
  const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
  return optedOut || (honourDnt && (nav.doNotTrack === '1' || !!nav.globalPrivacyControl));
}

export function setOptOut(out: boolean): void {
  optedOut = out;
  storage(OPT_OUT_KEY, out ? '1' : null, true);
}
