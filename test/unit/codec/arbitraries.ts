// fast-check arbitraries for every message, capability and attribute the codec knows, producing canonical values
// (what decode returns for them), so decode(encode(m)) must give m back exactly.
import fc from 'fast-check';
import {
  formatIpv4, formatIpv6, makeContext, ROWS_BY_CODE,
  type AsPathSegment, type BgpMessage, type Capability, type CodecContext, type Nlri, type OpenMessage,
  type PathAttribute, type UpdateMessage,
} from '../../../src/bgp/codec/index.js';

export const u8 = fc.integer({ min: 0, max: 0xff });
export const u16 = fc.integer({ min: 0, max: 0xffff });
export const u32 = fc.integer({ min: 0, max: 0xffffffff });

export const ipv4 = u32.map(formatIpv4);
/** A unicast IPv4 address NEXT_HOP accepts (not 0.0.0.0, not 224/3). */
export const unicastIpv4 = fc.integer({ min: 0x01000000, max: 0xdfffffff }).map(formatIpv4);
export const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIpv6(b));

export const ctxArb: fc.Arbitrary<CodecContext> = fc.record({
  as4: fc.boolean(),
  addPath: fc.record({ ipv4: fc.boolean(), ipv6: fc.boolean() }),
  extendedMessage: fc.constant(true),
  extendedNextHop: fc.boolean(),
}).map((c) => makeContext(c));

function maskedBytes(bytes: Uint8Array, bits: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - 8 * i));
    out[i] = bytes[i] & (0xff << (8 - keep));
  }
  return out;
}

export const prefix4 = fc.tuple(u32, fc.integer({ min: 0, max: 32 })).map(([a, bits]) => {
  const m = bits === 0 ? 0 : (a & (-1 << (32 - bits))) >>> 0;
  return `${formatIpv4(m)}/${bits}`;
});
export const prefix6 = fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 128 }))
  .map(([b, bits]) => `${formatIpv6(maskedBytes(b, bits))}/${bits}`);

export function nlriArb(afi: 1 | 2, addPath: boolean, max = 8): fc.Arbitrary<Nlri[]> {
  const p = afi === 1 ? prefix4 : prefix6;
  const one: fc.Arbitrary<Nlri> = addPath ? fc.record({ prefix: p, pathId: u32 }) : p.map((prefix) => ({ prefix }));
  return fc.array(one, { maxLength: max });
}

const family = fc.record({ afi: u16, safi: u8 });

const unknownCapCode = fc.constantFrom(3, 4, 7, 8, 10, 66, 67, 68, 72, 74, 75, 128, 129, 130, 200, 255);

export const capabilityArb: fc.Arbitrary<Capability> = fc.oneof(
  family.map((f) => ({ type: 'multiprotocol' as const, ...f })),
  fc.constant({ type: 'route-refresh' as const }),
  fc.constant({ type: 'enhanced-route-refresh' as const }),
  fc.constant({ type: 'extended-message' as const }),
  fc.integer({ min: 1, max: 0xffffffff }).map((asn) => ({ type: 'four-octet-as' as const, asn })),
  u8.map((role) => ({ type: 'role' as const, role })),
  fc.record({
    restarting: fc.boolean(), notification: fc.boolean(), restartTime: fc.integer({ min: 0, max: 4095 }),
    families: fc.array(fc.record({ afi: u16, safi: u8, forwarding: fc.boolean() }), { maxLength: 3 }),
  }).map((g) => ({ type: 'graceful-restart' as const, ...g })),
  fc.array(fc.record({ afi: u16, safi: u8, forwarding: fc.boolean(), staleTime: fc.integer({ min: 0, max: 0xffffff }) }),
    { maxLength: 3 }).map((families) => ({ type: 'long-lived-graceful-restart' as const, families })),
  fc.array(fc.record({ afi: u16, safi: u8, sendReceive: fc.integer({ min: 1, max: 3 }) }), { maxLength: 3 })
    .map((families) => ({ type: 'add-path' as const, families })),
  fc.array(fc.record({ afi: u16, safi: u16, nextHopAfi: u16 }), { maxLength: 3 })
    .map((entries) => ({ type: 'extended-next-hop' as const, entries })),
  fc.record({ hostname: fc.string({ maxLength: 20 }), domain: fc.string({ maxLength: 20 }) })
    .map((f) => ({ type: 'fqdn' as const, ...f })),
  fc.record({ code: unknownCapCode, data: fc.uint8Array({ maxLength: 12 }) })
    .map((u) => ({ type: 'unknown' as const, ...u })),
);

