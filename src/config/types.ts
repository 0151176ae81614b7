// The resolved site file: every default applied, addresses canonical, references checked, deeply frozen.
// This is what the agent, the planner and the policy engine read.
import type { AddPathMode, AddressFamilyName, Encapsulation, TunnelType } from './raw.js';
import type { Family } from './ip.js';

export type { AddPathMode, AddressFamilyName, Encapsulation, TunnelType } from './raw.js';

/** `default`, `all`, `none`, or a policy defined under `policies`. */
export type PolicyRef = 'default' | 'all' | 'none' | { readonly policy: string };

export interface MaxPrefix {
  readonly limit: number;
  readonly warningOnly: boolean;
  /** Seconds before reconnecting after the limit closed the session; 0: stay down until cleared. */
  readonly restartTime: number;
}

/** Where a peer comes from: its rack's ToRs, the node's own list, the iBGP node mesh. */
export type PeerOrigin = 'rack' | 'node' | 'mesh';

export interface PeerSettings {
  readonly description: string | null;
  readonly import: PolicyRef;
  readonly export: PolicyRef;
  /** TCP MD5 key file, absolute. Its content is read when the session starts. */
  readonly passwordFile: string | null;
  readonly holdTime: number;
  /** holdTime / 3, rounded down (0 when holdTime is 0). */
  readonly keepalive: number;
  readonly connectRetry: number;
  readonly port: number;
  readonly passive: boolean;
  readonly shutdown: boolean;
  /** The TTL of our packets: 1 for a directly connected peer. */
  readonly multihop: number;
  /** GTSM: hops allowed (the minimum TTL accepted is 256 - hops); null when off. */
  readonly ttlSecurity: number | null;
  readonly sourceAddress: string | null;
  readonly maxPrefix: MaxPrefix | null;
  readonly gracefulRestart: boolean;
  readonly families: readonly AddressFamilyName[];
  readonly extendedNextHop: boolean;
  readonly addPath: AddPathMode;
  readonly advertisementInterval: number;
}

export interface PeerConfig extends PeerSettings {
  /** Canonical text: the peer's identity across reloads. */
  readonly address: string;
  readonly family: Family;
  readonly asn: number;
  readonly origin: PeerOrigin;
  /** Mesh sessions only: the remote node's name. */
  readonly node?: string;
  /** Mesh sessions only: we reflect to this peer (it is our route-reflector client). */
  readonly routeReflectorClient?: boolean;
}

export interface DynamicNeighborConfig extends PeerSettings {
  readonly range: string;
  readonly family: Family;
  readonly asn: number;
  readonly limit: number;
}

export interface RackConfig {
  readonly name: string;
  /** The rack's subnets, `subnet` first. */
  readonly subnets: readonly string[];
  readonly asn: number | null;
  readonly holdTime: number;
  readonly encapsulation: Encapsulation;
  readonly tunnel: TunnelType;
  readonly mtu: number;
  readonly peers: readonly PeerConfig[];
}

export interface NodeConfig {
  readonly name: string;
  readonly rack: string;
  readonly address: string;
  readonly family: Family;
  readonly asn: number;
  /** The node's router ID: its own setting, else its address when IPv4. */
  readonly routerId: string;
  readonly podCIDRs: readonly string[];
  /** Prefixes (a bare address becomes a /32 or /128). */
  readonly serviceVIPs: readonly string[];
  /** Peers of this node only (besides its rack's and the mesh's). */
  readonly peers: readonly PeerConfig[];
}

export interface PrefixMatchConfig {
  readonly prefix: string;
  readonly family: Family;
  /** The matched prefix lengths, inclusive: with neither ge nor le, exactly the prefix's length. */
  readonly ge: number;
  readonly le: number;
}

export interface CommunityEditConfig {
  /** Standard communities as 32-bit numbers (ASN << 16 | value). */
  readonly add: readonly number[];
  readonly remove: readonly number[];
  readonly removeAll: boolean;
}

export type LargeCommunity = readonly [number, number, number];

export interface LargeCommunityEditConfig {
  readonly add: readonly LargeCommunity[];
  readonly remove: readonly LargeCommunity[];
  readonly removeAll: boolean;
}

export interface TermConfig {
  readonly name: string | null;
  readonly match: {
    /** The name of the prefix list used, for display; its entries are in `prefixes`. */
    readonly prefixList: string | null;
    /** Null: no prefix condition. Otherwise a route matches when any entry does. */
    readonly prefixes: readonly PrefixMatchConfig[] | null;
    readonly family: 'ipv4' | 'ipv6' | null;
    readonly community: readonly number[] | null;
    readonly largeCommunity: readonly LargeCommunity[] | null;
    readonly asPathContains: number | null;
  };
  readonly set: {
    readonly localPref: number | null;
    readonly med: number | null;
    readonly prepend: { readonly count: number; readonly asn: number | null } | null;
    /** 'self', an address, or null (unchanged). */
    readonly nextHop: string | null;
    readonly communities: CommunityEditConfig | null;
    readonly largeCommunities: LargeCommunityEditConfig | null;
  };
  readonly action: 'accept' | 'reject' | 'next';
}

export interface PolicyConfig {
  readonly name: string;
  readonly description: string | null;
  readonly terms: readonly TermConfig[];
  readonly default: 'accept' | 'reject';
}

export interface NodeMeshConfig {
  readonly mode: 'none' | 'full' | 'route-reflectors';
  readonly scope: 'site' | 'rack';
  /** The racks taking part (all when the file names none). */
  readonly racks: readonly string[];
  readonly routeReflectors: readonly { readonly node: string; readonly clusterId: string | null }[];
  readonly peer: PeerSettings;
}

export interface FibConfig {
  readonly install: boolean;
  readonly table: number;
  readonly protocol: number;
  readonly reconcileInterval: number;
}

export interface SiteConfig {
  /** The file it was read from (as given). */
  readonly file: string;
  readonly site: string;
  readonly description: string | null;
  readonly defaults: {
    readonly asn: number | null;
    readonly holdTime: number;
    readonly encapsulation: Encapsulation;
    readonly tunnel: TunnelType;
    readonly mtu: number;
  };
  readonly fib: FibConfig;
  readonly clusterCIDRs: readonly string[];
  readonly racks: readonly RackConfig[];
  readonly nodes: readonly NodeConfig[];
  readonly policies: Readonly<Record<string, PolicyConfig>>;
  readonly bgp: {
    /** null: do not listen. */
    readonly listen: { readonly address: string | null; readonly port: number } | null;
    readonly gracefulRestart: { readonly enabled: boolean; readonly restartTime: number; readonly stalePathsTime: number };
    readonly multipath: { readonly enabled: boolean; readonly maxPaths: number; readonly relaxAsPath: boolean };
    readonly alwaysCompareMed: boolean;
    readonly dynamicNeighbors: readonly DynamicNeighborConfig[];
  };
  readonly nodeMesh: NodeMeshConfig;
  readonly vxlan: { readonly vni: number; readonly port: number; readonly device: string };
  readonly ipip: { readonly implementation: 'auto' | 'kernel' | 'ebpf'; readonly device: string };
  readonly datapath: { readonly ebpf: boolean; readonly uplinks: readonly string[]; readonly nexthopCache: boolean };
  readonly api: { readonly socket: string };
  readonly metrics: { readonly enabled: boolean; readonly address: string };
  readonly log: { readonly level: 'error' | 'warn' | 'info' | 'debug' };
}
