import test from 'ava';
import type { UpdatePlan } from '../../../src/bgp/rib/adj-rib-out.js';
import { WELL_KNOWN, asSequence, makeAttrs } from '../../../src/bgp/rib/attrs.js';
import { parseIPv4 } from '../../../src/bgp/rib/ip.js';
import { formatPrefix } from '../../../src/bgp/rib/prefix.js';
import { P, attrs, newRib, upPeer } from './helpers.js';

const announces = (plans: UpdatePlan[]) => plans.filter((p): p is Extract<UpdatePlan, { kind: 'announce' }> => p.kind === 'announce');
const withdraws = (plans: UpdatePlan[]) => plans.filter((p): p is Extract<UpdatePlan, { kind: 'withdraw' }> => p.kind === 'withdraw');
const nlriOf = (plans: UpdatePlan[]) => announces(plans).flatMap((p) => p.nlri.map(formatPrefix)).sort();

test('initial table then End-of-RIB; updates packed by attribute set', (t) => {
  const { rib } = newRib();
  const src = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1');
  rib.receive(src, 'ipv4', attrs([65001, 1]), [P('10.1.0.0/24'), P('10.1.1.0/24'), P('10.1.2.0/24')]);
  rib.receive(src, 'ipv4', attrs([65001, 2]), [P('10.2.0.0/24'), P('10.2.1.0/24')]);
  rib.flush();
  const dst = upPeer(rib, '10.0.2.1', 65002, '2.2.2.2', {}, { families: ['ipv4'] });
  const { plans } = rib.takeUpdates(dst);
  const ann = announces(plans);
  t.is(ann.length, 2, 'one plan per attribute set');
  t.deepEqual(ann.map((a) => a.nlri.length).sort(), [2, 3]);
  t.deepEqual(plans[plans.length - 1], { kind: 'end-of-rib', family: 'ipv4' });
  t.is(rib.peerStats(dst).advertised, 5);
  t.deepEqual(rib.takeUpdates(dst).plans, [], 'nothing left, EoR only once');

  // Later changes arrive through flush(); a withdrawal goes out as a withdraw plan.
  rib.withdraw(src, 'ipv4', [P('10.1.0.0/24')]);
  rib.receive(src, 'ipv4', attrs([65001, 3]), [P('10.3.0.0/24')]);
  rib.flush();
  const next = rib.takeUpdates(dst).plans;
  t.deepEqual(withdraws(next).flatMap((w) => w.withdrawn.map(formatPrefix)), ['10.1.0.0/24']);
  t.deepEqual(nlriOf(next), ['10.3.0.0/24']);
  t.is(rib.peerStats(dst).advertised, 5);
});

test('eBGP send: prepend own AS, next hop self, no LOCAL_PREF, received MED dropped', (t) => {
  const { rib } = newRib();
  const ibgp = upPeer(rib, '10.0.9.1', 64512, '9.9.9.9');
  rib.receive(ibgp, 'ipv4', attrs([65100], { localPref: 300, med: 50, nextHop: '10.0.9.1', originatorId: 5, clusterList: [7] }), [P('10.5.0.0/24')]);
  rib.originate('ipv4', P('10.244.1.0/24'), makeAttrs({ med: 5 }));
  rib.flush();
  const tor = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1');
  const ann = announces(rib.takeUpdates(tor).plans);
  const learned = ann.find((a) => formatPrefix(a.nlri[0]!) === '10.5.0.0/24')!.attrs;
  t.deepEqual(learned.asPath, asSequence(64512, 65100));
  t.is(learned.nextHop, '10.0.1.10');
  t.is(learned.localPref, undefined);
  t.is(learned.med, undefined);
  t.is(learned.originatorId, undefined);
  t.deepEqual(learned.clusterList, []);
  const own = ann.find((a) => formatPrefix(a.nlri[0]!) === '10.244.1.0/24')!.attrs;
  t.deepEqual(own.asPath, asSequence(64512));
  t.is(own.med, 5, 'our own MED is sent');
  t.is(own.nextHop, '10.0.1.10');
});

