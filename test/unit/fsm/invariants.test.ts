// Properties over random event sequences (fast-check), and purity of the reducer.

import test from 'ava';
import fc from 'fast-check';
import {
  fsmConfig, initialState, nextDeadline, step, type FsmEvent, type FsmState, type StepResult,
} from '../../../src/bgp/fsm/index.js';
import { Harness, IPV4, config, peerOpen } from './helpers.js';
import type { Body } from './table.js';

const grCaps = {
  multiprotocol: [IPV4], fourOctetAs: 64512, routeRefresh: true,
  gracefulRestart: { restarting: false, notification: true, restartTime: 120, families: [{ ...IPV4, forwarding: true }] },
};

const events: fc.Arbitrary<Body> = fc.oneof(
  fc.constantFrom<Body>(
    { kind: 'manual-start' }, { kind: 'manual-start-passive' }, { kind: 'manual-stop' },
    { kind: 'manual-stop', silent: true }, { kind: 'automatic-start' }, { kind: 'automatic-start-passive' },
    { kind: 'automatic-stop', subcode: 'maximum-prefixes-reached', restartAfter: 30 },
    { kind: 'connect-retry-timer-expires' }, { kind: 'hold-timer-expires' }, { kind: 'keepalive-timer-expires' },
    { kind: 'delay-open-timer-expires' }, { kind: 'idle-hold-timer-expires' },
    { kind: 'tcp-cr-acked' }, { kind: 'tcp-connection-confirmed' }, { kind: 'tcp-connection-fails' },
    { kind: 'header-error', subcode: 2 }, { kind: 'open-error', subcode: 4 },
    { kind: 'notification', code: 6, subcode: 2 }, { kind: 'notification', code: 6, subcode: 9 },
    { kind: 'notification', code: 2, subcode: 1 }, { kind: 'update-error', subcode: 1 },
    { kind: 'route-refresh', afi: 1, safi: 1, subtype: 0 }, { kind: 'open-collision-dump' }, { kind: 'update-sent' },
  ),
  // The common path, weighted up so sessions often get Established.
  fc.constantFrom<Body>(
    { kind: 'open', ...peerOpen({ capabilities: { ...grCaps, fourOctetAs: 65001 } }) },
    { kind: 'open', ...peerOpen({ holdTime: 0 }) },
    { kind: 'open', ...peerOpen({ asn: 65099, capabilities: {} }) },
    { kind: 'keepalive' }, { kind: 'keepalive' }, { kind: 'update', update: 0 }, { kind: 'tick' }, { kind: 'tick' },
  ),
);

/** The event that moves a state towards Established (or keeps it there). */
function progress(state: FsmState['name']): Body {
  switch (state) {
    case 'Idle': return { kind: 'manual-start' };
    case 'Connect': return { kind: 'tcp-cr-acked' };
    case 'Active': return { kind: 'tcp-connection-confirmed' };
    case 'OpenSent': return { kind: 'open', ...peerOpen({ capabilities: { ...grCaps, fourOctetAs: 65001 } }) };
    case 'OpenConfirm': return { kind: 'keepalive' };
    case 'Established': return { kind: 'update', update: 0 };
  }
}

/** Per step: time passing, then either the progressing event (most of the time) or a random one. */
const timeline = fc.array(
  fc.tuple(fc.integer({ min: 0, max: 12_000 }), fc.boolean(), fc.boolean(), events), { maxLength: 80 });

