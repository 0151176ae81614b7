import test from 'ava';
import { ACCEPT_ALL, makeAttrs, parsePrefix, Rib } from '../../../src/bgp/rib/index.js';
import { RoutePlanner } from '../../../src/routing/planner.js';

function twoTorRib(): { rib: Rib; a: number; b: number } {
  const rib = new Rib({ localAsn: 64512, routerId: '10.0.1.10', maxPaths: 8 });
  const a = rib.addPeer({ address: '10.0.1.1', asn: 65001, importPolicy: ACCEPT_ALL, exportPolicy: ACCEPT_ALL });
  const b = rib.addPeer({ address: '10.0.101.1', asn: 65001, importPolicy: ACCEPT_ALL, exportPolicy: ACCEPT_ALL });
  rib.peerUp(a, { routerId: '10.255.0.11', localAddress: { ipv4: '10.0.1.10' } });
  rib.peerUp(b, { routerId: '10.255.0.12', localAddress: { ipv4: '10.0.101.10' } });
  return { rib, a, b };
}

const path = (nextHop: string) => makeAttrs({ nextHop, asPath: [{ type: 2, asns: [65001, 65000, 65002] }] });

test('own pod CIDRs become blackhole routes, and stay whatever the fabric says', (t) => {
  const p = new RoutePlanner();
  const d = p.setOwn(['10.244.1.0/24', 'fd00:244:1::/64']);
  t.deepEqual(d.upserts.map((r) => `${r.dst} ${r.type} ${r.transport}`), ['10.244.1.0/24 blackhole local', 'fd00:244:1::/64 blackhole local']);
  const { rib, a } = twoTorRib();
  rib.receive(a, 'ipv4', path('10.0.1.1'), [parsePrefix('10.244.1.0/24')]);
  t.deepEqual(p.apply(rib.flush()), { upserts: [], removes: [] });
  t.is(p.transportOf('10.244.1.0/24'), 'local');
  const gone = p.setOwn(['fd00:244:1::/64']);
  t.deepEqual(gone.removes.map((r) => r.dst), ['10.244.1.0/24']);
});

test('equal paths from two ToRs become one ECMP route; losing one ToR leaves the other', (t) => {
  const p = new RoutePlanner();
  const { rib, a, b } = twoTorRib();
  rib.receive(a, 'ipv4', path('10.0.1.1'), [parsePrefix('10.244.3.0/24')]);
  rib.receive(b, 'ipv4', path('10.0.101.1'), [parsePrefix('10.244.3.0/24')]);
  const d = p.apply(rib.flush());
  t.deepEqual(d.upserts, [{ dst: '10.244.3.0/24', type: 'unicast', nexthops: [{ gateway: '10.0.1.1' }, { gateway: '10.0.101.1' }], metric: 20, transport: 'native' }]);
  rib.peerDown(a, { graceful: false });
  const d2 = p.apply(rib.flush());
  t.deepEqual(d2.upserts.map((r) => r.nexthops), [[{ gateway: '10.0.101.1' }]]);
  rib.peerDown(b, { graceful: false });
  const d3 = p.apply(rib.flush());
  t.deepEqual(d3.removes.map((r) => r.dst), ['10.244.3.0/24']);
  t.deepEqual(p.all(), []);
});

test('an unchanged selection plans nothing; IPv6 next hops pass through', (t) => {
  const p = new RoutePlanner({ metric: 30 });
  const { rib, a } = twoTorRib();
  rib.receive(a, 'ipv6', makeAttrs({ nextHop: 'fd00:10:1::1' }), [parsePrefix('fd00:244:3::/64')]);
  t.deepEqual(p.apply(rib.flush()).upserts.map((r) => [r.dst, r.nexthops, r.metric]), [['fd00:244:3::/64', [{ gateway: 'fd00:10:1::1' }], 30]]);
  rib.receive(a, 'ipv6', makeAttrs({ nextHop: 'fd00:10:1::1', med: 5 }), [parsePrefix('fd00:244:3::/64')]);
  t.deepEqual(p.apply(rib.flush()), { upserts: [], removes: [] });
});
