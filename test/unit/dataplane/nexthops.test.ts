// Which remote pod CIDRs the next-hop cache may hold, decided from `ip -j` output captured in a namespace (routes
// of every shape the kernel prints: one gateway, ECMP legs, RFC 5549 `via inet6`, a locked MTU, a nexthop object).
import test from 'ava';
import { NexthopHolds, affectedBy, nexthopsFor, routeEventDsts, routeQueries, type IpRouteJson, type NexthopEntry } from '../../../src/dataplane/ebpf/nexthops.js';
import { formatCidr, parseCidr } from '../../../src/dataplane/ebpf/layout.js';
import { cidrContains } from '../../../src/dataplane/ebpf/discover.js';
import fc from 'fast-check';

const uplinks = new Map([['ua', { ifindex: 3, mac: '02:00:00:00:00:0a' }], ['uc', { ifindex: 5, mac: '02:00:00:00:00:0c' }]]);
const macs: Record<string, string> = { 'ua 10.0.1.1': '02:00:00:00:01:01', 'uc 10.0.2.1': '02:00:00:00:02:01', 'ua fe80::1': '02:00:00:00:01:06' };
const neigh = (dev: string, gw: string): string | undefined => macs[`${dev} ${gw}`];

// `ip -4 -j route show root 10.244.0.0/16` in a namespace with these routes (captured, trimmed of nothing).
const ROUTES: IpRouteJson[] = JSON.parse(`[
  {"dst":"10.244.3.0/24","flags":[],"nexthops":[{"gateway":"10.0.1.1","dev":"ua","weight":1,"flags":[]},{"gateway":"10.0.2.1","dev":"uc","weight":1,"flags":[]}]},
  {"dst":"10.244.4.0/24","gateway":"10.0.1.1","dev":"ua","flags":[],"metrics":[{"mtu":1400}]},
  {"dst":"10.244.5.0/24","gateway":"10.0.1.1","dev":"ua","protocol":"rackroute","metric":20,"flags":[]},
  {"dst":"10.244.6.0/24","via":{"family":"inet6","host":"fe80::1"},"dev":"ua","flags":[]},
  {"dst":"10.244.7.0/24","gateway":"10.0.1.1","dev":"ua","flags":[]},
  {"dst":"10.244.7.9","gateway":"10.0.2.1","dev":"uc","flags":[]},
  {"dst":"10.244.8.0/24","type":"blackhole","flags":[]},
  {"dst":"10.244.9.0/24","gateway":"10.0.9.1","dev":"ua","flags":[]},
  {"dst":"10.244.10.0/24","gateway":"10.0.1.1","dev":"rr.vxlan","flags":["onlink"]},
  {"dst":"10.244.11.0/24","nhid":12,"gateway":"10.0.1.1","dev":"ua","flags":[]},
  {"dst":"10.244.12.0/24","flags":[],"nexthops":[{"gateway":"10.0.1.1","dev":"ua","weight":1},{"gateway":"10.0.2.1","dev":"uc","weight":3}]}
]`);

const at = (cidr: string) => nexthopsFor(parseCidr(cidr), ROUTES, uplinks, neigh);

test('an ECMP route over two uplinks: both legs, with the gateways\' MACs and the uplinks\' own', (t) => {
  t.deepEqual(at('10.244.3.0/24'), { cidr: '10.244.3.0/24', nexthops: [
    { ifindex: 3, dmac: '02:00:00:00:01:01', smac: '02:00:00:00:00:0a' },
    { ifindex: 5, dmac: '02:00:00:00:02:01', smac: '02:00:00:00:00:0c' },
  ] });
});

test('one gateway (our own protocol and metric are fine); an IPv4 route via an IPv6 next hop (RFC 5549)', (t) => {
  t.deepEqual(at('10.244.5.0/24'), { cidr: '10.244.5.0/24', nexthops: [{ ifindex: 3, dmac: '02:00:00:00:01:01', smac: '02:00:00:00:00:0a' }] });
  t.deepEqual(at('10.244.6.0/24'), { cidr: '10.244.6.0/24', nexthops: [{ ifindex: 3, dmac: '02:00:00:00:01:06', smac: '02:00:00:00:00:0a' }] });
});

