// FSM configuration: defaults, checks, and the initial state.

import { IPV4_UNICAST } from './negotiate.js';
import { NO_TIMERS } from './timers.js';
import type { FsmConfig, IdleState } from './types.js';

export class FsmConfigError extends Error {
  override readonly name = 'FsmConfigError';
  constructor(readonly field: keyof FsmConfig, message: string) {
    super(`${field}: ${message}`);
  }
}

export type FsmConfigInput = Pick<FsmConfig, 'localAsn' | 'localBgpId' | 'peerAsn'> & Partial<FsmConfig>;

/**
 * Defaults suit a datacenter fabric rather than the RFC's Internet values: quick retries with
 * backoff, and a hold time of 90 s unless the site says otherwise (the site file's default is 9).
 */
export const FSM_DEFAULTS = {
  holdTime: 90,
  keepaliveTime: null,
  connectRetryTime: 5,
  idleHoldTime: 1,
  maxBackoffTime: 120,
  jitter: 0.25,
  stableTime: 60,
  openHoldTime: 240,
  delayOpenTime: 0,
  passive: false,
  automaticRestart: true,
  sendNotificationWithoutOpen: false,
} as const;

function check(ok: boolean, field: keyof FsmConfig, message: string): void {
  if (!ok) throw new FsmConfigError(field, message);
}

const isUint = (n: number, max: number): boolean => Number.isInteger(n) && n >= 0 && n <= max;

export function fsmConfig(input: FsmConfigInput): FsmConfig {
  // Fields given as undefined take their defaults too.
  const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as FsmConfigInput;
  const config: FsmConfig = {
    ...FSM_DEFAULTS,
    capabilities: {
      multiprotocol: [IPV4_UNICAST],
      fourOctetAs: input.localAsn,
      routeRefresh: true,
    },
    ...given,
  };
  check(isUint(config.localAsn, 0xffffffff) && config.localAsn > 0, 'localAsn', 'must be 1..4294967295');
  check(isUint(config.localBgpId, 0xffffffff) && config.localBgpId > 0, 'localBgpId', 'must be a non-zero 32-bit value');
  if (typeof config.peerAsn === 'number') {
    check(isUint(config.peerAsn, 0xffffffff) && config.peerAsn > 0, 'peerAsn', 'must be 1..4294967295');
  }
  check(isUint(config.holdTime, 0xffff) && config.holdTime !== 1 && config.holdTime !== 2,
    'holdTime', 'must be 0 or 3..65535 seconds');
  check(config.keepaliveTime === null || config.keepaliveTime > 0, 'keepaliveTime', 'must be positive');
  check(config.jitter >= 0 && config.jitter <= 1, 'jitter', 'must be within 0..1');
  for (const field of ['connectRetryTime', 'idleHoldTime', 'maxBackoffTime', 'stableTime',
    'openHoldTime', 'delayOpenTime'] as const) {
    check(Number.isFinite(config[field]) && config[field] >= 0, field, 'must be a non-negative number of seconds');
  }
  const four = config.capabilities.fourOctetAs;
  check(config.localAsn <= 0xffff || four === config.localAsn, 'capabilities',
    'a 4-octet localAsn needs the 4-octet AS capability with the same AS');
  return config;
}

/** The state before any event: Idle, nothing running. `seed` feeds the jitter PRNG. */
export function initialState(options: { readonly seed: number; readonly now?: number }): IdleState {
  return {
    name: 'Idle',
    now: options.now ?? 0,
    timers: NO_TIMERS,
    connectRetryCounter: 0,
    adminDown: false,
    passiveStart: false,
    rng: options.seed >>> 0,
    lastTransition: null,
    lastError: null,
  };
}
