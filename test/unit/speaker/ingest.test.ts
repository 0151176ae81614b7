// UpdateIngest without a cache of its own: the attribute block decoded once by the scan, interned in the RIB, reused
// across consecutive UPDATEs with the same bytes, and every reference given back (no set outlives its routes).
import test from 'ava';
import { encode, makeContext, type PathAttribute } from '../../../src/bgp/codec/index.js';
import { ACCEPT_ALL, formatPrefix, parsePrefix, Rib, type RibPath } from '../../../src/bgp/rib/index.js';
import { UpdateIngest } from '../../../src/bgp/speaker/ingest.js';
import { toRibAttributes } from '../../../src/bgp/speaker/attributes.js';

const ctx = makeContext({ as4: true });
const T = 0x40;
const O = 0x80;

function update(attributes: PathAttribute[], nlri: string[] = [], withdrawn: string[] = []): Uint8Array {
  return encode({ type: 'UPDATE', attributes, nlri: nlri.map((prefix) => ({ prefix })), withdrawn: withdrawn.map((prefix) => ({ prefix })) }, ctx);
}

const attrs = (asns: number[], med?: number): PathAttribute[] => [
  { type: 'origin', flags: T, value: 'igp' },
  { type: 'asPath', flags: T, value: [{ type: 'sequence', asns }] },
  { type: 'nextHop', flags: T, value: '10.0.1.1' },
  ...(med === undefined ? [] : [{ type: 'med', flags: O, value: med } as PathAttribute]),
];

const v6 = (asns: number[], prefixes: string[]): PathAttribute[] => [
  { type: 'origin', flags: T, value: 'igp' },
  { type: 'asPath', flags: T, value: [{ type: 'sequence', asns }] },
  { type: 'mpReach', flags: O, value: { afi: 2, safi: 1, nextHops: ['fd00:10:1::1'], nlri: prefixes.map((prefix) => ({ prefix })) } },
];

function setup() {
  const rib = new Rib({ localAsn: 64512, routerId: '10.0.1.10', maxPaths: 8 });
  const peer = rib.addPeer({ address: '10.0.1.1', asn: 65001, importPolicy: ACCEPT_ALL, exportPolicy: ACCEPT_ALL });
  rib.peerUp(peer, { routerId: '10.255.0.11', localAddress: { ipv4: '10.0.1.10', ipv6: 'fd00:10:1::10' } });
  return { rib, peer, ingest: new UpdateIngest(rib, peer, ctx) };
}

const path = (rib: Rib, prefix: string): RibPath | null | undefined =>
  rib.lookup(prefix.includes(':') ? 'ipv6' : 'ipv4', parsePrefix(prefix))?.best;

test('a run of UPDATEs with the same attribute bytes shares one set; a different block gets its own', (t) => {
  const { rib, ingest } = setup();
  ingest.ingest(update(attrs([65001, 65100]), ['10.1.0.0/24', '10.1.1.0/24']));
  ingest.ingest(update(attrs([65001, 65100]), ['10.1.2.0/24']));
  ingest.ingest(update(attrs([65001, 65200]), ['10.2.0.0/24']));
  // Back to the first attributes, not consecutive: found by value in the RIB's table.
  ingest.ingest(update(attrs([65001, 65100]), ['10.1.3.0/24']));
  const a = path(rib, '10.1.0.0/24')?.attrs;
  t.truthy(a);
  for (const p of ['10.1.1.0/24', '10.1.2.0/24', '10.1.3.0/24']) t.is(path(rib, p)?.attrs, a, p);
  t.deepEqual(path(rib, '10.2.0.0/24')?.attrs.asPath, [{ type: 2, asns: [65001, 65200] }]);
  t.is(rib.attrs.size, 2);
  t.is(rib.attrs.refs(a!.id), 4, 'one reference per route, none kept by the ingest');
});

