// The RIB's path-attribute model: close to the wire (RFC 4271, 4456, 4360, 6793, 8092, 9234), independent of the
// codec. Glue code maps decoded UPDATEs onto PathAttributes; the RIB interns them into shared AttrSets.

export type Origin = 0 | 1 | 2;
export const ORIGIN_IGP: Origin = 0;
export const ORIGIN_EGP: Origin = 1;
export const ORIGIN_INCOMPLETE: Origin = 2;

/** AS_PATH segment types (RFC 4271 §4.3, RFC 5065 for the confederation ones). */
export type SegmentType = 1 | 2 | 3 | 4;
export const AS_SET: SegmentType = 1;
export const AS_SEQUENCE: SegmentType = 2;
export const AS_CONFED_SEQUENCE: SegmentType = 3;
export const AS_CONFED_SET: SegmentType = 4;

export interface AsPathSegment {
  readonly type: SegmentType;
  /** 4-octet ASNs. */
  readonly asns: readonly number[];
}

export type LargeCommunity = readonly [number, number, number];

/** An attribute the RIB does not interpret, kept to be passed on (optional transitive, Partial bit as received). */
export interface RawAttribute {
  readonly flags: number;
  readonly code: number;
  readonly value: Uint8Array;
}

export interface Aggregator {
  readonly asn: number;
  /** IPv4 text. */
  readonly address: string;
}

export interface PathAttributes {
  readonly origin: Origin;
  readonly asPath: readonly AsPathSegment[];
  /** IPv4 or IPv6 text in canonical form (normalizeIp); '' for a locally originated route (next hop = self). */
  readonly nextHop: string;
  /** The IPv6 link-local next hop of a 32-byte MP_REACH next hop, when present. */
  readonly nextHopLinkLocal?: string | undefined;
  readonly med?: number | undefined;
  readonly localPref?: number | undefined;
  readonly atomicAggregate: boolean;
  readonly aggregator?: Aggregator | undefined;
  /** RFC 1997, each a uint32 (asn << 16 | value). */
  readonly communities: readonly number[];
  /** RFC 8092. */
  readonly largeCommunities: readonly LargeCommunity[];
  /** RFC 4360, 8 bytes each. */
  readonly extendedCommunities: readonly Uint8Array[];
  /** RFC 4456, a uint32 (IPv4 router id as a number). */
  readonly originatorId?: number | undefined;
  /** RFC 4456, uint32 cluster ids, most recent first. */
  readonly clusterList: readonly number[];
  /** RFC 9234 Only-To-Customer, an ASN. */
  readonly otc?: number | undefined;
  readonly unknown: readonly RawAttribute[];
}

/** An interned attribute set: frozen, shared by every route that carries these attributes. */
export interface AttrSet extends PathAttributes {
  /** Slot in its AttrTable; stable while any reference is held. */
  readonly id: number;
}

const EMPTY: readonly never[] = Object.freeze([]);
export function emptyList<T>(): readonly T[] {
  return EMPTY;
}

/** Builds a complete PathAttributes from the fields given (the rest at their defaults). */
export function makeAttrs(p: Partial<PathAttributes> = {}): PathAttributes {
  return {
    origin: p.origin ?? ORIGIN_IGP,
    asPath: p.asPath ?? EMPTY,
    nextHop: p.nextHop ?? '',
    nextHopLinkLocal: p.nextHopLinkLocal,
    med: p.med,
    localPref: p.localPref,
    atomicAggregate: p.atomicAggregate ?? false,
    aggregator: p.aggregator,
    communities: p.communities ?? EMPTY,
    largeCommunities: p.largeCommunities ?? EMPTY,
    extendedCommunities: p.extendedCommunities ?? EMPTY,
    originatorId: p.originatorId,
    clusterList: p.clusterList ?? EMPTY,
    otc: p.otc,
    unknown: p.unknown ?? EMPTY,
  };
}

/** A copy with some fields replaced (for policy actions and export rewrites). */
export function withAttrs(a: PathAttributes, changes: Partial<PathAttributes>): PathAttributes {
  return makeAttrs({ ...fields(a), ...changes });
}