test('random event sequences keep the FSM consistent', (t) => {
  let runs = 0;
  const reached = new Set<number>();
  for (const delayOpenTime of [0, 2]) {
    const cfg = config({ delayOpenTime, capabilities: grCaps, jitter: 0.25 });
    fc.assert(fc.property(timeline, fc.integer({ min: 0, max: 2 ** 31 }), (seq, seed) => {
      const h = new Harness(cfg, { seed });
      let up = 0;
      runs++;
      for (const [dt, coin1, coin2, random] of seq) {
        const from = h.name;
        h.now += dt;
        const body = coin1 || coin2 ? progress(from) : random;
        const actions = h.feed(body);
        const s = h.state;
        const changes = actions.filter((a) => a.type === 'state-change');
        // A state change names where it came from, and the chain ends in the current state.
        let cur = from;
        for (const c of changes) {
          if (c.type !== 'state-change' || c.from !== cur || c.reason.length === 0) return false;
          cur = c.to;
        }
        if (cur !== s.name) return false;
        // session-up / session-down alternate, and only Established has a session up.
        for (const a of actions) {
          if (a.type === 'session-up') up++;
          if (a.type === 'session-down') up--;
        }
        if (up !== (s.name === 'Established' ? 1 : 0)) return false;
        if (s.name === 'Established') reached.add(runs);
        // Timers that belong to other states are not running.
        const tm = s.timers;
        if (s.name === 'Idle' && (tm.connectRetry ?? tm.hold ?? tm.keepalive ?? tm.delayOpen) !== null) return false;
        if ((s.name === 'Connect' || s.name === 'Active') && (tm.hold ?? tm.keepalive ?? tm.idleHold) !== null) return false;
        if (s.name === 'OpenSent' && (tm.keepalive ?? tm.connectRetry ?? tm.idleHold) !== null) return false;
        if ((s.name === 'OpenConfirm' || s.name === 'Established') && (tm.connectRetry ?? tm.idleHold) !== null) return false;
        // After a tick nothing is overdue.
        if (body.kind === 'tick') {
          const next = nextDeadline(tm);
          if (next !== null && next <= h.now) return false;
        }
        // A close always precedes release when the session goes to Idle.
        if (from !== 'Idle' && s.name === 'Idle') {
          const kinds = actions.map((a) => a.type);
          if (kinds.indexOf('close') < 0 || kinds.indexOf('close') > kinds.indexOf('release-resources')) return false;
        }
      }
      return true;
    }), { numRuns: 400 });
  }
  // The sequences are only worth something if many of them get a session up.
  t.true(reached.size > runs / 10, `${reached.size} of ${runs} runs reached Established`);
});

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value) && !ArrayBuffer.isView(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

test('step is pure: frozen inputs, and the same inputs give the same outputs', (t) => {
  const cfg = deepFreeze(fsmConfig({ localAsn: 64512, localBgpId: 1, peerAsn: 65001, holdTime: 9, capabilities: grCaps }));
  const script: FsmEvent[] = [
    { kind: 'manual-start', now: 0 },
    { kind: 'tcp-cr-acked', now: 10 },
    { kind: 'open', now: 20, ...peerOpen({ capabilities: { ...grCaps, fourOctetAs: 65001 } }) },
    { kind: 'keepalive', now: 30 },
    { kind: 'update', update: { nlri: ['10.0.0.0/24'] }, now: 40 },
    { kind: 'tick', now: 3030 },
    { kind: 'tick', now: 20_000 },
    { kind: 'tick', now: 40_000 },
  ];
  const runOnce = (): { states: FsmState[]; actions: unknown[] } => {
    let s: FsmState = deepFreeze(initialState({ seed: 99 }));
    const states: FsmState[] = [];
    const actions: unknown[] = [];
    for (const ev of script) {
      const r: StepResult = step(s, deepFreeze(ev), cfg);
      s = deepFreeze(r.state);
      states.push(s);
      actions.push(r.actions);
    }
    return { states, actions };
  };
  const a = runOnce();
  const b = runOnce();
  t.deepEqual(a, b);
  t.deepEqual(a.states.map((s) => s.name),
    ['Connect', 'OpenSent', 'OpenConfirm', 'Established', 'Established', 'Established', 'Idle', 'Connect']);
});

test('a keepalive timer event with hold time 0 does not re-arm (no busy loop)', (t) => {
  const h = new Harness(config({ holdTime: 0 })).reach('Established');
  t.deepEqual(h.feed({ kind: 'keepalive-timer-expires' }), [{ type: 'send-keepalive' }]);
  t.is(h.state.timers.keepalive, null);
  t.deepEqual(h.advance(1), []);
});

test('config: a field given as undefined takes its default', (t) => {
  const cfg = fsmConfig({ localAsn: 64512, localBgpId: 1, peerAsn: 65001, holdTime: undefined, capabilities: undefined });
  t.is(cfg.holdTime, 90);
  t.deepEqual(cfg.capabilities.multiprotocol, [IPV4]);
});

test('Connect: a stale DelayOpenTimer event without a connection is ignored', (t) => {
  const h = new Harness(config());
  h.feed({ kind: 'manual-start' });
  t.deepEqual(h.feed({ kind: 'delay-open-timer-expires' }), []);
  t.is(h.name, 'Connect');
});