test('the same bytes after their set was freed are decoded again (never a stale set)', (t) => {
  const { rib, ingest } = setup();
  ingest.ingest(update(attrs([65001, 65100], 5), ['10.1.0.0/24']));
  const first = path(rib, '10.1.0.0/24')!.attrs;
  ingest.ingest(update([], [], ['10.1.0.0/24']));
  t.is(rib.attrs.size, 0);
  t.false(rib.attrs.holds(first));
  // Another set now takes the freed id; then the first block's bytes come again.
  rib.originate('ipv4', parsePrefix('10.244.1.0/24'), { ...first, med: 99 });
  ingest.ingest(update(attrs([65001, 65100], 5), ['10.1.0.0/24']));
  const again = path(rib, '10.1.0.0/24')!.attrs;
  t.is(again.med, 5);
  t.deepEqual(again.asPath, [{ type: 2, asns: [65001, 65100] }]);
  t.is(path(rib, '10.244.1.0/24')!.attrs.med, 99);
});

test('IPv4 and IPv6 in one UPDATE get their own next hops; consecutive repeats keep both', (t) => {
  const { rib, ingest } = setup();
  const both = (v4: string[], six: string[]): Uint8Array => encode({
    type: 'UPDATE', attributes: [...v6([65001], six), { type: 'nextHop', flags: T, value: '10.0.1.1' }],
    nlri: v4.map((prefix) => ({ prefix })), withdrawn: [],
  }, ctx);
  ingest.ingest(both(['10.1.0.0/24'], ['fd00:1::/64']));
  ingest.ingest(both(['10.1.1.0/24'], ['fd00:2::/64', 'fd00:3::/64']));
  t.is(path(rib, '10.1.1.0/24')?.attrs.nextHop, '10.0.1.1');
  t.is(path(rib, 'fd00:3::/64')?.attrs.nextHop, 'fd00:10:1::1');
  t.is(path(rib, '10.1.0.0/24')?.attrs, path(rib, '10.1.1.0/24')?.attrs);
  t.is(path(rib, 'fd00:1::/64')?.attrs, path(rib, 'fd00:2::/64')?.attrs);
  t.is(rib.attrs.size, 2);
});

test('RIB contents and reference counts after a mixed stream match the routes held', (t) => {
  const { rib, peer, ingest } = setup();
  let seed = 7;
  const rnd = (n: number): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
  const want = new Map<string, number>();
  for (let i = 0; i < 400; i++) {
    const asn = 65100 + rnd(6);
    const prefixes = Array.from({ length: 1 + rnd(5) }, () => `10.${rnd(4)}.${rnd(30)}.0/24`);
    if (rnd(4) === 0) {
      ingest.ingest(update([], [], prefixes));
      for (const p of prefixes) want.delete(p);
    } else {
      ingest.ingest(update(attrs([65001, asn]), prefixes));
      for (const p of prefixes) want.set(p, asn);
    }
  }
  rib.flush();
  const got = new Map<string, number>();
  rib.forEachBest('ipv4', (c) => { got.set(formatPrefix(c.prefix), c.best!.attrs.asPath[0]!.asns[1]!); });
  t.deepEqual([...got].sort(), [...want].sort());
  t.is(rib.peerStats(peer).accepted, want.size);
  let refs = 0;
  for (let id = 0; id < rib.attrs.capacity; id++) refs += rib.attrs.refs(id);
  t.is(refs, want.size, 'every reference is a route');
  t.is(rib.attrs.size, new Set(want.values()).size);
});

test('NEXT_HOP text already canonical is kept as is; other text is normalised as before', (t) => {
  const nh = (value: string): string => toRibAttributes([{ type: 'nextHop', flags: T, value }], 'ipv4', false, ctx).nextHop;
  for (const x of ['10.0.1.1', '0.0.0.0', '255.255.255.255', '192.168.100.9']) t.is(nh(x), x);
  t.is(nh('010.000.001.001'), '10.0.1.1');
  t.is(nh('10.0.01.1'), '10.0.1.1');
});

