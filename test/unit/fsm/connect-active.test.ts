// RFC 4271 §8.2.2, Connect and Active states (including the optional DelayOpen).

import test from 'ava';
import type { FsmConfigInput } from '../../../src/bgp/fsm/index.js';
import { Harness, config, peerOpen } from './helpers.js';
import { type Body, runRow } from './table.js';

function inConnect(over: Partial<FsmConfigInput> = {}): Harness {
  const h = new Harness(config(over));
  h.feed({ kind: 'manual-start' });
  return h;
}

function inActive(over: Partial<FsmConfigInput> = {}): Harness {
  const h = new Harness(config(over));
  h.feed({ kind: 'manual-start-passive' });
  return h;
}

/** Connect or Active with DelayOpen running on an established connection. */
function delaying(start: 'manual-start' | 'manual-start-passive', over: Partial<FsmConfigInput> = {}): Harness {
  const h = new Harness(config({ delayOpenTime: 2, ...over }));
  h.feed({ kind: start });
  h.now = 100;
  h.feed({ kind: 'tcp-cr-acked' });
  return h;
}

const ignoredStarts: Body[] = [
  { kind: 'manual-start' }, { kind: 'manual-start-passive' }, { kind: 'automatic-start' },
  { kind: 'automatic-start-passive' },
];

/** "Any other event" in Connect and Active: Idle, no NOTIFICATION (no OPEN was sent), counted. */
const otherEvents: Body[] = [
  { kind: 'hold-timer-expires' }, { kind: 'keepalive-timer-expires' }, { kind: 'open', ...peerOpen() },
  { kind: 'open-collision-dump' }, { kind: 'keepalive' }, { kind: 'update', update: 1 },
  { kind: 'update-error', subcode: 1 }, { kind: 'route-refresh', afi: 1, safi: 1, subtype: 0 },
];

