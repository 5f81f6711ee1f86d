/**
 * React bindings (entry point `@footprint/browser/react`; react is a peer dependency):
 * `<FootprintProvider options={...}>` starts the SDK, and `useFootprint()` gives any component
 * the API. The provider starts it while it first renders in the browser (not in an effect:
 * effects run children first, and their calls must find the SDK started); on the server it
 * does nothing.
 *
 * @example
 * <FootprintProvider options={{ writeKey: 'wk_123', host: 'https://fp.example.com' }}>
 *   <App />
 * </FootprintProvider>
 *
 * function Checkout() {
 *   const fp = useFootprint();
 *   return <button onClick={() => fp.track('checkout_started', { step: 1 })}>Buy</button>;
 * }
 */
import { createContext, createElement, type ReactNode, useContext } from 'react';
import { flush, identify, init, optIn, optOut, page, reset, track } from './index.js';
import type { FootprintOptions } from './options.js';

/** What `useFootprint()` answers: the SDK's API. */
export interface Footprint {
  track: typeof track;
  page: typeof page;
  identify: typeof identify;
  reset: typeof reset;
  optOut: typeof optOut;
  optIn: typeof optIn;
  flush: typeof flush;
}

const api: Footprint = { track, page, identify, reset, optOut, optIn, flush };
const FootprintContext = createContext<Footprint>(api);
let started = false;

export interface FootprintProviderProps {
  /** Options of `init`; only those of the first render count. */
  options: FootprintOptions;
  children?: ReactNode;
}

/** Starts the SDK with `options` (once per page) and provides its API to the tree below. */
export function FootprintProvider({ options, children }: FootprintProviderProps): ReactNode {
  if (!started && typeof window !== 'undefined') {
    started = true;
    init(options);
  }
  return createElement(FootprintContext.Provider, { value: api }, children);
}

/**
 * The SDK's API for a component.
 * @example
 * const fp = useFootprint();
 * fp.track('modal_opened', { modal: 'pricing' });
 */
export function useFootprint(): Footprint {
  return useContext(FootprintContext);
}
