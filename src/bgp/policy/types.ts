// Policies as plain data, so the site file (YAML) maps onto them one to one; compile.ts turns them into closures.

export interface PrefixListEntryDef {
  /** "10.244.0.0/16" or "fd00::/48". */
  readonly prefix: string;
  /** Shortest prefix length matched (default: the entry's length). */
  readonly ge?: number;
  /** Longest prefix length matched (default: ge if given, else the entry's length; with ge only, the family maximum). */
  readonly le?: number;
  /** Default permit. Entries are tried in order; the first that covers the prefix decides. */
  readonly action?: 'permit' | 'deny';
}

export type PrefixListDef = readonly PrefixListEntryDef[];

export interface CommunityMatchDef {
  /** Matches when the route carries at least one of these. */
  readonly any?: readonly string[];
  /** Matches when the route carries all of these. */
  readonly all?: readonly string[];
}

export interface AsPathMatchDef {
  /** The path contains one of these ASNs anywhere. */
  readonly contains?: readonly number[];
  /** The originating AS (last of the path) is one of these. */
  readonly originAs?: readonly number[];
  /** The neighbouring AS (first of the path) is one of these. */
  readonly neighborAs?: readonly number[];
  /** Path length (decision-process counting) at most this. */
  readonly maxLength?: number;
}

/** Every condition given must hold. An empty match matches everything. */
export interface MatchDef {
  readonly family?: 'ipv4' | 'ipv6';
  /** Inline entries or the name of a list in PolicyDef.prefixLists. */
  readonly prefixList?: PrefixListDef | string;
  /** Standard communities: "65000:100", a uint32, or a well-known name (no-export, no-advertise, ...). */
  readonly community?: CommunityMatchDef;
  /** Large communities: "global:local1:local2". */
  readonly largeCommunity?: CommunityMatchDef;
  readonly asPath?: AsPathMatchDef;
}

export interface ActionsDef {
  readonly localPref?: number;
  /** A value, or 'remove' to drop the MED. */
  readonly med?: number | 'remove';
  readonly addCommunities?: readonly string[];
  /** Communities to remove; 'all' removes every standard community. */
  readonly removeCommunities?: readonly string[] | 'all';
  readonly addLargeCommunities?: readonly string[];
  readonly removeLargeCommunities?: readonly string[] | 'all';
  /** Prepend an AS (default our own) `times` times. */
  readonly prepend?: { readonly times: number; readonly asn?: number };
  /** 'self' (our session address) or an address. */
  readonly nextHop?: string;
}

export interface TermDef {
  readonly name?: string;
  readonly match?: MatchDef;
  readonly actions?: ActionsDef;
  readonly result: 'accept' | 'reject';
}

export interface PolicyDef {
  readonly name?: string;
  readonly prefixLists?: Readonly<Record<string, PrefixListDef>>;
  /** Tried in order; the first term whose match holds decides (its actions, then its result). */
  readonly terms: readonly TermDef[];
  /** When no term matches. */
  readonly default: 'accept' | 'reject';
  /** Applied with an 'accept' default. */
  readonly defaultActions?: ActionsDef;
}

export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  /** Where in the PolicyDef, e.g. "terms[2].match.community.any[0]". */
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
  }
}