for (const [state, make] of [['Connect', inConnect], ['Active', inActive]] as const) {
  for (const event of ignoredStarts) {
    test(`${state}: ${event.kind} is ignored`, (t) => runRow(t, make(), { name: '', event, to: state, actions: [] }));
  }
  for (const event of otherEvents) {
    test(`${state}: ${event.kind} is an unexpected event: Idle without NOTIFICATION`, (t) => {
      const h = make();
      runRow(t, h, { name: '', event, to: 'Idle', reason: `unexpected-event ${event.kind}`, close: null });
      t.is(h.state.connectRetryCounter, 1);
      t.is(h.state.timers.idleHold, 1000);
    });
  }
  test(`${state}: ManualStop: Idle, counter zero, no automatic restart`, (t) => {
    const h = make();
    runRow(t, h, { name: '', event: { kind: 'manual-stop' }, to: 'Idle', reason: 'manual-stop', close: null,
      actions: ['state-change', 'close', 'release-resources', 'timer-stop'] });
    t.is(h.state.connectRetryCounter, 0);
    t.true(h.state.adminDown);
    t.is(h.state.lastError, null, 'a manual stop is not an error');
  });
  test(`${state}: AutomaticStop: Idle, restart after the requested time`, (t) => {
    const h = make();
    runRow(t, h, { name: '', event: { kind: 'automatic-stop', subcode: 'maximum-prefixes-reached', restartAfter: 30 },
      to: 'Idle', reason: 'automatic-stop cease/maximum-prefixes-reached', close: null });
    t.is(h.state.timers.idleHold, 30_000);
  });
  test(`${state}: TcpConnectionFails: Idle, failure counted, idle hold armed`, (t) => {
    const h = make();
    runRow(t, h, { name: '', event: { kind: 'tcp-connection-fails', detail: 'ECONNREFUSED' }, to: 'Idle',
      reason: 'tcp-connection-failed (ECONNREFUSED)', close: null });
    t.is(h.state.connectRetryCounter, 1);
    t.deepEqual(h.state.lastError?.reason, 'tcp-connection-failed (ECONNREFUSED)');
  });
  test(`${state}: NOTIFICATION received (NotifMsgVerErr): Idle, nothing sent back`, (t) => {
    runRow(t, make(), { name: '', event: { kind: 'notification', code: 2, subcode: 1, data: Uint8Array.of(0, 4) },
      to: 'Idle', reason: 'notification-received open/unsupported-version-number', close: null });
  });
  for (const kind of ['tcp-cr-acked', 'tcp-connection-confirmed'] as const) {
    test(`${state}: ${kind}: send OPEN, hold timer to the large value, OpenSent`, (t) => {
      const h = make();
      h.now = 70;
      runRow(t, h, { name: '', event: { kind }, to: 'OpenSent', reason: 'tcp-connected',
        actions: ['state-change', 'send-open', 'timer-start', 'timer-stop'],
        check: (tt, actions) => {
          tt.deepEqual(actions.slice(2), [
            { type: 'timer-start', timer: 'hold', deadline: 240_070 },
            { type: 'timer-stop', timer: 'connectRetry' },
          ]);
        } });
      if (h.state.name === 'OpenSent') t.is(h.state.connection.direction, kind === 'tcp-cr-acked' ? 'outbound' : 'inbound');
    });
  }
  test(`${state}: header error while DelayOpen runs: Idle, NOTIFICATION only with SendNOTIFICATIONwithoutOPEN`, (t) => {
    const start = state === 'Connect' ? 'manual-start' : 'manual-start-passive';
    runRow(t, delaying(start), { name: '', event: { kind: 'header-error', subcode: 2 }, to: 'Idle',
      reason: 'notification-sent message-header/bad-message-length', close: null });
    runRow(t, delaying(start, { sendNotificationWithoutOpen: true }), { name: '', event: { kind: 'header-error', subcode: 2 },
      to: 'Idle', reason: 'notification-sent message-header/bad-message-length', close: [1, 2] });
    runRow(t, delaying(start, { sendNotificationWithoutOpen: true }), { name: '', event: { kind: 'open-error', subcode: 4 },
      to: 'Idle', reason: 'notification-sent open/unsupported-optional-parameter', close: [2, 4] });
  });
  test(`${state}: DelayOpen: TCP up starts the DelayOpenTimer and stops the ConnectRetryTimer`, (t) => {
    const h = new Harness(config({ delayOpenTime: 2 }));
    h.feed({ kind: state === 'Connect' ? 'manual-start' : 'manual-start-passive' });
    h.now = 100;
    t.deepEqual(h.feed({ kind: 'tcp-connection-confirmed' }), [
      { type: 'timer-stop', timer: 'connectRetry' },
      { type: 'timer-start', timer: 'delayOpen', deadline: 2100 },
    ]);
    t.is(h.name, state);
  });
  test(`${state}: DelayOpenTimer expires: send OPEN, OpenSent`, (t) => {
    const h = delaying(state === 'Connect' ? 'manual-start' : 'manual-start-passive');
    const actions = h.advance(2000);
    t.deepEqual(actions.map((a) => a.type), ['state-change', 'send-open', 'timer-start', 'timer-stop']);
    t.deepEqual(actions[0], { type: 'state-change', from: state, to: 'OpenSent', reason: 'delay-open-timer-expired' });
    t.deepEqual(actions[2], { type: 'timer-start', timer: 'hold', deadline: 2100 + 240_000 });
  });
  test(`${state}: OPEN while DelayOpen runs: send OPEN and KEEPALIVE, OpenConfirm`, (t) => {
    const h = delaying(state === 'Connect' ? 'manual-start' : 'manual-start-passive');
    h.now = 500;
    runRow(t, h, { name: '', event: { kind: 'open', ...peerOpen() }, to: 'OpenConfirm', reason: 'open-received',
      actions: ['state-change', 'send-open', 'send-keepalive', 'timer-start', 'timer-start', 'timer-stop'],
      check: (tt, actions) => tt.deepEqual(actions.slice(3), [
        { type: 'timer-start', timer: 'hold', deadline: 9500 },
        { type: 'timer-start', timer: 'keepalive', deadline: 3500 },
        { type: 'timer-stop', timer: 'delayOpen' },
      ]) });
  });
  test(`${state}: a bad OPEN while DelayOpen runs: Idle (NOTIFICATION only with SendNOTIFICATIONwithoutOPEN)`, (t) => {
    const start = state === 'Connect' ? 'manual-start' : 'manual-start-passive';
    runRow(t, delaying(start), { name: '', event: { kind: 'open', ...peerOpen({ asn: 65099, capabilities: {} }) },
      to: 'Idle', reason: 'notification-sent open/bad-peer-as', close: null });
    runRow(t, delaying(start, { sendNotificationWithoutOpen: true }), { name: '',
      event: { kind: 'open', ...peerOpen({ asn: 65099, capabilities: {} }) },
      to: 'Idle', reason: 'notification-sent open/bad-peer-as', close: [2, 2] });
  });
}