export const openArb: fc.Arbitrary<OpenMessage> = fc.record({
  asn: fc.integer({ min: 1, max: 0xffff }),
  holdTime: fc.oneof(fc.constant(0), fc.integer({ min: 3, max: 0xffff })),
  bgpId: fc.integer({ min: 1, max: 0xffffffff }).map(formatIpv4),
  capabilities: fc.array(capabilityArb, { maxLength: 8 }),
  layout: fc.constantFrom('one', 'each'),
  extendedParams: fc.boolean(),
}).map(({ layout, capabilities, ...r }) => ({
  type: 'OPEN', version: 4, ...r, capabilities,
  capabilityGroups: layout === 'one' ? [capabilities.length] : capabilities.map(() => 1),
}));

export const segmentArb = (as4: boolean): fc.Arbitrary<AsPathSegment> => fc.record({
  type: fc.constantFrom('sequence' as const, 'set' as const, 'confed-sequence' as const, 'confed-set' as const),
  asns: fc.array(fc.integer({ min: 0, max: as4 ? 0xffffffff : 0xffff }), { minLength: 1, maxLength: 6 }),
});

const extHex = fc.uint8Array({ minLength: 8, maxLength: 8 })
  .map((b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''));

/** Optional/Transitive bits come from the table; Extended Length may be set; Partial only on optional transitive. */
function flagsArb(expected: number): fc.Arbitrary<number> {
  const partial = expected === 0xc0 ? fc.constantFrom(0, 0x20) : fc.constant(0);
  return fc.tuple(partial, fc.constantFrom(0, 0x10)).map(([p, e]) => expected | p | e);
}

function attr<T>(type: PathAttribute['type'], code: number, value: fc.Arbitrary<T>): fc.Arbitrary<PathAttribute> {
  const expected = ROWS_BY_CODE[code]?.flags ?? 0xc0;
  return fc.tuple(flagsArb(expected), value).map(([flags, v]) => ({ type, flags, value: v }) as PathAttribute);
}

const knownCodes = new Set(ROWS_BY_CODE.flatMap((r, i) => (r === undefined ? [] : [i])));
const unknownAttrCode = fc.integer({ min: 1, max: 255 }).filter((c) => !knownCodes.has(c));

function mpReachArb(ctx: CodecContext): fc.Arbitrary<PathAttribute> {
  const v4 = fc.record({
    afi: fc.constant(1), safi: fc.constant(1),
    nextHops: ctx.extendedNextHop ? fc.oneof(fc.tuple(ipv4), fc.tuple(ipv6), fc.tuple(ipv6, ipv6)) : fc.tuple(ipv4),
    nlri: nlriArb(1, ctx.addPath.ipv4 === true),
  });
  const v6 = fc.record({
    afi: fc.constant(2), safi: fc.constant(1), nextHops: fc.oneof(fc.tuple(ipv6), fc.tuple(ipv6, ipv6)),
    nlri: nlriArb(2, ctx.addPath.ipv6 === true),
  });
  const other = fc.record({
    afi: fc.constant(25), safi: fc.constant(70), nextHops: fc.constant([] as string[]), nlri: fc.constant([] as Nlri[]),
    raw: fc.record({ nextHop: fc.uint8Array({ maxLength: 16 }), nlri: fc.uint8Array({ maxLength: 20 }) }),
  });
  return attr('mpReach', 14, fc.oneof(v4, v6, other));
}

function mpUnreachArb(ctx: CodecContext): fc.Arbitrary<PathAttribute> {
  return attr('mpUnreach', 15, fc.oneof(
    nlriArb(1, ctx.addPath.ipv4 === true).map((withdrawn) => ({ afi: 1, safi: 1, withdrawn })),
    nlriArb(2, ctx.addPath.ipv6 === true).map((withdrawn) => ({ afi: 2, safi: 1, withdrawn })),
    fc.uint8Array({ maxLength: 20 }).map((raw) => ({ afi: 25, safi: 70, withdrawn: [], raw })),
  ));
}

