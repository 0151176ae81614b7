// RFC 4271 §8.2.2, Established state, and graceful restart (RFC 4724 helper, RFC 8538 N bit) on the way down.

import test from 'ava';
import {
  decodeShutdownMessage, type Capabilities, type GracefulRestartCapability, type GracefulRestartFamily,
} from '../../../src/bgp/fsm/index.js';
import { Harness, IPV4, IPV6, config, ofType, peerOpen } from './helpers.js';
import { type Body, type Row, runRow } from './table.js';

const rows: Row[] = [
  ...([{ kind: 'manual-start' }, { kind: 'manual-start-passive' }, { kind: 'automatic-start' },
    { kind: 'automatic-start-passive' }] as const).map((event): Row => (
    { name: `${event.kind} is ignored`, event, to: 'Established', actions: [] })),
  { name: 'ManualStop: Cease, routes deleted, counter zero', event: { kind: 'manual-stop' }, to: 'Idle',
    reason: 'manual-stop', close: [6, 2],
    actions: ['state-change', 'close', 'session-down', 'release-resources', 'timer-stop', 'timer-stop'],
    check: (t, a, h) => {
      t.deepEqual(ofType(a, 'session-down'), [{ type: 'session-down', reason: 'manual-stop', graceful: false, stale: null }]);
      t.is(h.state.connectRetryCounter, 0);
    } },
  { name: 'AutomaticStop: Cease, routes deleted', event: { kind: 'automatic-stop', subcode: 'maximum-prefixes-reached' },
    to: 'Idle', reason: 'automatic-stop cease/maximum-prefixes-reached', close: [6, 1] },
  { name: 'HoldTimer_Expires: NOTIFICATION Hold Timer Expired', event: { kind: 'hold-timer-expires' }, to: 'Idle',
    reason: 'hold-timer-expired', close: [4, 0] },
  { name: 'KeepaliveTimer_Expires: send KEEPALIVE, restart', event: { kind: 'keepalive-timer-expires' },
    to: 'Established', actions: ['send-keepalive', 'timer-start'] },
  { name: 'a second TCP connection is left to the session layer', event: { kind: 'tcp-connection-confirmed' },
    to: 'Established', actions: [] },
  { name: 'an outbound second connection too', event: { kind: 'tcp-cr-acked' }, to: 'Established', actions: [] },
  { name: 'TcpConnectionFails: routes deleted, Idle', event: { kind: 'tcp-connection-fails', detail: 'ECONNRESET' },
    to: 'Idle', reason: 'tcp-connection-failed (ECONNRESET)', close: null },
  { name: 'NotifMsgVerErr: Idle', event: { kind: 'notification', code: 2, subcode: 1 }, to: 'Idle',
    reason: 'notification-received open/unsupported-version-number', close: null },
  { name: 'NotifMsg: Idle, nothing sent back', event: { kind: 'notification', code: 6, subcode: 4 }, to: 'Idle',
    reason: 'notification-received cease/administrative-reset', close: null },
  { name: 'OpenCollisionDump: Cease/collision', event: { kind: 'open-collision-dump' }, to: 'Idle',
    reason: 'collision-dump', close: [6, 7] },
  { name: 'KeepAliveMsg: restart the hold timer', event: { kind: 'keepalive' }, to: 'Established',
    actions: ['timer-start'] },
  { name: 'UpdateMsg: deliver to the RIB, restart the hold timer', event: { kind: 'update', update: 'upd' },
    to: 'Established', actions: ['deliver-update', 'timer-start'],
    check: (t, a) => t.deepEqual(a[0], { type: 'deliver-update', update: 'upd' }) },
  { name: 'ROUTE-REFRESH: deliver, restart the hold timer', event: { kind: 'route-refresh', afi: 2, safi: 1, subtype: 0 },
    to: 'Established', actions: ['deliver-route-refresh', 'timer-start'],
    check: (t, a) => t.deepEqual(a[0], { type: 'deliver-route-refresh', afi: 2, safi: 1, subtype: 0 }) },
  { name: 'UpdateMsgErr: NOTIFICATION UPDATE error', event: { kind: 'update-error', subcode: 11 }, to: 'Idle',
    reason: 'notification-sent update/malformed-as-path', close: [3, 11] },
  { name: 'BGPHeaderErr: NOTIFICATION header error', event: { kind: 'header-error', subcode: 1 }, to: 'Idle',
    reason: 'notification-sent message-header/connection-not-synchronized', close: [1, 1] },
  ...([{ kind: 'open', ...peerOpen() }, { kind: 'open-error', subcode: 4 }] as const).map((event): Row => ({
    name: `${event.kind}: FSM error, unexpected message in Established`, event, to: 'Idle',
    reason: `notification-sent fsm/unexpected-message-in-established (${event.kind})`, close: [5, 3] })),
  ...(['connect-retry-timer-expires', 'delay-open-timer-expires'] as const).map((kind): Row => ({
    name: `${kind}: FSM error, unspecified`, event: { kind }, to: 'Idle',
    reason: `notification-sent fsm/unspecified (${kind})`, close: [5, 0] })),
  ...(['idle-hold-timer-expires', 'tick'] as const).map((kind): Row => (
    { name: `${kind} changes nothing`, event: { kind }, to: 'Established', actions: [] })),
];

