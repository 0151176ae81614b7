// Path attributes between the wire (codec objects) and the RIB's model. Done once per distinct attribute set,
// never per prefix: ingest.ts interns the result in the RIB (and reuses it while the next UPDATE's block is the same).
import {
  AttrFlag, mergeAs4, type AsPathSegment as WireSegment, type AsPathSegmentType, type CodecContext, type PathAttribute,
} from '../codec/index.js';
import {
  AS_CONFED_SEQUENCE, AS_CONFED_SET, AS_SEQUENCE, AS_SET, emptyList, normalizeIp, parseIPv4, type AsPathSegment,
  type AttrDraft, type Family, type PathAttributes, type RawAttribute, type SegmentType,
} from '../rib/index.js';

const SEGMENT_TO_RIB: Record<AsPathSegmentType, SegmentType> = {
  set: AS_SET, sequence: AS_SEQUENCE, 'confed-sequence': AS_CONFED_SEQUENCE, 'confed-set': AS_CONFED_SET,
};
const SEGMENT_TO_WIRE: Record<SegmentType, AsPathSegmentType> = {
  1: 'set', 2: 'sequence', 3: 'confed-sequence', 4: 'confed-set',
};
const ORIGIN_TO_RIB = { igp: 0, egp: 1, incomplete: 2 } as const;
const ORIGIN_TO_WIRE = ['igp', 'egp', 'incomplete'] as const;

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function bytesToHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/**
 * The RIB's attributes for the prefixes of one family in an UPDATE: the IPv4 NLRI use NEXT_HOP, MP_REACH_NLRI's
 * prefixes use its next hop (global, plus link-local when there are two). AS4_PATH is merged on 2-octet sessions.
 *
 * Built in one pass as an AttrTable draft (AttrTable.adopt keeps it as the interned set): every nested list is new
 * or comes from `attrs`, which the caller owns and hands over (the hot path's decoded block, used for nothing else);
 * empty lists are the shared frozen one.
 */
export function toRibAttributes(attrs: readonly PathAttribute[], family: Family, mpReach: boolean, ctx: CodecContext): AttrDraft {
  const empty = emptyList<never>();
  const d: AttrDraft = {
    id: -1, origin: 2, asPath: empty, nextHop: '', nextHopLinkLocal: undefined, med: undefined, localPref: undefined,
    atomicAggregate: false, aggregator: undefined, communities: empty, largeCommunities: empty,
    extendedCommunities: empty, originatorId: undefined, clusterList: empty, otc: undefined, unknown: empty,
  };
  let asPathWire: readonly WireSegment[] | undefined;
  let aggregator: { asn: number; address: string } | undefined;
  let as4 = false;
  let unknown: RawAttribute[] | undefined;
  for (const a of attrs) {
    switch (a.type) {
      case 'origin': d.origin = ORIGIN_TO_RIB[a.value]; break;
      case 'asPath': asPathWire = a.value; break;
      case 'nextHop': if (!mpReach) d.nextHop = ribNextHop4(a.value); break;
      case 'mpReach':
        if (mpReach) {
          d.nextHop = a.value.nextHops[0] ? normalizeIp(a.value.nextHops[0]) : '';
          if (a.value.nextHops[1]) d.nextHopLinkLocal = normalizeIp(a.value.nextHops[1]);
        }
        break;
      case 'med': d.med = a.value; break;
      case 'localPref': d.localPref = a.value; break;
      case 'atomicAggregate': d.atomicAggregate = true; break;
      case 'aggregator': aggregator = a.value; break;
      case 'communities': if (a.value.length) d.communities = a.value; break;
      case 'largeCommunities':
        if (a.value.length) d.largeCommunities = a.value.map((c) => [c.global, c.local1, c.local2] as const);
        break;
      case 'extendedCommunities': if (a.value.length) d.extendedCommunities = a.value.map(hexToBytes); break;
      case 'originatorId': d.originatorId = parseIPv4(a.value); break;
      case 'clusterList': if (a.value.length) d.clusterList = a.value.map(parseIPv4); break;
      case 'otc': d.otc = a.value; break;
      case 'unknown': (unknown ??= []).push({ flags: a.flags, code: a.code, value: a.value }); break;
      case 'as4Path': case 'as4Aggregator': as4 = true; break;
      default: break; // mpUnreach: not an attribute of a path
    }
  }
  if (as4 && !ctx.as4) {
    const merged = mergeAs4(attrs);
    asPathWire = merged.asPath;
    aggregator = merged.aggregator;
  }
  if (asPathWire !== undefined && asPathWire.length > 0) {
    const path = new Array<AsPathSegment>(asPathWire.length);
    for (let i = 0; i < path.length; i++) {
      const s = asPathWire[i]!;
      path[i] = { type: SEGMENT_TO_RIB[s.type], asns: s.asns };
    }
    d.asPath = path;
  }
  if (aggregator !== undefined) d.aggregator = { asn: aggregator.asn, address: aggregator.address };
  if (unknown !== undefined) d.unknown = unknown;
  void family;
  return d;
}

