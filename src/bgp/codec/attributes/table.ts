// The path attribute table: one row per attribute the codec knows (BIRD's bgp_attr_table[] in spirit). A row holds
// the code, the name, the Optional/Transitive bits it must carry, the RFC 7606 action when it is malformed, and the
// hooks that decode, encode and format its value. The generic checks (header, duplicates, flags, unknown
// well-known) live once in block.ts and run before a row's decode hook.
import { formatIpv4, formatIpv4Bytes, formatIpv6, parseIpv4, parseIpv6 } from '../address.js';
import { ByteWriter, checkUint, copy, toHex } from '../bytes.js';
import { ErrorCode, UpdateSubcode } from '../constants.js';
import { addPathFor, type CodecContext } from '../context.js';
import { BgpCodecError, BgpEncodeError, type ErrorAction } from '../errors.js';
import { decodeNlri, encodeNlri, type Nlri } from '../prefix.js';
import { decodeAsPath, encodeAsPath } from './aspath.js';
import { AttrFlag, type AttributeValues, type KnownAttributeType } from './types.js';

/** A range of NLRI octets inside an MP attribute, left undecoded for the hot path (scan.ts). */
export interface NlriRange {
  readonly afi: number;
  readonly safi: number;
  readonly start: number;
  readonly end: number;
  /** IPv4/IPv6 unicast/multicast, which the hot path walks; anything else stays opaque. */
  readonly known: boolean;
}

/** What a decode hook may read besides its bytes. `lazyNlri` is set by the hot path; hooks then fill the ranges. */
export interface DecodeEnv {
  readonly ctx: CodecContext;
  readonly lazyNlri: boolean;
  reach?: NlriRange;
  unreach?: NlriRange;
}

export interface AttributeRow<K extends KnownAttributeType> {
  readonly code: number;
  readonly type: K;
  /** The RFC's name, e.g. "MP_REACH_NLRI". */
  readonly name: string;
  /** The Optional and Transitive bits the attribute must carry (RFC 7606 §3 c). */
  readonly flags: number;
  /** RFC 7606 approach when the attribute is malformed, and where that is written. */
  readonly action: ErrorAction;
  readonly rfc: string;
  decode(b: Uint8Array, start: number, end: number, env: DecodeEnv): AttributeValues[K];
  encode(v: AttributeValues[K], w: ByteWriter, ctx: CodecContext): void;
  /** The value as JSON for `rackroute decode`. */
  format(v: AttributeValues[K]): unknown;
}

/** Errors thrown by hooks that did not name an action: block.ts gives them the row's. */
export const TAKES_ROW_ACTION = new WeakSet<BgpCodecError>();

/** Thrown by hooks; block.ts adds the attribute octets as data and the row's action unless one is given. */
function malformed(message: string, subcode: number, action?: ErrorAction): never {
  const err = new BgpCodecError(message, { code: ErrorCode.UPDATE, subcode, action });
  if (action === undefined) TAKES_ROW_ACTION.add(err);
  throw err;
}

const WELL_KNOWN = AttrFlag.TRANSITIVE;
const OPTIONAL = AttrFlag.OPTIONAL;
const OPTIONAL_TRANSITIVE = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE;

function u32(b: Uint8Array, i: number): number {
  return ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
}

function exactLength(name: string, len: number, want: number, subcode: number = UpdateSubcode.ATTRIBUTE_LENGTH): void {
  if (len !== want) malformed(`${name} length ${len}, expected ${want}`, subcode);
}

function multipleOf(name: string, len: number, unit: number): void {
  if (len === 0 || len % unit !== 0) {
    malformed(`${name} length ${len} is not a non-zero multiple of ${unit}`, UpdateSubcode.ATTRIBUTE_LENGTH);
  }
}

function u32Row<K extends 'med' | 'localPref' | 'otc'>(code: number, type: K, name: string, flags: number,
  action: ErrorAction, rfc: string): AttributeRow<K> {
  return {
    code, type, name, flags, action, rfc,
    decode: (b, s, e, env) => {
      if (e - s !== 4) {
        // RFC 7606 §7.5: a LOCAL_PREF from an external peer is discarded rather than withdrawn.
        const act = type === 'localPref' && env.ctx.ebgp === true ? 'attribute-discard' : undefined;
        malformed(`${name} length ${e - s}, expected 4`, UpdateSubcode.ATTRIBUTE_LENGTH, act);
      }
      return u32(b, s) as AttributeValues[K];
    },
    encode: (v, w) => {
      w.u32(checkUint(v as number, 32, name));
    },
    format: (v) => v,
  };
}

