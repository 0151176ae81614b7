// The glue between the codec and the RIB: UPDATE bytes in, RIB state; RIB plans out, UPDATE bytes.
import test from 'ava';
import { decode, encode, makeContext, type PathAttribute, type UpdateMessage } from '../../../src/bgp/codec/index.js';
import { ACCEPT_ALL, formatPrefix, makeAttrs, parsePrefix, Rib, type RibPath } from '../../../src/bgp/rib/index.js';
import { UpdateIngest } from '../../../src/bgp/speaker/ingest.js';
import { UpdateEmitter } from '../../../src/bgp/speaker/emit.js';

const ctx = makeContext({ as4: true });
const T = 0x40;
const O = 0x80;
const OT = 0xc0;

function update(attributes: PathAttribute[], nlri: string[] = [], withdrawn: string[] = []): Uint8Array {
  return encode({ type: 'UPDATE', attributes, nlri: nlri.map((prefix) => ({ prefix })), withdrawn: withdrawn.map((prefix) => ({ prefix })) }, ctx);
}

const base: PathAttribute[] = [
  { type: 'origin', flags: T, value: 'igp' },
  { type: 'asPath', flags: T, value: [{ type: 'sequence', asns: [65001, 65000, 4200000002] }] },
  { type: 'nextHop', flags: T, value: '10.0.1.1' },
  { type: 'med', flags: O, value: 20 },
  { type: 'communities', flags: OT, value: [65001 * 65536 + 7] },
  { type: 'largeCommunities', flags: OT, value: [{ global: 65001, local1: 1, local2: 2 }] },
];

function setup(): { rib: Rib; peer: number; ingest: UpdateIngest } {
  const rib = new Rib({ localAsn: 64512, routerId: '10.0.1.10', maxPaths: 8 });
  const peer = rib.addPeer({ address: '10.0.1.1', asn: 65001, importPolicy: ACCEPT_ALL, exportPolicy: ACCEPT_ALL });
  rib.peerUp(peer, { routerId: '10.255.0.11', localAddress: { ipv4: '10.0.1.10', ipv6: 'fd00:10:1::10' } });
  return { rib, peer, ingest: new UpdateIngest(rib, peer, ctx) };
}

const best = (rib: Rib, prefix: string): RibPath | null | undefined => {
  const key = parsePrefix(prefix);
  return rib.lookup(prefix.includes(':') ? 'ipv6' : 'ipv4', key)?.best;
};

test('IPv4 announcements land in the RIB with their attributes; withdrawals remove them', (t) => {
  const { rib, peer, ingest } = setup();
  const r = ingest.ingest(update(base, ['10.244.3.0/24', '10.244.4.0/24', '0.0.0.0/0']));
  t.is(r.announced, 3);
  t.is(r.error, undefined);
  rib.flush();
  const p = best(rib, '10.244.3.0/24');
  t.truthy(p);
  t.is(p?.attrs.nextHop, '10.0.1.1');
  t.deepEqual(p?.attrs.asPath, [{ type: 2, asns: [65001, 65000, 4200000002] }]);
  t.is(p?.attrs.med, 20);
  t.deepEqual(p?.attrs.communities, [65001 * 65536 + 7]);
  t.deepEqual(p?.attrs.largeCommunities, [[65001, 1, 2]]);
  t.is(rib.peerStats(peer).accepted, 3);
  // Same attribute block again: the same interned set.
  ingest.ingest(update(base, ['10.244.5.0/24']));
  rib.flush();
  t.is(best(rib, '10.244.5.0/24')?.attrs, best(rib, '10.244.3.0/24')?.attrs);

  const w = ingest.ingest(update([], [], ['10.244.3.0/24']));
  t.is(w.withdrawn, 1);
  rib.flush();
  t.is(best(rib, '10.244.3.0/24'), undefined);
  t.is(rib.peerStats(peer).accepted, 3);
});

test('IPv6 over MP_REACH / MP_UNREACH, and End-of-RIB for both families', (t) => {
  const { rib, ingest } = setup();
  const v6: PathAttribute[] = [
    base[0], base[1],
    { type: 'mpReach', flags: O, value: { afi: 2, safi: 1, nextHops: ['fd00:10:1::1', 'fe80::1'], nlri: [{ prefix: 'fd00:244:3::/64' }, { prefix: '2001:db8::/32' }] } },
  ];
  t.is(ingest.ingest(update(v6)).announced, 2);
  rib.flush();
  const p = best(rib, 'fd00:244:3::/64');
  t.is(p?.attrs.nextHop, 'fd00:10:1::1');
  t.is(p?.attrs.nextHopLinkLocal, 'fe80::1');
  const unreach: PathAttribute[] = [{ type: 'mpUnreach', flags: O, value: { afi: 2, safi: 1, withdrawn: [{ prefix: '2001:db8::/32' }] } }];
  t.is(ingest.ingest(update(unreach)).withdrawn, 1);
  rib.flush();
  t.is(best(rib, '2001:db8::/32'), undefined);
  t.is(ingest.ingest(update([])).endOfRib, 'ipv4');
  t.is(ingest.ingest(update([{ type: 'mpUnreach', flags: O, value: { afi: 2, safi: 1, withdrawn: [] } }])).endOfRib, 'ipv6');
});

