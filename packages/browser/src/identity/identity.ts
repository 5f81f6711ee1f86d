/**
 * Who and when: the anonymous id (kept across visits), the user id set by identify(), and the
 * session, which rolls after SESSION_TIMEOUT_MS without an event and carries the session's
 * first-touch campaign. The state is one JSON object under the storage key `fp`, re-read on
 * every event so that tabs of the same site share one session.
 */
import { type Campaign, campaignOf } from './attribution.js';
import { storage } from './storage.js';

export const SESSION_TIMEOUT_MS = 30 * 60 * 1000;

/** The visitor state (storage key `fp`). Short keys: it is written on every event. */
export interface VisitorState {
  /** anonymous id */
  a: string;
  /** user id, from identify() */
  u?: string | number | null;
  /** session id */
  s: string;
  /** time of the session's last event, ms since epoch */
  t: number;
  /** the session's first-touch campaign */
  c?: Campaign | undefined;
}

/** 128 random bits as decimal digits (crypto.randomUUID exists only in secure contexts). */
export const newId = (): string => crypto.getRandomValues(new Uint32Array(4)).join('');

/**
 * The state at `now`: the same session if its last event is at most SESSION_TIMEOUT_MS away,
 * else a new session with the campaign of the current landing.
 */
export function touchState(prev: Partial<VisitorState> | undefined, now: number, landing: () => Campaign | undefined): VisitorState {
  const a = prev?.a || newId();
  return prev?.s && now - (prev.t as number) < SESSION_TIMEOUT_MS
    ? ({ ...prev, a, t: now } as VisitorState)
    : { a, u: prev?.u, s: newId(), t: now, c: landing() };
}

let state: VisitorState | undefined;

function save(next: VisitorState): VisitorState {
  storage('fp', JSON.stringify(next));
  return (state = next);
}

/** The visitor state for an event now (the session's idle timer restarts). */
export function visitor(): VisitorState {
  let stored: Partial<VisitorState> | undefined | null;
  try {
    stored = JSON.parse(storage('fp') as string);
  } catch {}
  return save(touchState(stored ?? state, Date.now(), () => campaignOf(location.search)));
}

/** The visitor state without touching it. */
export const currentVisitor = (): VisitorState => state ?? visitor();

/** identify(): later events carry the user id. */
export const setUser = (u: string | number): void => void save({ ...visitor(), u });

/** reset() on logout: no user, a new anonymous id and a new session without campaign. */
export const resetVisitor = (): void => void save({ a: newId(), s: newId(), t: Date.now() });
