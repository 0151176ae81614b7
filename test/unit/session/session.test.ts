// Two PeerSessions of ours over an in-memory TCP with a fake clock: establishment, keepalives, hold timer,
// collisions (RFC 4271 §6.8), a wrong AS, administrative shutdown with an RFC 9003 message, UPDATE and
// ROUTE-REFRESH delivery, max-prefix and UPDATE errors. No real waiting.

import test from 'ava';
import { encode, endOfRibMessage } from '../../../src/bgp/codec/index.js';
import { FakeClock, MemNet, peerConfig, speaker, states, type Speaker } from './helpers.js';

const A = '10.0.0.1';
const B = '10.0.0.2';

function pair(o: { aPassive?: boolean; bPassive?: boolean; aPeerAsn?: number; aHold?: number; bHold?: number } = {}) {
  const net = new MemNet();
  const clock = new FakeClock();
  const a = speaker(net, clock, {
    address: A, asn: 65001, id: '1.1.1.1',
    peer: peerConfig({ address: B, asn: o.aPeerAsn ?? 65002, passive: o.aPassive ?? false, holdTime: o.aHold ?? 9 }),
  });
  const b = speaker(net, clock, {
    address: B, asn: 65002, id: '2.2.2.2',
    peer: peerConfig({ address: A, asn: 65001, passive: o.bPassive ?? true, holdTime: o.bHold ?? 9 }),
  });
  return { net, clock, a, b };
}

async function establish(p: ReturnType<typeof pair>): Promise<void> {
  p.b.session.start();
  p.a.session.start();
  await p.clock.advance(0);
}

const established = (s: Speaker): number => s.events.filter((e) => e.kind === 'established').length;

test('two sessions of ours reach Established and negotiate', async (t) => {
  const p = pair({ aHold: 9, bHold: 30 });
  await establish(p);
  t.is(p.a.session.state, 'Established');
  t.is(p.b.session.state, 'Established');
  t.deepEqual(states(p.a.events), ['Connect', 'OpenSent', 'OpenConfirm', 'Established']);
  t.deepEqual(states(p.b.events), ['Active', 'OpenSent', 'OpenConfirm', 'Established']);
  t.is(established(p.a), 1);
  const sa = p.a.session.status();
  const n = sa.capabilities.negotiated;
  t.is(n?.holdTime, 9);
  t.is(n?.keepaliveTime, 3);
  t.true(n?.fourOctetAs);
  t.true(n?.routeRefresh);
  t.true(n?.enhancedRouteRefresh);
  t.true(n?.extendedMessage);
  t.deepEqual(n?.families, [{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }]);
  t.is(sa.peerRouterId, '2.2.2.2');
  t.is(sa.direction, 'outbound');
  t.is(p.b.session.status().direction, 'inbound');
  t.is(sa.timers.hold.configured, 9);
  t.is(sa.timers.hold.negotiated, 9);
  t.is(p.b.session.status().timers.hold.configured, 30);
  t.is(p.b.session.status().timers.hold.negotiated, 9);
  const names = sa.capabilities.sent.map((c) => c['name']);
  t.deepEqual(names, ['multiprotocol', 'multiprotocol', 'route-refresh', 'enhanced-route-refresh', 'four-octet-as',
    'extended-message', 'fqdn']);
  t.like(sa.capabilities.received.find((c) => c['name'] === 'fqdn'), { hostname: 'host-2.2.2.2' });
  t.like(sa.messages.sent, { open: 1, keepalive: 1 });
  t.like(sa.messages.received, { open: 1, keepalive: 1 });
  t.is(p.a.session.asn, 65002);
});

test('keepalives flow every hold/3 seconds and keep the session up', async (t) => {
  const p = pair();
  await establish(p);
  await p.clock.advance(30_000);
  t.is(p.a.session.state, 'Established');
  t.is(p.b.session.state, 'Established');
  const ka = p.a.session.status().messages.sent.keepalive;
  t.true(ka >= 10 && ka <= 11, `keepalives sent ${ka}`);
  t.is(p.b.session.status().messages.received.keepalive, ka);
  t.true((p.a.session.status().timers.hold.remaining ?? 0) > 5);
});

test('hold timer expiry: NOTIFICATION 4/0, down, and the active side dials again', async (t) => {
  const p = pair();
  await establish(p);
  // B's process stops: what it writes is lost, and it reads nothing.
  for (const s of p.net.open()) if (s.localAddress === B) s.blackhole = true;
  await p.clock.advance(9_000);
  t.is(p.a.session.status().lastNotification.sent?.name, 'hold-timer-expired');
  t.deepEqual(p.a.events.find((e) => e.kind === 'down'), { kind: 'down', reason: 'hold-timer-expired', graceful: false });
  t.is(p.a.session.status().lastError, 'hold-timer-expired');
  t.is(p.a.session.status().flaps, 1);
  // After the IdleHoldTimer (1 s) A dials again; B, stopped on the old connection, now notices the close.
  await p.clock.advance(2_000);
  t.is(p.a.session.state, 'Established');
  t.is(established(p.a), 2);
});

