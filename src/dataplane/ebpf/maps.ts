// The real BpfMapPort: the pinned maps opened with the npm `bpf` package (objGet on PIN_DIR/NAME), with the
// layouts of layout.ts checked against what the kernel reports before anything is written.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import bpf from 'bpf';
import type { MapRef } from 'bpf';
import {
  CONFIG_SIZE, IFACE_F_POD, IFSLOTS, MAP_LAYOUT, MAP_NAMES, NH_GROUPS, PER_CPU_ROLES, type Cidr, type DatapathConfig, type Endpoint,
  type MapRole, type Nexthop, type PodInfo, addressBytes, decodeConfig, decodeEndpoint, decodeFlags, decodeIfSlot, decodeNexthopGroup,
  decodePodInfo, decodePodKey, encodeConfig, encodeEndpoint, encodeFlags, encodeIfSlot, encodePodInfo, encodePodKey, formatCidr, parseCidr,
  parseCpuList, readU32, summarize, sumPerCpuStat, u32, widenSummary, commonPrefix,
} from './layout.js';
import { NexthopGroups, type NexthopStore } from './nexthop-groups.js';
import type {
  BpfMapPort, CachedNexthops, IfaceEntry, MapSummary, NexthopCacheEntry, NexthopSyncResult, PodCidrEntry, ReasonCount,
} from './port.js';
import { REASONS } from './reasons.generated.js';

export const DEFAULT_PIN_DIR = '/sys/fs/bpf/rackroute';