function fields(a: PathAttributes): PathAttributes {
  return {
    origin: a.origin, asPath: a.asPath, nextHop: a.nextHop, nextHopLinkLocal: a.nextHopLinkLocal, med: a.med,
    localPref: a.localPref, atomicAggregate: a.atomicAggregate, aggregator: a.aggregator,
    communities: a.communities, largeCommunities: a.largeCommunities, extendedCommunities: a.extendedCommunities,
    originatorId: a.originatorId, clusterList: a.clusterList, otc: a.otc, unknown: a.unknown,
  };
}

/** AS path length for the decision process (RFC 4271 §9.1.2.2 a): an AS_SET counts 1, confed segments 0. */
export function asPathLength(path: readonly AsPathSegment[]): number {
  let n = 0;
  for (let i = 0; i < path.length; i++) {
    const s = path[i]!;
    if (s.type === AS_SEQUENCE) n += s.asns.length;
    else if (s.type === AS_SET) n += 1;
  }
  return n;
}

/**
 * The neighbouring AS (RFC 4271 §9.1.2.2 c): the first AS of the first AS_SEQUENCE, confederation segments skipped.
 * Undefined for an empty path (a route from inside our own AS).
 */
export function neighborAs(path: readonly AsPathSegment[]): number | undefined {
  for (const s of path) {
    if (s.type === AS_CONFED_SEQUENCE || s.type === AS_CONFED_SET) continue;
    return s.type === AS_SEQUENCE ? s.asns[0] : undefined;
  }
  return undefined;
}

/** The originating AS: the last AS of the last AS_SEQUENCE (undefined if the path is empty or ends in a set). */
export function originAs(path: readonly AsPathSegment[]): number | undefined {
  const last = path[path.length - 1];
  if (last === undefined || last.type !== AS_SEQUENCE) return undefined;
  return last.asns[last.asns.length - 1];
}

/** How many times `asn` appears anywhere in the path. */
export function asPathCount(path: readonly AsPathSegment[], asn: number): number {
  // Indexed loops: per received set, on lists of several element kinds (no iterator objects).
  let n = 0;
  for (let i = 0; i < path.length; i++) {
    const asns = path[i]!.asns;
    for (let j = 0; j < asns.length; j++) if (asns[j] === asn) n++;
  }
  return n;
}

export function asPathEqual(a: readonly AsPathSegment[], b: readonly AsPathSegment[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.type !== y.type || x.asns.length !== y.asns.length) return false;
    for (let j = 0; j < x.asns.length; j++) if (x.asns[j] !== y.asns[j]) return false;
  }
  return true;
}

/** Prepends `asn` `times` times to the leading AS_SEQUENCE (a new one if the path starts otherwise). */
export function prependAs(path: readonly AsPathSegment[], asn: number, times = 1): readonly AsPathSegment[] {
  if (times <= 0) return path;
  const add = new Array<number>(times).fill(asn);
  const first = path[0];
  // A segment carries at most 255 ASNs on the wire; start a new segment rather than overflow one.
  if (first !== undefined && first.type === AS_SEQUENCE && first.asns.length + times <= 255) {
    return [{ type: AS_SEQUENCE, asns: [...add, ...first.asns] }, ...path.slice(1)];
  }
  return [{ type: AS_SEQUENCE, asns: add }, ...path];
}

/** Builds an AS path of one AS_SEQUENCE (convenience for tests and local routes). */
export function asSequence(...asns: number[]): readonly AsPathSegment[] {
  return asns.length === 0 ? EMPTY : [{ type: AS_SEQUENCE, asns }];
}

/** Standard community from "asn:value" parts. */
export function community(asn: number, value: number): number {
  return ((asn & 0xffff) * 65536 + (value & 0xffff)) >>> 0;
}

export const WELL_KNOWN = {
  NO_EXPORT: 0xffffff01,
  NO_ADVERTISE: 0xffffff02,
  NO_EXPORT_SUBCONFED: 0xffffff03,
} as const;
