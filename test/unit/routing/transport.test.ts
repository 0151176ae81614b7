import test from 'ava';
import { ACCEPT_ALL, makeAttrs, parsePrefix, Rib } from '../../../src/bgp/rib/index.js';
import { RoutePlanner, type TransportMove } from '../../../src/routing/planner.js';
import {
  chooseTransport, linkLocalOf, vtepMac, vxlanHop, type Choice, type ChoiceWhy, type Encapsulation, type Member,
  type Membership, type TunnelSpec,
} from '../../../src/routing/transport.js';

// mode, same subnet, fabric path, tunnel available -> choice, why
const TABLE: ReadonlyArray<[Encapsulation, boolean, boolean, boolean, Choice, ChoiceWhy]> = [
  ['never', false, true, true, 'native', 'mode never'],
  ['never', false, false, true, 'none', 'mode never'],
  ['never', true, false, true, 'none', 'mode never'],
  ['always', false, true, true, 'tunnel', 'mode always'],
  ['always', true, true, true, 'tunnel', 'mode always'],
  ['always', false, false, true, 'tunnel', 'mode always'],
  ['always', false, true, false, 'native', 'tunnel-unavailable'],
  ['always', false, false, false, 'none', 'tunnel-unavailable'],
  ['cross-subnet', true, true, true, 'native', 'same-subnet'],
  ['cross-subnet', true, false, true, 'none', 'same-subnet'],
  ['cross-subnet', false, true, true, 'tunnel', 'other-subnet'],
  ['cross-subnet', false, false, true, 'tunnel', 'other-subnet'],
  ['cross-subnet', false, true, false, 'native', 'tunnel-unavailable'],
  ['auto', false, true, true, 'native', 'fabric-routes'],
  ['auto', true, true, true, 'native', 'fabric-routes'],
  ['auto', false, false, true, 'tunnel', 'fabric-no-path'],
  ['auto', true, false, true, 'tunnel', 'fabric-no-path'],
  ['auto', false, false, false, 'none', 'tunnel-unavailable'],
  ['auto', false, true, false, 'native', 'fabric-routes'],
];

for (const [mode, sameSubnet, fabricPath, tunnel, choice, why] of TABLE) {
  test(`transport: ${mode}, ${sameSubnet ? 'same' : 'other'} subnet, ${fabricPath ? 'fabric path' : 'no fabric path'}, ${tunnel ? 'tunnel' : 'no tunnel'} -> ${choice} (${why})`, (t) => {
    t.deepEqual(chooseTransport({ mode, sameSubnet, fabricPath, tunnel }), { choice, why });
  });
}

test('VTEP MACs and IPv6 tunnel gateways derive from the underlay address alone', (t) => {
  t.is(vtepMac('10.0.1.10'), '02:72:0a:00:01:0a');
  t.is(vtepMac('10.0.2.10'), '02:72:0a:00:02:0a');
  t.is(linkLocalOf('02:72:0a:00:01:0a'), 'fe80::72:aff:fe00:10a');
  t.not(vtepMac('fd00::1:a'), vtepMac('fd01::1:a'), 'IPv6 underlay: the rest of the address counts too');
  t.regex(vtepMac('fd00::1:a'), /^02:72(:[0-9a-f]{2}){4}$/);
});

const node = (name: string, rack: string, address: string, ...podCIDRs: string[]): Member => ({ name, rack, address, podCIDRs, mtu: 1500 });
const NODE2 = node('node2', 'r1', '10.0.1.11', '10.244.2.0/24', 'fd00:244:2::/64');
const NODE3 = node('node3', 'r2', '10.0.2.10', '10.244.3.0/24', 'fd00:244:3::/64');
const membership = (mode: Encapsulation, members: readonly Member[] = [NODE2, NODE3]): Membership => ({
  self: { name: 'node1', address: '10.0.1.10', rack: 'r1' }, localSubnets: ['10.0.1.0/24'], mode, mtu: 1500, members,
});
const VXLAN: TunnelSpec = { kind: 'vxlan', overhead: 50, hop: (m, f) => vxlanHop('rr.vxlan', m, f) };
const IPIP_V4_ONLY: TunnelSpec = { kind: 'ipip', overhead: 20, hop: (m, f) => (f === 4 ? { gateway: m.address, dev: 'rr.ipip', onlink: true } : undefined) };

function leaf(): { rib: Rib; leaf: number } {
  const rib = new Rib({ localAsn: 64512, routerId: '10.0.1.10', maxPaths: 8 });
  const id = rib.addPeer({ address: '10.0.1.1', asn: 65001, importPolicy: ACCEPT_ALL, exportPolicy: ACCEPT_ALL });
  rib.peerUp(id, { routerId: '10.255.0.11', localAddress: { ipv4: '10.0.1.10' } });
  return { rib, leaf: id };
}
const path = (nextHop: string) => makeAttrs({ nextHop, asPath: [{ type: 2, asns: [65001] }] });
const show = (rs: readonly { dst: string; transport: string; nexthops?: readonly { gateway: string; dev?: string }[]; mtu?: number }[]): string[] =>
  rs.map((r) => `${r.dst} ${r.transport} ${(r.nexthops ?? []).map((h) => h.gateway + (h.dev ? `@${h.dev}` : '')).join(',')}${r.mtu ? ` mtu ${r.mtu}` : ''}`);