export class DatapathMapError extends Error {
  override readonly name = 'DatapathMapError';
  constructor(message: string, readonly map: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function possibleCpus(): number {
  return parseCpuList(readFileSync('/sys/devices/system/cpu/possible', 'utf8'));
}

/**
 * A per-CPU map's lookups return one 8-byte-aligned slot per possible CPU; the `bpf` package sizes its
 * buffers from ref.valueSize, so it gets a ref that reports the whole per-CPU value.
 */
function perCpuRef(ref: MapRef, cpus: number): MapRef {
  const slot = Math.ceil(ref.valueSize / 8) * 8;
  return {
    type: ref.type, id: ref.id, keySize: ref.keySize, valueSize: slot * cpus, maxEntries: ref.maxEntries,
    flags: ref.flags, name: ref.name,
    get fd() { return ref.fd; },
    close: () => ref.close(),
  };
}

export class PinnedBpfMaps implements BpfMapPort {
  private readonly refs = new Map<MapRole, MapRef>();
  private readonly raw = new Map<MapRole, InstanceType<typeof bpf.RawMap>>();
  readonly cpus: number;
  /** The next-hop cache's allocation state (nexthop-groups.ts), rebuilt from the maps here. */
  private readonly nexthops: NexthopGroups;

  /**
   * Opens every map pinned under pinDir; throws DatapathMapError when one is missing or has another layout. One
   * instance per pin directory writes (the agent's): the next-hop groups' allocation state lives in it.
   */
  constructor(readonly pinDir: string = DEFAULT_PIN_DIR) {
    this.cpus = possibleCpus();
    try {
      for (const role of Object.keys(MAP_NAMES) as MapRole[]) this.open(role);
      this.nexthops = new NexthopGroups(this.nexthopStore(), NH_GROUPS);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** The pod maps and rr_nh_v1 as the next-hop writer sees them (pod entries by canonical CIDR). */
  private nexthopStore(): NexthopStore {
    const pod = (cidr: string) => {
      const { c, map } = this.podMap(cidr);
      return { key: encodePodKey(c), map };
    };
    return {
      pods: () => this.podEntries(),
      getPod: (cidr) => {
        const { key, map } = pod(cidr);
        const v = map.get(key);
        return v ? decodePodInfo(v) : undefined;
      },
      setPod: (cidr, info: PodInfo) => {
        const { key, map } = pod(cidr);
        map.set(key, encodePodInfo(info));
      },
      deletePod: (cidr) => {
        const { key, map } = pod(cidr);
        return map.delete(key);
      },
      readGroup: (index) => this.map('nh').get(u32(index)),
      writeGroup: (index, group) => {
        this.map('nh').set(u32(index), group);
      },
    };
  }

  private *podEntries(): Generator<[string, PodInfo]> {
    for (const role of ['pod4', 'pod6'] as const) {
      for (const [k, v] of this.map(role).entries()) yield [formatCidr(decodePodKey(k)), decodePodInfo(v)];
    }
  }

  private open(role: MapRole): void {
    const name = MAP_NAMES[role];
    const path = join(this.pinDir, name);
    if (!existsSync(path)) throw new DatapathMapError(`map ${name} is not pinned at ${path} (datapath not loaded?)`, name);
    let ref: MapRef;
    try {
      ref = bpf.createMapRef(bpf.objGet(path), { transfer: true });
    } catch (cause) {
      throw new DatapathMapError(`cannot open pinned map ${path}`, name, { cause });
    }
    const want = MAP_LAYOUT[role];
    if (ref.keySize !== want.keySize || ref.valueSize !== want.valueSize) {
      ref.close();
      throw new DatapathMapError(
        `map ${path} has key/value ${ref.keySize}/${ref.valueSize} bytes, expected ${want.keySize}/${want.valueSize}`, name);
    }
    this.refs.set(role, ref);
    this.raw.set(role, new bpf.RawMap(PER_CPU_ROLES.has(role) ? perCpuRef(ref, this.cpus) : ref));
  }

  private map(role: MapRole): InstanceType<typeof bpf.RawMap> {
    const m = this.raw.get(role);
    if (!m) throw new DatapathMapError(`map ${MAP_NAMES[role]} is closed`, MAP_NAMES[role]);
    return m;
  }

  private podMap(cidr: string) {
    const c = parseCidr(cidr);
    return { c, map: this.map(c.family === 4 ? 'pod4' : 'pod6') };
  }

  /**
   * The entry first, then the summary widened to include it (lib/maps.h: the program may find an entry whose
   * length is not published yet, never a published length without its entry). An existing entry keeps its next
   * hops (nh) while it stays REMOTE.
   */
  upsertPodCidr(cidr: string, flags: number): void {
    const c = parseCidr(cidr);
    this.nexthops.upsertPod(formatCidr(c), flags);
    this.updateConfig((cfg) => (c.family === 4 ? { ...cfg, pod4: widenSummary(cfg.pod4, c) } : { ...cfg, pod6: widenSummary(cfg.pod6, c) }));
  }

  /** The entry only: the summary stays wider than needed until refreshPodSummary (syncPodCidrs calls it). */
  deletePodCidr(cidr: string): boolean {
    return this.nexthops.deletePod(formatCidr(parseCidr(cidr)));
  }

  listPodCidrs(): PodCidrEntry[] {
    const out: PodCidrEntry[] = [];
    for (const role of ['pod4', 'pod6'] as const) {
      for (const [k, v] of this.map(role).entries()) out.push({ cidr: formatCidr(decodePodKey(k)), flags: decodeFlags(v) });
    }
    return out;
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

  /** The raw nh of a pod entry (0: none, else 1 + a group index); undefined without the entry. For tests. */
  nexthopIndex(cidr: string): number | undefined {
    const { c, map } = this.podMap(cidr);
    const v = map.get(encodePodKey(c));
    return v ? decodePodInfo(v).nh : undefined;
  }

  /** Group `index` of rr_nh_v1 as the program reads it (null: count not 1..NH_MAX). For tests. */
  nexthopGroup(index: number): Nexthop[] | null {
    const v = this.map('nh').get(u32(index));
    return v ? decodeNexthopGroup(v) : null;
  }

  /** The next-hop groups in use, released (free from the next sync on) and free. */
  nexthopUsage(): { live: number; released: number; free: number } {
    return this.nexthops.usage();
  }

  refreshPodSummary(): boolean {
    const keys = (role: 'pod4' | 'pod6') => [...this.map(role).keys()].map((k) => decodePodKey(k));
    const pod4 = summarize(keys('pod4')), pod6 = summarize(keys('pod6'));
    return this.updateConfig((cfg) => ({ ...cfg, pod4, pod6 }));
  }

  /** rr_ifaces_v1, then the device's slot in rr_ifslots_v1 when it is free, stale, or held by a non-pod device. */
  setIface(ifindex: number, flags: number): void {
    this.map('ifaces').set(u32(ifindex), encodeFlags(flags));
    const key = u32(ifindex % IFSLOTS);
    const cur = this.slot(key);
    if (cur && cur.ifindex !== ifindex && this.map('ifaces').get(u32(cur.ifindex)) && !(flags & IFACE_F_POD && !(cur.flags & IFACE_F_POD))) return;
    this.writeSlot(key, ifindex, flags);
  }

  /** rr_ifaces_v1, then its slot goes to another managed device with the same slot (pods first), or is freed. */
  deleteIface(ifindex: number): boolean {
    const had = this.map('ifaces').delete(u32(ifindex));
    const key = u32(ifindex % IFSLOTS);
    if (this.slot(key)?.ifindex === ifindex) {
      const next = this.listIfaces().filter((i) => i.ifindex % IFSLOTS === ifindex % IFSLOTS)
        .sort((a, b) => (b.flags & IFACE_F_POD) - (a.flags & IFACE_F_POD))[0];
      this.writeSlot(key, next?.ifindex ?? 0, next?.flags ?? 0);
    }
    return had;
  }

  listIfaces(): IfaceEntry[] {
    return [...this.map('ifaces').entries()].map(([k, v]) => ({ ifindex: readU32(k), flags: decodeFlags(v) }))
      .sort((a, b) => a.ifindex - b.ifindex);
  }

  /** Every slot as setIface would leave it; a holder that is still managed and as much a pod veth as any other keeps its slot. */
  refreshIfaceSlots(): boolean {
    const managed = this.listIfaces();
    const flagsOf = new Map(managed.map((i) => [i.ifindex, i.flags]));
    const want = new Map<number, IfaceEntry>();
    for (const i of managed) {
      const s = i.ifindex % IFSLOTS, cur = want.get(s);
      if (!cur || (i.flags & IFACE_F_POD && !(cur.flags & IFACE_F_POD))) want.set(s, i);
    }
    let changed = false;
    const slots = this.map('ifslots');
    for (const [k, v] of slots.entries()) {
      const s = readU32(k), have = decodeIfSlot(v.subarray(0, 8)), w = want.get(s);
      if (!have && !w) continue;
      if (have && have.ifindex % IFSLOTS === s && flagsOf.get(have.ifindex) === have.flags
        && (!w || (have.flags & IFACE_F_POD) >= (w.flags & IFACE_F_POD))) continue;
      this.writeSlot(k, w?.ifindex ?? 0, w?.flags ?? 0);
      changed = true;
    }
    return changed;
  }

  private slot(key: Buffer): { ifindex: number; flags: number } | null {
    const v = this.map('ifslots').get(key);
    return v ? decodeIfSlot(v.subarray(0, 8)) : null;
  }

  /** The same u64 in every CPU's copy (the kernel writes per-CPU values in 8-byte words: never seen half-written). */
  private writeSlot(key: Buffer, ifindex: number, flags: number): void {
    const one = ifindex ? encodeIfSlot(ifindex, flags) : Buffer.alloc(8);
    this.map('ifslots').set(key, Buffer.concat(new Array<Buffer>(this.cpus).fill(one)));
  }

  private endpointMap(ip: string) {
    const key = addressBytes(ip);
    return { key, map: this.map(key.length === 4 ? 'endpoint4' : 'endpoint6') };
  }

  /** The entry, then the endpoint cover widened to its address (an unwritten config covers everything already). */
  upsertEndpoint(e: Endpoint): void {
    const { key, map } = this.endpointMap(e.ip);
    map.set(key, encodeEndpoint(e));
    const host: Cidr = { family: key.length === 4 ? 4 : 6, addr: key, prefixLen: key.length * 8 };
    const widen = (c: Cidr | null) => (c ? commonPrefix(c, host) : host);
    this.updateConfig((cfg) => (host.family === 4 ? { ...cfg, endpoint4Cover: widen(cfg.endpoint4Cover) }
      : { ...cfg, endpoint6Cover: widen(cfg.endpoint6Cover) }));
  }

  /** The entry only: the cover stays wider than needed until refreshEndpointSummary (syncEndpoints calls it). */
  deleteEndpoint(ip: string): boolean {
    const { key, map } = this.endpointMap(ip);
    return map.delete(key);
  }

  listEndpoints(): Endpoint[] {
    const out: Endpoint[] = [];
    for (const role of ['endpoint4', 'endpoint6'] as const) for (const [k, v] of this.map(role).entries()) out.push(decodeEndpoint(k, v));
    return out;
  }

  refreshEndpointSummary(): boolean {
    const cover = (role: 'endpoint4' | 'endpoint6') =>
      summarize([...this.map(role).keys()].map((k): Cidr => ({ family: k.length === 4 ? 4 : 6, addr: Buffer.from(k), prefixLen: k.length * 8 }))).cover;
    const endpoint4Cover = cover('endpoint4'), endpoint6Cover = cover('endpoint6');
    return this.updateConfig((cfg) => ({ ...cfg, endpoint4Cover, endpoint6Cover }));
  }

  readConfig(): DatapathConfig {
    return decodeConfig(this.map('config').get(u32(0)) ?? Buffer.alloc(CONFIG_SIZE));
  }

  /** Read, change, write back when the bytes differ (one writer: the agent's port; see lib/maps.h). */
  private updateConfig(change: (cfg: DatapathConfig) => DatapathConfig): boolean {
    const raw = this.map('config').get(u32(0)) ?? Buffer.alloc(CONFIG_SIZE);
    const next = encodeConfig(change(decodeConfig(raw)));
    if (next.equals(raw)) return false;
    this.map('config').set(u32(0), next);
    return true;
  }

  getConfigFlags(): number {
    return this.readConfig().flags;
  }

  setConfigFlags(flags: number): void {
    this.updateConfig((cfg) => ({ ...cfg, flags }));
  }

  readCounters(): ReasonCount[] {
    const stats = this.map('stats');
    return REASONS.map((r) => {
      const v = stats.get(u32(r.id));
      return { id: r.id, label: r.label, kind: r.kind, ...(v ? sumPerCpuStat(v, this.cpus) : { packets: 0, bytes: 0 }) };
    });
  }

  summaries(): MapSummary[] {
    return (Object.keys(MAP_NAMES) as MapRole[]).map((role) => {
      const ref = this.refs.get(role);
      if (!ref) throw new DatapathMapError(`map ${MAP_NAMES[role]} is closed`, MAP_NAMES[role]);
      const isArray = ref.type === bpf.MapType.ARRAY || ref.type === bpf.MapType.PERCPU_ARRAY;
      let entries = ref.maxEntries;
      if (!isArray) {
        entries = 0;
        for (const _ of this.map(role).keys()) entries++;
      }
      return {
        name: MAP_NAMES[role], type: String(bpf.MapType[ref.type] ?? ref.type).toLowerCase(), id: ref.id ?? null,
        keySize: ref.keySize, valueSize: ref.valueSize, maxEntries: ref.maxEntries, entries,
      };
    });
  }

  close(): void {
    for (const ref of this.refs.values()) ref.close();
    this.refs.clear();
    this.raw.clear();
  }
}