test('collision: both connect at once, exactly one connection survives, the one the higher BGP id opened', async (t) => {
  const p = pair({ bPassive: false });
  p.a.session.start();
  p.b.session.start();
  await p.clock.advance(0);
  t.is(p.a.session.state, 'Established');
  t.is(p.b.session.state, 'Established');
  // B (2.2.2.2) has the higher identifier: the connection B opened is kept.
  t.is(p.b.session.status().direction, 'outbound');
  t.is(p.a.session.status().direction, 'inbound');
  t.is(p.a.session.status().connections, 1);
  t.is(p.b.session.status().connections, 1);
  t.is(p.net.open().length, 2, 'one connection: its two ends');
  t.true(p.a.session.status().collisions + p.b.session.status().collisions >= 1);
  t.is(p.a.session.status().lastNotification.sent?.name, 'cease/connection-collision-resolution');
  t.is(established(p.a), 1);
  t.is(established(p.b), 1);
  t.false(p.a.events.some((e) => e.kind === 'down'));
  // Still one session after the timers run.
  await p.clock.advance(20_000);
  t.is(p.net.open().length, 2);
  t.is(established(p.a), 1);
});

test('the peer\'s connection is Established while ours is still connecting: it is the session at once, ours is dumped when it arrives', async (t) => {
  const p = pair({ bPassive: false });
  p.net.hold.add(B); // A's SYN to B goes unanswered for now
  p.a.session.start();
  p.b.session.start();
  await p.clock.advance(0);
  t.is(p.b.session.state, 'Established');
  t.is(p.a.session.state, 'Established', 'A reports the session Established on B\'s connection');
  t.is(p.a.session.status().direction, 'inbound');
  t.is(established(p.a), 1);
  // What A sends now goes out on that connection (before, it went to the dial still in progress, and was lost).
  const eor = encode(endOfRibMessage(1, 1));
  t.true(p.a.session.send([eor]));
  await p.clock.advance(0);
  t.is(p.b.events.filter((e) => e.kind === 'update').length, 1, 'B received A\'s UPDATE');
  // A's own connection completes: the OPENs cross, and the Established connection is kept.
  p.net.release();
  await p.clock.advance(0);
  t.is(p.a.session.state, 'Established');
  t.is(p.b.session.state, 'Established');
  t.is(p.net.open().length, 2, 'one connection: its two ends');
  t.is(established(p.a), 1);
  t.is(established(p.b), 1);
  t.false(p.a.events.some((e) => e.kind === 'down') || p.b.events.some((e) => e.kind === 'down'));
  await p.clock.advance(20_000);
  t.is(p.net.open().length, 2);
  t.is(p.a.session.state, 'Established');
});

test('collision decided the other way when the lower identifier is ours', async (t) => {
  const net = new MemNet();
  const clock = new FakeClock();
  const a = speaker(net, clock, { address: A, asn: 65001, id: '9.9.9.9', peer: peerConfig({ address: B, asn: 65002 }) });
  const b = speaker(net, clock, { address: B, asn: 65002, id: '2.2.2.2', peer: peerConfig({ address: A, asn: 65001 }) });
  a.session.start();
  b.session.start();
  await clock.advance(0);
  t.is(a.session.state, 'Established');
  t.is(a.session.status().direction, 'outbound');
  t.is(b.session.status().direction, 'inbound');
  t.is(net.open().length, 2);
});

test('wrong peer AS: NOTIFICATION 2/2, then retries with exponential backoff', async (t) => {
  const p = pair({ aPeerAsn: 65099 });
  await establish(p);
  const sa = p.a.session.status();
  t.is(sa.state === 'Idle' || sa.state === 'Connect', true);
  t.like(sa.lastNotification.sent, { code: 2, subcode: 2, name: 'open/bad-peer-as' });
  t.like(p.b.session.status().lastNotification.received, { code: 2, subcode: 2 });
  t.regex(p.a.session.status().lastError ?? '', /notification-sent open\/bad-peer-as/);
  // Each failure doubles the IdleHoldTimer: redials at +1 s, +2 s, +4 s (jitter off).
  const dials: number[] = [];
  const t0 = p.clock.now();
  for (let i = 0; i < 8; i++) {
    const before = p.a.events.length;
    await p.clock.advance(500);
    if (p.a.events.slice(before).some((e) => e.kind === 'state' && e.to === 'Connect')) dials.push(p.clock.now() - t0);
  }
  t.deepEqual(dials, [1000, 3000], `redials at ${dials.join(',')}`);
  t.is(established(p.a), 0);
});

