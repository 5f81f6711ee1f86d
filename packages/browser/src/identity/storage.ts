/**
 * The SDK's state on the device: localStorage, or nothing at all in cookieless mode (the
 * callers keep their values in memory; storage only mirrors them). Every access is guarded:
 * storage may be disabled, full, or throw on access (Safari private mode, sandboxed iframes),
 * and that must never reach the page.
 *
 * Keys: `fp` the visitor (identity.ts), `fp_q` the unsent events (sender.ts), `fp_out` the
 * opt-out choice (consent.ts).
 */

let mirror = true;

/** Turns mirroring to localStorage on (default) or off (cookieless). */
export function mirrorToDevice(on: boolean): void {
  mirror = on;
}

/**
 * Reads `key` (no `value`), writes it (a string) or removes it (null). `device` uses
 * localStorage even in cookieless mode, for the visitor's opt-out choice.
 */
export function storage(key: string, value?: string | null, device?: boolean): string | undefined {
  // Storage's named properties are its items. With mirroring off, `s` is undefined and
  // every access throws, like one to a storage the browser refuses.
  try {
    const s = (device || mirror ? localStorage : undefined) as Storage;
    if (value === undefined) return s[key];
    value === null ? delete s[key] : (s[key] = value);
  } catch {
    // Off, full or refused: the value stays in memory only.
  }
}
