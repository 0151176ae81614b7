// A row runner for the RFC 4271 §8.2.2 tables: put a fresh harness in a state, deliver one event,
// and check the next state, the reason, and the NOTIFICATION (if any) sent on close.

import type { ExecutionContext } from 'ava';
import type { FsmAction, FsmEvent, StateName } from '../../../src/bgp/fsm/index.js';
import { type Harness, ofType } from './helpers.js';

export type Body = FsmEvent extends infer E ? E extends FsmEvent ? Omit<E, 'now'> : never : never;

export interface Row {
  /** What the row checks, in the RFC's words where possible. */
  readonly name: string;
  readonly event: Body;
  readonly to: StateName;
  /** The reason of the state change; required when `to` differs from the start state. */
  readonly reason?: string;
  /**
   * undefined: no close action at all; null: close without NOTIFICATION; [code, subcode]: close
   * with that NOTIFICATION.
   */
  readonly close?: null | readonly [number, number];
  /** Exact action types, in order, when the row wants the whole trace. */
  readonly actions?: readonly string[];
  readonly check?: (t: ExecutionContext, actions: readonly FsmAction[], h: Harness) => void;
}

export function runRow(t: ExecutionContext, h: Harness, row: Row): void {
  const from = h.name;
  const actions = h.feed(row.event);
  const label = `${from} + ${row.event.kind}`;
  t.is(h.name, row.to, `${label}: next state`);
  const changes = ofType(actions, 'state-change');
  if (row.to === from) {
    t.deepEqual(changes, [], `${label}: no state change`);
  } else {
    t.deepEqual(changes, [{ type: 'state-change', from, to: row.to, reason: row.reason ?? '?' }], `${label}: reason`);
    t.is(actions[0]?.type, 'state-change', `${label}: the state change comes first`);
    t.deepEqual(h.state.lastTransition, { from, to: row.to, reason: row.reason ?? '?', at: h.now });
  }
  const closes = ofType(actions, 'close');
  if (row.close === undefined) t.deepEqual(closes, [], `${label}: no close`);
  else if (row.close === null) t.deepEqual(closes, [{ type: 'close', notification: null }], `${label}: close, no NOTIFICATION`);
  else {
    t.is(closes.length, 1, `${label}: one close`);
    t.deepEqual([closes[0]?.notification?.code, closes[0]?.notification?.subcode], [...row.close], `${label}: NOTIFICATION`);
  }
  if (row.to === 'Idle' && from !== 'Idle') {
    t.true(actions.some((a) => a.type === 'release-resources'), `${label}: resources released`);
    const running = Object.entries(h.state.timers).filter(([k, v]) => v !== null && k !== 'idleHold');
    t.deepEqual(running, [], `${label}: only the idle hold timer may run in Idle`);
  }
  if (row.actions !== undefined) t.deepEqual(actions.map((a) => a.type), [...row.actions], `${label}: actions`);
  row.check?.(t, actions, h);
}