test('anything the program could not reproduce exactly stays on the FIB path, with the reason', (t) => {
  t.is(at('10.244.4.0/24'), 'route-mtu');
  t.is(at('10.244.7.0/24'), 'more-specific-route');
  t.is(at('10.244.8.0/24'), 'not-unicast');
  t.is(at('10.244.9.0/24'), 'unresolved-gateway');
  t.is(at('10.244.10.0/24'), 'not-an-uplink');
  t.is(at('10.244.11.0/24'), 'nexthop-object');
  t.is(at('10.244.12.0/24'), 'unequal-weights');
  t.is(at('10.244.13.0/24'), 'no-route');
  const five = [{ dst: '10.244.14.0/24', nexthops: [1, 2, 3, 4, 5].map(() => ({ gateway: '10.0.1.1', dev: 'ua', weight: 1 })) }];
  t.is(nexthopsFor(parseCidr('10.244.14.0/24'), five, uplinks, neigh), 'too-many-nexthops');
  // a covering route (the default, an aggregate) is not the CIDR's own route
  t.is(nexthopsFor(parseCidr('10.244.15.0/24'), [{ dst: 'default', gateway: '10.0.1.1', dev: 'ua' }], uplinks, neigh), 'no-route');
});

test('IPv6: a link-local gateway', (t) => {
  const r6: IpRouteJson[] = [{ dst: 'fd00:244:3::/64', gateway: 'fe80::1', dev: 'ua' }];
  t.deepEqual(nexthopsFor(parseCidr('fd00:244:3::/64'), r6, uplinks, neigh),
    { cidr: 'fd00:244:3::/64', nexthops: [{ ifindex: 3, dmac: '02:00:00:00:01:06', smac: '02:00:00:00:00:0a' }] });
});

test('queries: the cluster CIDRs that hold remote pod CIDRs, plus the remote CIDRs outside them', (t) => {
  const q = routeQueries(['10.244.3.0/24', '10.244.4.0/24', '172.16.1.0/24'].map(parseCidr), ['10.244.0.0/16', '10.250.0.0/16'].map(parseCidr));
  t.deepEqual(q.map((c) => `${c.prefixLen}`), ['16', '24']);
});

test('a route change touches the cached CIDRs inside it or around it', (t) => {
  const cached = ['10.244.3.0/24', '10.244.4.0/24', 'fd00:244:3::/64'];
  t.deepEqual(affectedBy(cached, ['10.244.3.0/24']), ['10.244.3.0/24']);
  t.deepEqual(affectedBy(cached, ['10.244.0.0/16']), ['10.244.3.0/24', '10.244.4.0/24']);
  t.deepEqual(affectedBy(cached, ['10.244.4.128/25', 'fd00:244::/32']), ['10.244.4.0/24', 'fd00:244:3::/64']);
  t.deepEqual(affectedBy(cached, ['0.0.0.0/0']), ['10.244.3.0/24', '10.244.4.0/24']);
  t.deepEqual(affectedBy(cached, ['192.168.0.0/24', 'not a prefix']), []);
});

// The agent's bookkeeping around kernel route changes (AgentDatapath drives it from KernelRoutes' events).
const entry = (cidr: string): NexthopEntry => ({ cidr, nexthops: [{ ifindex: 3, dmac: '02:00:00:00:01:01', smac: '02:00:00:00:00:0a' }] });
const REMOTE = ['10.244.3.0/24', '10.244.4.0/24'];

test('a route change drops the cached CIDR at once and holds it out until a pass has written that change', (t) => {
  const h = new NexthopHolds();
  h.setRemote(REMOTE);
  t.deepEqual(h.admit([entry('10.244.3.0/24'), entry('10.244.4.0/24')], h.begin()).map((e) => e.cidr), REMOTE);
  t.deepEqual(h.changing(['10.244.3.0/24'], 7), ['10.244.3.0/24'], 'cleared from the maps before the kernel changes');
  t.deepEqual(h.cidrs, ['10.244.4.0/24']);
  // a pass now (the kernel may still hold the old route) must not put it back
  t.deepEqual(h.admit([entry('10.244.3.0/24'), entry('10.244.4.0/24')], h.begin()).map((e) => e.cidr), ['10.244.4.0/24']);
  t.false(h.written(6), 'a pass that began before change 7 releases nothing');
  t.deepEqual(h.heldCidrs, ['10.244.3.0/24']);
  t.true(h.written(7));
  t.deepEqual(h.admit([entry('10.244.3.0/24'), entry('10.244.4.0/24')], h.begin()).map((e) => e.cidr), REMOTE);
});

test('a discovery begun before the release read the old route: its result waits for the next pass', (t) => {
  const h = new NexthopHolds();
  h.setRemote(REMOTE);
  h.admit([entry('10.244.3.0/24')], h.begin());
  h.changing(['10.244.0.0/16'], 3); // an aggregate: both CIDRs inside it
  t.deepEqual(h.heldCidrs.slice().sort(), REMOTE);
  const since = h.begin(); // discovery starts, reads the kernel (old routes)...
  t.true(h.written(3)); // ...the reconciler writes the change meanwhile
  t.deepEqual(h.admit([entry('10.244.3.0/24'), entry('10.244.4.0/24')], since), [], 'stale reads are not cached');
  t.deepEqual(h.admit([entry('10.244.3.0/24'), entry('10.244.4.0/24')], h.begin()).map((e) => e.cidr), REMOTE, 'the next pass caches them');
});

