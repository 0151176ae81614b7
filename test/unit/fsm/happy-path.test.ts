// Idle -> Established and the life of an Established session, event by event, on a manual clock.

import test from 'ava';
import { nextDeadline } from '../../../src/bgp/fsm/index.js';
import { EMPTY, Harness, config, peerOpen, IPV4, LOCAL_ASN, LOCAL_ID, PEER_ASN, PEER_ID } from './helpers.js';

test('manual start to Established: the exact trace of states and actions', (t) => {
  const h = new Harness(config());

  t.deepEqual(h.feed({ kind: 'manual-start' }), [
    { type: 'state-change', from: 'Idle', to: 'Connect', reason: 'manual-start' },
    { type: 'connect' },
    { type: 'timer-start', timer: 'connectRetry', deadline: 5000 },
  ]);
  t.is(h.name, 'Connect');

  h.now = 40;
  t.deepEqual(h.feed({ kind: 'tcp-cr-acked' }), [
    { type: 'state-change', from: 'Connect', to: 'OpenSent', reason: 'tcp-connected' },
    {
      type: 'send-open',
      open: {
        version: 4, asn: LOCAL_ASN, holdTime: 9, bgpId: LOCAL_ID,
        capabilities: { multiprotocol: [IPV4], fourOctetAs: LOCAL_ASN, routeRefresh: true },
      },
    },
    { type: 'timer-start', timer: 'hold', deadline: 40 + 240_000 },
    { type: 'timer-stop', timer: 'connectRetry' },
  ]);
  t.is(h.name, 'OpenSent');

  h.now = 100;
  t.deepEqual(h.feed({ kind: 'open', ...peerOpen() }), [
    { type: 'state-change', from: 'OpenSent', to: 'OpenConfirm', reason: 'open-received' },
    { type: 'send-keepalive' },
    { type: 'timer-start', timer: 'hold', deadline: 9100 },
    { type: 'timer-start', timer: 'keepalive', deadline: 3100 },
  ]);

  h.now = 150;
  const up = h.feed({ kind: 'keepalive' });
  t.deepEqual(up.slice(0, 1), [{ type: 'state-change', from: 'OpenConfirm', to: 'Established', reason: 'keepalive-received' }]);
  t.is(up[1]?.type, 'session-up');
  t.deepEqual(up.slice(2), [{ type: 'timer-start', timer: 'hold', deadline: 9150 }]);
  t.is(h.name, 'Established');
  if (h.state.name !== 'Established') return;
  t.is(h.state.establishedAt, 150);
  t.like(h.state.negotiated, {
    localAsn: LOCAL_ASN, peerAsn: PEER_ASN, localBgpId: LOCAL_ID, peerBgpId: PEER_ID, ibgp: false,
    holdTime: 9, keepaliveTime: 3, fourOctetAs: true, routeRefresh: true, gracefulRestart: null,
  });
  t.deepEqual(h.state.negotiated.families, [IPV4]);
  t.deepEqual(h.state.lastTransition, { from: 'OpenConfirm', to: 'Established', reason: 'keepalive-received', at: 150 });
  t.is(h.state.lastError, null);
});

test('keepalive timer re-arms every 3 s; received keepalives and updates push the hold timer', (t) => {
  const h = new Harness(config()).reach('Established');
  // reach() ran at t=0: keepalive due at 3000, hold at 9000.
  t.deepEqual(h.state.timers, { connectRetry: null, hold: 9000, keepalive: 3000, delayOpen: null, idleHold: null });
  t.is(nextDeadline(h.state.timers), 3000);

  t.deepEqual(h.advance(2999), [], 'nothing is due before the deadline');
  t.deepEqual(h.advance(1), [
    { type: 'send-keepalive' },
    { type: 'timer-start', timer: 'keepalive', deadline: 6000 },
  ]);
  h.now = 4000;
  t.deepEqual(h.feed({ kind: 'keepalive' }), [{ type: 'timer-start', timer: 'hold', deadline: 13_000 }]);
  h.now = 5000;
  t.deepEqual(h.feed({ kind: 'update', update: 'U1' }), [
    { type: 'deliver-update', update: 'U1' },
    { type: 'timer-start', timer: 'hold', deadline: 14_000 },
  ]);
  h.now = 5500;
  t.deepEqual(h.feed({ kind: 'update-sent' }), [{ type: 'timer-start', timer: 'keepalive', deadline: 8500 }],
    'sending an UPDATE restarts the keepalive timer');
  t.deepEqual(h.advance(3000), [
    { type: 'send-keepalive' },
    { type: 'timer-start', timer: 'keepalive', deadline: 11_500 },
  ]);
  t.is(h.name, 'Established');
});

