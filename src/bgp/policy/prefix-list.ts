// Prefix lists with ge/le, IPv4 and IPv6, first matching entry decides (permit/deny).

import type { PrefixKey } from '../rib/prefix.js';
import { parsePrefix, prefixCovers, prefixLen } from '../rib/prefix.js';
import type { PrefixListDef } from './types.js';
import { PolicyError } from './types.js';

interface Entry {
  readonly key: PrefixKey;
  readonly ge: number;
  readonly le: number;
  readonly permit: boolean;
}

export type PrefixMatcher = (prefix: PrefixKey) => boolean;

export function compilePrefixList(def: PrefixListDef, path = 'prefixList'): PrefixMatcher {
  const entries: Entry[] = def.map((e, i) => {
    const where = `${path}[${i}]`;
    let key: PrefixKey;
    try {
      key = parsePrefix(e.prefix);
    } catch (err) {
      throw new PolicyError(`${where}.prefix`, (err as Error).message);
    }
    const len = prefixLen(key);
    const max = typeof key === 'number' ? 32 : 128;
    const ge = e.ge ?? len;
    const le = e.le ?? (e.ge !== undefined ? max : len);
    if (!Number.isInteger(ge) || !Number.isInteger(le) || ge < len || le < ge || le > max) {
      throw new PolicyError(where, `need ${len} <= ge (${ge}) <= le (${le}) <= ${max}`);
    }
    return { key, ge, le, permit: (e.action ?? 'permit') === 'permit' };
  });
  return (prefix) => {
    const len = prefixLen(prefix);
    for (const e of entries) {
      if (len >= e.ge && len <= e.le && prefixCovers(e.key, prefix)) return e.permit;
    }
    return false;
  };
}
