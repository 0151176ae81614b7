// An in-memory BpfMapPort: the same semantics as the pinned maps (canonical CIDRs, counters by reason),
// for tests of the agent without root. Counters can be bumped by the test.
import {
  IFSLOTS, MAP_LAYOUT, MAP_NAMES, type Cidr, type DatapathConfig, type Endpoint, addressBytes, formatAddress, formatCidr, parseCidr, summarize,
} from './layout.js';
import type { BpfMapPort, IfaceEntry, MapSummary, PodCidrEntry, ReasonCount } from './port.js';
import { REASONS, REASON_MAX, type Reason } from './reasons.generated.js';

export class MemoryBpfMaps implements BpfMapPort {
  private readonly pods = new Map<string, number>();
  private readonly ifaces = new Map<number, number>();
  private readonly counters = new Map<Reason, { packets: number; bytes: number }>();
  private readonly endpoints = new Map<string, Endpoint>();
  private configFlags = 0;

  upsertPodCidr(cidr: string, flags: number): void {
    this.pods.set(formatCidr(parseCidr(cidr)), flags);
  }

  deletePodCidr(cidr: string): boolean {
    return this.pods.delete(formatCidr(parseCidr(cidr)));
  }

  listPodCidrs(): PodCidrEntry[] {
    return [...this.pods].map(([cidr, flags]) => ({ cidr, flags }));
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
      stats: REASON_MAX, pod4: v4, pod6: this.pods.size - v4, ifaces: this.ifaces.size, ifslots: IFSLOTS, config: 1,
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