test('a route is not sent back to the peer it came from', (t) => {
  const { rib } = newRib();
  const a = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1');
  const b = upPeer(rib, '10.0.1.2', 65002, '2.2.2.2');
  rib.receive(a, 'ipv4', attrs([65001]), [P('10.9.0.0/24')]);
  rib.flush();
  t.deepEqual(nlriOf(rib.takeUpdates(a).plans), []);
  t.deepEqual(nlriOf(rib.takeUpdates(b).plans), ['10.9.0.0/24']);
  // b now has a better path: it becomes best, so a gets it and b gets a withdrawal.
  rib.receive(b, 'ipv4', attrs([65002], { med: 0, localPref: undefined }), [P('10.9.0.0/24')]);
  rib.receive(a, 'ipv4', attrs([65001, 5]), [P('10.9.0.0/24')]);
  rib.flush();
  t.deepEqual(nlriOf(rib.takeUpdates(a).plans), ['10.9.0.0/24']);
  t.deepEqual(withdraws(rib.takeUpdates(b).plans).flatMap((w) => w.withdrawn.map(formatPrefix)), ['10.9.0.0/24']);
});

test('iBGP split horizon: iBGP-learned routes go to eBGP peers, not to other iBGP peers', (t) => {
  const { rib } = newRib();
  const i1 = upPeer(rib, '10.0.9.1', 64512, '9.9.9.1');
  const i2 = upPeer(rib, '10.0.9.2', 64512, '9.9.9.2');
  const e = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1');
  rib.receive(i1, 'ipv4', attrs([65100]), [P('10.6.0.0/24')]);
  rib.receive(e, 'ipv4', attrs([65001]), [P('10.7.0.0/24')]);
  rib.flush();
  t.deepEqual(nlriOf(rib.takeUpdates(i2).plans), ['10.7.0.0/24']);
  t.deepEqual(nlriOf(rib.takeUpdates(e).plans), ['10.6.0.0/24']);
  const toI = announces(rib.takeUpdates(i1).plans)[0]!.attrs;
  t.is(toI.localPref, 100, 'iBGP gets LOCAL_PREF');
  t.is(toI.nextHop, '192.0.2.1', 'next hop unchanged into iBGP');
  t.deepEqual(toI.asPath, asSequence(65001), 'no prepend into iBGP');
});

test('route reflection: client routes to all, non-client routes to clients only, ORIGINATOR_ID and CLUSTER_LIST set', (t) => {
  const { rib } = newRib({ routerId: '10.0.0.100', clusterId: '10.0.0.1' });
  const c1 = upPeer(rib, '10.0.9.1', 64512, '9.9.9.1', { routeReflectorClient: true });
  const c2 = upPeer(rib, '10.0.9.2', 64512, '9.9.9.2', { routeReflectorClient: true });
  const n1 = upPeer(rib, '10.0.9.3', 64512, '9.9.9.3');
  const n2 = upPeer(rib, '10.0.9.4', 64512, '9.9.9.4');
  rib.receive(c1, 'ipv4', attrs([], { nextHop: '10.0.9.1' }), [P('10.244.1.0/24')]);
  rib.receive(n1, 'ipv4', attrs([], { nextHop: '10.0.9.3' }), [P('10.244.3.0/24')]);
  rib.flush();
  t.deepEqual(nlriOf(rib.takeUpdates(c1).plans), ['10.244.3.0/24'], 'client gets the non-client route, not its own');
  t.deepEqual(nlriOf(rib.takeUpdates(c2).plans), ['10.244.1.0/24', '10.244.3.0/24']);
  t.deepEqual(nlriOf(rib.takeUpdates(n1).plans), ['10.244.1.0/24'], 'non-client gets client routes only');
  const toN2 = announces(rib.takeUpdates(n2).plans);
  t.deepEqual(toN2.flatMap((a) => a.nlri.map(formatPrefix)), ['10.244.1.0/24']);
  const reflected = toN2[0]!.attrs;
  t.is(reflected.originatorId, parseIPv4('9.9.9.1'));
  t.deepEqual(reflected.clusterList, [parseIPv4('10.0.0.1')]);
  t.is(reflected.nextHop, '10.0.9.1', 'reflection keeps the next hop');
});

