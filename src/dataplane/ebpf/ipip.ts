// IP-in-IP (RFC 2003) by eBPF at tc, for kernels without the `ipip` module (bpf/rr_ipip.c, bpf/lib/ipip.h).
//
// FOR THE PLANNER (how routes look with this implementation, kind 'ebpf'):
// - The kernel route to a tunnelled remote pod CIDR is an ordinary route through the underlay, exactly the native
//   one plus an MTU: `10.244.2.0/24 via <underlay gateway> dev <uplink> mtu <underlay MTU - 20>`. There is no
//   tunnel device. rr_ipip_egress, at tc egress of the uplink, finds the destination in rr_ipip_dst_v1 (filled by
//   setDestinations), adds the outer IPv4 header (our underlay address -> the remote node's, protocol 4) and
//   rewrites the MACs for the OUTER destination (bpf_fib_lookup from the uplink), so the packet reaches the
//   remote node whatever gateway the inner route named. The gateway can be any on-link next hop that has (or can
//   resolve) a neighbour entry: the kernel must finish L2 resolution before the packet reaches tc egress.
// - The MTU on that route is load-bearing: with it the stack fragments (DF clear) or answers ICMP frag-needed
//   (DF set; "mtu = 1480" for a 1500 underlay) and sizes TCP/GSO segments before the packet reaches the program,
//   which cannot send ICMP itself. A packet still too big after encapsulation is dropped and counted
//   (drop reason ipip_too_big). Pods keep MTU 1500 and learn 1480 by PMTU discovery from their node, or get
//   MTU / MSS 1480/1440 from the CNI.
// - The eBPF fast path (rr_ingress) redirects pod traffic with its own FIB lookup: for tunnelled destinations
//   its MTU check must use the route MTU (bpf_fib_lookup tot_len = the IPv4 total length), not the device's,
//   or oversized packets skip the frag-needed and are dropped here.
// - IPv6 pod CIDRs ride IPv6-in-IPv4 (protocol 41) the same way: `fd00:244:2::/64 via <any link-local> dev
//   <uplink> mtu <underlay - 20>` with a permanent neighbour for that link-local (any MAC: the program rewrites
//   it), since an IPv4-only underlay has no IPv6 gateway.
// - Receiving: rr_ipip_ingress at tc ingress of the uplinks decapsulates protocol 4 / 41 addressed to our
//   underlay address from a source in rr_ipip_peer_v1 (the remotes of setDestinations: never an open
//   decapsulator) and hands the inner packet on (rr_ingress, then the stack), which routes it to the pod.
//   Reverse-path filtering sees the inner source arrive on the uplink, where its route points: no asymmetry.
// - start() loads and attaches (idempotent: reload swaps the programs in place, maps pinned and reused);
//   stop({detach:false}) leaves everything running for a restart; stop({detach:true}) removes it.
//
// Maps and programs are pinned in the node's datapath pin directory (the agent's per-namespace directory, shared
// with rr_tc.o so both count into rr_stats_v1): PIN_DIR/rr_ipip_*_v1 and PIN_DIR/progs/rr_ipip_{egress,ingress}.
import { join } from 'node:path';
import { existsSync, rmSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import bpf from 'bpf';
import type { MapRef } from 'bpf';
import { hostExec, type Exec } from './exec.js';
import { DEFAULT_BUILD_DIR } from './loader.js';
import { PinnedBpfMaps, DatapathMapError } from './maps.js';
import { addressBytes, encodePodKey, formatAddress, formatCidr, parseCidr, decodePodKey, readU32, u32, CidrError, PROGRAM_INGRESS } from './layout.js';
import type { ReasonCount } from './port.js';

export interface IpipTunnel {
  readonly kind: 'ebpf' | 'kernel';
  /** Makes the data path ready on these underlay interfaces with this local underlay address. */
  start(opts: { uplinks: readonly string[]; localAddress: string }): Promise<void>;
  /** The full set of destinations: remote pod CIDR -> remote node underlay address. Idempotent. */
  setDestinations(routes: ReadonlyArray<{ podCidr: string; remote: string }>): Promise<void>;
  stop(opts: { detach: boolean }): Promise<void>;
}

/** Bytes IP-in-IP adds: the route MTU of a tunnelled destination is the underlay MTU minus this. */
export const IPIP_OVERHEAD = 20;

export const IPIP_MAP_NAMES = {
  dst4: 'rr_ipip_dst_v1',
  dst6: 'rr_ipip_dst6_v1',
  used: 'rr_ipip_dst_used_v1',
  peers: 'rr_ipip_peer_v1',
  config: 'rr_ipip_cfg_v1',
} as const;
type IpipMapRole = keyof typeof IPIP_MAP_NAMES;

/** Key / value sizes in bytes, as in bpf/lib/ipip.h. */
export const IPIP_MAP_LAYOUT: Record<IpipMapRole, { keySize: number; valueSize: number }> = {
  dst4: { keySize: 8, valueSize: 8 },
  dst6: { keySize: 20, valueSize: 8 },
  used: { keySize: 4, valueSize: 8 },
  peers: { keySize: 4, valueSize: 8 },
  config: { keySize: 4, valueSize: 16 },
};

export const PROGRAM_IPIP_EGRESS = 'rr_ipip_egress';
export const PROGRAM_IPIP_INGRESS = 'rr_ipip_ingress';
export const IPIP_OBJECT = 'rr_ipip.o';
/**
 * tc prefs: decapsulation first at ingress (before rr_ingress at 1100, which then forwards the inner packet);
 * encapsulation last at egress (a filter that wants the inner packet goes below 1900).
 */
export const IPIP_TC_PREF_INGRESS = 1000;
export const IPIP_TC_PREF_EGRESS = 1900;
export const IPIP_TC_HANDLE = 1;
export const IPIP_PEER_F_NODE = 1 << 0;
/** rr_ipip_dst_used_v1 (bpf/lib/ipip_dst.h): the IPv4 / IPv6 destination map may hold entries. */
export const IPIP_DST_USED_V4 = 1 << 0;
export const IPIP_DST_USED_V6 = 1 << 1;
/** Outer TTL written by default; 0 in the config map means "inherit the inner TTL". */
export const IPIP_DEFAULT_TTL = 64;

export class IpipError extends Error {
  override readonly name = 'IpipError';
  constructor(message: string, readonly ifname?: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

function ipv4Bytes(addr: string, what: string): Buffer {
  if (!isIPv4(addr)) throw new CidrError(addr, `${what} must be an IPv4 address (the underlay of IP-in-IP is IPv4)`);
  return addressBytes(addr);
}

/** struct rr_ipip_dst: __be32 remote, __be32 local (0: the config's local address). */
export function encodeIpipDst(remote: string, local?: string): Buffer {
  return Buffer.concat([ipv4Bytes(remote, 'remote'), local ? ipv4Bytes(local, 'local') : Buffer.alloc(4)]);
}

export function decodeIpipDst(v: Buffer): { remote: string; local: string | null } {
  const local = v.subarray(4, 8);
  return { remote: formatAddress(Buffer.from(v.subarray(0, 4))), local: local.readUInt32BE(0) ? formatAddress(Buffer.from(local)) : null };
}

export interface IpipConfig {
  /** our underlay address: outer source, and the only outer destination decapsulated */
  readonly local: string;
  /** outer TTL; 0 = inherit the inner TTL / hop limit */
  readonly ttl: number;
}

/** struct rr_ipip_config: __be32 local, u32 flags, u8 ttl, u8 reserved[7]. */
export function encodeIpipConfig(c: IpipConfig): Buffer {
  if (!Number.isInteger(c.ttl) || c.ttl < 0 || c.ttl > 255) throw new RangeError(`ttl ${c.ttl} is not 0..255`);
  const b = Buffer.alloc(16);
  ipv4Bytes(c.local, 'local').copy(b, 0);
  u32(0).copy(b, 4);
  b[8] = c.ttl;
  return b;
}

export function decodeIpipConfig(v: Buffer): IpipConfig | null {
  if (!v.readUInt32BE(0)) return null;
  return { local: formatAddress(Buffer.from(v.subarray(0, 4))), ttl: v[8] };
}

export interface IpipDestination {
  /** canonical CIDR text */
  readonly podCidr: string;
  readonly remote: string;
  /** outer source for this destination; null = the config's local address */
  readonly local: string | null;
}

export interface IpipSyncResult {
  readonly added: string[];
  readonly updated: string[];
  readonly removed: string[];
  readonly peersAdded: string[];
  readonly peersRemoved: string[];
}

/**
 * The pinned IP-in-IP maps, opened with the npm `bpf` package; layouts checked before anything is written. The one
 * writer of the destination maps, and so of rr_ipip_dst_used_v1 beside them (which families the fast path must
 * look up): a family's bit is set before its first destination goes in, cleared after its last one is gone, and
 * made exact again when the maps are opened and after every sync.
 */
export class IpipMaps {
  private readonly maps = new Map<IpipMapRole, InstanceType<typeof bpf.RawMap>>();
  private readonly refs: MapRef[] = [];
  private stats: PinnedBpfMaps | undefined;

  constructor(readonly pinDir: string) {
    try {
      for (const role of Object.keys(IPIP_MAP_NAMES) as IpipMapRole[]) this.open(role);
      this.refreshUsed();
    } catch (err) {
      this.close();
      throw err;
    }
  }

  private open(role: IpipMapRole): void {
    const name = IPIP_MAP_NAMES[role];
    const path = join(this.pinDir, name);
    let ref: MapRef;
    try {
      ref = bpf.createMapRef(bpf.objGet(path), { transfer: true });
    } catch (cause) {
      throw new DatapathMapError(`cannot open pinned map ${path} (rr_ipip.o not loaded?)`, name, { cause });
    }
    const want = IPIP_MAP_LAYOUT[role];
    if (ref.keySize !== want.keySize || ref.valueSize !== want.valueSize) {
      ref.close();
      throw new DatapathMapError(`map ${path} has key/value ${ref.keySize}/${ref.valueSize} bytes, expected ${want.keySize}/${want.valueSize}`, name);
    }
    this.refs.push(ref);
    this.maps.set(role, new bpf.RawMap(ref));
  }

  private map(role: IpipMapRole): InstanceType<typeof bpf.RawMap> {
    const m = this.maps.get(role);
    if (!m) throw new DatapathMapError(`map ${IPIP_MAP_NAMES[role]} is closed`, IPIP_MAP_NAMES[role]);
    return m;
  }

  getConfig(): IpipConfig | null {
    const v = this.map('config').get(u32(0));
    return v ? decodeIpipConfig(v) : null;
  }

  setConfig(c: IpipConfig): void {
    this.map('config').set(u32(0), encodeIpipConfig(c));
  }

  /** Turns decapsulation and encapsulation off (local address 0) without touching the other maps. */
  clearConfig(): void {
    this.map('config').set(u32(0), Buffer.alloc(16));
  }

  /** IPIP_DST_USED_* as the fast path reads them. */
  usedFlags(): number {
    const v = this.map('used').get(u32(0));
    return v ? readU32(v) : 0;
  }

  private setUsed(flags: number): void {
    if (flags !== this.usedFlags()) this.map('used').set(u32(0), Buffer.concat([u32(flags), u32(0)]));
  }

  private isEmpty(role: 'dst4' | 'dst6'): boolean {
    for (const _ of this.map(role).keys()) return false;
    return true;
  }

  /** The used bits exactly as the destination maps are now; true when they changed. */
  refreshUsed(): boolean {
    const want = (this.isEmpty('dst4') ? 0 : IPIP_DST_USED_V4) | (this.isEmpty('dst6') ? 0 : IPIP_DST_USED_V6);
    if (want === this.usedFlags()) return false;
    this.setUsed(want);
    return true;
  }

  upsertDestination(podCidr: string, remote: string, local?: string): void {
    const c = parseCidr(podCidr);
    const value = encodeIpipDst(remote, local);
    // Its family's bit first: the fast path must look a destination up as soon as it exists.
    this.setUsed(this.usedFlags() | (c.family === 4 ? IPIP_DST_USED_V4 : IPIP_DST_USED_V6));
    this.map(c.family === 4 ? 'dst4' : 'dst6').set(encodePodKey(c), value);
  }

  deleteDestination(podCidr: string): boolean {
    const c = parseCidr(podCidr);
    const role = c.family === 4 ? 'dst4' : 'dst6';
    const had = this.map(role).delete(encodePodKey(c));
    // The bit after the last one: until then the fast path keeps looking.
    if (this.isEmpty(role)) this.setUsed(this.usedFlags() & ~(c.family === 4 ? IPIP_DST_USED_V4 : IPIP_DST_USED_V6));
    return had;
  }

  listDestinations(): IpipDestination[] {
    const out: IpipDestination[] = [];
    for (const role of ['dst4', 'dst6'] as const) {
      for (const [k, v] of this.map(role).entries()) out.push({ podCidr: formatCidr(decodePodKey(k)), ...decodeIpipDst(v) });
    }
    return out.sort((a, b) => a.podCidr.localeCompare(b.podCidr));
  }

  setPeer(addr: string, flags = IPIP_PEER_F_NODE): void {
    this.map('peers').set(ipv4Bytes(addr, 'peer'), Buffer.concat([u32(flags), u32(0)]));
  }

  deletePeer(addr: string): boolean {
    return this.map('peers').delete(ipv4Bytes(addr, 'peer'));
  }

  listPeers(): string[] {
    return [...this.map('peers').keys()].map((k) => formatAddress(Buffer.from(k))).sort();
  }

  /**
   * Level-triggered: the destination maps hold exactly `routes`, and the peers map exactly their remotes plus
   * `extraPeers` (nodes that send to us without being a destination of ours). Adds and updates go before removals.
   */
  sync(routes: ReadonlyArray<{ podCidr: string; remote: string; local?: string }>, extraPeers: readonly string[] = []): IpipSyncResult {
    const want = new Map<string, { remote: string; local: string | null }>();
    for (const r of routes) {
      ipv4Bytes(r.remote, 'remote');
      want.set(formatCidr(parseCidr(r.podCidr)), { remote: formatAddress(addressBytes(r.remote)), local: r.local ? formatAddress(addressBytes(r.local)) : null });
    }
    const wantPeers = new Set([...[...want.values()].map((d) => d.remote), ...extraPeers.map((p) => formatAddress(ipv4Bytes(p, 'peer')))]);
    const havePeers = new Set(this.listPeers());
    const peersAdded: string[] = [], peersRemoved: string[] = [];
    // Peers first: a destination's replies may arrive as soon as its entry exists.
    for (const p of wantPeers) {
      if (havePeers.has(p)) continue;
      this.setPeer(p);
      peersAdded.push(p);
    }
    const have = new Map(this.listDestinations().map((d) => [d.podCidr, d]));
    const added: string[] = [], updated: string[] = [], removed: string[] = [];
    for (const [cidr, d] of want) {
      const cur = have.get(cidr);
      if (cur && cur.remote === d.remote && cur.local === d.local) continue;
      this.upsertDestination(cidr, d.remote, d.local ?? undefined);
      (cur ? updated : added).push(cidr);
    }
    for (const cidr of have.keys()) {
      if (want.has(cidr)) continue;
      this.deleteDestination(cidr);
      removed.push(cidr);
    }
    for (const p of havePeers) {
      if (wantPeers.has(p)) continue;
      this.deletePeer(p);
      peersRemoved.push(p);
    }
    this.refreshUsed();
    return { added, updated, removed, peersAdded, peersRemoved };
  }

  /** The IP-in-IP reasons' counters (rr_stats_v1, summed over CPUs). */
  counters(): ReasonCount[] {
    this.stats ??= new PinnedBpfMaps(this.pinDir);
    return this.stats.readCounters().filter((c) => c.label.includes('ipip'));
  }

  close(): void {
    this.stats?.close();
    this.stats = undefined;
    for (const ref of this.refs) ref.close();
    this.refs.length = 0;
    this.maps.clear();
  }
}

export interface IpipAttachment {
  readonly ifname: string;
  readonly ifindex: number;
  readonly direction: 'ingress' | 'egress';
  readonly programId: number;
  readonly programName: string;
}

export interface IpipLoaderOptions {
  /** the node's datapath pin directory (the agent's per-namespace directory) */
  readonly pinDir: string;
  /** where rr_ipip.o and rr_load are; bpf/build by default */
  readonly buildDir?: string;
  /** runs tc / ip / bpftool / rr_load (nsenter into a namespace in tests and labs) */
  readonly exec?: Exec;
}

/** Loads rr_ipip.o (maps pinned by name and reused, programs pinned under progs/) and attaches it at tc. */
export class IpipLoader {
  readonly pinDir: string;
  readonly buildDir: string;
  private readonly exec: Exec;

  constructor(opts: IpipLoaderOptions) {
    this.pinDir = opts.pinDir;
    this.buildDir = opts.buildDir ?? DEFAULT_BUILD_DIR;
    this.exec = opts.exec ?? hostExec();
  }

  programPin(name: typeof PROGRAM_IPIP_EGRESS | typeof PROGRAM_IPIP_INGRESS): string {
    return join(this.pinDir, 'progs', name);
  }

  /** Loads or reloads; every device that runs our programs gets the new ones in place (no gap). */
  async load(): Promise<void> {
    const mounts = await this.exec.run(['cat', '/proc/self/mounts']);
    if (!/^\S+ \/sys\/fs\/bpf bpf /m.test(mounts)) await this.exec.run(['mount', '-t', 'bpf', 'bpf', '/sys/fs/bpf']);
    await this.exec.run(['mkdir', '-p', this.pinDir]);
    await this.exec.run([join(this.buildDir, 'rr_load'), join(this.buildDir, IPIP_OBJECT), this.pinDir]);
    const devices = new Set((await this.attachments()).map((a) => a.ifname));
    for (const ifname of devices) await this.attach(ifname);
  }

  /** Attach both programs on `ifname` (ingress: decapsulation, egress: encapsulation); again replaces in place. */
  async attach(ifname: string): Promise<void> {
    let link: { link_type?: string } | undefined;
    try {
      [link] = JSON.parse(await this.exec.run(['ip', '-j', 'link', 'show', 'dev', ifname])) as { link_type?: string }[];
    } catch (cause) {
      throw new IpipError(`no device ${ifname}`, ifname, { cause });
    }
    if (link?.link_type !== 'ether') throw new IpipError(`${ifname} is not an Ethernet device (${link?.link_type})`, ifname);
    const qdiscs = JSON.parse(await this.exec.run(['tc', '-j', 'qdisc', 'show', 'dev', ifname])) as { kind: string }[];
    if (!qdiscs.some((q) => q.kind === 'clsact')) {
      await this.exec.run(['tc', 'qdisc', 'add', 'dev', ifname, 'clsact']).catch(async (err: unknown) => {
        // Another attacher (rr_tc's loader) may have added it meanwhile.
        const again = JSON.parse(await this.exec.run(['tc', '-j', 'qdisc', 'show', 'dev', ifname])) as { kind: string }[];
        if (!again.some((q) => q.kind === 'clsact')) throw err;
      });
    }
    for (const [dir, pref, prog] of [['ingress', IPIP_TC_PREF_INGRESS, PROGRAM_IPIP_INGRESS], ['egress', IPIP_TC_PREF_EGRESS, PROGRAM_IPIP_EGRESS]] as const) {
      try {
        await this.exec.run(['tc', 'filter', 'replace', 'dev', ifname, dir, 'pref', String(pref), 'handle', String(IPIP_TC_HANDLE),
          'bpf', 'direct-action', 'object-pinned', this.programPin(prog)]);
      } catch (cause) {
        throw new IpipError(`cannot attach ${prog} at ${ifname} ${dir}`, ifname, { cause });
      }
    }
  }

  /** Remove our filters from `ifname` (nothing when they are not there). */
  async detach(ifname: string): Promise<void> {
    for (const a of (await this.attachments()).filter((x) => x.ifname === ifname)) {
      const pref = a.direction === 'ingress' ? IPIP_TC_PREF_INGRESS : IPIP_TC_PREF_EGRESS;
      await this.exec.run(['tc', 'filter', 'del', 'dev', ifname, a.direction, 'pref', String(pref), 'handle', String(IPIP_TC_HANDLE), 'bpf'])
        .catch(() => undefined); // gone meanwhile
    }
  }

  /** Where rr_ipip_* programs run in this namespace (from `bpftool net show`). */
  async attachments(): Promise<IpipAttachment[]> {
    const out = JSON.parse(await this.exec.run(['bpftool', '-j', 'net', 'show'])) as
      { tc?: { devname: string; ifindex: number; kind: string; name?: string; id: number }[] }[];
    return out.flatMap((o) => o.tc ?? [])
      .filter((t) => (t.name ?? '').startsWith('rr_ipip_') && (t.kind === 'clsact/ingress' || t.kind === 'clsact/egress'))
      .map((t) => ({
        ifname: t.devname, ifindex: t.ifindex, direction: t.kind === 'clsact/ingress' ? 'ingress' as const : 'egress' as const,
        programId: t.id, programName: (t.name ?? '').replace(/:.*$/, ''),
      }));
  }

  /**
   * Remove our pins (maps and programs; the fast path's shared maps stay). Attached programs run on until detached.
   * The destination maps and their used bits are shared with the fast path (rr_ingress reads them:
   * bpf/lib/ipip_dst.h): while it is pinned here they stay, so both program sets keep one map when IP-in-IP comes
   * back (empty them first).
   */
  unpin(): void {
    const fastPath = existsSync(join(this.pinDir, 'progs', PROGRAM_INGRESS));
    for (const [role, name] of Object.entries(IPIP_MAP_NAMES)) {
      if (fastPath && (role === 'dst4' || role === 'dst6' || role === 'used')) continue;
      rmSync(join(this.pinDir, name), { force: true });
    }
    for (const p of [PROGRAM_IPIP_EGRESS, PROGRAM_IPIP_INGRESS] as const) rmSync(this.programPin(p), { force: true });
  }
}

export interface EbpfIpipOptions extends IpipLoaderOptions {
  /** outer TTL; 0 inherits the inner one. Default 64. */
  readonly ttl?: number;
}

/** The eBPF implementation of IpipTunnel. */
export class EbpfIpipTunnel implements IpipTunnel {
  readonly kind = 'ebpf' as const;
  readonly loader: IpipLoader;
  private mapsPort: IpipMaps | undefined;
  private readonly ttl: number;

  constructor(opts: EbpfIpipOptions) {
    this.loader = new IpipLoader(opts);
    this.ttl = opts.ttl ?? IPIP_DEFAULT_TTL;
  }

  /** The maps (open after start()). */
  maps(): IpipMaps {
    if (!this.mapsPort) throw new IpipError('IP-in-IP data path not started');
    return this.mapsPort;
  }

  async start(opts: { uplinks: readonly string[]; localAddress: string }): Promise<void> {
    ipv4Bytes(opts.localAddress, 'localAddress');
    await this.loader.load();
    this.mapsPort ??= new IpipMaps(this.loader.pinDir);
    // Config first: the programs pass everything until the local address is set.
    this.mapsPort.setConfig({ local: opts.localAddress, ttl: this.ttl });
    for (const ifname of opts.uplinks) await this.loader.attach(ifname);
    const want = new Set(opts.uplinks);
    for (const a of await this.loader.attachments()) if (!want.has(a.ifname)) await this.loader.detach(a.ifname);
  }

  async setDestinations(routes: ReadonlyArray<{ podCidr: string; remote: string }>): Promise<void> {
    this.maps().sync(routes);
  }

  async stop(opts: { detach: boolean }): Promise<void> {
    if (opts.detach) {
      for (const ifname of new Set((await this.loader.attachments()).map((a) => a.ifname))) await this.loader.detach(ifname);
      // emptied: the fast path may keep the destination maps (unpin), and must not see tunnelled destinations
      this.mapsPort?.sync([]);
      this.mapsPort?.close();
      this.mapsPort = undefined;
      this.loader.unpin();
      return;
    }
    this.mapsPort?.close();
    this.mapsPort = undefined;
  }
}

/** Is this an IPv4 CIDR (IP-in-IP) or IPv6 (IPv6-in-IPv4)? Throws CidrError for neither. */
export function ipipFamily(podCidr: string): 4 | 6 {
  return parseCidr(podCidr).family;
}

let probeSeq = 0;

/**
 * Can this kernel make an `ipip` device? Tries `ip link add` of one in a scratch namespace (rripip-probe-*,
 * always deleted) so nothing in the caller's namespace changes, and says why not.
 */
export async function kernelHasIpip(exec: Exec = hostExec()): Promise<{ ok: boolean; why?: string }> {
  const ns = `rripip-probe-${process.pid}-${probeSeq++}`;
  try {
    await exec.run(['ip', 'netns', 'add', ns]);
  } catch (err) {
    return { ok: false, why: `cannot create a scratch namespace to probe: ${(err as Error).message}` };
  }
  try {
    await exec.run(['ip', '-n', ns, 'link', 'add', 'rrprobe0', 'type', 'ipip', 'local', '192.0.2.1']);
    return { ok: true };
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
    if (/Unknown device type/i.test(stderr)) return { ok: false, why: 'kernel has no ipip module: Unknown device type' };
    return { ok: false, why: `ip link add type ipip failed: ${stderr}` };
  } finally {
    await exec.run(['ip', 'netns', 'del', ns]).catch(() => undefined);
  }
}
