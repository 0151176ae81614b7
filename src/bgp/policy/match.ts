// Match conditions compiled to one predicate per term.

import type { PathAttributes } from '../rib/attrs.js';
import { asPathCount, asPathLength, neighborAs, originAs } from '../rib/attrs.js';
import type { PrefixKey } from '../rib/prefix.js';
import { compilePrefixList } from './prefix-list.js';
import { largeKey, parseCommunity, parseLargeCommunity } from './communities.js';
import type { MatchDef, PrefixListDef } from './types.js';
import { PolicyError } from './types.js';

export type Predicate = (prefix: PrefixKey, attrs: PathAttributes) => boolean;

/** A term's match: the whole predicate, and what can be decided from the prefix alone. */
export interface CompiledMatch {
  readonly test: Predicate;
  /** The conditions on the prefix only (family, prefix list): false means the term cannot match, whatever the attributes. */
  readonly prefixTest: (prefix: PrefixKey) => boolean;
  /** Some condition looks at the attributes (communities, AS path): prefixTest true does not mean a match. */
  readonly usesAttributes: boolean;
}

const ALWAYS = (): boolean => true;

function all<A extends unknown[]>(tests: ((...a: A) => boolean)[]): (...a: A) => boolean {
  if (tests.length === 0) return ALWAYS;
  if (tests.length === 1) return tests[0]!;
  return (...a) => {
    for (const t of tests) if (!t(...a)) return false;
    return true;
  };
}

export function compileMatch(
  def: MatchDef | undefined, lists: Readonly<Record<string, PrefixListDef>>, path: string,
): CompiledMatch {
  if (def === undefined) return { test: ALWAYS, prefixTest: ALWAYS, usesAttributes: false };
  const prefixTests: ((prefix: PrefixKey) => boolean)[] = [];
  const tests: Predicate[] = [];
  if (def.family !== undefined) {
    const v4 = def.family === 'ipv4';
    const t = (p: PrefixKey): boolean => (typeof p === 'number') === v4;
    prefixTests.push(t);
    tests.push(t);
  }
  if (def.prefixList !== undefined) {
    let list: PrefixListDef;
    let where = `${path}.prefixList`;
    if (typeof def.prefixList === 'string') {
      const named = lists[def.prefixList];
      if (named === undefined) throw new PolicyError(where, `no prefix list named "${def.prefixList}"`);
      list = named;
      where = `prefixLists.${def.prefixList}`;
    } else {
      list = def.prefixList;
    }
    const m = compilePrefixList(list, where);
    prefixTests.push(m);
    tests.push((p) => m(p));
  }
  if (def.community !== undefined) {
    const any = (def.community.any ?? []).map((c, i) => parseCommunity(c, `${path}.community.any[${i}]`));
    const all = (def.community.all ?? []).map((c, i) => parseCommunity(c, `${path}.community.all[${i}]`));
    if (any.length > 0) tests.push((_p, a) => any.some((c) => a.communities.includes(c)));
    if (all.length > 0) tests.push((_p, a) => all.every((c) => a.communities.includes(c)));
  }
  if (def.largeCommunity !== undefined) {
    const any = (def.largeCommunity.any ?? []).map((c, i) => largeKey(parseLargeCommunity(c, `${path}.largeCommunity.any[${i}]`)));
    const all = (def.largeCommunity.all ?? []).map((c, i) => largeKey(parseLargeCommunity(c, `${path}.largeCommunity.all[${i}]`)));
    const has = (a: PathAttributes, k: string): boolean => a.largeCommunities.some((l) => largeKey(l) === k);
    if (any.length > 0) tests.push((_p, a) => any.some((k) => has(a, k)));
    if (all.length > 0) tests.push((_p, a) => all.every((k) => has(a, k)));
  }
  if (def.asPath !== undefined) {
    const { contains, originAs: origins, neighborAs: neighbors, maxLength } = def.asPath;
    if (contains !== undefined) tests.push((_p, a) => contains.some((asn) => asPathCount(a.asPath, asn) > 0));
    if (origins !== undefined) {
      tests.push((_p, a) => {
        const o = originAs(a.asPath);
        return o !== undefined && origins.includes(o);
      });
    }
    if (neighbors !== undefined) {
      tests.push((_p, a) => {
        const n = neighborAs(a.asPath);
        return n !== undefined && neighbors.includes(n);
      });
    }
    if (maxLength !== undefined) tests.push((_p, a) => asPathLength(a.asPath) <= maxLength);
  }
  return { test: all(tests), prefixTest: all(prefixTests), usesAttributes: tests.length > prefixTests.length };
}
