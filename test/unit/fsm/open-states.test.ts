// RFC 4271 §8.2.2, OpenSent and OpenConfirm states.

import test from 'ava';
import { decodeShutdownMessage } from '../../../src/bgp/fsm/index.js';
import { Harness, config, ofType, peerOpen } from './helpers.js';
import { type Body, type Row, runRow } from './table.js';

const ignoredStarts: Body[] = [
  { kind: 'manual-start' }, { kind: 'manual-start-passive' }, { kind: 'automatic-start' },
  { kind: 'automatic-start-passive' },
];

const common = (state: 'OpenSent' | 'OpenConfirm'): Row[] => [
  ...ignoredStarts.map((event): Row => ({ name: `${event.kind} is ignored`, event, to: state, actions: [] })),
  { name: 'ManualStop: Cease/administrative shutdown, counter zero', event: { kind: 'manual-stop' }, to: 'Idle',
    reason: 'manual-stop', close: [6, 2],
    check: (t, _a, h) => {
      t.is(h.state.connectRetryCounter, 0);
      t.is(h.state.timers.idleHold, null);
    } },
  { name: 'AutomaticStop: Cease with its subcode, restart after backoff', event: { kind: 'automatic-stop', subcode: 'out-of-resources' },
    to: 'Idle', reason: 'automatic-stop cease/out-of-resources', close: [6, 8],
    check: (t, _a, h) => t.is(h.state.timers.idleHold, h.now + 1000) },
  { name: 'HoldTimer_Expires: NOTIFICATION Hold Timer Expired', event: { kind: 'hold-timer-expires' }, to: 'Idle',
    reason: 'hold-timer-expired', close: [4, 0] },
  { name: 'a second TCP connection is left to the session layer', event: { kind: 'tcp-cr-acked' }, to: state, actions: [] },
  { name: 'a second inbound connection is left to the session layer', event: { kind: 'tcp-connection-confirmed' }, to: state, actions: [] },
  { name: 'BGPHeaderErr: NOTIFICATION with the header error', event: { kind: 'header-error', subcode: 3, data: Uint8Array.of(9) },
    to: 'Idle', reason: 'notification-sent message-header/bad-message-type', close: [1, 3],
    check: (t, a) => t.deepEqual(ofType(a, 'close')[0]?.notification?.data, Uint8Array.of(9)) },
  { name: 'BGPOpenMsgErr from the codec: NOTIFICATION with the OPEN error', event: { kind: 'open-error', subcode: 4 },
    to: 'Idle', reason: 'notification-sent open/unsupported-optional-parameter', close: [2, 4] },
  { name: 'OpenCollisionDump: Cease/connection collision resolution, no automatic restart',
    event: { kind: 'open-collision-dump' }, to: 'Idle', reason: 'collision-dump', close: [6, 7],
    check: (t, _a, h) => t.is(h.state.timers.idleHold, null) },
  { name: 'NotifMsgVerErr: Idle, nothing sent back', event: { kind: 'notification', code: 2, subcode: 1 },
    to: 'Idle', reason: 'notification-received open/unsupported-version-number', close: null },
  { name: 'NotifMsg: Idle, nothing sent back', event: { kind: 'notification', code: 6, subcode: 3 },
    to: 'Idle', reason: 'notification-received cease/peer-deconfigured', close: null },
  { name: 'ConnectRetryTimer_Expires: FSM error, unspecified', event: { kind: 'connect-retry-timer-expires' },
    to: 'Idle', reason: 'notification-sent fsm/unspecified (connect-retry-timer-expires)', close: [5, 0] },
  { name: 'DelayOpenTimer_Expires: FSM error, unspecified', event: { kind: 'delay-open-timer-expires' },
    to: 'Idle', reason: 'notification-sent fsm/unspecified (delay-open-timer-expires)', close: [5, 0] },
  ...(['idle-hold-timer-expires', 'update-sent', 'tick'] as const).map((kind): Row => (
    { name: `${kind} changes nothing`, event: { kind }, to: state, actions: [] })),
];

