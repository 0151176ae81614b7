// Round trips: decode(encode(m)) equals m for generated messages of every type, capability and attribute, and
// encode(decode(b)) equals b for canonical wire bytes.
import test from 'ava';
import fc from 'fast-check';
import {
  decode, encode, makeContext, toHex, type Capability, type CodecContext, type PathAttribute,
} from '../../../src/bgp/codec/index.js';
import {
  attributeArbs, capabilityArb, ctxArb, messageArb, notificationArb, openArb, routeRefreshArb, updateArb,
} from './arbitraries.js';
import { hex, VECTORS } from './vectors.js';

const RUNS = { numRuns: 300 };

test('every message type: decode(encode(m)) equals m', (t) => {
  fc.assert(fc.property(ctxArb.chain((ctx) => fc.tuple(fc.constant(ctx), messageArb(ctx))), ([ctx, m]) => {
    t.deepEqual(decode(encode(m, ctx), ctx), m);
  }), { numRuns: 1000 });
});

for (const [name, arb] of [['OPEN', openArb], ['NOTIFICATION', notificationArb], ['ROUTE-REFRESH', routeRefreshArb]] as const) {
  test(`${name}: decode(encode(m)) equals m, and encode(decode(b)) equals b`, (t) => {
    fc.assert(fc.property(arb, (m) => {
      const b = encode(m);
      const d = decode(b);
      t.deepEqual(d, m);
      t.is(toHex(encode(d)), toHex(b));
    }), RUNS);
  });
}

test('KEEPALIVE round trips', (t) => {
  t.deepEqual(decode(encode({ type: 'KEEPALIVE' })), { type: 'KEEPALIVE' });
});

test('UPDATE: decode(encode(m)) equals m in every session context', (t) => {
  fc.assert(fc.property(ctxArb.chain((ctx) => fc.tuple(fc.constant(ctx), updateArb(ctx))), ([ctx, m]) => {
    const b = encode(m, ctx);
    const d = decode(b, ctx);
    t.deepEqual(d, m);
    t.is(toHex(encode(d, ctx)), toHex(b));
  }), { numRuns: 1000 });
});

const CAPABILITY_TYPES: Capability['type'][] = ['multiprotocol', 'route-refresh', 'enhanced-route-refresh',
  'four-octet-as', 'graceful-restart', 'long-lived-graceful-restart', 'add-path', 'extended-next-hop',
  'extended-message', 'fqdn', 'role', 'unknown'];

for (const type of CAPABILITY_TYPES) {
  test(`capability ${type} round trips inside an OPEN`, (t) => {
    fc.assert(fc.property(fc.array(capabilityArb.filter((c) => c.type === type), { minLength: 1, maxLength: 3 }), (caps) => {
      const m = { type: 'OPEN' as const, version: 4, asn: 65001, holdTime: 90, bgpId: '192.0.2.1', capabilities: caps,
        capabilityGroups: [caps.length], extendedParams: false };
      t.deepEqual(decode(encode(m)), m);
    }), { numRuns: 100 });
  });
}

const ATTRIBUTE_KEYS = Object.keys(attributeArbs(makeContext()));

for (const key of ATTRIBUTE_KEYS) {
  test(`attribute ${key} round trips in 2- and 4-octet AS sessions`, (t) => {
    const mandatory = (ctx: CodecContext): PathAttribute[] => [
      { type: 'origin', flags: 0x40, value: 'igp' },
      { type: 'asPath', flags: 0x40, value: [{ type: 'sequence', asns: [ctx.as4 ? 4200000001 : 65001] }] },
      { type: 'nextHop', flags: 0x40, value: '192.0.2.1' },
    ];
    fc.assert(fc.property(ctxArb.chain((ctx) => fc.tuple(fc.constant(ctx), attributeArbs(ctx)[key])), ([ctx, a]) => {
      const attributes = ['origin', 'asPath', 'nextHop'].includes(key)
        ? mandatory(ctx).map((m) => (m.type === a.type ? a : m))
        : [...mandatory(ctx), a];
      const nlri = [ctx.addPath.ipv4 === true ? { prefix: '10.0.0.0/8', pathId: 7 } : { prefix: '10.0.0.0/8' }];
      const m = { type: 'UPDATE' as const, withdrawn: [], attributes, nlri };
      t.deepEqual(decode(encode(m, ctx), ctx), m);
    }), { numRuns: 100 });
  });
}

for (const [name, h] of Object.entries(VECTORS)) {
  test(`canonical bytes ${name}: encode(decode(b)) equals b`, (t) => {
    const b = hex(h);
    const m = decode(b);
    t.is(toHex(encode(m)), toHex(b));
  });
}

test('unknown optional transitive attribute is re-sent with the Partial bit (RFC 4271 §5)', (t) => {
  const b = hex(`ffffffffffffffffffffffffffffffff 001e 02 0000 0007 c0 63 04 01020304`);
  // no NLRI: the missing ORIGIN/AS_PATH are not an error (RFC 7606 §3 d)
  const m = decode(b);
  t.deepEqual(m, { type: 'UPDATE', withdrawn: [], nlri: [],
    attributes: [{ type: 'unknown', code: 0x63, flags: 0xc0, value: Uint8Array.of(1, 2, 3, 4) }] });
  const again = encode(m);
  t.is(again[23], 0xe0);
});

test('unknown optional non-transitive attribute is dropped (RFC 4271 §5)', (t) => {
  const b = hex(`ffffffffffffffffffffffffffffffff 001e 02 0000 0007 80 63 04 01020304`);
  const m = decode(b);
  t.deepEqual(m, { type: 'UPDATE', withdrawn: [], nlri: [], attributes: [] });
});
