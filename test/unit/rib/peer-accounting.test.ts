import test from 'ava';
import { makeAttrs } from '../../../src/bgp/rib/attrs.js';
import { P, attrs, newRib, upPeer } from './helpers.js';

test('max-prefix: exceedance reported once the accepted count passes the limit', (t) => {
  const { rib } = newRib();
  const a = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1', { maxPrefix: 3 });
  t.false(rib.receive(a, 'ipv4', attrs([65001]), [P('10.1.0.0/24'), P('10.2.0.0/24')]).maxPrefixExceeded);
  t.false(rib.receive(a, 'ipv6', attrs([65001], { nextHop: 'fd00::1' }), [P('fd00:1::/64')]).maxPrefixExceeded);
  t.true(rib.receive(a, 'ipv4', attrs([65001]), [P('10.3.0.0/24')]).maxPrefixExceeded);
  t.true(rib.peerStats(a).maxPrefixExceeded);
  // The session layer then drops the session (Cease 1) and the state resets when it comes back.
  rib.peerDown(a, { graceful: false });
  rib.peerUp(a, { routerId: '1.1.1.1', localAddress: {} });
  t.false(rib.peerStats(a).maxPrefixExceeded);
  t.is(rib.peerStats(a).accepted, 0);
});

test('max-prefix counts accepted routes, not rejected ones', (t) => {
  const { rib } = newRib();
  const a = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1', {
    maxPrefix: 1,
    importPolicy: { match: () => -1, apply: (_t, at) => (at.asPath.length === 0 ? at : at.asPath[0]!.asns.length > 1 ? null : at) },
  });
  const r = rib.receive(a, 'ipv4', attrs([65001, 5]), [P('10.1.0.0/24'), P('10.2.0.0/24')]);
  t.deepEqual([r.rejected, r.maxPrefixExceeded], [2, false]);
  t.deepEqual([rib.peerStats(a).received, rib.peerStats(a).accepted], [2, 0]);
});

test('counters per family stay exact through duplicates, replacements and withdrawals', (t) => {
  const { rib } = newRib();
  const a = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1');
  const b = upPeer(rib, '10.0.1.2', 65002, '2.2.2.2', {}, { families: ['ipv4'] });
  rib.receive(a, 'ipv4', attrs([65001]), [P('10.1.0.0/24'), P('10.1.0.0/24'), P('10.2.0.0/24')]);
  rib.receive(a, 'ipv4', attrs([65001, 3]), [P('10.1.0.0/24')]);
  rib.receive(a, 'ipv6', attrs([65001], { nextHop: 'fd00::1' }), [P('fd00:1::/64')]);
  rib.withdraw(a, 'ipv4', [P('10.2.0.0/24'), P('10.9.0.0/24')]);
  const s = rib.peerStats(a);
  t.deepEqual(s.byFamily, { ipv4: { received: 1, accepted: 1 }, ipv6: { received: 1, accepted: 1 } });
  t.is(s.received, 2);
  rib.flush();
  rib.takeUpdates(b);
  t.is(rib.peerStats(b).advertised, 1, 'b negotiated IPv4 only');
});

test('ADD-PATH receive: several paths of one prefix from one peer, keyed by path id', (t) => {
  const { rib } = newRib({ maxPaths: 4 });
  const rr = upPeer(rib, '10.0.9.1', 64512, '9.9.9.1', {}, { addPathReceive: ['ipv4'] });
  const pfx = P('10.244.9.0/24');
  rib.receive(rr, 'ipv4', attrs([], { nextHop: '10.0.9.11', originatorId: 11 }), [pfx], [1]);
  rib.receive(rr, 'ipv4', attrs([], { nextHop: '10.0.9.12', originatorId: 12 }), [pfx], [2]);
  let e = rib.lookup('ipv4', pfx)!;
  t.is(e.paths.length, 2);
  t.is(e.best!.pathId, 1);
  t.is(e.reason, 'router-id');
  t.is(rib.peerStats(rr).accepted, 2);
  // Replace path 2 only, then withdraw path 1 only.
  rib.receive(rr, 'ipv4', attrs([], { nextHop: '10.0.9.13', originatorId: 13 }), [pfx], [2]);
  rib.withdraw(rr, 'ipv4', [pfx], [1]);
  e = rib.lookup('ipv4', pfx)!;
  t.is(e.paths.length, 1);
  t.is(e.best!.attrs.nextHop, '10.0.9.13');
  t.is(rib.peerStats(rr).received, 1);
});

test('soft reconfiguration inbound: a new import policy applies to stored routes without a refresh', (t) => {
  const { rib } = newRib();
  const soft = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1', { softReconfigInbound: true });
  const hard = upPeer(rib, '10.0.1.2', 65002, '2.2.2.2');
  rib.receive(soft, 'ipv4', attrs([65001]), [P('10.1.0.0/24'), P('10.2.0.0/24')]);
  rib.receive(hard, 'ipv4', attrs([65002]), [P('10.3.0.0/24')]);
  rib.flush();
  const only1 = { match: (p: number | string) => (p === P('10.1.0.0/24') ? 0 : -1), apply: (term: number, a: ReturnType<typeof makeAttrs>) => (term === 0 ? { ...a, localPref: 250 } : null) };
  t.true(rib.setImportPolicy(soft, only1));
  t.false(rib.setImportPolicy(hard, only1), 'without soft reconfiguration a ROUTE-REFRESH is needed');
  const ch = rib.flush();
  t.is(ch.length, 2);
  t.is(rib.lookup('ipv4', P('10.1.0.0/24'))!.best!.attrs.localPref, 250);
  t.is(rib.lookup('ipv4', P('10.2.0.0/24')), undefined);
  t.deepEqual([rib.peerStats(soft).received, rib.peerStats(soft).accepted], [2, 1]);
  // Back to accept-all: the rejected route returns from the pre-policy table.
  t.true(rib.setImportPolicy(soft, { match: () => -1, apply: (_t, a) => a }));
  t.truthy(rib.lookup('ipv4', P('10.2.0.0/24')));
  t.is(rib.lookup('ipv4', P('10.1.0.0/24'))!.best!.attrs.localPref, undefined);
});

test('removing a peer releases its routes and attribute sets', (t) => {
  const { rib } = newRib();
  const a = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1', { softReconfigInbound: true });
  const b = upPeer(rib, '10.0.1.2', 65002, '2.2.2.2');
  const base = rib.attrs.size;
  rib.receive(a, 'ipv4', attrs([65001]), [P('10.1.0.0/24')]);
  rib.flush();
  rib.takeUpdates(b);
  t.true(rib.attrs.size > base);
  rib.removePeer(a);
  rib.flush();
  rib.takeUpdates(b);
  t.is(rib.attrs.size, base);
  t.is(rib.routes.size, 0);
});