test('auto: a pod CIDR the fabric does not route goes through the tunnel; withdrawn and re-announced, it moves by one replace each way', (t) => {
  const moves: TransportMove[] = [];
  const p = new RoutePlanner({ onMove: (m) => moves.push(m) });
  const start = p.setMembership(membership('auto'), VXLAN);
  // Nothing learned yet: both nodes through the tunnel, IPv6 via the remote VTEP's link-local address.
  t.deepEqual(show(start.upserts), [
    '10.244.2.0/24 vxlan 10.0.1.11@rr.vxlan mtu 1450', 'fd00:244:2::/64 vxlan fe80::72:aff:fe00:10b@rr.vxlan mtu 1450',
    '10.244.3.0/24 vxlan 10.0.2.10@rr.vxlan mtu 1450', 'fd00:244:3::/64 vxlan fe80::72:aff:fe00:20a@rr.vxlan mtu 1450',
  ]);
  t.deepEqual(moves, [], 'first placement is not a move');
  const { rib, leaf: l } = leaf();
  rib.receive(l, 'ipv4', path('10.0.1.1'), [parsePrefix('10.244.3.0/24')]);
  const back = p.apply(rib.flush());
  t.deepEqual(show(back.upserts), ['10.244.3.0/24 native 10.0.1.1']);
  t.deepEqual(back.removes, [], 'make before break: a replace, never a remove');
  rib.withdraw(l, 'ipv4', [parsePrefix('10.244.3.0/24')]);
  const out = p.apply(rib.flush());
  t.deepEqual(show(out.upserts), ['10.244.3.0/24 vxlan 10.0.2.10@rr.vxlan mtu 1450']);
  t.deepEqual(out.removes, []);
  t.deepEqual(moves.map((m) => `${m.dst} ${m.node} ${m.from}->${m.to} ${m.reason}`), [
    '10.244.3.0/24 node3 vxlan->native fabric-routes-again', '10.244.3.0/24 node3 native->vxlan fabric-withdrew',
  ]);
  const s = p.summary();
  t.is(s.moves, 2);
  t.deepEqual(s.movesByReason, { 'fabric-routes-again': 1, 'fabric-withdrew': 1 });
  t.deepEqual(s.routes, { native: 0, vxlan: 4, ipip: 0, local: 0 });
  t.deepEqual(s.nodes.map((n) => `${n.node} ${n.transport} ${n.why}`), ['node2 vxlan fabric-no-path', 'node3 vxlan fabric-no-path']);
});

test('a peer going down withdraws everything at once: every learned pod CIDR moves to the tunnel, other prefixes go', (t) => {
  const moves: TransportMove[] = [];
  const p = new RoutePlanner({ onMove: (m) => moves.push(m) });
  p.setMembership(membership('auto'), VXLAN);
  const { rib, leaf: l } = leaf();
  rib.receive(l, 'ipv4', path('10.0.1.1'), [parsePrefix('10.244.3.0/24'), parsePrefix('0.0.0.0/0')]);
  rib.receive(l, 'ipv4', path('10.0.1.11'), [parsePrefix('10.244.2.0/24')]);
  t.deepEqual(show(p.apply(rib.flush()).upserts).sort(), ['0.0.0.0/0 native 10.0.1.1', '10.244.2.0/24 native 10.0.1.11', '10.244.3.0/24 native 10.0.1.1']);
  rib.peerDown(l, { graceful: false });
  const d = p.apply(rib.flush());
  t.deepEqual(show(d.upserts).sort(), ['10.244.2.0/24 vxlan 10.0.1.11@rr.vxlan mtu 1450', '10.244.3.0/24 vxlan 10.0.2.10@rr.vxlan mtu 1450']);
  t.deepEqual(d.removes.map((r) => r.dst), ['0.0.0.0/0'], 'not a node: no tunnel to fall back to');
  t.deepEqual(moves.filter((m) => m.reason === 'fabric-withdrew').map((m) => m.dst).sort(), ['10.244.2.0/24', '10.244.3.0/24']);
});

