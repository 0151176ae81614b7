// Path attributes as plain data. Each known attribute is { type, flags, value }; `flags` is the octet as received
// (or to be sent), so byte-exact round trips keep the extended-length and partial bits.
import type { Nlri } from '../prefix.js';

export const AttrFlag = { OPTIONAL: 0x80, TRANSITIVE: 0x40, PARTIAL: 0x20, EXTENDED_LENGTH: 0x10 } as const;

export type Origin = 'igp' | 'egp' | 'incomplete';

export type AsPathSegmentType = 'set' | 'sequence' | 'confed-sequence' | 'confed-set';

export interface AsPathSegment {
  readonly type: AsPathSegmentType;
  readonly asns: readonly number[];
}

export interface Aggregator {
  readonly asn: number;
  readonly address: string;
}

export interface MpReach {
  readonly afi: number;
  readonly safi: number;
  /** One next hop, or IPv6 global + link-local (RFC 2545 §3). Empty for a family the codec does not parse. */
  readonly nextHops: readonly string[];
  readonly nlri: readonly Nlri[];
  /** Raw next hop and NLRI octets for families other than IPv4/IPv6 unicast/multicast. */
  readonly raw?: { readonly nextHop: Uint8Array; readonly nlri: Uint8Array };
}

export interface MpUnreach {
  readonly afi: number;
  readonly safi: number;
  readonly withdrawn: readonly Nlri[];
  readonly raw?: Uint8Array;
}

export interface LargeCommunity {
  readonly global: number;
  readonly local1: number;
  readonly local2: number;
}

/** Value type of each known attribute, keyed by the name used in objects and JSON. */
export interface AttributeValues {
  origin: Origin;
  asPath: readonly AsPathSegment[];
  nextHop: string;
  med: number;
  localPref: number;
  atomicAggregate: true;
  aggregator: Aggregator;
  communities: readonly number[];
  originatorId: string;
  clusterList: readonly string[];
  mpReach: MpReach;
  mpUnreach: MpUnreach;
  /** Each 8 octets as 16 lowercase hex digits. */
  extendedCommunities: readonly string[];
  as4Path: readonly AsPathSegment[];
  as4Aggregator: Aggregator;
  largeCommunities: readonly LargeCommunity[];
  otc: number;
}

export type KnownAttributeType = keyof AttributeValues;

export type KnownAttribute = {
  [K in KnownAttributeType]: { readonly type: K; readonly flags: number; readonly value: AttributeValues[K] }
}[KnownAttributeType];

/** An optional transitive attribute this codec does not know: kept, and re-sent with the Partial bit. */
export interface UnknownAttribute {
  readonly type: 'unknown';
  readonly code: number;
  readonly flags: number;
  readonly value: Uint8Array;
}

export type PathAttribute = KnownAttribute | UnknownAttribute;
