// Actions compiled to one attribute rewrite per term. A term without actions returns its input unchanged (the same
// object), which lets the RIB skip interning.

import type { LargeCommunity, PathAttributes } from '../rib/attrs.js';
import { prependAs, withAttrs } from '../rib/attrs.js';
import { normalizeIp } from '../rib/ip.js';
import type { PolicyContext } from '../rib/route-policy.js';
import { largeKey, parseCommunity, parseLargeCommunity } from './communities.js';
import type { ActionsDef } from './types.js';
import { PolicyError } from './types.js';

export type Rewrite = (attrs: PathAttributes, ctx: PolicyContext) => PathAttributes;

export function compileActions(def: ActionsDef | undefined, path: string): Rewrite | undefined {
  if (def === undefined) return undefined;
  const steps: Rewrite[] = [];
  const checkU32 = (v: number, where: string): number => {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new PolicyError(where, `${v} is not a uint32`);
    return v;
  };
  if (def.localPref !== undefined) {
    const lp = checkU32(def.localPref, `${path}.localPref`);
    steps.push((a) => withAttrs(a, { localPref: lp }));
  }
  if (def.med !== undefined) {
    const med = def.med === 'remove' ? undefined : checkU32(def.med, `${path}.med`);
    steps.push((a) => withAttrs(a, { med }));
  }
  if (def.removeCommunities !== undefined) {
    const rm = def.removeCommunities;
    if (rm === 'all') steps.push((a) => withAttrs(a, { communities: [] }));
    else {
      const set = new Set(rm.map((c, i) => parseCommunity(c, `${path}.removeCommunities[${i}]`)));
      steps.push((a) => withAttrs(a, { communities: a.communities.filter((c) => !set.has(c)) }));
    }
  }
  if (def.addCommunities !== undefined) {
    const add = def.addCommunities.map((c, i) => parseCommunity(c, `${path}.addCommunities[${i}]`));
    steps.push((a) => {
      const out = [...a.communities];
      for (const c of add) if (!out.includes(c)) out.push(c);
      return withAttrs(a, { communities: out });
    });
  }
  if (def.removeLargeCommunities !== undefined) {
    const rm = def.removeLargeCommunities;
    if (rm === 'all') steps.push((a) => withAttrs(a, { largeCommunities: [] }));
    else {
      const keys = new Set(rm.map((c, i) => largeKey(parseLargeCommunity(c, `${path}.removeLargeCommunities[${i}]`))));
      steps.push((a) => withAttrs(a, { largeCommunities: a.largeCommunities.filter((l) => !keys.has(largeKey(l))) }));
    }
  }
  if (def.addLargeCommunities !== undefined) {
    const add = def.addLargeCommunities.map((c, i) => parseLargeCommunity(c, `${path}.addLargeCommunities[${i}]`));
    steps.push((a) => {
      const out: LargeCommunity[] = [...a.largeCommunities];
      const have = new Set(out.map(largeKey));
      for (const l of add) if (!have.has(largeKey(l))) out.push(l);
      return withAttrs(a, { largeCommunities: out });
    });
  }
  if (def.prepend !== undefined) {
    const { times, asn } = def.prepend;
    if (!Number.isInteger(times) || times < 1 || times > 32) throw new PolicyError(`${path}.prepend.times`, 'must be 1..32');
    if (asn !== undefined) checkU32(asn, `${path}.prepend.asn`);
    steps.push((a, ctx) => withAttrs(a, { asPath: prependAs(a.asPath, asn ?? ctx.localAsn, times) }));
  }
  if (def.nextHop !== undefined) {
    if (def.nextHop === 'self') {
      steps.push((a, ctx) => withAttrs(a, { nextHop: ctx.nextHopSelf, nextHopLinkLocal: undefined }));
    } else {
      let nh: string;
      try {
        nh = normalizeIp(def.nextHop);
      } catch (err) {
        throw new PolicyError(`${path}.nextHop`, (err as Error).message);
      }
      steps.push((a) => withAttrs(a, { nextHop: nh, nextHopLinkLocal: undefined }));
    }
  }
  if (steps.length === 0) return undefined;
  return (a, ctx) => {
    let x = a;
    for (const s of steps) x = s(x, ctx);
    return x;
  };
}
