// The hot path agrees with the object decoder: the same prefixes, the same errors, no objects per prefix; attribute
// blocks intern by bytes; the IPv4 writer's stream decodes back to its input.
import test from 'ava';
import fc from 'fast-check';
import {
  attributeKey, BgpCodecError, BgpFramer, decode, encode, encodeAttributes, formatIpv4Prefix, formatIpv6,
  Ipv4UpdateWriter, makeContext, scanUpdate, type CodecContext, type UpdateMessage,
} from '../../../src/bgp/codec/index.js';
import { ctxArb, updateArb } from './arbitraries.js';
import { hex, VECTORS } from './vectors.js';

function v6text(b: Uint8Array, off: number, bits: number): string {
  const full = new Uint8Array(16);
  const n = (bits + 7) >> 3;
  full.set(b.subarray(off, off + n));
  if ((bits & 7) !== 0) full[n - 1] &= 0xff << (8 - (bits & 7));
  return `${formatIpv6(full)}/${bits}`;
}

/** What scanUpdate reports, as text, for comparison with decode(). */
function scanned(b: Uint8Array, ctx: CodecContext): { announced: string[]; withdrawn: string[] } {
  const announced: string[] = [];
  const withdrawn: string[] = [];
  const id = (p: number, ap: boolean | undefined): string => (ap === true ? `#${p}` : '');
  scanUpdate(b, ctx, {
    announce4: (a, l, p) => announced.push(formatIpv4Prefix(a, l) + id(p, ctx.addPath.ipv4)),
    withdraw4: (a, l, p) => withdrawn.push(formatIpv4Prefix(a, l) + id(p, ctx.addPath.ipv4)),
    announce6: (bb, o, l, p) => announced.push(v6text(bb, o, l) + id(p, ctx.addPath.ipv6)),
    withdraw6: (bb, o, l, p) => withdrawn.push(v6text(bb, o, l) + id(p, ctx.addPath.ipv6)),
  });
  return { announced, withdrawn };
}

function fromObjects(m: UpdateMessage): { announced: string[]; withdrawn: string[] } {
  const t = (n: { prefix: string; pathId?: number }): string => n.prefix + (n.pathId === undefined ? '' : `#${n.pathId}`);
  const announced = m.nlri.map(t);
  const withdrawn = m.withdrawn.map(t);
  for (const a of m.attributes) {
    if (a.type === 'mpUnreach') withdrawn.push(...a.value.withdrawn.map(t));
  }
  for (const a of m.attributes) {
    if (a.type === 'mpReach') announced.push(...a.value.nlri.map(t));
  }
  return { announced, withdrawn };
}

test('scanUpdate yields the prefixes decode() finds, for generated UPDATEs', (t) => {
  fc.assert(fc.property(ctxArb.chain((ctx) => fc.tuple(fc.constant(ctx), updateArb(ctx))), ([ctx, m]) => {
    const b = encode(m, ctx);
    const want = fromObjects(m);
    const got = scanned(b, ctx);
    // withdrawn order: IPv4 field then MP_UNREACH; announced: NLRI field then MP_REACH
    t.deepEqual(got, want);
  }), { numRuns: 500 });
});

test('scanUpdate and decode() agree on errors: same code, subcode and action, or both none', (t) => {
  fc.assert(fc.property(ctxArb.chain((ctx) => fc.tuple(fc.constant(ctx), updateArb(ctx), fc.nat(), fc.nat(255))),
    ([ctx, m, pos, val]) => {
      const b = encode(m, ctx);
      const i = 23 + (pos % Math.max(1, b.length - 23));
      if (i < b.length) b[i] = val;
      const viaDecode = ((): string => {
        try {
          const d = decode(b, ctx);
          return d.type === 'UPDATE' && d.error !== undefined ? `${d.error.code}/${d.error.subcode}/${d.error.action}` : 'ok';
        } catch (e) {
          if (!(e instanceof BgpCodecError)) throw e;
          return `${e.code}/${e.subcode}/${e.action}`;
        }
      })();
      const viaScan = ((): string => {
        try {
          const r = scanUpdate(b, ctx, {});
          return r.error !== undefined ? `${r.error.code}/${r.error.subcode}/${r.error.action}` : 'ok';
        } catch (e) {
          if (!(e instanceof BgpCodecError)) throw e;
          return `${e.code}/${e.subcode}/${e.action}`;
        }
      })();
      t.is(viaScan, viaDecode);
    }), { numRuns: 1000 });
});

test('scanUpdate reports End-of-RIB for both families (RFC 4724 §2)', (t) => {
  const ctx = makeContext();
  t.deepEqual(scanUpdate(hex(VECTORS.eorIpv4), ctx, {}).endOfRib, { afi: 1, safi: 1 });
  t.deepEqual(scanUpdate(hex(VECTORS.eorIpv6), ctx, {}).endOfRib, { afi: 2, safi: 1 });
  t.is(scanUpdate(hex(VECTORS.updateIpv4), ctx, {}).endOfRib, undefined);
});