// The codec hands the same next-hop string over while it does not change: check it once.
let lastNextHopIn: string | undefined;
let lastNextHopOut = '';
function ribNextHop4(text: string): string {
  if (text !== lastNextHopIn) {
    lastNextHopOut = canonicalIpv4(text) ? text : normalizeIp(text);
    lastNextHopIn = text;
  }
  return lastNextHopOut;
}

/** Dotted-quad text as normalizeIp would write it (what the codec decodes NEXT_HOP to): no parsing needed. */
function canonicalIpv4(text: string): boolean {
  let parts = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || value > 255 || ++parts > 4) return false;
      digits = value = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return false; // a leading zero
      value = value * 10 + c - 48;
      if (++digits > 3) return false;
    } else {
      return false;
    }
  }
  return parts === 4;
}

function dotted(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

const WK = AttrFlag.TRANSITIVE; // well-known: transitive, not optional
const OPT = AttrFlag.OPTIONAL;
const OPT_T = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE;

/**
 * Wire attributes for sending a RIB attribute set, without NEXT_HOP / MP_REACH (added per family by the emitter).
 * Unknown optional transitive attributes go out with the Partial bit set (RFC 4271 §5).
 */
export function toWireAttributes(a: PathAttributes): PathAttribute[] {
  const out: PathAttribute[] = [
    { type: 'origin', flags: WK, value: ORIGIN_TO_WIRE[a.origin] },
    { type: 'asPath', flags: WK, value: a.asPath.map((s) => ({ type: SEGMENT_TO_WIRE[s.type], asns: s.asns })) },
  ];
  if (a.med !== undefined) out.push({ type: 'med', flags: OPT, value: a.med });
  if (a.localPref !== undefined) out.push({ type: 'localPref', flags: WK, value: a.localPref });
  if (a.atomicAggregate) out.push({ type: 'atomicAggregate', flags: WK, value: true });
  if (a.aggregator) out.push({ type: 'aggregator', flags: OPT_T, value: a.aggregator });
  if (a.communities.length) out.push({ type: 'communities', flags: OPT_T, value: a.communities });
  if (a.originatorId !== undefined) out.push({ type: 'originatorId', flags: OPT, value: dotted(a.originatorId) });
  if (a.clusterList.length) out.push({ type: 'clusterList', flags: OPT, value: a.clusterList.map(dotted) });
  if (a.extendedCommunities.length) out.push({ type: 'extendedCommunities', flags: OPT_T, value: a.extendedCommunities.map(bytesToHex) });
  if (a.largeCommunities.length) {
    out.push({ type: 'largeCommunities', flags: OPT_T, value: a.largeCommunities.map(([g, l1, l2]) => ({ global: g, local1: l1, local2: l2 })) });
  }
  if (a.otc !== undefined) out.push({ type: 'otc', flags: OPT_T, value: a.otc });
  for (const u of a.unknown) {
    if (u.flags & AttrFlag.TRANSITIVE) out.push({ type: 'unknown', code: u.code, flags: u.flags | AttrFlag.PARTIAL, value: u.value });
  }
  return out;
}