test('Connect: ConnectRetryTimer expires: drop the attempt, dial again, timer backed off', (t) => {
  const h = inConnect();
  t.deepEqual(h.advance(5000), [
    { type: 'close', notification: null },
    { type: 'connect' },
    { type: 'timer-start', timer: 'connectRetry', deadline: 5000 + 10_000 },
  ]);
  t.is(h.name, 'Connect');
  t.is(h.state.connectRetryCounter, 1);
});

test('Connect: ConnectRetryTimer expires during DelayOpen: the connection is dropped and the DelayOpenTimer stopped', (t) => {
  const h = delaying('manual-start');
  const actions = h.feed({ kind: 'connect-retry-timer-expires' });
  t.deepEqual(actions.map((a) => a.type), ['close', 'connect', 'timer-start', 'timer-stop']);
  t.is(h.name, 'Connect');
  if (h.state.name === 'Connect') t.is(h.state.connection, null);
  t.is(h.state.timers.delayOpen, null);
});

test('Connect: TcpConnectionFails while DelayOpen runs: back to Active, listening', (t) => {
  const h = delaying('manual-start');
  runRow(t, h, { name: '', event: { kind: 'tcp-connection-fails' }, to: 'Active', reason: 'tcp-connection-failed',
    close: null, actions: ['state-change', 'close', 'timer-start', 'timer-stop'] });
});

test('Active: ConnectRetryTimer expires: dial out, Connect', (t) => {
  const h = inActive();
  const actions = h.advance(5000);
  t.deepEqual(actions, [
    { type: 'state-change', from: 'Active', to: 'Connect', reason: 'connect-retry-timer-expired' },
    { type: 'connect' },
    { type: 'timer-start', timer: 'connectRetry', deadline: 10_000 },
  ]);
});

test('Active: a passive-only peer never dials; the ConnectRetryTimer just restarts', (t) => {
  const h = inActive({ passive: true });
  t.deepEqual(h.advance(5000), [{ type: 'timer-start', timer: 'connectRetry', deadline: 10_000 }]);
  t.is(h.name, 'Active');
});

test('Active: ManualStop during DelayOpen with SendNOTIFICATIONwithoutOPEN sends Cease', (t) => {
  const h = delaying('manual-start-passive', { sendNotificationWithoutOpen: true });
  runRow(t, h, { name: '', event: { kind: 'manual-stop' }, to: 'Idle', reason: 'manual-stop', close: [6, 2] });
});

test('Active: TcpConnectionFails during DelayOpen: Idle', (t) => {
  const h = delaying('manual-start-passive');
  runRow(t, h, { name: '', event: { kind: 'tcp-connection-fails' }, to: 'Idle', reason: 'tcp-connection-failed', close: null });
});

test('Connect: a second connection while DelayOpen runs is left to the session layer', (t) => {
  const h = delaying('manual-start');
  t.deepEqual(h.feed({ kind: 'tcp-connection-confirmed' }), []);
  if (h.state.name === 'Connect') t.is(h.state.connection?.direction, 'outbound');
});

test('Connect: stale or local events change nothing', (t) => {
  for (const kind of ['idle-hold-timer-expires', 'update-sent', 'tick'] as const) {
    const h = inConnect();
    t.deepEqual(h.feed({ kind }), [], kind);
    t.is(h.name, 'Connect');
  }
});