/** Every attribute the table knows, with values that fit the context. */
export function attributeArbs(ctx: CodecContext): Record<string, fc.Arbitrary<PathAttribute>> {
  const asn = fc.integer({ min: 0, max: ctx.as4 ? 0xffffffff : 0xffff });
  return {
    origin: attr('origin', 1, fc.constantFrom('igp', 'egp', 'incomplete')),
    asPath: attr('asPath', 2, fc.array(segmentArb(ctx.as4), { maxLength: 4 })),
    nextHop: attr('nextHop', 3, unicastIpv4),
    med: attr('med', 4, u32),
    localPref: attr('localPref', 5, u32),
    atomicAggregate: attr('atomicAggregate', 6, fc.constant(true)),
    aggregator: attr('aggregator', 7, fc.record({ asn, address: ipv4 })),
    communities: attr('communities', 8, fc.array(u32, { minLength: 1, maxLength: 6 })),
    originatorId: attr('originatorId', 9, ipv4),
    clusterList: attr('clusterList', 10, fc.array(ipv4, { minLength: 1, maxLength: 4 })),
    mpReach: mpReachArb(ctx),
    mpUnreach: mpUnreachArb(ctx),
    extendedCommunities: attr('extendedCommunities', 16, fc.array(extHex, { minLength: 1, maxLength: 4 })),
    as4Path: attr('as4Path', 17, fc.array(segmentArb(true), { maxLength: 3 })),
    as4Aggregator: attr('as4Aggregator', 18, fc.record({ asn: u32, address: ipv4 })),
    largeCommunities: attr('largeCommunities', 32,
      fc.array(fc.record({ global: u32, local1: u32, local2: u32 }), { minLength: 1, maxLength: 4 })),
    otc: attr('otc', 35, u32),
  };
}

const unknownAttrArb: fc.Arbitrary<PathAttribute> = fc.record({
  code: unknownAttrCode, ext: fc.constantFrom(0, 0x10), value: fc.uint8Array({ maxLength: 10 }),
}).map(({ code, ext, value }) => ({ type: 'unknown', code, flags: 0xe0 | ext, value }));

/** An UPDATE valid in ctx: mandatory attributes present whenever something is announced. */
export function updateArb(ctx: CodecContext): fc.Arbitrary<UpdateMessage> {
  const arbs = attributeArbs(ctx);
  const { origin, asPath, nextHop, ...optional } = arbs;
  return fc.record({
    withdrawn: nlriArb(1, ctx.addPath.ipv4 === true),
    nlri: nlriArb(1, ctx.addPath.ipv4 === true),
    mandatory: fc.tuple(origin, asPath, nextHop),
    optional: fc.record(optional, { requiredKeys: [] }),
    unknown: fc.uniqueArray(unknownAttrArb, { maxLength: 2, selector: (a) => (a.type === 'unknown' ? a.code : 0) }),
    withMandatory: fc.boolean(),
  }).map(({ withdrawn, nlri, mandatory, optional: opt, unknown, withMandatory }) => {
    const announces = nlri.length > 0 || opt.mpReach !== undefined;
    const attributes: PathAttribute[] = [
      ...(announces || withMandatory ? mandatory : []),
      ...Object.values(opt).filter((a): a is PathAttribute => a !== undefined),
      ...unknown,
    ];
    return { type: 'UPDATE' as const, withdrawn, attributes, nlri };
  });
}

export const notificationArb = fc.record({ code: u8, subcode: u8, data: fc.uint8Array({ maxLength: 40 }) })
  .map((n) => ({ type: 'NOTIFICATION' as const, ...n }));

export const routeRefreshArb = fc.record({ afi: u16, safi: u8, subtype: u8 })
  .map((r) => ({ type: 'ROUTE-REFRESH' as const, ...r }));

export function messageArb(ctx: CodecContext): fc.Arbitrary<BgpMessage> {
  return fc.oneof(openArb, updateArb(ctx), notificationArb, routeRefreshArb, fc.constant({ type: 'KEEPALIVE' as const }));
}