test('route reflection loop checks on receive: our router id as ORIGINATOR_ID, our cluster id in CLUSTER_LIST', (t) => {
  const { rib } = newRib({ routerId: '10.0.0.100', clusterId: '10.0.0.1' });
  const rr = upPeer(rib, '10.0.9.1', 64512, '9.9.9.1');
  const r1 = rib.receive(rr, 'ipv4', attrs([], { originatorId: parseIPv4('10.0.0.100') }), [P('10.1.0.0/24')]);
  const r2 = rib.receive(rr, 'ipv4', attrs([], { originatorId: 5, clusterList: [7, parseIPv4('10.0.0.1')] }), [P('10.2.0.0/24')]);
  const r3 = rib.receive(rr, 'ipv4', attrs([], { originatorId: 5, clusterList: [7] }), [P('10.3.0.0/24')]);
  t.deepEqual([r1.rejected, r2.rejected, r3.accepted], [1, 1, 1]);
});

test('as a route-reflector client: routes are sent to the reflector unchanged, reflected ones kept', (t) => {
  const { rib } = newRib({ routerId: '10.0.0.50' });
  const rr = upPeer(rib, '10.0.9.1', 64512, '9.9.9.1');
  rib.originate('ipv4', P('10.244.50.0/24'), makeAttrs({}));
  rib.flush();
  const sent = announces(rib.takeUpdates(rr).plans)[0]!.attrs;
  t.is(sent.originatorId, undefined);
  t.deepEqual(sent.clusterList, []);
  t.is(sent.nextHop, '10.0.1.10', 'local route: next hop self');
  // A route another client originated, reflected to us.
  const r = rib.receive(rr, 'ipv4', attrs([], { originatorId: parseIPv4('10.0.0.51'), clusterList: [parseIPv4('9.9.9.1')], nextHop: '10.0.0.51' }), [P('10.244.51.0/24')]);
  t.is(r.accepted, 1);
});

test('well-known communities: NO_ADVERTISE goes nowhere, NO_EXPORT stays inside the AS', (t) => {
  const { rib } = newRib();
  const e1 = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1');
  const e2 = upPeer(rib, '10.0.1.2', 65002, '2.2.2.2');
  const i = upPeer(rib, '10.0.9.1', 64512, '9.9.9.1');
  rib.receive(e1, 'ipv4', attrs([65001], { communities: [WELL_KNOWN.NO_EXPORT] }), [P('10.1.0.0/24')]);
  rib.receive(e1, 'ipv4', attrs([65001], { communities: [WELL_KNOWN.NO_ADVERTISE] }), [P('10.2.0.0/24')]);
  rib.flush();
  t.deepEqual(nlriOf(rib.takeUpdates(e2).plans), []);
  t.deepEqual(nlriOf(rib.takeUpdates(i).plans), ['10.1.0.0/24']);
});

test('MRAI holds announcements until the deadline; withdrawals are never delayed', (t) => {
  const { rib, clock } = newRib();
  const src = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1');
  const dst = upPeer(rib, '10.0.2.1', 65002, '2.2.2.2', { mraiMs: 5000 }, { families: ['ipv4'] });
  rib.receive(src, 'ipv4', attrs([65001]), [P('10.1.0.0/24'), P('10.1.1.0/24')]);
  rib.flush();
  const first = rib.takeUpdates(dst);
  t.deepEqual(nlriOf(first.plans), ['10.1.0.0/24', '10.1.1.0/24'], 'first announcement goes at once');
  t.is(first.nextAt, undefined);

  clock.advance(1000);
  rib.receive(src, 'ipv4', attrs([65001, 9]), [P('10.1.0.0/24')]);
  rib.withdraw(src, 'ipv4', [P('10.1.1.0/24')]);
  rib.flush();
  const held = rib.takeUpdates(dst);
  t.deepEqual(nlriOf(held.plans), [], 'announcement held');
  t.deepEqual(withdraws(held.plans).flatMap((w) => w.withdrawn.map(formatPrefix)), ['10.1.1.0/24'], 'withdrawal sent now');
  t.is(held.nextAt, 1000 + 5000);

  clock.set(5999);
  t.deepEqual(rib.takeUpdates(dst).plans, []);
  clock.set(6000);
  const released = rib.takeUpdates(dst);
  t.deepEqual(nlriOf(released.plans), ['10.1.0.0/24']);
  t.deepEqual(announces(released.plans)[0]!.attrs.asPath, asSequence(64512, 65001, 9));
  t.is(released.nextAt, undefined);
});