const openSentRows: Row[] = [
  ...common('OpenSent'),
  { name: 'TcpConnectionFails: close, restart ConnectRetryTimer, Active', event: { kind: 'tcp-connection-fails' },
    to: 'Active', reason: 'tcp-connection-failed', close: null,
    actions: ['state-change', 'close', 'timer-stop', 'timer-start'],
    check: (t, _a, h) => t.is(h.state.timers.connectRetry, h.now + 10_000, 'the failure doubles the retry time') },
  { name: 'BGPOpen: KEEPALIVE, negotiated timers, OpenConfirm', event: { kind: 'open', ...peerOpen() }, to: 'OpenConfirm',
    reason: 'open-received', actions: ['state-change', 'send-keepalive', 'timer-start', 'timer-start'] },
  { name: 'an OPEN from the wrong AS: OPEN/bad peer AS', event: { kind: 'open', ...peerOpen({ asn: 65002, capabilities: {} }) },
    to: 'Idle', reason: 'notification-sent open/bad-peer-as', close: [2, 2] },
  { name: 'KeepaliveTimer_Expires: FSM error, unspecified', event: { kind: 'keepalive-timer-expires' },
    to: 'Idle', reason: 'notification-sent fsm/unspecified (keepalive-timer-expires)', close: [5, 0] },
  ...([
    { kind: 'keepalive' }, { kind: 'update', update: 1 }, { kind: 'update-error', subcode: 1 },
    { kind: 'route-refresh', afi: 1, safi: 1, subtype: 0 },
  ] as const).map((event): Row => ({
    name: `${event.kind}: FSM error, unexpected message in OpenSent`, event, to: 'Idle',
    reason: `notification-sent fsm/unexpected-message-in-open-sent (${event.kind})`, close: [5, 1],
  })),
];

const openConfirmRows: Row[] = [
  ...common('OpenConfirm'),
  { name: 'KeepaliveTimer_Expires: send KEEPALIVE, restart the timer', event: { kind: 'keepalive-timer-expires' },
    to: 'OpenConfirm', actions: ['send-keepalive', 'timer-start'],
    check: (t, _a, h) => t.is(h.state.timers.keepalive, h.now + 3000) },
  { name: 'TcpConnectionFails: Idle', event: { kind: 'tcp-connection-fails' }, to: 'Idle', reason: 'tcp-connection-failed',
    close: null },
  { name: 'KeepAliveMsg: restart the hold timer, Established', event: { kind: 'keepalive' }, to: 'Established',
    reason: 'keepalive-received', actions: ['state-change', 'session-up', 'timer-start'] },
  ...([
    { kind: 'open', ...peerOpen() }, { kind: 'update', update: 1 }, { kind: 'update-error', subcode: 1 },
    { kind: 'route-refresh', afi: 1, safi: 1, subtype: 0 },
  ] as const).map((event): Row => ({
    name: `${event.kind}: FSM error, unexpected message in OpenConfirm`, event, to: 'Idle',
    reason: `notification-sent fsm/unexpected-message-in-open-confirm (${event.kind})`, close: [5, 2],
  })),
];

for (const row of openSentRows) {
  test(`OpenSent: ${row.name}`, (t) => {
    const h = new Harness(config()).reach('OpenSent');
    h.now = 1000;
    runRow(t, h, row);
  });
}

for (const row of openConfirmRows) {
  test(`OpenConfirm: ${row.name}`, (t) => {
    const h = new Harness(config()).reach('OpenConfirm');
    h.now = 1000;
    runRow(t, h, row);
  });
}

test('OpenSent: the hold timer runs with the large value (240 s) until the OPEN', (t) => {
  const h = new Harness(config()).reach('OpenSent');
  t.deepEqual(h.advance(239_999), []);
  const actions = h.advance(1);
  t.deepEqual(actions.slice(0, 2), [
    { type: 'state-change', from: 'OpenSent', to: 'Idle', reason: 'hold-timer-expired' },
    { type: 'close', notification: { code: 4, subcode: 0, data: new Uint8Array(0) } },
  ]);
});

test('OpenSent: a ManualStop with a shutdown message carries it (RFC 9003)', (t) => {
  const h = new Harness(config()).reach('OpenSent');
  const close = ofType(h.feed({ kind: 'manual-stop', message: 'node drain' }), 'close')[0];
  t.is(close?.notification?.subcode, 2);
  t.is(decodeShutdownMessage(close?.notification?.data ?? new Uint8Array(0)), 'node drain');
});

test('OpenSent: a silent ManualStop closes without a NOTIFICATION', (t) => {
  const h = new Harness(config()).reach('OpenSent');
  t.deepEqual(ofType(h.feed({ kind: 'manual-stop', silent: true }), 'close'), [{ type: 'close', notification: null }]);
});

test('OpenConfirm: the negotiation result is in the state for the session layer', (t) => {
  const h = new Harness(config()).reach('OpenConfirm');
  if (h.state.name !== 'OpenConfirm') return t.fail();
  t.is(h.state.negotiated.peerAsn, 65001);
  t.is(h.state.peerOpen.bgpId, peerOpen().bgpId);
  t.is(h.state.sentOpen.holdTime, 9);
  t.is(h.state.connection.direction, 'outbound');
});
