// The site file's data as the JSON Schema admits it (config/site.schema.json): optional keys still absent,
// addresses still text. Only the validator and the resolver read these; the rest of rackroute reads SiteConfig.

export type Encapsulation = 'never' | 'always' | 'cross-subnet' | 'auto';
export type TunnelType = 'vxlan' | 'ipip';
export type AddressFamilyName = 'ipv4-unicast' | 'ipv6-unicast';
export type AddPathMode = 'none' | 'receive' | 'send' | 'both';

export interface RawPeerSettings {
  description?: string;
  import?: string;
  export?: string;
  password?: { file: string };
  holdTime?: number;
  connectRetry?: number;
  port?: number;
  passive?: boolean;
  shutdown?: boolean;
  multihop?: number;
  ttlSecurity?: boolean | number;
  sourceAddress?: string;
  maxPrefix?: number | { limit: number; warningOnly?: boolean; restartTime?: number };
  gracefulRestart?: boolean;
  families?: AddressFamilyName[];
  extendedNextHop?: boolean;
  addPath?: AddPathMode;
  advertisementInterval?: number;
}

export interface RawPeer extends RawPeerSettings {
  address: string;
  asn: number;
}

export interface RawFib {
  install?: boolean;
  table?: number;
  protocol?: number;
  reconcileInterval?: number;
}

export interface RawDefaults {
  asn?: number;
  holdTime?: number;
  encapsulation?: Encapsulation;
  tunnel?: TunnelType;
  mtu?: number;
  fib?: RawFib;
  peer?: RawPeerSettings;
}

export interface RawRack {
  name: string;
  subnet: string;
  additionalSubnets?: string[];
  asn?: number;
  holdTime?: number;
  encapsulation?: Encapsulation;
  tunnel?: TunnelType;
  mtu?: number;
  peers?: RawPeer[];
}

export interface RawNode {
  name: string;
  rack: string;
  address: string;
  podCIDRs?: string[];
  serviceVIPs?: string[];
  asn?: number;
  routerId?: string;
  peers?: RawPeer[];
}

export interface RawPrefixMatch {
  prefix: string;
  ge?: number;
  le?: number;
}

export interface RawCommunityEdit {
  add?: string[];
  remove?: string[];
  removeAll?: boolean;
}

export interface RawTerm {
  name?: string;
  match?: {
    prefixList?: string;
    prefixes?: RawPrefixMatch[];
    family?: 'ipv4' | 'ipv6';
    community?: string[];
    largeCommunity?: string[];
    asPathContains?: number;
  };
  set?: {
    localPref?: number;
    med?: number;
    prepend?: number | { count: number; asn?: number };
    nextHop?: string;
    communities?: RawCommunityEdit;
    largeCommunities?: RawCommunityEdit;
  };
  action?: 'accept' | 'reject' | 'next';
}

export interface RawPolicy {
  description?: string;
  terms: RawTerm[];
  default?: 'accept' | 'reject';
}

export interface RawDynamicNeighbor extends RawPeerSettings {
  range: string;
  asn: number;
  limit?: number;
}

export interface RawSite {
  site: string;
  description?: string;
  defaults?: RawDefaults;
  clusterCIDRs?: string[];
  racks: RawRack[];
  nodes: RawNode[];
  prefixLists?: Record<string, RawPrefixMatch[]>;
  policies?: Record<string, RawPolicy>;
  bgp?: {
    listen?: boolean | { address?: string; port?: number };
    routerId?: string;
    gracefulRestart?: { enabled?: boolean; restartTime?: number; stalePathsTime?: number };
    multipath?: { enabled?: boolean; maxPaths?: number; relaxAsPath?: boolean };
    alwaysCompareMed?: boolean;
    dynamicNeighbors?: RawDynamicNeighbor[];
  };
  nodeMesh?: {
    mode?: 'none' | 'full' | 'route-reflectors';
    scope?: 'site' | 'rack';
    racks?: string[];
    routeReflectors?: { node: string; clusterId?: string }[];
    peer?: RawPeerSettings;
  };
  vxlan?: { vni?: number; port?: number; device?: string };
  ipip?: { implementation?: 'auto' | 'kernel' | 'ebpf'; device?: string };
  datapath?: { ebpf?: boolean; uplinks?: string[]; nexthopCache?: boolean };
  api?: { socket?: string };
  metrics?: { enabled?: boolean; address?: string };
  log?: { level?: 'error' | 'warn' | 'info' | 'debug' };
}
