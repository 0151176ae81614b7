// What the RIB needs from a policy (src/bgp/policy compiles plain-data policies to this shape). Matching and
// applying are split so the RIB can apply a term once per distinct (attribute set, term) and reuse the result
// for every prefix of an UPDATE that matched the same term.

import type { AttrSet, PathAttributes } from './attrs.js';
import type { Family, PrefixKey } from './prefix.js';

export interface PolicyContext {
  readonly family: Family;
  readonly localAsn: number;
  readonly peerAsn: number;
  /** Our address on the session for this family ('' if unknown): the value of "next-hop self". */
  readonly nextHopSelf: string;
}

export interface RoutePolicy {
  /** Index of the first matching term, or -1 when no term matches (the default action applies). */
  match(prefix: PrefixKey, attrs: PathAttributes): number;
  /** Applies term `term` (-1: the default action). null = reject; the input object back = accept unchanged. */
  apply(term: number, attrs: AttrSet, ctx: PolicyContext): PathAttributes | null;
  /**
   * Optional shortcut: true only if the policy rejects every route for this prefix, whatever its attributes (false
   * when unsure). The RIB then skips the per-peer export work (rewrite, interning) for prefixes a peer never gets.
   */
  rejectsPrefix?(prefix: PrefixKey): boolean;
}

export const ACCEPT_ALL: RoutePolicy = { match: () => -1, apply: (_t, a) => a, rejectsPrefix: () => false };
export const REJECT_ALL: RoutePolicy = { match: () => -1, apply: () => null, rejectsPrefix: () => true };