function aggregatorRow<K extends 'aggregator' | 'as4Aggregator'>(code: number, type: K, name: string, rfc: string,
  action: ErrorAction): AttributeRow<K> {
  const width = (ctx: CodecContext): number => (type === 'as4Aggregator' || ctx.as4 ? 4 : 2);
  return {
    code, type, name, flags: OPTIONAL_TRANSITIVE, action, rfc,
    decode: (b, s, e, env) => {
      const wd = width(env.ctx);
      exactLength(name, e - s, wd + 4);
      const asn = wd === 4 ? u32(b, s) : (b[s] << 8) | b[s + 1];
      return { asn, address: formatIpv4Bytes(b, s + wd) } as AttributeValues[K];
    },
    encode: (v, w, ctx) => {
      if (width(ctx) === 4) w.u32(checkUint(v.asn, 32, `${name} AS`));
      else w.u16(checkUint(v.asn, 16, `${name} AS (use AS_TRANS and AS4_AGGREGATOR)`));
      w.u32(parseIpv4(v.address));
    },
    format: (v) => ({ asn: v.asn, address: v.address }),
  };
}

function addressListRow<K extends 'clusterList'>(code: number, type: K, name: string): AttributeRow<K> {
  return {
    code, type, name, flags: OPTIONAL, action: 'treat-as-withdraw', rfc: 'RFC 4456 §8, RFC 7606 §7.10',
    decode: (b, s, e) => {
      multipleOf(name, e - s, 4);
      const out: string[] = [];
      for (let i = s; i < e; i += 4) out.push(formatIpv4Bytes(b, i));
      return out;
    },
    encode: (v, w) => {
      for (const a of v) w.u32(parseIpv4(a));
    },
    format: (v) => v,
  };
}

function asPathRow<K extends 'asPath' | 'as4Path'>(code: number, type: K, name: string, flags: number,
  action: ErrorAction, rfc: string): AttributeRow<K> {
  const four = (ctx: CodecContext): boolean => type === 'as4Path' || ctx.as4;
  return {
    code, type, name, flags, action, rfc,
    decode: (b, s, e, env) => {
      const r = decodeAsPath(b, s, e, four(env.ctx));
      if (typeof r === 'string') malformed(r, UpdateSubcode.MALFORMED_AS_PATH);
      return r;
    },
    encode: (v, w, ctx) => encodeAsPath(w, v, four(ctx)),
    format: (v) => v.map((seg) => ({ type: seg.type, asns: [...seg.asns] })),
  };
}

function isKnownFamily(afi: number, safi: number): boolean {
  return (afi === 1 || afi === 2) && (safi === 1 || safi === 2);
}

function mpFault(message: string): never {
  return malformed(message, UpdateSubcode.OPTIONAL_ATTRIBUTE, 'afi-safi-disable');
}

/** Validates NLRI octets without creating objects (the hot path decodes them later). */
export function checkNlri(b: Uint8Array, start: number, end: number, afi: number, addPath: boolean,
  fault: (m: string) => never): void {
  const maxBits = afi === 2 ? 128 : 32;
  let i = start;
  while (i < end) {
    if (addPath) {
      i += 4;
      if (i >= end) fault('NLRI truncated after path identifier');
    }
    const bits = b[i];
    if (bits > maxBits) fault(`prefix length ${bits} exceeds ${maxBits}`);
    i += 1 + ((bits + 7) >> 3);
    if (i > end) fault(`prefix of length ${bits} overruns the NLRI field`);
  }
}

function decodeMpNlri(b: Uint8Array, s: number, e: number, afi: number, safi: number, env: DecodeEnv,
  which: 'reach' | 'unreach'): Nlri[] {
  const addPath = addPathFor(env.ctx, afi, safi);
  if (env.lazyNlri) {
    checkNlri(b, s, e, afi, addPath, mpFault);
    env[which] = { afi, safi, start: s, end: e, known: true };
    return [];
  }
  return decodeNlri(b, s, e, afi, addPath, mpFault);
}