test('never, always and cross-subnet; a mode change moves routes with reason "mode X"', (t) => {
  const moves: TransportMove[] = [];
  const p = new RoutePlanner({ onMove: (m) => moves.push(m) });
  const { rib, leaf: l } = leaf();
  rib.receive(l, 'ipv4', path('10.0.1.1'), [parsePrefix('10.244.2.0/24'), parsePrefix('10.244.3.0/24')]);
  p.apply(rib.flush());
  t.deepEqual(show(p.setMembership(membership('never'), VXLAN).upserts), [], 'never: the learned routes stay native');
  t.deepEqual(show(p.all()).sort(), ['10.244.2.0/24 native 10.0.1.1', '10.244.3.0/24 native 10.0.1.1'], 'never: no route for IPv6 pod CIDRs without a path');
  const cross = p.setMembership(membership('cross-subnet'), VXLAN);
  t.deepEqual(show(cross.upserts), ['10.244.3.0/24 vxlan 10.0.2.10@rr.vxlan mtu 1450', 'fd00:244:3::/64 vxlan fe80::72:aff:fe00:20a@rr.vxlan mtu 1450'],
    'cross-subnet: only node3 (10.0.2.10 is outside r1\'s 10.0.1.0/24)');
  const always = p.setMembership(membership('always'), VXLAN);
  t.deepEqual(show(always.upserts), ['10.244.2.0/24 vxlan 10.0.1.11@rr.vxlan mtu 1450', 'fd00:244:2::/64 vxlan fe80::72:aff:fe00:10b@rr.vxlan mtu 1450']);
  const never = p.setMembership(membership('never'), VXLAN);
  t.deepEqual(show(never.upserts).sort(), ['10.244.2.0/24 native 10.0.1.1', '10.244.3.0/24 native 10.0.1.1']);
  t.deepEqual(never.removes.map((r) => r.dst).sort(), ['fd00:244:2::/64', 'fd00:244:3::/64']);
  t.deepEqual(moves.map((m) => `${m.dst} ${m.from}->${m.to} ${m.reason}`), [
    '10.244.3.0/24 native->vxlan mode cross-subnet', '10.244.2.0/24 native->vxlan mode always',
    '10.244.2.0/24 vxlan->native mode never', '10.244.3.0/24 vxlan->native mode never',
  ]);
});

test('ipip carries IPv4 only; a node leaving the site file takes its tunnel routes with it', (t) => {
  const p = new RoutePlanner();
  const d = p.setMembership(membership('always'), IPIP_V4_ONLY);
  t.deepEqual(show(d.upserts), ['10.244.2.0/24 ipip 10.0.1.11@rr.ipip mtu 1480', '10.244.3.0/24 ipip 10.0.2.10@rr.ipip mtu 1480']);
  t.is(p.whyOf('fd00:244:3::/64'), 'tunnel-unavailable');
  const gone = p.setMembership(membership('always', [NODE2]), IPIP_V4_ONLY);
  t.deepEqual(gone.removes.map((r) => r.dst), ['10.244.3.0/24']);
  t.deepEqual(gone.upserts, []);
});

test('an iBGP mesh path to a node outside this rack\'s subnets is not a fabric path; the MTU is the smaller rack\'s', (t) => {
  const p = new RoutePlanner();
  const far = { ...NODE3, mtu: 9000 };
  const near = { ...NODE2, mtu: 1400 };
  p.setMembership({ ...membership('auto', [near, far]), mtu: 9000 }, VXLAN);
  const { rib, leaf: l } = leaf();
  rib.receive(l, 'ipv4', path('10.0.2.10'), [parsePrefix('10.244.3.0/24')]); // next hop: node3 itself, off-subnet
  rib.receive(l, 'ipv4', path('10.0.1.11'), [parsePrefix('10.244.2.0/24')]); // node2, on our subnet: fine natively
  p.apply(rib.flush());
  t.deepEqual(show(p.all().filter((r) => r.dst.startsWith('10.'))).sort(), ['10.244.2.0/24 native 10.0.1.11', '10.244.3.0/24 vxlan 10.0.2.10@rr.vxlan mtu 8950']);
  t.is(p.all().find((r) => r.dst === 'fd00:244:2::/64')?.mtu, 1350);
});

test('waitForFabric: auto plans no tunnel route for lack of a path until settle(); native routes go in at once', (t) => {
  const p = new RoutePlanner({ waitForFabric: true });
  t.deepEqual(p.setMembership(membership('auto'), VXLAN).upserts, []);
  t.is(p.whyOf('10.244.3.0/24'), 'waiting-for-fabric');
  const { rib, leaf: l } = leaf();
  rib.receive(l, 'ipv4', path('10.0.1.1'), [parsePrefix('10.244.3.0/24')]);
  t.deepEqual(show(p.apply(rib.flush()).upserts), ['10.244.3.0/24 native 10.0.1.1']);
  t.deepEqual(show(p.settle().upserts), [
    '10.244.2.0/24 vxlan 10.0.1.11@rr.vxlan mtu 1450', 'fd00:244:2::/64 vxlan fe80::72:aff:fe00:10b@rr.vxlan mtu 1450', 'fd00:244:3::/64 vxlan fe80::72:aff:fe00:20a@rr.vxlan mtu 1450',
  ]);
  t.is(p.summary().moves, 0);
});
