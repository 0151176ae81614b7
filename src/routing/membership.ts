// The site file's node list as the planner's membership, from one node's point of view. Pure.
import type { NodeConfig, SiteConfig } from '../config/types.js';
import type { Membership, TunnelKind } from './transport.js';

export function membershipOf(site: SiteConfig, node: NodeConfig): Membership {
  const rackOf = (name: string) => site.racks.find((r) => r.name === name);
  const mine = rackOf(node.rack);
  return {
    self: { name: node.name, address: node.address, rack: node.rack },
    localSubnets: mine?.subnets ?? [],
    mode: mine?.encapsulation ?? site.defaults.encapsulation,
    mtu: mine?.mtu ?? site.defaults.mtu,
    members: site.nodes.filter((n) => n.name !== node.name).map((n) => ({
      name: n.name, address: n.address, rack: n.rack, podCIDRs: n.podCIDRs, mtu: rackOf(n.rack)?.mtu ?? site.defaults.mtu,
    })),
  };
}

/**
 * The tunnel this node needs, or null: its rack's tunnel kind when any rack of the site encapsulates (a node in a
 * `never` rack still decapsulates what nodes of other racks send it).
 */
export function tunnelOf(site: SiteConfig, node: NodeConfig): TunnelKind | null {
  if (site.racks.every((r) => r.encapsulation === 'never')) return null;
  return site.racks.find((r) => r.name === node.rack)?.tunnel ?? site.defaults.tunnel;
}