const mpReach: AttributeRow<'mpReach'> = {
  code: 14, type: 'mpReach', name: 'MP_REACH_NLRI', flags: OPTIONAL, action: 'afi-safi-disable',
  rfc: 'RFC 4760 §3, RFC 7606 §7.11',
  decode: (b, s, e, env) => {
    // Without AFI/SAFI the family to disable is unknown: the session has to go (RFC 7606 §7.11).
    if (e - s < 5) malformed('MP_REACH_NLRI shorter than 5 octets', UpdateSubcode.OPTIONAL_ATTRIBUTE, 'session-reset');
    const afi = (b[s] << 8) | b[s + 1];
    const safi = b[s + 2];
    const nhLen = b[s + 3];
    if (s + 4 + nhLen + 1 > e) mpFault(`MP_REACH_NLRI next hop length ${nhLen} overruns the attribute`);
    const nh = s + 4;
    const nlriStart = nh + nhLen + 1; // one reserved octet (RFC 4760 §3)
    if (!isKnownFamily(afi, safi)) {
      if (env.lazyNlri) env.reach = { afi, safi, start: nlriStart, end: e, known: false };
      return { afi, safi, nextHops: [], nlri: [],
        raw: { nextHop: copy(b, nh, nh + nhLen), nlri: copy(b, nlriStart, e) } };
    }
    let nextHops: string[];
    if (afi === 1 && nhLen === 4) {
      nextHops = [formatIpv4Bytes(b, nh)];
    } else if ((nhLen === 16 || nhLen === 32) && (afi === 2 || env.ctx.extendedNextHop)) {
      // RFC 2545 §3: a global address, then optionally a link-local one; RFC 8950 allows the same for IPv4 NLRI.
      nextHops = nhLen === 16 ? [formatIpv6(b, nh)] : [formatIpv6(b, nh), formatIpv6(b, nh + 16)];
    } else {
      return mpFault(`MP_REACH_NLRI next hop length ${nhLen} is invalid for AFI ${afi}`);
    }
    return { afi, safi, nextHops, nlri: decodeMpNlri(b, nlriStart, e, afi, safi, env, 'reach') };
  },
  encode: (v, w, ctx) => {
    w.u16(checkUint(v.afi, 16, 'AFI')).u8(checkUint(v.safi, 8, 'SAFI'));
    if (v.raw !== undefined) {
      w.u8(checkUint(v.raw.nextHop.length, 8, 'next hop length')).bytes(v.raw.nextHop).u8(0).bytes(v.raw.nlri);
      return;
    }
    const hops = v.nextHops.map((h) => (h.includes(':') ? parseIpv6(h) : (() => {
      const x = parseIpv4(h);
      return Uint8Array.of(x >>> 24, (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff);
    })()));
    let len = 0;
    for (const h of hops) len += h.length;
    w.u8(checkUint(len, 8, 'next hop length'));
    for (const h of hops) w.bytes(h);
    w.u8(0);
    const addPath = addPathFor(ctx, v.afi, v.safi);
    for (const n of v.nlri) encodeNlri(w, v.afi, n, addPath);
  },
  format: (v) => ({
    afi: v.afi, safi: v.safi, nextHops: [...v.nextHops], nlri: v.nlri.map(formatNlri),
    ...(v.raw === undefined ? {} : { nextHopHex: toHex(v.raw.nextHop), nlriHex: toHex(v.raw.nlri) }),
  }),
};

const mpUnreach: AttributeRow<'mpUnreach'> = {
  code: 15, type: 'mpUnreach', name: 'MP_UNREACH_NLRI', flags: OPTIONAL, action: 'afi-safi-disable',
  rfc: 'RFC 4760 §4, RFC 7606 §7.11',
  decode: (b, s, e, env) => {
    if (e - s < 3) malformed('MP_UNREACH_NLRI shorter than 3 octets', UpdateSubcode.OPTIONAL_ATTRIBUTE, 'session-reset');
    const afi = (b[s] << 8) | b[s + 1];
    const safi = b[s + 2];
    if (!isKnownFamily(afi, safi)) {
      if (env.lazyNlri) env.unreach = { afi, safi, start: s + 3, end: e, known: false };
      return { afi, safi, withdrawn: [], raw: copy(b, s + 3, e) };
    }
    return { afi, safi, withdrawn: decodeMpNlri(b, s + 3, e, afi, safi, env, 'unreach') };
  },
  encode: (v, w, ctx) => {
    w.u16(checkUint(v.afi, 16, 'AFI')).u8(checkUint(v.safi, 8, 'SAFI'));
    if (v.raw !== undefined) {
      w.bytes(v.raw);
      return;
    }
    const addPath = addPathFor(ctx, v.afi, v.safi);
    for (const n of v.withdrawn) encodeNlri(w, v.afi, n, addPath);
  },
  format: (v) => ({
    afi: v.afi, safi: v.safi, withdrawn: v.withdrawn.map(formatNlri),
    ...(v.raw === undefined ? {} : { withdrawnHex: toHex(v.raw) }),
  }),
};

/** A prefix as JSON: its text, or {prefix, pathId} when ADD-PATH is in use. */
export function formatNlri(n: Nlri): string | { prefix: string; pathId: number } {
  return n.pathId === undefined ? n.prefix : { prefix: n.prefix, pathId: n.pathId };
}

const ORIGINS = ['igp', 'egp', 'incomplete'] as const;

function isBadNextHop(a: number): boolean {
  // RFC 7606 §7.3 / RFC 4271 §6.3: 0.0.0.0, the limited broadcast, and multicast (class D/E) are not next hops.
  return a === 0 || a >>> 28 >= 0xe;
}

type Table = { readonly [K in KnownAttributeType]: AttributeRow<K> };

let lastNextHop = -1;
let lastNextHopText = '';

export const ATTRIBUTES: Table = {
  origin: {
    code: 1, type: 'origin', name: 'ORIGIN', flags: WELL_KNOWN, action: 'treat-as-withdraw',
    rfc: 'RFC 4271 §5.1.1, RFC 7606 §7.1',
    decode: (b, s, e) => {
      exactLength('ORIGIN', e - s, 1);
      const o = ORIGINS[b[s]];
      if (o === undefined) malformed(`ORIGIN value ${b[s]} undefined`, UpdateSubcode.INVALID_ORIGIN);
      return o;
    },
    encode: (v, w) => {
      const i = ORIGINS.indexOf(v);
      if (i < 0) throw new BgpEncodeError(`bad origin ${String(v)}`);
      w.u8(i);
    },
    format: (v) => v,
  },
  asPath: asPathRow(2, 'asPath', 'AS_PATH', WELL_KNOWN, 'treat-as-withdraw', 'RFC 4271 §5.1.2, RFC 7606 §7.2'),
  nextHop: {
    code: 3, type: 'nextHop', name: 'NEXT_HOP', flags: WELL_KNOWN, action: 'treat-as-withdraw',
    rfc: 'RFC 4271 §5.1.3, RFC 7606 §7.3',
    decode: (b, s, e) => {
      exactLength('NEXT_HOP', e - s, 4);
      const a = u32(b, s);
      if (isBadNextHop(a)) malformed(`NEXT_HOP ${formatIpv4(a)} is not a unicast address`, UpdateSubcode.INVALID_NEXT_HOP);
      // A peer sends the same next hop over and over: reuse the last text (strings are immutable).
      if (a !== lastNextHop) {
        lastNextHop = a;
        lastNextHopText = formatIpv4(a);
      }
      return lastNextHopText;
    },
    encode: (v, w) => {
      w.u32(parseIpv4(v));
    },
    format: (v) => v,
  },
  med: u32Row(4, 'med', 'MULTI_EXIT_DISC', OPTIONAL, 'treat-as-withdraw', 'RFC 4271 §5.1.4, RFC 7606 §7.4'),
  localPref: u32Row(5, 'localPref', 'LOCAL_PREF', WELL_KNOWN, 'treat-as-withdraw', 'RFC 4271 §5.1.5, RFC 7606 §7.5'),
  atomicAggregate: {
    code: 6, type: 'atomicAggregate', name: 'ATOMIC_AGGREGATE', flags: WELL_KNOWN, action: 'attribute-discard',
    rfc: 'RFC 4271 §5.1.6, RFC 7606 §7.6',
    decode: (_b, s, e) => {
      exactLength('ATOMIC_AGGREGATE', e - s, 0);
      return true;
    },
    encode: () => undefined,
    format: () => true,
  },
  aggregator: aggregatorRow(7, 'aggregator', 'AGGREGATOR', 'RFC 4271 §5.1.7, RFC 7606 §7.7', 'attribute-discard'),
  communities: {
    code: 8, type: 'communities', name: 'COMMUNITIES', flags: OPTIONAL_TRANSITIVE, action: 'treat-as-withdraw',
    rfc: 'RFC 1997, RFC 7606 §7.8',
    decode: (b, s, e) => {
      multipleOf('COMMUNITIES', e - s, 4);
      // Sized exactly (not grown by push): the RIB keeps this list as it is in its interned set.
      const out = new Array<number>((e - s) >> 2);
      for (let i = s, k = 0; i < e; i += 4) out[k++] = u32(b, i);
      return out;
    },
    encode: (v, w) => {
      for (const c of v) w.u32(checkUint(c, 32, 'community'));
    },
    format: (v) => v.map((c) => `${c >>> 16}:${c & 0xffff}`),
  },
  originatorId: {
    code: 9, type: 'originatorId', name: 'ORIGINATOR_ID', flags: OPTIONAL, action: 'treat-as-withdraw',
    rfc: 'RFC 4456 §8, RFC 7606 §7.9',
    decode: (b, s, e) => {
      exactLength('ORIGINATOR_ID', e - s, 4);
      return formatIpv4Bytes(b, s);
    },
    encode: (v, w) => {
      w.u32(parseIpv4(v));
    },
    format: (v) => v,
  },
  clusterList: addressListRow(10, 'clusterList', 'CLUSTER_LIST'),
  mpReach,
  mpUnreach,
  extendedCommunities: {
    code: 16, type: 'extendedCommunities', name: 'EXTENDED_COMMUNITIES', flags: OPTIONAL_TRANSITIVE,
    action: 'treat-as-withdraw', rfc: 'RFC 4360 §2, RFC 7606 §7.14',
    decode: (b, s, e) => {
      multipleOf('EXTENDED_COMMUNITIES', e - s, 8);
      const out: string[] = [];
      for (let i = s; i < e; i += 8) out.push(toHex(b, i, i + 8));
      return out;
    },
    encode: (v, w) => {
      for (const c of v) {
        if (!/^[0-9a-f]{16}$/.test(c)) throw new BgpEncodeError(`extended community must be 16 hex digits: ${c}`);
        for (let i = 0; i < 16; i += 2) w.u8(parseInt(c.slice(i, i + 2), 16));
      }
    },
    format: (v) => [...v],
  },
  as4Path: asPathRow(17, 'as4Path', 'AS4_PATH', OPTIONAL_TRANSITIVE, 'attribute-discard', 'RFC 6793 §6, RFC 7606 §7.2'),
  as4Aggregator: aggregatorRow(18, 'as4Aggregator', 'AS4_AGGREGATOR', 'RFC 6793 §6, RFC 7606 §7.7', 'attribute-discard'),
  largeCommunities: {
    code: 32, type: 'largeCommunities', name: 'LARGE_COMMUNITY', flags: OPTIONAL_TRANSITIVE,
    action: 'treat-as-withdraw', rfc: 'RFC 8092 §5',
    decode: (b, s, e) => {
      multipleOf('LARGE_COMMUNITY', e - s, 12);
      const out: { global: number; local1: number; local2: number }[] = [];
      for (let i = s; i < e; i += 12) out.push({ global: u32(b, i), local1: u32(b, i + 4), local2: u32(b, i + 8) });
      return out;
    },
    encode: (v, w) => {
      for (const c of v) {
        w.u32(checkUint(c.global, 32, 'large community')).u32(checkUint(c.local1, 32, 'large community'))
          .u32(checkUint(c.local2, 32, 'large community'));
      }
    },
    format: (v) => v.map((c) => `${c.global}:${c.local1}:${c.local2}`),
  },
  otc: u32Row(35, 'otc', 'OTC', OPTIONAL_TRANSITIVE, 'treat-as-withdraw', 'RFC 9234 §5'),
};

/** Rows by attribute code, for the decoder's lookup. */
export const ROWS_BY_CODE: readonly (AttributeRow<KnownAttributeType> | undefined)[] = (() => {
  const rows = new Array<AttributeRow<KnownAttributeType> | undefined>(256).fill(undefined);
  for (const row of Object.values(ATTRIBUTES) as AttributeRow<KnownAttributeType>[]) rows[row.code] = row;
  return rows;
})();

export function attributeName(code: number): string {
  return ROWS_BY_CODE[code]?.name ?? `ATTRIBUTE_${code}`;
}
