// What the agent needs from the datapath's maps, as a port: the real one (maps.ts, pinned BPF maps through
// the npm `bpf` package) needs root; the in-memory one (memory.ts) lets the agent be tested without it.
import type { DatapathConfig, Endpoint } from './layout.js';
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

export interface BpfMapPort {
  /** Add or update one pod CIDR (IPv4 or IPv6) whose traffic takes the fast path. */
  upsertPodCidr(cidr: string, flags: number): void;
  /** false when it was not there */
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
