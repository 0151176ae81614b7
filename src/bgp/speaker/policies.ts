// The site file's policies (config) as the policy engine's definitions, and the import/export policy of each
// peer: `default` (RFC 8212 spirit: the cluster's pod ranges and the default route in; this node's own prefixes
// out, and from a route reflector to its mesh sessions the pod ranges it reflects), `all`, `none`, or a named policy.
import type { NodeConfig, PeerConfig, PolicyConfig, PolicyRef, SiteConfig, TermConfig } from '../../config/types.js';
import {
  ACCEPT_ALL_DEF, compilePolicy, defaultExportPolicy, defaultImportPolicy, PolicyError, REJECT_ALL_DEF,
  type ActionsDef, type MatchDef, type PolicyDef, type TermDef,
} from '../policy/index.js';
import type { RoutePolicy } from '../rib/index.js';

const community = (n: number): string => `${Math.floor(n / 65536)}:${n % 65536}`;
const large = (c: readonly [number, number, number]): string => c.join(':');

function termDef(t: TermConfig, i: number, policy: string): TermDef {
  if (t.action === 'next') {
    throw new PolicyError(`policies.${policy}.terms[${i}].action`, '`next` (continue to the next term) is not supported yet; use accept or reject');
  }
  const m = t.match;
  const match: MatchDef = {
    ...(m.family ? { family: m.family } : {}),
    ...(m.prefixes ? { prefixList: m.prefixes.map((p) => ({ prefix: p.prefix, ge: p.ge, le: p.le })) } : {}),
    ...(m.community ? { community: { any: m.community.map(community) } } : {}),
    ...(m.largeCommunity ? { largeCommunity: { any: m.largeCommunity.map(large) } } : {}),
    ...(m.asPathContains !== null ? { asPath: { contains: [m.asPathContains] } } : {}),
  };
  const s = t.set;
  const actions: ActionsDef = {
    ...(s.localPref !== null ? { localPref: s.localPref } : {}),
    ...(s.med !== null ? { med: s.med } : {}),
    ...(s.prepend ? { prepend: { times: s.prepend.count, ...(s.prepend.asn !== null ? { asn: s.prepend.asn } : {}) } } : {}),
    ...(s.nextHop ? { nextHop: s.nextHop } : {}),
    ...(s.communities?.add.length ? { addCommunities: s.communities.add.map(community) } : {}),
    ...(s.communities?.removeAll ? { removeCommunities: 'all' as const } : s.communities?.remove.length ? { removeCommunities: s.communities.remove.map(community) } : {}),
    ...(s.largeCommunities?.add.length ? { addLargeCommunities: s.largeCommunities.add.map(large) } : {}),
    ...(s.largeCommunities?.removeAll ? { removeLargeCommunities: 'all' as const } : s.largeCommunities?.remove.length ? { removeLargeCommunities: s.largeCommunities.remove.map(large) } : {}),
  };
  return { ...(t.name ? { name: t.name } : {}), match, actions, result: t.action };
}

export function policyDef(p: PolicyConfig): PolicyDef {
  return { name: p.name, terms: p.terms.map((t, i) => termDef(t, i, p.name)), default: p.default };
}

/** The node's own prefixes: what it announces and never accepts back. */
export function ownPrefixes(node: NodeConfig): string[] {
  return [...node.podCIDRs, ...node.serviceVIPs];
}

/** The cluster's pod ranges: `clusterCIDRs` (any length inside), else every node's pod CIDRs exactly. */
function podRanges(site: SiteConfig, node: NodeConfig): { prefix: string; le?: number }[] {
  if (site.clusterCIDRs.length > 0) return site.clusterCIDRs.map((prefix) => ({ prefix, le: prefix.includes(':') ? 128 : 32 }));
  return site.nodes.filter((n) => n.name !== node.name).flatMap((n) => n.podCIDRs.map((prefix) => ({ prefix })));
}

function defFor(ref: PolicyRef, site: SiteConfig, dflt: () => PolicyDef): PolicyDef {
  if (ref === 'default') return dflt();
  if (ref === 'all') return ACCEPT_ALL_DEF;
  if (ref === 'none') return REJECT_ALL_DEF;
  const p = site.policies[ref.policy];
  if (!p) throw new PolicyError(`policies.${ref.policy}`, 'no such policy');
  return policyDef(p);
}

export function importPolicy(ref: PolicyRef, site: SiteConfig, node: NodeConfig): RoutePolicy {
  return compilePolicy(defFor(ref, site, () => defaultImportPolicy({ podRanges: podRanges(site, node), defaultRoute: true, ownPrefixes: ownPrefixes(node) })));
}

/** `peer`: the session's config; a route reflector's mesh sessions pass the cluster's pod ranges by default. */
export function exportPolicy(ref: PolicyRef, site: SiteConfig, node: NodeConfig, peer?: Pick<PeerConfig, 'origin'>): RoutePolicy {
  const mesh = site.nodeMesh;
  const reflects = peer?.origin === 'mesh' && mesh.mode === 'route-reflectors' && mesh.routeReflectors.some((r) => r.node === node.name);
  return compilePolicy(defFor(ref, site, () => defaultExportPolicy({ ownPrefixes: ownPrefixes(node), ...(reflects ? { reflect: podRanges(site, node) } : {}) })));
}
