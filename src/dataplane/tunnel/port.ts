// TunnelPort: one tunnel implementation as the agent sees it. Kernel VXLAN (vxlan.ts) and kernel IP-in-IP
// (ipip-kernel.ts) implement it over rtnetlink; the eBPF IP-in-IP data path (src/dataplane/ebpf/ipip*) implements
// the same shape, so the planner and the agent do not care which one carries a route.
import type { Member, TunnelKind, TunnelSpec } from '../../routing/transport.js';

export interface TunnelReport {
  /** the device was created or rebuilt in this pass (routes through it must be re-resolved) */
  readonly deviceChanged: boolean;
  /** per-peer entries written (FDB, neighbours, map entries) and removed */
  readonly written: number;
  readonly removed: number;
}

export interface TunnelStatus {
  readonly kind: TunnelKind;
  /** kernel | ebpf */
  readonly implementation: string;
  readonly device: string;
  readonly mtu: number;
  readonly up: boolean;
  readonly peers: number;
  readonly repairs: number;
  readonly lastError: string | null;
  /** extra facts an operator wants (vni, port, local address, underlay device...) */
  readonly details: Readonly<Record<string, string | number | boolean>>;
}

export interface TunnelPort {
  readonly kind: TunnelKind;
  readonly implementation: 'kernel' | 'ebpf';
  /** How routes through this tunnel look (pure data for the planner). */
  spec(): TunnelSpec;
  /** The remote nodes it must reach (desired); the next reconcile() writes what they need. */
  setPeers(members: readonly Member[]): void;
  /**
   * The pod CIDRs the planner routes through this tunnel now, before those routes are written. Only for a tunnel
   * whose encapsulation is keyed on the destination rather than on the route (eBPF IP-in-IP's maps).
   */
  setRoutes?(dsts: readonly string[]): void;
  /** Converges the device and the per-peer state: idempotent, repairs drift. */
  reconcile(): Promise<TunnelReport>;
  status(): TunnelStatus;
  /** restart: leave the device and its entries (a restart is not an outage); withdraw: remove them. */
  close(mode: 'restart' | 'withdraw'): Promise<void>;
}

/** Thrown when a tunnel implementation cannot exist here (no kernel module, no BPF...): `why` says so. */
export class TunnelUnavailableError extends Error {
  override readonly name = 'TunnelUnavailableError';
  constructor(
    readonly kind: TunnelKind,
    readonly implementation: string,
    readonly why: string,
    options?: { cause?: unknown },
  ) {
    super(`${kind} (${implementation}) unavailable: ${why}`, options);
  }
}

/** What the agent passes to a tunnel factory. */
export interface TunnelEnv {
  /** this node's underlay address */
  readonly local: string;
  /** underlay MTU (this node's rack) */
  readonly mtu: number;
  readonly device: string;
  /** why this implementation was chosen (e.g. the kernel's ipip driver is missing) */
  readonly why?: string;
}

/** Builds the eBPF IP-in-IP tunnel (registered by the eBPF data path; absent until it exists). */
export type TunnelFactory = (env: TunnelEnv) => Promise<TunnelPort>;
