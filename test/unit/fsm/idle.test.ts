// RFC 4271 §8.2.2, Idle state.

import test from 'ava';
import { Harness, config, peerOpen } from './helpers.js';
import { type Row, runRow } from './table.js';

const rows: Row[] = [
  { name: 'ManualStart: dial, start ConnectRetryTimer, Connect', event: { kind: 'manual-start' }, to: 'Connect',
    reason: 'manual-start', actions: ['state-change', 'connect', 'timer-start'] },
  { name: 'ManualStart_with_PassiveTcpEstablishment: listen only, Active', event: { kind: 'manual-start-passive' },
    to: 'Active', reason: 'manual-start-passive', actions: ['state-change', 'timer-start'] },
  { name: 'AutomaticStart', event: { kind: 'automatic-start' }, to: 'Connect', reason: 'automatic-start',
    actions: ['state-change', 'connect', 'timer-start'] },
  { name: 'AutomaticStart_with_PassiveTcpEstablishment', event: { kind: 'automatic-start-passive' }, to: 'Active',
    reason: 'automatic-start-passive', actions: ['state-change', 'timer-start'] },
  { name: 'ManualStop is ignored', event: { kind: 'manual-stop' }, to: 'Idle', actions: [] },
  { name: 'AutomaticStop is ignored', event: { kind: 'automatic-stop' }, to: 'Idle', actions: [] },
  { name: 'an outbound connection is refused', event: { kind: 'tcp-cr-acked' }, to: 'Idle', close: null,
    actions: ['close'] },
  { name: 'an inbound connection is refused', event: { kind: 'tcp-connection-confirmed' }, to: 'Idle', close: null,
    actions: ['close'] },
  ...([
    { kind: 'connect-retry-timer-expires' }, { kind: 'hold-timer-expires' }, { kind: 'keepalive-timer-expires' },
    { kind: 'delay-open-timer-expires' }, { kind: 'tcp-connection-fails' }, { kind: 'open', ...peerOpen() },
    { kind: 'header-error', subcode: 2 }, { kind: 'open-error', subcode: 4 },
    { kind: 'notification', code: 6, subcode: 2 }, { kind: 'keepalive' }, { kind: 'update', update: 1 },
    { kind: 'update-error', subcode: 1 }, { kind: 'route-refresh', afi: 1, safi: 1, subtype: 0 },
    { kind: 'open-collision-dump' }, { kind: 'update-sent' }, { kind: 'tick' },
  ] as const).map((event): Row => ({ name: `${event.kind} is ignored`, event, to: 'Idle', actions: [] })),
];

for (const row of rows) {
  test(`Idle: ${row.name}`, (t) => runRow(t, new Harness(config()), row));
}

test('Idle: ManualStart resets the retry counter; the ConnectRetryTimer starts at its base', (t) => {
  const h = new Harness(config()).reach('Connect');
  h.feed({ kind: 'tcp-connection-fails' });
  h.feed({ kind: 'manual-start' });
  t.is(h.state.connectRetryCounter, 0);
  t.is(h.state.timers.connectRetry, 5000);
  t.is(h.state.timers.idleHold, null, 'a manual start cancels the pending automatic restart');
});

test('Idle: a passive-only peer starts in Active even on ManualStart', (t) => {
  const h = new Harness(config({ passive: true }));
  runRow(t, h, { name: 'passive', event: { kind: 'manual-start' }, to: 'Active', reason: 'manual-start',
    actions: ['state-change', 'timer-start'] });
});

test('Idle: ManualStop disables automatic starts until the next ManualStart', (t) => {
  const h = new Harness(config());
  h.feed({ kind: 'manual-stop' });
  t.true(h.state.adminDown);
  t.deepEqual(h.feed({ kind: 'automatic-start' }), []);
  t.is(h.name, 'Idle');
  h.feed({ kind: 'manual-start' });
  t.is(h.name, 'Connect');
  t.false(h.state.adminDown);
});

test('Idle: ManualStop cancels a pending automatic restart', (t) => {
  const h = new Harness(config()).reach('Connect');
  h.feed({ kind: 'tcp-connection-fails' });
  t.is(h.state.timers.idleHold, 1000);
  t.deepEqual(h.feed({ kind: 'manual-stop' }), [{ type: 'timer-stop', timer: 'idleHold' }]);
  t.deepEqual(h.advance(60_000), []);
  t.is(h.name, 'Idle');
});

test('Idle: AutomaticStart waits for the IdleHoldTimer (damping); its expiry restarts the session', (t) => {
  const h = new Harness(config()).reach('Connect');
  h.feed({ kind: 'tcp-connection-fails' });
  t.deepEqual(h.feed({ kind: 'automatic-start' }), [], 'damped');
  t.is(h.name, 'Idle');
  const actions = h.advance(1000);
  t.deepEqual(actions[0], { type: 'state-change', from: 'Idle', to: 'Connect', reason: 'automatic-restart' });
  t.is(h.name, 'Connect');
});

test('Idle: the automatic restart keeps the passive mode of the last start', (t) => {
  const h = new Harness(config());
  h.feed({ kind: 'manual-start-passive' });
  h.feed({ kind: 'tcp-connection-confirmed' });
  h.feed({ kind: 'tcp-connection-fails' }); // OpenSent -> Active
  h.feed({ kind: 'tcp-connection-fails' }); // Active -> Idle
  t.is(h.name, 'Idle');
  h.advance(10_000);
  t.is(h.name, 'Active');
  t.is(h.state.lastTransition?.reason, 'automatic-restart');
});

test('Idle: with automaticRestart off, a drop stays down', (t) => {
  const h = new Harness(config({ automaticRestart: false })).reach('Connect');
  h.feed({ kind: 'tcp-connection-fails' });
  t.is(h.state.timers.idleHold, null);
  t.deepEqual(h.advance(3_600_000), []);
  t.deepEqual(h.feed({ kind: 'idle-hold-timer-expires' }), []);
  t.is(h.name, 'Idle');
});
