// Shared fixtures for the FSM tests: a config, the peer's OPEN, and a harness with a manual clock
// that feeds events one at a time and keeps the state.

import {
  fsmConfig, initialState, step, type FsmAction, type FsmConfig, type FsmConfigInput, type FsmEvent,
  type FsmState, type OpenMessage, type StateName,
} from '../../../src/bgp/fsm/index.js';

export function ip(text: string): number {
  return text.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

export const LOCAL_ASN = 64512;
export const PEER_ASN = 65001;
export const LOCAL_ID = ip('10.0.1.10');
export const PEER_ID = ip('10.0.1.1');
export const IPV4 = { afi: 1, safi: 1 } as const;
export const IPV6 = { afi: 2, safi: 1 } as const;

/** A node peering with its ToR: hold 9 s (keepalive 3 s), retries from 5 s, no jitter. */
export function config(over: Partial<FsmConfigInput> = {}): FsmConfig {
  return fsmConfig({
    localAsn: LOCAL_ASN,
    localBgpId: LOCAL_ID,
    peerAsn: PEER_ASN,
    holdTime: 9,
    connectRetryTime: 5,
    idleHoldTime: 1,
    jitter: 0,
    ...over,
  });
}

export function peerOpen(over: Partial<OpenMessage> = {}): OpenMessage {
  return {
    version: 4,
    asn: PEER_ASN,
    holdTime: 9,
    bgpId: PEER_ID,
    capabilities: { multiprotocol: [IPV4], fourOctetAs: PEER_ASN, routeRefresh: true },
    ...over,
  };
}

type Body<U> = FsmEvent<U> extends infer E ? E extends FsmEvent<U> ? Omit<E, 'now'> : never : never;

/** A session under test: a state, a config, and a manual clock in milliseconds. */
export class Harness<U = unknown> {
  state: FsmState;
  now: number;

  constructor(readonly config: FsmConfig, options: { seed?: number; now?: number } = {}) {
    this.now = options.now ?? 0;
    this.state = initialState({ seed: options.seed ?? 1, now: this.now });
  }

  get name(): StateName {
    return this.state.name;
  }

  /** Deliver one event at the current time; returns the actions. */
  feed(body: Body<U>): readonly FsmAction<U>[] {
    const event = { ...body, now: this.now } as FsmEvent<U>;
    const result = step<U>(this.state, event, this.config);
    this.state = result.state;
    return result.actions;
  }

  /** Move the clock forward by `ms` and deliver a tick. */
  advance(ms: number): readonly FsmAction<U>[] {
    this.now += ms;
    return this.feed({ kind: 'tick' } as Body<U>);
  }

  /** Drive to a state along the usual path (outbound connection, no DelayOpen). */
  reach(target: StateName, open: OpenMessage = peerOpen()): this {
    const path: Body<U>[] = [
      { kind: 'manual-start' } as Body<U>,
      { kind: 'tcp-cr-acked' } as Body<U>,
      { kind: 'open', ...open } as Body<U>,
      { kind: 'keepalive' } as Body<U>,
    ];
    const order: StateName[] = ['Connect', 'OpenSent', 'OpenConfirm', 'Established'];
    for (let i = 0; i < path.length && this.name !== target; i++) {
      const step = path[i];
      if (step !== undefined) this.feed(step);
      if (this.name !== order[i]) throw new Error(`reach(${target}): stuck in ${this.name}`);
    }
    if (this.name !== target) throw new Error(`reach(${target}): got ${this.name}`);
    return this;
  }
}

/** Only the actions of one type, for focused assertions. */
export function ofType<T extends FsmAction['type'], U>(actions: readonly FsmAction<U>[], type: T): Extract<FsmAction<U>, { type: T }>[] {
  return actions.filter((a): a is Extract<FsmAction<U>, { type: T }> => a.type === type);
}

/** Action types in order: a compact trace. */
export function types<U>(actions: readonly FsmAction<U>[]): string[] {
  return actions.map((a) => a.type);
}

export const EMPTY = new Uint8Array(0);