test('a change undone before MRAI expires sends nothing', (t) => {
  const { rib, clock } = newRib();
  const src = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1');
  const dst = upPeer(rib, '10.0.2.1', 65002, '2.2.2.2', { mraiMs: 5000 }, { families: ['ipv4'] });
  rib.receive(src, 'ipv4', attrs([65001]), [P('10.1.0.0/24')]);
  rib.flush();
  rib.takeUpdates(dst);
  rib.receive(src, 'ipv4', attrs([65001, 9]), [P('10.1.0.0/24')]);
  rib.flush();
  t.deepEqual(rib.takeUpdates(dst).plans, []);
  rib.receive(src, 'ipv4', attrs([65001]), [P('10.1.0.0/24')]);
  rib.flush();
  clock.advance(10_000);
  t.deepEqual(rib.takeUpdates(dst).plans, []);
});

test('export policy change and route refresh re-evaluate the Adj-RIB-Out', (t) => {
  const { rib } = newRib();
  const src = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1');
  const dst = upPeer(rib, '10.0.2.1', 65002, '2.2.2.2', {}, { families: ['ipv4'] });
  rib.receive(src, 'ipv4', attrs([65001]), [P('10.1.0.0/24'), P('10.2.0.0/24')]);
  rib.flush();
  t.is(nlriOf(rib.takeUpdates(dst).plans).length, 2);
  rib.setExportPolicy(dst, { match: (p) => (formatPrefix(p) === '10.1.0.0/24' ? 0 : -1), apply: (term, a) => (term === 0 ? a : null) });
  const plans = rib.takeUpdates(dst).plans;
  t.deepEqual(withdraws(plans).flatMap((w) => w.withdrawn.map(formatPrefix)), ['10.2.0.0/24']);
  t.deepEqual(nlriOf(plans), []);
  t.is(rib.peerStats(dst).advertised, 1);
  rib.routeRefresh(dst, 'ipv4');
  t.deepEqual(nlriOf(rib.takeUpdates(dst).plans), ['10.1.0.0/24']);
});

test('ADD-PATH send: the multipath set goes out with path ids', (t) => {
  const { rib } = newRib({ maxPaths: 4 });
  const t1 = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1');
  const t2 = upPeer(rib, '10.0.1.2', 65001, '2.2.2.2');
  rib.receive(t1, 'ipv4', attrs([65001, 65100], { nextHop: '10.0.1.1' }), [P('10.8.0.0/24')]);
  rib.receive(t2, 'ipv4', attrs([65001, 65100], { nextHop: '10.0.1.2' }), [P('10.8.0.0/24')]);
  rib.flush();
  const rr = upPeer(rib, '10.0.9.1', 64512, '9.9.9.1', { addPathSendMax: 4 }, { addPathSend: ['ipv4'], families: ['ipv4'] });
  const ann = announces(rib.takeUpdates(rr).plans);
  t.is(ann.length, 2, 'two paths with different next hops, two attribute sets');
  const ids = ann.flatMap((a) => a.pathIds!);
  t.is(new Set(ids).size, 2);
  rib.withdraw(t2, 'ipv4', [P('10.8.0.0/24')]);
  rib.flush();
  const w = withdraws(rib.takeUpdates(rr).plans);
  t.is(w.length, 1);
  t.is(w[0]!.pathIds!.length, 1);
  t.true(ids.includes(w[0]!.pathIds![0]!));
  t.is(rib.peerStats(rr).advertised, 1);
});