test('a tick long after several deadlines handles them earliest first: keepalive, then hold expiry', (t) => {
  const h = new Harness(config()).reach('Established');
  h.now = 20_000;
  const actions = h.feed({ kind: 'tick' });
  t.deepEqual(actions.slice(0, 3), [
    { type: 'send-keepalive' },
    { type: 'state-change', from: 'Established', to: 'Idle', reason: 'hold-timer-expired' },
    { type: 'close', notification: { code: 4, subcode: 0, data: EMPTY } },
  ]);
  t.is(h.name, 'Idle');
});

test('hold timer expiry in Established: NOTIFICATION 4/0, session down (not graceful), restart after idle hold', (t) => {
  const h = new Harness(config()).reach('Established');
  t.deepEqual(h.advance(3000).map((a) => a.type), ['send-keepalive', 'timer-start']);
  t.deepEqual(h.advance(3000).map((a) => a.type), ['send-keepalive', 'timer-start']);
  const down = h.advance(3000);
  t.deepEqual(down, [
    { type: 'state-change', from: 'Established', to: 'Idle', reason: 'hold-timer-expired' },
    { type: 'close', notification: { code: 4, subcode: 0, data: EMPTY } },
    { type: 'session-down', reason: 'hold-timer-expired', graceful: false, stale: null },
    { type: 'release-resources' },
    { type: 'timer-stop', timer: 'hold' },
    { type: 'timer-stop', timer: 'keepalive' },
    { type: 'timer-start', timer: 'idleHold', deadline: 10_000 },
  ]);
  t.deepEqual(h.state.lastError, { from: 'Established', to: 'Idle', reason: 'hold-timer-expired', at: 9000 });
  t.is(h.state.connectRetryCounter, 1);

  // The agent dials out again by itself after the idle hold (1 s base).
  t.deepEqual(h.advance(1000), [
    { type: 'state-change', from: 'Idle', to: 'Connect', reason: 'automatic-restart' },
    { type: 'connect' },
    { type: 'timer-start', timer: 'connectRetry', deadline: 10_000 + 10_000 },
    { type: 'timer-stop', timer: 'idleHold' },
  ]);
});

test('hold time 0 on either side: no hold timer and no keepalives', (t) => {
  for (const [local, peer] of [[0, 9], [9, 0], [0, 0]] as const) {
    const h = new Harness(config({ holdTime: local }));
    h.reach('Established', peerOpen({ holdTime: peer }));
    t.is(h.state.timers.hold, null, `local ${local} peer ${peer}`);
    t.is(h.state.timers.keepalive, null);
    if (h.state.name === 'Established') t.like(h.state.negotiated, { holdTime: 0, keepaliveTime: 0 });
    t.deepEqual(h.advance(3_600_000), [], 'an hour passes without a keepalive or an expiry');
    t.is(h.name, 'Established');
  }
});

test('negotiated hold time is the smaller one; keepalive is a third of it unless overridden lower', (t) => {
  const cases = [
    { local: 9, peer: 90, keepalive: null, hold: 9, ka: 3 },
    { local: 90, peer: 30, keepalive: null, hold: 30, ka: 10 },
    { local: 90, peer: 10, keepalive: null, hold: 10, ka: 3 },
    { local: 90, peer: 90, keepalive: 10, hold: 90, ka: 10 },
    { local: 9, peer: 9, keepalive: 60, hold: 9, ka: 3 },
  ];
  for (const c of cases) {
    const h = new Harness(config({ holdTime: c.local, keepaliveTime: c.keepalive }));
    h.reach('OpenConfirm', peerOpen({ holdTime: c.peer }));
    if (h.state.name !== 'OpenConfirm') return t.fail();
    t.like(h.state.negotiated, { holdTime: c.hold, keepaliveTime: c.ka }, JSON.stringify(c));
    t.is(h.state.timers.hold, c.hold * 1000);
    t.is(h.state.timers.keepalive, c.ka * 1000);
  }
});