for (const row of rows) {
  test(`Established: ${row.name}`, (t) => {
    const h = new Harness(config()).reach('Established');
    h.now = 1000;
    runRow(t, h, row);
    if (row.to === 'Idle') {
      t.is(ofType(h.feed({ kind: 'tick' }), 'session-down').length, 0);
    }
  });
}

// ---- graceful restart -----------------------------------------------------------------------

function gr(
  notification: boolean, families: GracefulRestartFamily[] = [{ ...IPV4, forwarding: true }],
): GracefulRestartCapability {
  return { restarting: false, notification, restartTime: 90, families };
}

function grSession(local: GracefulRestartCapability | undefined, peer: GracefulRestartCapability | undefined): Harness {
  const localCaps: Capabilities = { multiprotocol: [IPV4, IPV6], fourOctetAs: 64512, routeRefresh: true, gracefulRestart: local };
  const peerCaps: Capabilities = { multiprotocol: [IPV4, IPV6], fourOctetAs: 65001, routeRefresh: true, gracefulRestart: peer };
  return new Harness(config({ capabilities: localCaps })).reach('Established', peerOpen({ capabilities: peerCaps }));
}

interface GrCase {
  readonly name: string;
  readonly local?: GracefulRestartCapability;
  readonly peer?: GracefulRestartCapability;
  readonly event: Body;
  readonly graceful: boolean;
}

const stale = { restartTime: 90, families: [{ ...IPV4, forwarding: true }] };

const grCases: GrCase[] = [
  { name: 'hold timer expiry without GR', event: { kind: 'hold-timer-expires' }, graceful: false },
  { name: 'hold timer expiry with GR', local: gr(false), peer: gr(false), event: { kind: 'hold-timer-expires' }, graceful: true },
  { name: 'TCP failure with GR', local: gr(false), peer: gr(false), event: { kind: 'tcp-connection-fails' }, graceful: true },
  { name: 'TCP failure without GR', event: { kind: 'tcp-connection-fails' }, graceful: false },
  { name: 'GR advertised by the peer only', peer: gr(false), event: { kind: 'tcp-connection-fails' }, graceful: false },
  { name: 'GR advertised by us only', local: gr(false), event: { kind: 'hold-timer-expires' }, graceful: false },
  { name: 'peer GR without families (helper only)', local: gr(false), peer: gr(false, []),
    event: { kind: 'tcp-connection-fails' }, graceful: false },
  { name: 'administrative Cease received, no N bit', local: gr(false), peer: gr(false),
    event: { kind: 'notification', code: 6, subcode: 2 }, graceful: false },
  { name: 'administrative Cease received, N bit on both sides', local: gr(true), peer: gr(true),
    event: { kind: 'notification', code: 6, subcode: 2 }, graceful: true },
  { name: 'administrative Cease received, N bit on one side only', local: gr(true), peer: gr(false),
    event: { kind: 'notification', code: 6, subcode: 2 }, graceful: false },
  { name: 'Hard Reset received, N bit', local: gr(true), peer: gr(true),
    event: { kind: 'notification', code: 6, subcode: 9, data: Uint8Array.of(6, 2) }, graceful: false },
  { name: 'UPDATE error sent, no N bit', local: gr(false), peer: gr(false), event: { kind: 'update-error', subcode: 1 }, graceful: false },
  { name: 'UPDATE error sent, N bit', local: gr(true), peer: gr(true), event: { kind: 'update-error', subcode: 1 }, graceful: true },
  { name: 'hold timer expiry, N bit', local: gr(true), peer: gr(true), event: { kind: 'hold-timer-expires' }, graceful: true },
  { name: 'ManualStop, N bit: sent as Hard Reset', local: gr(true), peer: gr(true), event: { kind: 'manual-stop' }, graceful: false },
  { name: 'ManualStop, N bit, Hard Reset turned off', local: gr(true), peer: gr(true),
    event: { kind: 'manual-stop', subcode: 'administrative-reset', hardReset: false }, graceful: true },
  { name: 'silent ManualStop (our own restart), GR', local: gr(false), peer: gr(false),
    event: { kind: 'manual-stop', silent: true }, graceful: true },
  { name: 'max-prefix AutomaticStop, N bit: Hard Reset', local: gr(true), peer: gr(true),
    event: { kind: 'automatic-stop', subcode: 'maximum-prefixes-reached' }, graceful: false },
  { name: 'out-of-resources AutomaticStop, N bit: graceful', local: gr(true), peer: gr(true),
    event: { kind: 'automatic-stop', subcode: 'out-of-resources' }, graceful: true },
  { name: 'collision dump, N bit', local: gr(true), peer: gr(true), event: { kind: 'open-collision-dump' }, graceful: true },
];