test('changes outside the remote pod CIDRs touch nothing; clear() forgets the cache', (t) => {
  const h = new NexthopHolds();
  h.setRemote(REMOTE);
  h.admit([entry('10.244.3.0/24')], h.begin());
  t.deepEqual(h.changing(['192.168.0.0/24'], 1), []);
  t.deepEqual(h.heldCidrs, []);
  t.false(h.written(1));
  h.clear();
  t.deepEqual(h.cidrs, []);
  t.deepEqual(h.changing(['10.244.3.0/24'], 2), [], 'nothing cached: nothing to clear, but held');
  t.deepEqual(h.heldCidrs, ['10.244.3.0/24']);
});

test('a route changed in the kernel by someone else: dropped at once, not held; a discovery begun before it does not count', (t) => {
  const h = new NexthopHolds();
  h.setRemote(REMOTE);
  h.admit([entry('10.244.3.0/24'), entry('10.244.4.0/24')], h.begin());
  const since = h.begin(); // a pass reads the kernel...
  t.deepEqual(h.changed(['10.244.3.128/25']), ['10.244.3.0/24'], 'a more specific route inside it: cleared from the maps now');
  t.deepEqual(h.cidrs, ['10.244.4.0/24']);
  t.deepEqual(h.heldCidrs, [], 'nothing to wait for: the kernel has changed already');
  t.deepEqual(h.admit([entry('10.244.3.0/24'), entry('10.244.4.0/24')], since).map((e) => e.cidr), ['10.244.4.0/24'], '...and read it before the change');
  t.deepEqual(h.admit([entry('10.244.3.0/24'), entry('10.244.4.0/24')], h.begin()).map((e) => e.cidr), REMOTE, 'the next pass decides again');
  t.deepEqual(h.changed(['192.168.0.0/24', 'not a cidr']), []);
  t.deepEqual(h.changed(['0.0.0.0/0']).sort(), REMOTE, 'a default route covers them all');
});

test('route events as `ip -o monitor label route` prints them (after the label)', (t) => {
  t.deepEqual(routeEventDsts('10.244.3.0/24 via 10.9.0.2 dev d0 '), ['10.244.3.0/24']);
  t.deepEqual(routeEventDsts('Deleted 10.244.3.0/24 via 10.9.0.3 dev d0 '), ['10.244.3.0/24']);
  t.deepEqual(routeEventDsts('blackhole 10.244.4.0/24 '), ['10.244.4.0/24']);
  t.deepEqual(routeEventDsts('Deleted unreachable 10.244.4.0/24 proto 199'), ['10.244.4.0/24']);
  t.deepEqual(routeEventDsts('fd00:244:3::/64 dev d0 metric 1024 pref medium'), ['fd00:244:3::/64']);
  t.deepEqual(routeEventDsts('default via 10.9.0.2 dev d0 '), ['0.0.0.0/0', '::/0']);
  t.deepEqual(routeEventDsts('10.244.6.7 dev d0 scope link '), ['10.244.6.7/32']);
  t.deepEqual(routeEventDsts('local fe80::4c33:32ff:fefa:2e2e dev d1 table local proto kernel metric 0 pref medium'), ['fe80::4c33:32ff:fefa:2e2e/128']);
  t.deepEqual(routeEventDsts('10.244.5.0/24 nhid 12 proto bgp metric 20'), ['10.244.5.0/24']);
  t.deepEqual(routeEventDsts(''), []);
  t.deepEqual(routeEventDsts('nexthop id 12 via 10.9.0.2 dev d0'), []);
});

test('affectedBy agrees with "one inside the other" checked pair by pair (fast-check)', (t) => {
  const cidr = fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 32 }), fc.boolean()).map(([hi, len, v6]) => v6
    ? `fd00:${hi.toString(16)}::/${len + 16}`
    : `10.${hi >> 8}.${hi & 0xff}.0/${Math.min(len, 24)}`);
  fc.assert(fc.property(fc.uniqueArray(cidr, { maxLength: 20, selector: (c) => formatCidr(parseCidr(c)) }), fc.array(cidr, { maxLength: 20 }), (cachedRaw, dsts) => {
    const cached = cachedRaw.map((c) => formatCidr(parseCidr(c)));
    const brute = cached.filter((text) => {
      const c = parseCidr(text);
      return dsts.map(parseCidr).some((d) => cidrContains(d, c) || cidrContains(c, d));
    });
    t.deepEqual(affectedBy(cached, dsts), brute);
  }), { numRuns: 300 });
});
