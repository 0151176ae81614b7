// Timer arithmetic: deadlines on the caller's clock, jittered exponential backoff, the seeded PRNG
// that supplies the jitter, and the diff that turns deadline changes into timer actions.

import type { FsmAction, TimerName, Timers } from './types.js';

export const TIMER_NAMES: readonly TimerName[] = ['hold', 'keepalive', 'connectRetry', 'delayOpen', 'idleHold'];

export const NO_TIMERS: Timers = {
  connectRetry: null, hold: null, keepalive: null, delayOpen: null, idleHold: null,
};

/** Seconds after `now` (ms) as an absolute deadline in ms. */
export function deadline(now: number, seconds: number): number {
  return Math.round(now + seconds * 1000);
}

/**
 * One step of a small seeded PRNG (mulberry32): returns a number in [0, 1) and the next state.
 * The state lives in the FSM state, so a step stays a pure function of its inputs.
 */
export function nextRandom(rng: number): [number, number] {
  const next = (rng + 0x6d2b79f5) >>> 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return [((t ^ (t >>> 14)) >>> 0) / 4294967296, next];
}

export interface Backoff {
  /** Seconds for the first attempt. */
  readonly base: number;
  /** Upper bound in seconds, applied before jitter. */
  readonly cap: number;
  /** Fraction in [0, 1] taken off at random. */
  readonly jitter: number;
}

/**
 * Delay in seconds before attempt `attempt` (1-based): base * 2^(attempt-1), capped, then
 * multiplied by a factor in (1 - jitter, 1] from `random` in [0, 1).
 */
export function backoffDelay(b: Backoff, attempt: number, random: number): number {
  if (b.base <= 0) return 0;
  const exponent = Math.max(0, Math.min(attempt - 1, 52));
  const raw = Math.min(b.cap, b.base * 2 ** exponent);
  return raw * (1 - b.jitter * random);
}

/** Keepalive interval for a negotiated hold time: hold / 3 (whole seconds), or a smaller override. */
export function keepaliveInterval(holdTime: number, override: number | null): number {
  if (holdTime === 0) return 0;
  const third = Math.max(1, Math.floor(holdTime / 3));
  if (override === null || override <= 0) return third;
  return Math.min(override, third);
}

/** The earliest running deadline, for the caller to schedule its next `tick`; null if none runs. */
export function nextDeadline(timers: Timers): number | null {
  let best: number | null = null;
  for (const name of TIMER_NAMES) {
    const d = timers[name];
    if (d !== null && (best === null || d < best)) best = d;
  }
  return best;
}

/** The timer that expires first at `now` (earliest deadline; ties in TIMER_NAMES order), or null. */
export function firstExpired(timers: Timers, now: number): TimerName | null {
  let best: TimerName | null = null;
  for (const name of TIMER_NAMES) {
    const d = timers[name];
    if (d === null || d > now) continue;
    const b = best === null ? null : timers[best];
    if (b === null || b === undefined || d < b) best = name;
  }
  return best;
}

/** timer-start / timer-stop actions for every deadline that changed between two timer sets. */
export function timerActions<U>(before: Timers, after: Timers): FsmAction<U>[] {
  const out: FsmAction<U>[] = [];
  for (const name of TIMER_NAMES) {
    const a = before[name];
    const b = after[name];
    if (a === b) continue;
    out.push(b === null ? { type: 'timer-stop', timer: name } : { type: 'timer-start', timer: name, deadline: b });
  }
  return out;
}
