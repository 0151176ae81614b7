// What the agent needs from the datapath's maps, as a port: the real one (maps.ts, pinned BPF maps through
// the npm `bpf` package) needs root; the in-memory one (memory.ts) lets the agent be tested without it.
import type { DatapathConfig, Endpoint, Nexthop } from './layout.js';
import type { Reason, ReasonKind } from './reasons.generated.js';

export interface PodCidrEntry {
  /** canonical CIDR text (host bits cleared) */
  readonly cidr: string;
  /** POD_F_* from layout.ts */
  readonly flags: number;
}

export interface IfaceEntry {
  readonly ifindex: number;
  /** IFACE_F_* from layout.ts */
  readonly flags: number;
}

export interface ReasonCount {
  readonly id: Reason;
  readonly label: string;
  readonly kind: ReasonKind;
  /** summed over CPUs */
  readonly packets: number;
  readonly bytes: number;
}

export interface MapSummary {
  readonly name: string;
  readonly type: string;
  readonly id: number | null;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** entries present now (for arrays: the size) */
  readonly entries: number;
}

/** A remote pod CIDR and its cached next hops (rr_nh_v1): what the FIB answers for it, ECMP included. */
export interface NexthopCacheEntry {
  /** a pod CIDR of the pod maps with POD_F_REMOTE */
  readonly cidr: string;
  /** 1..NH_MAX; kept in one canonical order (ifindex, then MACs), MACs lower-case */
  readonly nexthops: readonly Nexthop[];
}

/** What listNexthops reports: one entry per pod CIDR with a group the program uses. */
export interface CachedNexthops {
  readonly cidr: string;
  readonly nexthops: Nexthop[];
}

export interface NexthopSyncResult {
  /** pod CIDRs that got a group / another group / lost theirs (nh = 0: the FIB path) */
  readonly added: string[];
  readonly updated: string[];
  readonly removed: string[];
  /**
   * Only when not empty: listed CIDRs left uncached (their traffic takes the FIB path): not a REMOTE pod CIDR of the
   * pod maps (or not a CIDR), 0 or more than NH_MAX next hops, a bad ifindex or MAC, or no group free in this pass.
   */
  readonly skipped?: string[];
}

export interface BpfMapPort {
  /**
   * Add or update one pod CIDR (IPv4 or IPv6) whose traffic takes the fast path. An existing entry keeps its cached
   * next hops while it stays POD_F_REMOTE; without that flag they are cleared.
   */
  upsertPodCidr(cidr: string, flags: number): void;
  /** false when it was not there (its cached next hops go with it) */
  deletePodCidr(cidr: string): boolean;
  listPodCidrs(): PodCidrEntry[];
  setIface(ifindex: number, flags: number): void;
  deleteIface(ifindex: number): boolean;
  listIfaces(): IfaceEntry[];
  /** Add or update one local pod address (rr_endpoint4_v1 / rr_endpoint6_v1). */
  upsertEndpoint(e: Endpoint): void;
  /** false when it was not there */
  deleteEndpoint(ip: string): boolean;
  listEndpoints(): Endpoint[];
  getConfigFlags(): number;
  /** The switches only: the summaries in the same config entry are kept. */
  setConfigFlags(flags: number): void;
  /**
   * The config entry as the program reads it: switches and the summaries of the pod CIDR and endpoint maps
   * (prefix lengths in use, covering prefixes). Upserts widen a summary as they go; a removal leaves it wider than
   * needed (a lookup more, never a wrong answer) until the refresh below makes it exact again.
   */
  readConfig(): DatapathConfig;
  /** Rewrite the pod CIDR summaries from what the pod maps hold; true when they changed. */
  refreshPodSummary(): boolean;
  /** Rewrite the endpoint covers from what the endpoint maps hold; true when they changed. */
  refreshEndpointSummary(): boolean;
  /** Rebuild the direct-mapped device slots (rr_ifslots_v1) from the managed devices; true when one changed. */
  refreshIfaceSlots(): boolean;
  /**
   * The next-hop cache's whole desired state (rr_nh_v1, bpf/lib/nexthop.h): each listed CIDR, a REMOTE pod CIDR
   * already in the pod maps, gets a group with its next hops (a later entry for the same CIDR wins); every other pod
   * entry gets none. A group is never rewritten while a pod entry names it (new group, switch, then release), and a
   * released one is not written again before the next call.
   */
  syncNexthops(entries: readonly NexthopCacheEntry[]): NexthopSyncResult;
  /**
   * No cached next hops for these pod CIDRs (all when omitted), at once: their traffic takes bpf_fib_lookup from
   * the next packet on. For the agent before it changes kernel routes. Returns how many had some.
   */
  clearNexthops(cidrs?: readonly string[]): number;
  /** The cached next hops the program uses (REMOTE entries with a valid group), sorted by CIDR. */
  listNexthops(): CachedNexthops[];
  /** Every reason's counters, summed over CPUs, zeros included, in reason order. */
  readCounters(): ReasonCount[];
  summaries(): MapSummary[];
  close(): void;
}

export interface PodCidrSyncResult {
  readonly added: string[];
  readonly updated: string[];
  readonly removed: string[];
}

export interface EndpointSyncResult {
  readonly added: string[];
  readonly updated: string[];
  readonly removed: string[];
}
