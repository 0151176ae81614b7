// Safe defaults in the spirit of RFC 8212: nothing is imported or exported unless it is known to belong here.
//   import: the cluster's pod ranges (with the longest length allowed) and the default route; never our own prefixes.
//   export: only this node's own prefixes (pod CIDRs, later its service VIPs), exactly.

import type { PolicyDef, PrefixListEntryDef, TermDef } from './types.js';

export interface DefaultImportInput {
  /** The cluster's pod ranges, e.g. { prefix: '10.244.0.0/16', le: 24 }. */
  readonly podRanges: readonly PrefixListEntryDef[];
  /** Accept 0.0.0.0/0 and ::/0 (default true). */
  readonly defaultRoute?: boolean;
  /** This node's own prefixes: never learned back from the fabric. */
  readonly ownPrefixes?: readonly string[];
}

export function defaultImportPolicy(input: DefaultImportInput): PolicyDef {
  const terms: TermDef[] = [];
  if (input.ownPrefixes !== undefined && input.ownPrefixes.length > 0) {
    terms.push({ name: 'not-our-own', match: { prefixList: input.ownPrefixes.map((prefix) => ({ prefix })) }, result: 'reject' });
  }
  if (input.podRanges.length > 0) {
    terms.push({ name: 'cluster-pod-ranges', match: { prefixList: input.podRanges }, result: 'accept' });
  }
  if (input.defaultRoute ?? true) {
    terms.push({ name: 'default-route', match: { prefixList: [{ prefix: '0.0.0.0/0' }, { prefix: '::/0' }] }, result: 'accept' });
  }
  return { name: 'default-import', terms, default: 'reject' };
}

export interface DefaultExportInput {
  /** This node's pod CIDRs (and service VIPs), exactly as announced. */
  readonly ownPrefixes: readonly string[];
  /**
   * A route reflector's mesh sessions: the cluster's pod ranges too, so what one node announces reaches the others
   * (RFC 4456). The RIB's export rules still decide what may be reflected to whom (client / non-client).
   */
  readonly reflect?: readonly { prefix: string; le?: number }[];
}

export function defaultExportPolicy(input: DefaultExportInput): PolicyDef {
  const terms: TermDef[] = [];
  if (input.ownPrefixes.length > 0) {
    terms.push({ name: 'own-prefixes', match: { prefixList: input.ownPrefixes.map((prefix) => ({ prefix })) }, result: 'accept' });
  }
  if (input.reflect?.length) terms.push({ name: 'reflected-pod-ranges', match: { prefixList: [...input.reflect] }, result: 'accept' });
  return { name: 'default-export', terms, default: 'reject' };
}

/** `import: all` / `export: all` in the site file. */
export const ACCEPT_ALL_DEF: PolicyDef = { name: 'all', terms: [], default: 'accept' };
export const REJECT_ALL_DEF: PolicyDef = { name: 'none', terms: [], default: 'reject' };
