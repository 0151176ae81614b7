// An in-memory BpfMapPort: the same semantics as the pinned maps (canonical CIDRs, counters by reason, the
// next-hop cache's allocation through the same writer, nexthop-groups.ts), for tests of the agent without root.
// Counters can be bumped by the test.
import {
  IFSLOTS, MAP_LAYOUT, MAP_NAMES, NH_GROUPS, type Cidr, type DatapathConfig, type Endpoint, type Nexthop, type PodInfo, addressBytes,
  decodeNexthopGroup, formatAddress, formatCidr, parseCidr, summarize,
} from './layout.js';
import { NexthopGroups } from './nexthop-groups.js';
import type {
  BpfMapPort, CachedNexthops, IfaceEntry, MapSummary, NexthopCacheEntry, NexthopSyncResult, PodCidrEntry, ReasonCount,
} from './port.js';
import { REASONS, REASON_MAX, type Reason } from './reasons.generated.js';

export class MemoryBpfMaps implements BpfMapPort {
  private readonly pods = new Map<string, PodInfo>();
  /** rr_nh_v1: group index -> its 72 bytes (an index never written reads as zeros, as in the array map) */
  private readonly groups = new Map<number, Buffer>();
  private readonly ifaces = new Map<number, number>();
  private readonly counters = new Map<Reason, { packets: number; bytes: number }>();
  private readonly endpoints = new Map<string, Endpoint>();
  private configFlags = 0;
  private readonly nexthops: NexthopGroups;
  /** every group write, in order (tests: no group is ever written while a pod entry names it) */
  readonly groupWrites: number[] = [];

  /** nexthopGroups: the size of rr_nh_v1 here (NH_GROUPS; tests use a small one to run out). */
  constructor(opts: { nexthopGroups?: number } = {}) {
    this.nexthops = new NexthopGroups({
      pods: () => this.pods.entries(),
      getPod: (cidr) => this.pods.get(cidr),
      setPod: (cidr, info) => {
        this.pods.set(cidr, { ...info });
      },
      deletePod: (cidr) => this.pods.delete(cidr),
      readGroup: (i) => this.groups.get(i) ?? Buffer.alloc(MAP_LAYOUT.nh.valueSize),
      writeGroup: (i, group) => {
        if ([...this.pods.values()].some((p) => p.nh === i + 1)) throw new Error(`group ${i} rewritten while a pod entry names it`);
        this.groupWrites.push(i);
        this.groups.set(i, Buffer.from(group));
      },
    }, opts.nexthopGroups ?? NH_GROUPS);
  }

  upsertPodCidr(cidr: string, flags: number): void {
    this.nexthops.upsertPod(formatCidr(parseCidr(cidr)), flags);
  }

  deletePodCidr(cidr: string): boolean {
    return this.nexthops.deletePod(formatCidr(parseCidr(cidr)));
  }

  listPodCidrs(): PodCidrEntry[] {
    return [...this.pods].map(([cidr, info]) => ({ cidr, flags: info.flags }));
  }

  syncNexthops(entries: readonly NexthopCacheEntry[]): NexthopSyncResult {
    return this.nexthops.sync(entries);
  }

  clearNexthops(cidrs?: readonly string[]): number {
    return this.nexthops.clear(cidrs);
  }

  listNexthops(): CachedNexthops[] {
    return this.nexthops.list();
  }

  /** As PinnedBpfMaps.nexthopIndex: the raw nh of a pod entry. */
  nexthopIndex(cidr: string): number | undefined {
    return this.pods.get(formatCidr(parseCidr(cidr)))?.nh;
  }

  /** As PinnedBpfMaps.nexthopGroup. */
  nexthopGroup(index: number): Nexthop[] | null {
    const g = this.groups.get(index);
    return g ? decodeNexthopGroup(g) : null;
  }

  nexthopUsage(): { live: number; released: number; free: number } {
    return this.nexthops.usage();
  }

  /** Test hook: a pod entry's raw nh, as a foreign writer (or drift) would leave it. */
  setRawPodInfo(cidr: string, info: PodInfo): void {
    this.pods.set(formatCidr(parseCidr(cidr)), { ...info });
  }

  /** Test hook: what opening the pinned maps does, rebuilding the writer's state from the maps. */
  reopen(): void {
    this.nexthops.rebuild();
  }

  setIface(ifindex: number, flags: number): void {
    this.ifaces.set(ifindex, flags);
  }

  deleteIface(ifindex: number): boolean {
    return this.ifaces.delete(ifindex);
  }

  listIfaces(): IfaceEntry[] {
    return [...this.ifaces].map(([ifindex, flags]) => ({ ifindex, flags }));
  }

  upsertEndpoint(e: Endpoint): void {
    const ip = formatAddress(addressBytes(e.ip));
    this.endpoints.set(ip, { ...e, ip, podMac: e.podMac.toLowerCase(), hostMac: e.hostMac.toLowerCase() });
  }

  deleteEndpoint(ip: string): boolean {
    return this.endpoints.delete(formatAddress(addressBytes(ip)));
  }

  listEndpoints(): Endpoint[] {
    return [...this.endpoints.values()];
  }

  getConfigFlags(): number {
    return this.configFlags;
  }

  setConfigFlags(flags: number): void {
    this.configFlags = flags;
  }

  /** Always exact here: the summaries of what the maps hold. */
  readConfig(): DatapathConfig {
    const pods = [...this.pods.keys()].map((c) => parseCidr(c));
    const hosts = [...this.endpoints.keys()].map((ip): Cidr => {
      const addr = addressBytes(ip);
      return { family: addr.length === 4 ? 4 : 6, addr, prefixLen: addr.length * 8 };
    });
    return {
      flags: this.configFlags,
      pod4: summarize(pods.filter((c) => c.family === 4)),
      pod6: summarize(pods.filter((c) => c.family === 6)),
      endpoint4Cover: summarize(hosts.filter((c) => c.family === 4)).cover,
      endpoint6Cover: summarize(hosts.filter((c) => c.family === 6)).cover,
    };
  }

  refreshPodSummary(): boolean {
    return false;
  }

  refreshEndpointSummary(): boolean {
    return false;
  }

  refreshIfaceSlots(): boolean {
    return false;
  }

  /** Test hook: what the program would have counted. */
  count(reason: Reason, packets: number, bytes: number): void {
    const c = this.counters.get(reason) ?? { packets: 0, bytes: 0 };
    this.counters.set(reason, { packets: c.packets + packets, bytes: c.bytes + bytes });
  }

  readCounters(): ReasonCount[] {
    return REASONS.map((r) => ({ id: r.id, label: r.label, kind: r.kind, ...(this.counters.get(r.id) ?? { packets: 0, bytes: 0 }) }));
  }

  summaries(): MapSummary[] {
    const v4 = this.listPodCidrs().filter((e) => !e.cidr.includes(':')).length;
    const entries: Record<keyof typeof MAP_NAMES, number> = {
      stats: REASON_MAX, pod4: v4, pod6: this.pods.size - v4, ifaces: this.ifaces.size, ifslots: IFSLOTS, config: 1, nh: this.nexthops.capacity,
      endpoint4: [...this.endpoints.keys()].filter((ip) => !ip.includes(':')).length,
      endpoint6: [...this.endpoints.keys()].filter((ip) => ip.includes(':')).length,
    };
    return (Object.keys(MAP_NAMES) as (keyof typeof MAP_NAMES)[]).map((role) => ({
      name: MAP_NAMES[role], type: 'memory', id: null, ...MAP_LAYOUT[role], maxEntries: 0, entries: entries[role],
    }));
  }

  close(): void {
    // nothing to release
  }
}
