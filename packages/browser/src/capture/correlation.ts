/**
 * Backend correlation: same-origin fetch and XMLHttpRequest calls carry the
 * visitor's ids as request headers, so the server's request logs know which front-end user
 * and session made them. The Node SDK reads exactly these header names. Cross-origin calls
 * are left alone: a custom header would turn them into CORS-preflighted requests.
 */
import { safe } from '../emit.js';
import { currentVisitor } from '../identity/identity.js';
import { blocked } from '../privacy/consent.js';

export const ANONYMOUS_ID_HEADER = 'X-Footprint-Anonymous-Id';
export const SESSION_ID_HEADER = 'X-Footprint-Session-Id';

/** Calls `set` with each header for a request to `url`, if it is same-origin and recording is allowed. */
function addHeaders(url: string | URL | undefined, set: (name: string, value: string) => void): void {
  if (new URL(url as string, location.href).origin === location.origin && !blocked()) {
    const v = currentVisitor();
    set(ANONYMOUS_ID_HEADER, v.a);
    set(SESSION_ID_HEADER, v.s);
  }
}

export function correlateRequests(): void {
  const originalFetch = window.fetch;
  window.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    try {
      // As fetch itself does; a Request built here has headers that may still be set.
      const request = new Request(input, init);
      addHeaders(request.url, (name, value) => request.headers.set(name, value));
      return originalFetch(request);
    } catch {
      return originalFetch(input, init);
    }
  };

  type Xhr = XMLHttpRequest & { fpUrl?: string | URL };
  const proto: Xhr = XMLHttpRequest.prototype;
  const { open, send } = proto;
  proto.open = function (this: Xhr, ...args: unknown[]) {
    this.fpUrl = args[1] as string | URL;
    (open as (...a: unknown[]) => void).apply(this, args);
  };
  proto.send = function (this: Xhr, body?: Document | XMLHttpRequestBodyInit | null) {
    safe(addHeaders)(this.fpUrl, (name, value) => this.setRequestHeader(name, value));
    send.call(this, body);
  };
}