test('treat-as-withdraw: scanUpdate hands the announcements to the withdraw callback', (t) => {
  // ORIGIN value 3 is malformed (RFC 7606 §7.1)
  const ctx = makeContext();
  const m = decode(hex(VECTORS.updateIpv4), ctx) as UpdateMessage;
  const b = encode(m, ctx);
  b[19 + 4 + 3] = 3;
  const withdrawn: string[] = [];
  let announced = 0;
  const r = scanUpdate(b, ctx, { withdraw4: (a, l) => withdrawn.push(formatIpv4Prefix(a, l)), announce4: () => announced++ });
  t.is(r.error?.action, 'treat-as-withdraw');
  t.deepEqual(withdrawn, ['10.0.1.0/24', '10.2.0.0/16']);
  t.is(announced, 0);
});

test('attributeKey: same attributes intern together, MP_REACH prefixes do not split them', (t) => {
  const ctx = makeContext();
  const base = decode(hex(VECTORS.updateIpv6), ctx) as UpdateMessage;
  const other = { ...base, attributes: base.attributes.map((a) => (a.type === 'mpReach'
    ? { ...a, value: { ...a.value, nlri: [{ prefix: '2001:db8:2::/48' }, { prefix: '2001:db8:3::/48' }] } } : a)) };
  const keys: string[] = [];
  for (const m of [base, other]) {
    scanUpdate(encode(m, ctx), ctx, { attributes: (b, s, e, info) => keys.push(attributeKey(b, s, e, info)) });
  }
  t.is(keys.length, 2);
  t.is(keys[0], keys[1]);
  const withMed = { ...base, attributes: [...base.attributes, { type: 'med' as const, flags: 0x80, value: 5 }] };
  scanUpdate(encode(withMed, ctx), ctx, { attributes: (b, s, e, info) => keys.push(attributeKey(b, s, e, info)) });
  t.not(keys[2], keys[0]);
});

test('Ipv4UpdateWriter: packs prefixes into messages within 4096 octets that decode to the same prefixes', (t) => {
  fc.assert(fc.property(fc.boolean(), fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), fc.nat()),
    { maxLength: 2000 }), (addPath, ps) => {
    const ctx = makeContext({ addPath: { ipv4: addPath } });
    const attrs = encodeAttributes([
      { type: 'origin', flags: 0x40, value: 'igp' }, { type: 'asPath', flags: 0x40, value: [{ type: 'sequence', asns: [65001] }] },
      { type: 'nextHop', flags: 0x40, value: '192.0.2.1' }], ctx);
    const w = new Ipv4UpdateWriter(ctx, 64);
    w.announce(attrs, ps.map((p) => p[0]), ps.map((p) => p[1]), 0, ps.length, ps.map((p) => p[2]));
    w.withdraw(ps.map((p) => p[0]), ps.map((p) => p[1]), 0, ps.length, ps.map((p) => p[2]));
    const stream = w.take();
    const got: string[] = [];
    const gone: string[] = [];
    new BgpFramer().push(stream, (msg) => {
      t.true(msg.length <= 4096);
      scanUpdate(msg, ctx, {
        announce4: (a, l, p) => got.push(`${formatIpv4Prefix(a, l)}#${p}`),
        withdraw4: (a, l, p) => gone.push(`${formatIpv4Prefix(a, l)}#${p}`),
      });
    });
    const want = ps.map(([a, l, p]) => `${formatIpv4Prefix(l === 0 ? 0 : (a & (-1 << (32 - l))) >>> 0, l)}#${addPath ? p : 0}`);
    t.deepEqual(got, want);
    t.deepEqual(gone, want);
  }), { numRuns: 50 });
});

test('Ipv4UpdateWriter: reusable after take(), also after a large run let its buffer go', (t) => {
  const ctx = makeContext({});
  const attrs = encodeAttributes([
    { type: 'origin', flags: 0x40, value: 'igp' }, { type: 'asPath', flags: 0x40, value: [{ type: 'sequence', asns: [65001] }] },
    { type: 'nextHop', flags: 0x40, value: '192.0.2.1' }], ctx);
  const w = new Ipv4UpdateWriter(ctx, 64);
  const count = (stream: Uint8Array): number => {
    let n = 0;
    new BgpFramer().push(stream, (msg) => scanUpdate(msg, ctx, { announce4: () => { n++; } }));
    return n;
  };
  for (const size of [1, 20_000, 3, 20_000, 1]) {
    const addrs = Array.from({ length: size }, (_x, i) => 0x0a000000 + i * 256);
    const lens = addrs.map(() => 24);
    w.announce(attrs, addrs, lens, 0, size);
    t.is(count(w.take()), size);
  }
});