test('a malformed optional attribute is treat-as-withdraw: prefixes withdrawn, session kept (RFC 7606)', (t) => {
  const { rib, ingest } = setup();
  ingest.ingest(update(base, ['10.244.3.0/24']));
  rib.flush();
  t.truthy(best(rib, '10.244.3.0/24'));
  // MED with a 3-byte value: RFC 7606 §7.4 says treat-as-withdraw.
  const bytes = update(base, ['10.244.3.0/24']);
  const medAt = findAttribute(bytes, 4);
  const broken = new Uint8Array(bytes.length - 1);
  broken.set(bytes.subarray(0, medAt + 2));
  broken[medAt + 2] = 3;
  broken.set(bytes.subarray(medAt + 3, medAt + 6), medAt + 3);
  broken.set(bytes.subarray(medAt + 7), medAt + 6);
  fixLengths(broken, -1);
  const r = ingest.ingest(broken);
  t.is(r.error?.action, 'treat-as-withdraw');
  rib.flush();
  t.is(best(rib, '10.244.3.0/24'), undefined);
});

test('the emitter turns RIB plans into UPDATEs that decode to the same routes (IPv4 packed, IPv6 split, End-of-RIB)', (t) => {
  const rib = new Rib({ localAsn: 64512, routerId: '10.0.1.10', maxPaths: 8 });
  const tor = rib.addPeer({ address: '10.0.1.1', asn: 65001, importPolicy: ACCEPT_ALL, exportPolicy: ACCEPT_ALL });
  const own = ['10.244.1.0/24', 'fd00:244:1::/64'];
  for (const p of own) rib.originate(p.includes(':') ? 'ipv6' : 'ipv4', parsePrefix(p), makeAttrs({ communities: [64512 * 65536 + 100] }));
  // Many IPv6 prefixes with one set: they must be split over several 4096-byte messages.
  for (let i = 0; i < 400; i++) rib.originate('ipv6', parsePrefix(`fd00:aa:${i.toString(16)}::/64`), makeAttrs({}));
  rib.flush();
  rib.peerUp(tor, { routerId: '10.255.0.11', localAddress: { ipv4: '10.0.1.10', ipv6: 'fd00:10:1::10' } });
  rib.flush();
  const { plans } = rib.takeUpdates(tor);
  const messages = new UpdateEmitter(ctx).encode(plans);
  const decoded: UpdateMessage[] = [];
  for (const buf of messages) {
    // IPv4 UPDATEs come packed back to back in one buffer: walk the lengths.
    for (let i = 0; i < buf.length;) {
      const len = (buf[i + 16] << 8) | buf[i + 17];
      t.true(len <= 4096);
      const m = decode(buf.subarray(i, i + len), ctx);
      if (m.type === 'UPDATE') decoded.push(m);
      i += len;
    }
  }
  const v4 = decoded.flatMap((m) => m.nlri.map((n) => n.prefix));
  const v6 = decoded.flatMap((m) => m.attributes.flatMap((a) => (a.type === 'mpReach' ? a.value.nlri.map((n) => n.prefix) : [])));
  t.deepEqual(v4, ['10.244.1.0/24']);
  t.is(v6.length, 401);
  t.true(v6.includes('fd00:244:1::/64'));
  t.true(decoded.filter((m) => m.attributes.some((a) => a.type === 'mpReach')).length >= 3, 'IPv6 split over several messages');
  const first = decoded.find((m) => m.nlri.length > 0);
  const attr = <K extends PathAttribute['type']>(m: UpdateMessage | undefined, k: K) => m?.attributes.find((a) => a.type === k);
  t.deepEqual(attr(first, 'asPath')?.value, [{ type: 'sequence', asns: [64512] }], 'eBGP: our AS prepended');
  t.is(attr(first, 'nextHop')?.value, '10.0.1.10', 'eBGP: next hop self');
  t.deepEqual(attr(first, 'communities')?.value, [64512 * 65536 + 100]);
  const v6msg = decoded.find((m) => m.attributes.some((a) => a.type === 'mpReach'));
  const mp = attr(v6msg, 'mpReach');
  t.deepEqual(mp?.type === 'mpReach' ? mp.value.nextHops : [], ['fd00:10:1::10']);
  t.is(decoded.filter((m) => m.nlri.length === 0 && m.withdrawn.length === 0 && m.attributes.length === 0).length, 1, 'IPv4 End-of-RIB');
  t.is(formatPrefix(parsePrefix('fd00:aa:1::/64')), 'fd00:aa:1::/64');
});

/** Offset of the attribute with this type code in an UPDATE (flags octet). */
function findAttribute(b: Uint8Array, code: number): number {
  const wl = (b[19] << 8) | b[20];
  let i = 21 + wl + 2;
  const end = i + ((b[21 + wl] << 8) | b[22 + wl]);
  while (i < end) {
    const ext = (b[i] & 0x10) !== 0;
    const len = ext ? (b[i + 2] << 8) | b[i + 3] : b[i + 2];
    if (b[i + 1] === code) return i;
    i += (ext ? 4 : 3) + len;
  }
  throw new Error(`no attribute ${code}`);
}

/** Adjusts the message length and the total path attribute length by delta. */
function fixLengths(b: Uint8Array, delta: number): void {
  const len = ((b[16] << 8) | b[17]) + delta;
  b[16] = len >> 8;
  b[17] = len & 0xff;
  const wl = (b[19] << 8) | b[20];
  const al = ((b[21 + wl] << 8) | b[22 + wl]) + delta;
  b[21 + wl] = al >> 8;
  b[22 + wl] = al & 0xff;
}