test('stop with a message: the peer sees Cease/2 with the RFC 9003 text; no restart', async (t) => {
  const p = pair();
  await establish(p);
  const stopped = p.a.session.stop({ message: 'rackroute: node drained for maintenance' });
  await p.clock.advance(0);
  await stopped;
  const rb = p.b.session.status().lastNotification.received;
  t.like(rb, { code: 6, subcode: 2, name: 'cease/administrative-shutdown', message: 'rackroute: node drained for maintenance' });
  t.regex(p.b.events.find((e) => e.kind === 'down' && true)?.kind ?? '', /down/);
  const down = p.b.events.find((e) => e.kind === 'down');
  t.true(down !== undefined && down.kind === 'down' && down.reason.includes('"rackroute: node drained for maintenance"'));
  t.is(p.a.session.state, 'Idle');
  t.is(p.a.session.status().info, 'manual-stop');
  await p.clock.advance(60_000);
  t.is(p.a.session.state, 'Idle');
  t.is(p.net.open().length, 0);
});

test('silent stop closes without NOTIFICATION (our restart under GR)', async (t) => {
  const p = pair();
  await establish(p);
  const stopped = p.a.session.stop({ silent: true });
  await p.clock.advance(0);
  await stopped;
  t.is(p.b.session.status().lastNotification.received, null);
  t.is(p.a.session.status().lastNotification.sent, null);
  t.not(p.b.session.state, 'Established');
});

test('UPDATEs and ROUTE-REFRESH reach the other side whole and in order', async (t) => {
  const p = pair();
  await establish(p);
  const eor4 = encode(endOfRibMessage(1, 1));
  const eor6 = encode(endOfRibMessage(2, 1));
  t.true(p.a.session.send([eor4, eor6]));
  t.true(p.a.session.refresh(2, 1));
  t.false(p.a.session.refresh(1, 128), 'a family not negotiated');
  await p.clock.advance(0);
  const got = p.b.events.filter((e) => e.kind === 'update').map((e) => (e.kind === 'update' ? Buffer.from(e.bytes).toString('hex') : ''));
  t.deepEqual(got, [Buffer.from(eor4).toString('hex'), Buffer.from(eor6).toString('hex')]);
  t.deepEqual(p.b.events.filter((e) => e.kind === 'refresh'), [{ kind: 'refresh', afi: 2, safi: 1, subtype: 0 }]);
  t.like(p.a.session.status().messages.sent, { update: 2, routeRefresh: 1 });
  t.like(p.b.session.status().messages.received, { update: 2, routeRefresh: 1 });
});

test('updateError sends NOTIFICATION 3/subcode; maxPrefixExceeded sends Cease/1 and restarts after its timer', async (t) => {
  const p = pair();
  await establish(p);
  p.b.session.updateError(11, new Uint8Array(0));
  await p.clock.advance(0);
  t.like(p.a.session.status().lastNotification.received, { code: 3, subcode: 11, name: 'update/malformed-as-path' });
  await p.clock.advance(5_000);
  t.is(p.a.session.state, 'Established');
  p.a.session.maxPrefixExceeded(30, Uint8Array.of(0, 1, 1, 0, 0, 0, 100));
  await p.clock.advance(0);
  t.like(p.b.session.status().lastNotification.received, { code: 6, subcode: 1, data: '00010100000064' });
  t.is(p.a.session.state, 'Idle');
  await p.clock.advance(25_000);
  t.is(p.a.session.state, 'Idle', 'waits for the max-prefix restart timer');
  await p.clock.advance(6_000);
  t.is(p.a.session.state, 'Established');
});

test('a passive peer never dials; the connection refused is retried with backoff', async (t) => {
  const p = pair({ aPassive: true, bPassive: true });
  await establish(p);
  await p.clock.advance(60_000);
  t.is(p.a.session.state, 'Active');
  t.is(p.net.sockets.length, 0);
  const net = new MemNet();
  const clock = new FakeClock();
  const a = speaker(net, clock, { address: A, asn: 65001, id: '1.1.1.1', peer: peerConfig({ address: B, asn: 65002 }) });
  a.session.start();
  await clock.advance(20_000);
  t.regex(a.session.status().lastError ?? '', /tcp-connection-failed \(ECONNREFUSED\)/);
  const dials = net.sockets.length / 2;
  t.true(dials >= 3 && dials <= 6, `${dials} dials in 20 s`);
});
