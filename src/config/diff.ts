// What a reload changes for one node, so the agent applies only that: sessions added, removed or changed (by
// peer address), its own pod CIDRs and service VIPs, policies (and the peers that must re-run them), the other
// nodes (for the planner and the tunnels), and everything else by path. Untouched sessions are left alone.
import { isDeepStrictEqual } from 'node:util';
import { NodeNotFoundError } from './errors.js';
import { peersOf } from './select.js';
import type { NodeConfig, PeerConfig, PolicyRef, SiteConfig } from './types.js';

export interface PeerChange {
  readonly address: string;
  readonly before: PeerConfig;
  readonly after: PeerConfig;
  /** The PeerConfig keys that differ. */
  readonly fields: readonly string[];
  /** The session must be re-established for the change to apply (false: import/export, limits, description, shutdown). */
  readonly reset: boolean;
}

export interface AddedRemoved<T> {
  readonly added: readonly T[];
  readonly removed: readonly T[];
}

export interface ConfigDiff {
  readonly node: string;
  readonly peers: AddedRemoved<PeerConfig> & { readonly changed: readonly PeerChange[] };
  readonly podCIDRs: AddedRemoved<string>;
  readonly serviceVIPs: AddedRemoved<string>;
  readonly policies: AddedRemoved<string> & { readonly changed: readonly string[] };
  /** Addresses of unchanged peers whose import or export result may differ now: re-run policy (route refresh). */
  readonly policyRefresh: readonly string[];
  /** The other nodes, by name: membership for the route planner and the tunnels. */
  readonly nodes: AddedRemoved<string> & { readonly changed: readonly string[] };
  /** Every other changed setting, as a path (`defaults.mtu`, `racks.r2.encapsulation`, `vxlan.port`). */
  readonly other: readonly string[];
  /** The changes (among all above) a running agent cannot apply: restart it to apply them. */
  readonly restartRequired: readonly string[];
  readonly empty: boolean;
}

/** Peer fields whose change does not need the session re-established. */
const SOFT_PEER_FIELDS = new Set(['import', 'export', 'description', 'maxPrefix', 'advertisementInterval', 'shutdown']);

/** Paths (prefixes) of settings that only a restart applies. */
const RESTART_PATHS = ['bgp.listen', 'api.socket', 'datapath.ebpf', 'datapath.uplinks', 'fib.table', 'fib.protocol',
  'vxlan.device', 'ipip.device', 'metrics'];

function addedRemoved<T>(before: readonly T[], after: readonly T[]): AddedRemoved<T> {
  return { added: after.filter((x) => !before.includes(x)), removed: before.filter((x) => !after.includes(x)) };
}

function changedPaths(a: unknown, b: unknown, prefix: string, out: string[]): void {
  if (isDeepStrictEqual(a, b)) return;
  const plain = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!plain(a) || !plain(b)) {
    out.push(prefix);
    return;
  }
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) changedPaths(a[k], b[k], prefix ? `${prefix}.${k}` : k, out);
}

const policyName = (r: PolicyRef): string | undefined => (typeof r === 'object' ? r.policy : undefined);

function nodeOrThrow(config: SiteConfig, name: string): NodeConfig {
  const n = config.nodes.find((x) => x.name === name);
  if (!n) throw new NodeNotFoundError(config.file, name, 'option', config.nodes.map((x) => x.name));
  return n;
}

