// Which node this host is, and every BGP session that node has: its rack's ToRs, its own peers, and the
// iBGP node mesh (full mesh or route reflectors) derived from `nodeMesh`.
import { hostname as osHostname } from 'node:os';
import { NodeNotFoundError } from './errors.js';
import type { NodeConfig, PeerConfig, SiteConfig } from './types.js';

/**
 * This node's entry: by `name` (from --node) when given, else by `hostname` (default: the host's name),
 * tried whole and then without its domain (`node-a.dc1.example` finds `node-a`).
 */
export function selectNode(config: SiteConfig, name?: string, hostname: string = osHostname()): NodeConfig {
  const byName = (n: string): NodeConfig | undefined => config.nodes.find((x) => x.name === n);
  const known = config.nodes.map((n) => n.name);
  if (name !== undefined && name !== '') {
    const found = byName(name);
    if (!found) throw new NodeNotFoundError(config.file, name, 'option', known);
    return found;
  }
  const found = byName(hostname) ?? byName(hostname.toLowerCase()) ?? byName(hostname.toLowerCase().split('.')[0]!);
  if (!found) throw new NodeNotFoundError(config.file, hostname, 'hostname', known);
  return found;
}

/** The iBGP sessions the node mesh gives `node` (none when it is not a member). */
export function meshPeersOf(config: SiteConfig, node: NodeConfig): PeerConfig[] {
  const mesh = config.nodeMesh;
  if (mesh.mode === 'none' || !mesh.racks.includes(node.rack)) return [];
  const members = config.nodes.filter((n) => mesh.racks.includes(n.rack) && n.name !== node.name);
  const reflectors = new Set(mesh.routeReflectors.map((r) => r.node));
  const inScope = (n: NodeConfig): boolean => mesh.scope === 'site' || n.rack === node.rack;
  const session = (n: NodeConfig, client: boolean): PeerConfig => ({
    ...mesh.peer, address: n.address, family: n.family, asn: n.asn, origin: 'mesh', node: n.name,
    ...(mesh.mode === 'route-reflectors' ? { routeReflectorClient: client } : {}),
  });
  if (mesh.mode === 'full') return members.filter(inScope).map((n) => session(n, false));
  if (reflectors.has(node.name)) {
    // A reflector: its clients in scope, and every other reflector (reflectors always mesh with each other).
    return members.filter((n) => reflectors.has(n.name) || inScope(n)).map((n) => session(n, !reflectors.has(n.name)));
  }
  return members.filter((n) => reflectors.has(n.name) && inScope(n)).map((n) => session(n, false));
}

/** Every configured session of `node`, by address: rack ToRs, then its own peers, then the mesh. */
export function peersOf(config: SiteConfig, node: NodeConfig): PeerConfig[] {
  const rack = config.racks.find((r) => r.name === node.rack);
  const out = new Map<string, PeerConfig>();
  for (const p of [...(rack?.peers ?? []), ...node.peers, ...meshPeersOf(config, node)]) {
    if (!out.has(p.address)) out.set(p.address, p);
  }
  return [...out.values()];
}