test('toRibAttributes builds the set in one pass: empty lists shared, AS4_PATH merged on 2-octet sessions', (t) => {
  const a = toRibAttributes([
    { type: 'origin', flags: T, value: 'egp' },
    { type: 'asPath', flags: T, value: [{ type: 'sequence', asns: [65001, 23456] }] },
    { type: 'nextHop', flags: T, value: '10.0.1.1' },
    { type: 'communities', flags: 0xc0, value: [1, 2] },
    { type: 'as4Path', flags: 0xc0, value: [{ type: 'sequence', asns: [4200000000] }] },
  ], 'ipv4', false, makeContext({ as4: false }));
  t.is(a.id, -1);
  t.is(a.origin, 1);
  t.deepEqual(a.asPath, [{ type: 2, asns: [65001] }, { type: 2, asns: [4200000000] }]);
  t.deepEqual(a.communities, [1, 2]);
  t.true(Object.isFrozen(a.clusterList) && a.clusterList.length === 0 && (a.clusterList as unknown) === a.unknown);
  const b = toRibAttributes([{ type: 'as4Path', flags: 0xc0, value: [{ type: 'sequence', asns: [7] }] },
    { type: 'asPath', flags: T, value: [{ type: 'sequence', asns: [65001] }] }], 'ipv4', false, ctx);
  t.deepEqual(b.asPath, [{ type: 2, asns: [65001] }], 'AS4_PATH ignored on a 4-octet session');
});

test('next hops alternating between UPDATEs each reach their routes (the last next hop text is reused only while equal)', (t) => {
  const { rib, ingest } = setup();
  const withNh = (nh: string, asn: number): PathAttribute[] =>
    attrs([65001, asn]).map((a) => (a.type === 'nextHop' ? { ...a, value: nh } : a));
  const hops = ['10.0.1.1', '10.0.1.2', '10.0.1.2', '10.0.1.1', '10.0.1.3'];
  hops.forEach((nh, i) => ingest.ingest(update(withNh(nh, 65100 + i), [`10.9.${i}.0/24`])));
  hops.forEach((nh, i) => t.is(path(rib, `10.9.${i}.0/24`)?.attrs.nextHop, nh));
  t.is(path(rib, '10.9.1.0/24')?.attrs.nextHop, path(rib, '10.9.2.0/24')?.attrs.nextHop);
});

test('lists reused across UPDATEs: a shorter UPDATE after a longer one applies only its own prefixes', (t) => {
  const { rib, ingest } = setup();
  const r1 = ingest.ingest(update(attrs([65001, 65100]), ['10.5.0.0/24', '10.5.1.0/24', '10.5.2.0/24']));
  t.is(r1.announced, 3);
  const r2 = ingest.ingest(update(attrs([65001, 65200]), ['10.5.3.0/24'], ['10.5.0.0/24', '10.5.1.0/24']));
  t.deepEqual([r2.announced, r2.withdrawn], [1, 2]);
  t.deepEqual(path(rib, '10.5.2.0/24')?.attrs.asPath, [{ type: 2, asns: [65001, 65100] }], 'not re-announced with the new set');
  t.deepEqual(path(rib, '10.5.3.0/24')?.attrs.asPath, [{ type: 2, asns: [65001, 65200] }]);
  t.is(path(rib, '10.5.0.0/24'), undefined);
  const r3 = ingest.ingest(update([], [], ['10.5.2.0/24']));
  t.deepEqual([r3.announced, r3.withdrawn], [0, 1]);
  t.is(path(rib, '10.5.3.0/24')?.attrs.asPath[0]?.asns[1], 65200, 'a stale withdrawal entry is not applied again');
  t.is(path(rib, '10.5.1.0/24'), undefined);
  t.is(rib.attrs.size, 1);
});