/** What changes for node `nodeName` from `before` to `after`. Throws NodeNotFoundError when either lacks it. */
export function diffConfigs(before: SiteConfig, after: SiteConfig, nodeName: string): ConfigDiff {
  const oldNode = nodeOrThrow(before, nodeName);
  const newNode = nodeOrThrow(after, nodeName);

  // Sessions, by address.
  const oldPeers = new Map(peersOf(before, oldNode).map((p) => [p.address, p]));
  const newPeers = new Map(peersOf(after, newNode).map((p) => [p.address, p]));
  const added = [...newPeers.values()].filter((p) => !oldPeers.has(p.address));
  const removed = [...oldPeers.values()].filter((p) => !newPeers.has(p.address));
  const changed: PeerChange[] = [];
  for (const [address, a] of newPeers) {
    const b = oldPeers.get(address);
    if (!b || isDeepStrictEqual(a, b)) continue;
    const fields = [...new Set([...Object.keys(a), ...Object.keys(b)])]
      .filter((k) => !isDeepStrictEqual((a as unknown as Record<string, unknown>)[k], (b as unknown as Record<string, unknown>)[k]));
    changed.push({ address, before: b, after: a, fields, reset: fields.some((f) => !SOFT_PEER_FIELDS.has(f)) });
  }

  // Policies, by name and content (prefix lists are inlined, so a changed list changes its policies).
  const oldPol = Object.keys(before.policies);
  const newPol = Object.keys(after.policies);
  const polChanged = newPol.filter((n) => n in before.policies && !isDeepStrictEqual(before.policies[n], after.policies[n]));

  // The default import policy follows the cluster's pod ranges: the clusterCIDRs, or the nodes' pod CIDRs.
  const podRanges = (c: SiteConfig): unknown => (c.clusterCIDRs.length ? c.clusterCIDRs : c.nodes.map((n) => n.podCIDRs));
  const defaultImportChanged = !isDeepStrictEqual(podRanges(before), podRanges(after));
  const changedSet = new Set(changed.map((c) => c.address));
  const needsRefresh = (p: PeerConfig): boolean =>
    [p.import, p.export].some((r) => { const n = policyName(r); return n !== undefined && polChanged.includes(n); })
    || (p.import === 'default' && defaultImportChanged);
  const policyRefresh = [...newPeers.values()]
    .filter((p) => oldPeers.has(p.address) && !changedSet.has(p.address) && needsRefresh(p))
    .map((p) => p.address);

  // The other nodes.
  const others = (c: SiteConfig): Map<string, NodeConfig> => new Map(c.nodes.filter((n) => n.name !== nodeName).map((n) => [n.name, n]));
  const oldOthers = others(before);
  const newOthers = others(after);
  const nodes = {
    ...addedRemoved([...oldOthers.keys()], [...newOthers.keys()]),
    changed: [...newOthers.keys()].filter((n) => oldOthers.has(n) && !isDeepStrictEqual(oldOthers.get(n), newOthers.get(n))),
  };

  // Everything else, by path. Peers, policies and nodes are covered above.
  const rest = (c: SiteConfig, n: NodeConfig): Record<string, unknown> => ({
    site: c.site, description: c.description, defaults: c.defaults, fib: c.fib, clusterCIDRs: c.clusterCIDRs,
    racks: Object.fromEntries(c.racks.map((r) => [r.name, { ...r, peers: undefined }])),
    bgp: c.bgp, nodeMesh: { ...c.nodeMesh, peer: undefined }, vxlan: c.vxlan, ipip: c.ipip, datapath: c.datapath,
    api: c.api, metrics: c.metrics, log: c.log,
    node: { rack: n.rack, address: n.address, asn: n.asn, routerId: n.routerId },
  });
  const other: string[] = [];
  changedPaths(rest(before, oldNode), rest(after, newNode), '', other);

  const restartRequired = other.filter((p) => p.startsWith('node.') || RESTART_PATHS.some((r) => p === r || p.startsWith(`${r}.`)));
  const podCIDRs = addedRemoved(oldNode.podCIDRs, newNode.podCIDRs);
  const serviceVIPs = addedRemoved(oldNode.serviceVIPs, newNode.serviceVIPs);
  const policies = { ...addedRemoved(oldPol, newPol), changed: polChanged };
  const empty = added.length + removed.length + changed.length + podCIDRs.added.length + podCIDRs.removed.length
    + serviceVIPs.added.length + serviceVIPs.removed.length + policies.added.length + policies.removed.length
    + polChanged.length + nodes.added.length + nodes.removed.length + nodes.changed.length + other.length === 0;
  return {
    node: nodeName,
    peers: { added, removed, changed },
    podCIDRs,
    serviceVIPs,
    policies,
    policyRefresh,
    nodes,
    other,
    restartRequired,
    empty,
  };
}
