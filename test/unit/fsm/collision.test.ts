// Connection collision detection (RFC 4271 §6.8) and the FSM side of OpenCollisionDump.

import test from 'ava';
import {
  collisionWinner, resolveCollision, type CollisionInput, type Direction, type StateName,
} from '../../../src/bgp/fsm/index.js';
import { Harness, LOCAL_ID, PEER_ID, config, ip, ofType, peerOpen } from './helpers.js';

test('collisionWinner: the connection initiated by the higher BGP identifier survives', (t) => {
  t.is(collisionWinner({ bgpId: ip('10.0.0.2'), asn: 1 }, { bgpId: ip('10.0.0.1'), asn: 2 }), 'outbound');
  t.is(collisionWinner({ bgpId: ip('10.0.0.1'), asn: 2 }, { bgpId: ip('10.0.0.2'), asn: 1 }), 'inbound');
  // Unsigned comparison: 200.0.0.1 is above 10.0.0.1 even though it has the top bit set.
  t.is(collisionWinner({ bgpId: ip('200.0.0.1'), asn: 1 }, { bgpId: ip('10.0.0.1'), asn: 1 }), 'outbound');
  t.is(collisionWinner({ bgpId: ip('10.0.0.1') | 0, asn: 1 }, { bgpId: ip('200.0.0.1') | 0, asn: 1 }), 'inbound');
});

test('collisionWinner: equal identifiers between ASes: the larger AS initiated the survivor (RFC 6286)', (t) => {
  t.is(collisionWinner({ bgpId: 7, asn: 65002 }, { bgpId: 7, asn: 65001 }), 'outbound');
  t.is(collisionWinner({ bgpId: 7, asn: 65001 }, { bgpId: 7, asn: 65002 }), 'inbound');
});

test('both speakers agree on which connection survives', (t) => {
  const a = { bgpId: ip('10.0.1.10'), asn: 64512 };
  const b = { bgpId: ip('10.0.1.1'), asn: 65001 };
  const keptByA = collisionWinner(a, b); // outbound from A = initiated by A
  const keptByB = collisionWinner(b, a); // inbound to B = initiated by A
  t.is(keptByA, 'outbound');
  t.is(keptByB, 'inbound');
});

const higher = { bgpId: ip('10.0.1.10'), asn: 64512 };
const lower = { bgpId: ip('10.0.1.1'), asn: 65001 };

interface Row {
  readonly existing: StateName;
  readonly existingDir: Direction;
  readonly localHigher: boolean;
  readonly established?: boolean;
  readonly dump: 'none' | 'existing' | 'arriving';
}

const rows: Row[] = [
  // Existing OpenConfirm: compare identifiers.
  { existing: 'OpenConfirm', existingDir: 'outbound', localHigher: true, dump: 'arriving' },
  { existing: 'OpenConfirm', existingDir: 'outbound', localHigher: false, dump: 'existing' },
  { existing: 'OpenConfirm', existingDir: 'inbound', localHigher: true, dump: 'existing' },
  { existing: 'OpenConfirm', existingDir: 'inbound', localHigher: false, dump: 'arriving' },
  // No OPEN on the existing connection yet: wait.
  { existing: 'OpenSent', existingDir: 'outbound', localHigher: true, dump: 'none' },
  { existing: 'Connect', existingDir: 'outbound', localHigher: false, dump: 'none' },
  { existing: 'Active', existingDir: 'inbound', localHigher: false, dump: 'none' },
  { existing: 'Idle', existingDir: 'inbound', localHigher: false, dump: 'none' },
  // An Established session wins unless CollisionDetectEstablishedState.
  { existing: 'Established', existingDir: 'inbound', localHigher: true, dump: 'arriving' },
  { existing: 'Established', existingDir: 'inbound', localHigher: true, established: true, dump: 'existing' },
  { existing: 'Established', existingDir: 'inbound', localHigher: false, established: true, dump: 'arriving' },
];

for (const r of rows) {
  const name = `existing ${r.existing}/${r.existingDir}, local id ${r.localHigher ? 'higher' : 'lower'}`
    + `${r.established ? ', detect in Established' : ''} -> dump ${r.dump}`;
  test(`resolveCollision: ${name}`, (t) => {
    const input: CollisionInput = {
      local: r.localHigher ? higher : lower,
      remote: r.localHigher ? lower : higher,
      existing: { state: r.existing, direction: r.existingDir },
      arriving: { direction: r.existingDir === 'outbound' ? 'inbound' : 'outbound' },
      collisionDetectEstablishedState: r.established ?? false,
    };
    const d = resolveCollision(input);
    t.is(d.dump, r.dump);
    t.true(d.reason.length > 0);
  });
}

test('resolveCollision: two connections in the same direction are not a collision', (t) => {
  const d = resolveCollision({
    local: higher, remote: lower, existing: { state: 'OpenConfirm', direction: 'inbound' }, arriving: { direction: 'inbound' },
  });
  t.deepEqual(d, { dump: 'none', reason: 'same-direction' });
});

test('a simultaneous open, end to end: two FSMs, the loser dumped, the winner Established', (t) => {
  // We (10.0.1.10) dial the ToR (10.0.1.1) while it dials us.
  const cfg = config();
  const outbound = new Harness(cfg);
  outbound.feed({ kind: 'manual-start' });
  const inbound = new Harness(cfg);
  inbound.feed({ kind: 'manual-start-passive' });

  outbound.feed({ kind: 'tcp-cr-acked' });
  inbound.feed({ kind: 'tcp-connection-confirmed' });
  t.is(outbound.name, 'OpenSent');
  t.is(inbound.name, 'OpenSent');

  // The peer's OPEN arrives on the inbound connection first: the other one has no OPEN yet.
  inbound.feed({ kind: 'open', ...peerOpen() });
  const first = resolveCollision({
    local: { bgpId: LOCAL_ID, asn: 64512 }, remote: { bgpId: PEER_ID, asn: 65001 },
    existing: { state: outbound.name, direction: 'outbound' }, arriving: { direction: 'inbound' },
  });
  t.is(first.dump, 'none');

  // Then on the outbound one: now the inbound one is in OpenConfirm and we compare.
  outbound.feed({ kind: 'open', ...peerOpen() });
  const second = resolveCollision({
    local: { bgpId: LOCAL_ID, asn: 64512 }, remote: { bgpId: PEER_ID, asn: 65001 },
    existing: { state: inbound.name, direction: 'inbound' }, arriving: { direction: 'outbound' },
  });
  t.is(second.dump, 'existing', 'our identifier is higher: our outbound connection survives');

  const dumped = inbound.feed({ kind: 'open-collision-dump' });
  t.deepEqual(dumped.slice(0, 2), [
    { type: 'state-change', from: 'OpenConfirm', to: 'Idle', reason: 'collision-dump' },
    { type: 'close', notification: { code: 6, subcode: 7, data: new Uint8Array(0) } },
  ]);
  t.is(inbound.state.timers.idleHold, null, 'the dumped FSM does not restart by itself');
  t.deepEqual(ofType(dumped, 'session-down'), [], 'no session was up on it');

  outbound.feed({ kind: 'keepalive' });
  t.is(outbound.name, 'Established');
});