for (const c of grCases) {
  test(`graceful restart: ${c.name} -> ${c.graceful ? 'graceful' : 'flush'}`, (t) => {
    const h = grSession(c.local, c.peer);
    const downs = ofType(h.feed(c.event), 'session-down');
    t.is(downs.length, 1);
    t.is(downs[0]?.graceful, c.graceful);
    t.deepEqual(downs[0]?.stale, c.graceful ? stale : null);
  });
}

test('graceful restart: with the N bit, an administrative stop is sent as Cease/Hard Reset wrapping the original', (t) => {
  const h = grSession(gr(true), gr(true));
  const close = ofType(h.feed({ kind: 'manual-stop', message: 'bye' }), 'close')[0];
  t.is(close?.notification?.code, 6);
  t.is(close?.notification?.subcode, 9);
  const data = close?.notification?.data ?? new Uint8Array(0);
  t.deepEqual([data[0], data[1]], [6, 2]);
  t.is(decodeShutdownMessage(data.subarray(2)), 'bye');
  t.is(h.state.lastTransition?.reason, 'manual-stop');
});

test('graceful restart: a received Hard Reset is named with what it wraps', (t) => {
  const h = grSession(gr(true), gr(true));
  const text = new TextEncoder().encode('maintenance');
  h.feed({ kind: 'notification', code: 6, subcode: 9, data: Uint8Array.of(6, 2, text.length, ...text) });
  t.is(h.state.lastError?.reason,
    'notification-received cease/hard-reset (cease/administrative-shutdown "maintenance")');
});

test('graceful restart: negotiation keeps only negotiated families and both N bits', (t) => {
  const h = grSession(gr(true), gr(true, [
    { ...IPV4, forwarding: true }, { ...IPV6, forwarding: false }, { afi: 1, safi: 4, forwarding: true },
  ]));
  if (h.state.name !== 'Established') return t.fail();
  t.deepEqual(h.state.negotiated.gracefulRestart, {
    peerRestartTime: 90, peerRestarting: false, notification: true,
    families: [{ ...IPV4, forwarding: true }, { ...IPV6, forwarding: false }],
  });
});

test('a session that stayed up past stableTime resets the backoff when it drops', (t) => {
  const h = new Harness(config());
  // Three quick failures first; each automatic restart comes after the idle hold.
  h.feed({ kind: 'manual-start' });
  h.feed({ kind: 'tcp-connection-fails' });
  for (let i = 0; i < 2; i++) {
    h.advance(60_000);
    t.is(h.name, 'Connect');
    h.feed({ kind: 'tcp-connection-fails' });
  }
  t.is(h.state.connectRetryCounter, 3);
  h.advance(120_000);
  t.is(h.name, 'Connect');
  h.feed({ kind: 'tcp-cr-acked' });
  h.feed({ kind: 'open', ...peerOpen({ holdTime: 0 }) });
  h.feed({ kind: 'keepalive' });
  t.is(h.name, 'Established');

  const flapper = new Harness(config());
  Object.assign(flapper, { state: h.state, now: h.now });
  flapper.now += 59_999;
  flapper.feed({ kind: 'tcp-connection-fails' });
  t.is(flapper.state.connectRetryCounter, 4, 'up for less than stableTime: the failures keep counting');

  h.now += 60_000;
  h.feed({ kind: 'tcp-connection-fails' });
  t.is(h.state.connectRetryCounter, 1, 'up for stableTime: a fresh start');
  t.is(h.state.timers.idleHold, h.now + 1000);
});
