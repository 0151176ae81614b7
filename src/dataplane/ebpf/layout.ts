// The byte layout of the pinned BPF maps, mirroring bpf/lib/maps.h (the C header is the contract: a layout
// change there renames the map, and these names and sizes must follow). Pure: no I/O.
import { endianness } from 'node:os';
import { isIPv4, isIPv6 } from 'node:net';

export const MAP_NAMES = {
  stats: 'rr_stats_v1',
  pod4: 'rr_pod4_v2',
  pod6: 'rr_pod6_v2',
  ifaces: 'rr_ifaces_v1',
  ifslots: 'rr_ifslots_v1',
  config: 'rr_config_v2',
  endpoint4: 'rr_endpoint4_v1',
  endpoint6: 'rr_endpoint6_v1',
  nh: 'rr_nh_v1',
} as const;
export type MapRole = keyof typeof MAP_NAMES;

/** Earlier layouts' names: no program uses them any more; a load removes their pins (maps.h lists why). */
export const RETIRED_MAP_NAMES = ['rr_pod4_v1', 'rr_pod6_v1', 'rr_config_v1'] as const;

/** Key and value sizes in bytes (per CPU for the stats and slot maps), as the kernel reports them. */
export const MAP_LAYOUT: Record<MapRole, { keySize: number; valueSize: number }> = {
  stats: { keySize: 4, valueSize: 16 },
  pod4: { keySize: 8, valueSize: 8 },
  pod6: { keySize: 20, valueSize: 8 },
  ifaces: { keySize: 4, valueSize: 8 },
  ifslots: { keySize: 4, valueSize: 8 },
  config: { keySize: 4, valueSize: 120 },
  endpoint4: { keySize: 4, valueSize: 20 },
  endpoint6: { keySize: 16, valueSize: 20 },
  nh: { keySize: 4, valueSize: 72 },
};

/** Per-CPU maps: a lookup returns one 8-byte-aligned slot per possible CPU. */
export const PER_CPU_ROLES: ReadonlySet<MapRole> = new Set(['stats', 'ifslots']);

/** rr_ifslots_v1: slot ifindex % IFSLOTS (RR_IFSLOTS). */
export const IFSLOTS = 4096;
/** rr_nh_v1: next-hop groups (RR_NH_GROUPS), and next hops per group (RR_NH_MAX). */
export const NH_GROUPS = 4096;
export const NH_MAX = 4;
/** rr_config_v2: at most this many pod CIDR prefix lengths per family are published (RR_POD_LENS_MAX). */
export const POD_LENS_MAX = 16;

/** The programs in bpf/build/rr_tc.o, pinned as PIN_DIR/progs/NAME. */
export const PROGRAM_INGRESS = 'rr_ingress';

export const POD_F_LOCAL = 1 << 0;
export const POD_F_REMOTE = 1 << 1;
export const IFACE_F_ATTACHED = 1 << 0;
export const IFACE_F_POD = 1 << 1;
export const IFACE_F_UPLINK = 1 << 2;
export const CFG_F_REDIRECT_NEIGH = 1 << 0;
/** rr_endpoint: the device is a veth whose peer is the pod (bpf_redirect_peer); without it the entry is not used. */
export const ENDPOINT_F_PEER = 1 << 0;
/** BPF_FIB_LOOKUP_DIRECT: only while `ip rule` holds nothing but the default rules. */
export const CFG_F_FIB_DIRECT = 1 << 1;

const LE = endianness() === 'LE';

export function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  if (LE) b.writeUInt32LE(value >>> 0);
  else b.writeUInt32BE(value >>> 0);
  return b;
}

export function readU32(b: Buffer, offset = 0): number {
  return LE ? b.readUInt32LE(offset) : b.readUInt32BE(offset);
}

function readU64(b: Buffer, offset: number): number {
  return Number(LE ? b.readBigUInt64LE(offset) : b.readBigUInt64BE(offset));
}

export class CidrError extends Error {
  override readonly name = 'CidrError';
  constructor(readonly input: string, reason: string) {
    super(`invalid CIDR ${JSON.stringify(input)}: ${reason}`);
  }
}

/** An address as network-order bytes (4 or 16). */
export function addressBytes(addr: string): Buffer {
  if (isIPv4(addr)) return Buffer.from(addr.split('.').map(Number));
  if (!isIPv6(addr)) throw new CidrError(addr, 'not an IPv4 or IPv6 address');
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups first.
  const text = addr.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a: string, b: string, c: string, d: string) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`);
  const [head, rest] = text.split('::') as [string, string | undefined];
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((h) => parseInt(h, 16)));
  const left = parse(head);
  const right = parse(rest ?? '');
  const groups = rest === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

export function formatAddress(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
  // RFC 5952: the longest run of two or more zero groups becomes '::'.
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export interface Cidr {
  readonly family: 4 | 6;
  /** network address, host bits cleared, network order */
  readonly addr: Buffer;
  readonly prefixLen: number;
}

export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  if (slash < 0) throw new CidrError(text, 'missing /prefix-length');
  const addr = addressBytes(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  const prefixLen = Number(lenText);
  const bits = addr.length * 8;
  if (!/^\d+$/.test(lenText) || prefixLen > bits) throw new CidrError(text, `prefix length must be 0..${bits}`);
  for (let i = 0; i < addr.length; i++) {
    const keep = Math.max(0, Math.min(8, prefixLen - i * 8));
    addr[i] &= (0xff << (8 - keep)) & 0xff;
  }
  return { family: addr.length === 4 ? 4 : 6, addr, prefixLen };
}

export function formatCidr(c: Cidr): string {
  return `${formatAddress(c.addr)}/${c.prefixLen}`;
}

/** struct rr_pod4_key / rr_pod6_key: u32 prefixlen (host order), then the address bytes. */
export function encodePodKey(c: Cidr): Buffer {
  return Buffer.concat([u32(c.prefixLen), c.addr]);
}

export function decodePodKey(key: Buffer): Cidr {
  const addr = Buffer.from(key.subarray(4));
  return { family: addr.length === 4 ? 4 : 6, addr, prefixLen: readU32(key) };
}

/** struct rr_pod_info, struct rr_iface: u32 flags, u32 reserved (0). */
export function encodeFlags(flags: number): Buffer {
  return Buffer.concat([u32(flags), u32(0)]);
}

export function decodeFlags(value: Buffer): number {
  return readU32(value);
}

/** struct rr_pod_info: u32 flags (POD_F_*), u32 nh (0: no cached next hops, else 1 + a group index in rr_nh_v1). */
export interface PodInfo {
  readonly flags: number;
  readonly nh: number;
}

export function encodePodInfo(p: PodInfo): Buffer {
  return Buffer.concat([u32(p.flags), u32(p.nh)]);
}

export function decodePodInfo(value: Buffer): PodInfo {
  return { flags: readU32(value, 0), nh: readU32(value, 4) };
}

/** The bytes of the netmask of a /len for an address of `bytes` bytes. */
function maskBytes(len: number, bytes: number): Buffer {
  const m = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) m[i] = (0xff << (8 - Math.max(0, Math.min(8, len - i * 8)))) & 0xff;
  return m;
}

/** The longest prefix holding both (the shorter one's length at most). */
export function commonPrefix(a: Cidr, b: Cidr): Cidr {
  if (a.family !== b.family) throw new CidrError(`${formatCidr(a)} ${formatCidr(b)}`, 'families differ');
  let len = 0;
  const max = Math.min(a.prefixLen, b.prefixLen);
  while (len < max) {
    const byte = len >> 3, bit = 0x80 >> (len & 7);
    if ((a.addr[byte] & bit) !== (b.addr[byte] & bit)) break;
    len++;
  }
  const m = maskBytes(len, a.addr.length);
  return { family: a.family, addr: Buffer.from(a.addr.map((x, i) => x & m[i])), prefixLen: len };
}

/**
 * What the program reads before a map of prefixes (lib/maps.h, rr_config_v2): the prefix lengths in use, longest
 * first, and a prefix that holds every entry (null: the map is empty; /0: covers everything).
 */
export interface PrefixSummary {
  readonly lens: readonly number[];
  readonly cover: Cidr | null;
}

export const EMPTY_SUMMARY: PrefixSummary = { lens: [], cover: null };

/** The exact summary of a set of prefixes (one family). */
export function summarize(cidrs: Iterable<Cidr>): PrefixSummary {
  const lens = new Set<number>();
  let cover: Cidr | null = null;
  for (const c of cidrs) {
    lens.add(c.prefixLen);
    cover = cover ? commonPrefix(cover, c) : c;
  }
  return { lens: [...lens].sort((a, b) => b - a), cover };
}

/** `s` with `c` added: what a writer publishes once c's entry is in the map (never narrower than before). */
export function widenSummary(s: PrefixSummary, c: Cidr): PrefixSummary {
  const lens = s.lens.includes(c.prefixLen) ? s.lens : [...s.lens, c.prefixLen].sort((a, b) => b - a);
  return { lens, cover: s.cover ? commonPrefix(s.cover, c) : c };
}

function coverEquals(a: Cidr | null, b: Cidr | null): boolean {
  return a === b || (a !== null && b !== null && a.prefixLen === b.prefixLen && a.addr.equals(b.addr));
}

export function summaryEquals(a: PrefixSummary, b: PrefixSummary): boolean {
  return coverEquals(a.cover, b.cover) && a.lens.length === b.lens.length && a.lens.every((l, i) => l === b.lens[i]);
}

/** struct rr_config (rr_config_v2, 120 bytes). */
export interface DatapathConfig {
  /** CFG_F_* */
  readonly flags: number;
  /** the pod CIDR maps' summaries (lens: at most POD_LENS_MAX, the longest) */
  readonly pod4: PrefixSummary;
  readonly pod6: PrefixSummary;
  /** a prefix holding every endpoint address; null: no endpoint; /0 (also a config never written): everything */
  readonly endpoint4Cover: Cidr | null;
  readonly endpoint6Cover: Cidr | null;
}

export const CONFIG_SIZE = 120;

/** struct rr_prefix4 / rr_prefix6: address then mask, network order; null is mask 0 with an all-ones address. */
function encodePrefix(c: Cidr | null, bytes: number): Buffer {
  if (!c) return Buffer.concat([Buffer.alloc(bytes, 0xff), Buffer.alloc(bytes)]);
  return Buffer.concat([c.addr, maskBytes(c.prefixLen, bytes)]);
}

function decodePrefix(b: Buffer, bytes: number): Cidr | null {
  const addr = Buffer.from(b.subarray(0, bytes)), mask = b.subarray(bytes, 2 * bytes);
  let len = 0;
  while (len < bytes * 8 && mask[len >> 3] & (0x80 >> (len & 7))) len++;
  if (!mask.equals(maskBytes(len, bytes)) || addr.some((x, i) => x & ~mask[i])) return null; // "none" (or nothing usable)
  return { family: bytes === 4 ? 4 : 6, addr, prefixLen: len };
}

/**
 * u32 flags; u8 pod4_nlens, pod6_nlens, reserved[2]; u8 pod4_lens[16], pod6_lens[16]; rr_prefix4 pod4_cover;
 * rr_prefix6 pod6_cover; rr_prefix4 ep4_cover; rr_prefix6 ep6_cover.
 */
export function encodeConfig(c: DatapathConfig): Buffer {
  const b = Buffer.alloc(CONFIG_SIZE);
  u32(c.flags).copy(b, 0);
  const lens = (s: PrefixSummary, at: number, countAt: number) => {
    const kept = s.lens.slice(0, POD_LENS_MAX);
    b[countAt] = kept.length;
    kept.forEach((l, i) => { b[at + i] = l; });
  };
  lens(c.pod4, 8, 4);
  lens(c.pod6, 24, 5);
  encodePrefix(c.pod4.lens.length ? c.pod4.cover : null, 4).copy(b, 40);
  encodePrefix(c.pod6.lens.length ? c.pod6.cover : null, 16).copy(b, 48);
  encodePrefix(c.endpoint4Cover, 4).copy(b, 80);
  encodePrefix(c.endpoint6Cover, 16).copy(b, 88);
  return b;
}

export function decodeConfig(b: Buffer): DatapathConfig {
  const lens = (at: number, n: number) => [...b.subarray(at, at + Math.min(n, POD_LENS_MAX))];
  const pod4Lens = lens(8, b[4]), pod6Lens = lens(24, b[5]);
  return {
    flags: readU32(b, 0),
    pod4: { lens: pod4Lens, cover: pod4Lens.length ? decodePrefix(b.subarray(40, 48), 4) : null },
    pod6: { lens: pod6Lens, cover: pod6Lens.length ? decodePrefix(b.subarray(48, 80), 16) : null },
    endpoint4Cover: decodePrefix(b.subarray(80, 88), 4),
    endpoint6Cover: decodePrefix(b.subarray(88, 120), 16),
  };
}

/** A config never written: no switches, no pod CIDR, endpoints looked up for every destination. */
export const ZERO_CONFIG: DatapathConfig = decodeConfig(Buffer.alloc(CONFIG_SIZE));

/** rr_ifslots_v1's u64 (host order): ifindex << 32 | IFACE_F_*; 0 = free. */
export function encodeIfSlot(ifindex: number, flags: number): Buffer {
  const b = Buffer.alloc(8);
  const v = (BigInt(ifindex >>> 0) << 32n) | BigInt(flags >>> 0);
  if (LE) b.writeBigUInt64LE(v);
  else b.writeBigUInt64BE(v);
  return b;
}

export function decodeIfSlot(b: Buffer): { ifindex: number; flags: number } | null {
  const v = LE ? b.readBigUInt64LE(0) : b.readBigUInt64BE(0);
  if (!v) return null;
  return { ifindex: Number(v >> 32n), flags: Number(v & 0xffffffffn) };
}

/** A local pod by address (struct rr_endpoint, keyed by the address in network order). */
export interface Endpoint {
  /** the pod's address, canonical text (IPv4 or IPv6) */
  readonly ip: string;
  /** the host side of the pod's veth */
  readonly ifindex: number;
  /** ENDPOINT_F_* */
  readonly flags: number;
  /** the pod's MAC (written as destination) and the host side's (written as source), aa:bb:cc:dd:ee:ff */
  readonly podMac: string;
  readonly hostMac: string;
}

export function macBytes(mac: string): Buffer {
  const b = Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
  if (b.length !== 6 || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) throw new CidrError(mac, 'not a MAC address');
  return b;
}

export function formatMac(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** struct rr_endpoint: u32 ifindex, u32 flags, u8 pod_mac[6], u8 host_mac[6] (20 bytes). */
export function encodeEndpoint(e: Omit<Endpoint, 'ip'>): Buffer {
  return Buffer.concat([u32(e.ifindex), u32(e.flags), macBytes(e.podMac), macBytes(e.hostMac)]);
}

export function decodeEndpoint(key: Buffer, value: Buffer): Endpoint {
  return {
    ip: formatAddress(key), ifindex: readU32(value, 0), flags: readU32(value, 4),
    podMac: formatMac(value.subarray(8, 14)), hostMac: formatMac(value.subarray(14, 20)),
  };
}

/** One cached next hop of a remote pod CIDR (struct rr_nh): the egress device and the MACs to write. */
export interface Nexthop {
  readonly ifindex: number;
  /** the next hop's MAC (destination written) and the egress device's (source written), aa:bb:cc:dd:ee:ff */
  readonly dmac: string;
  readonly smac: string;
}

export const NH_GROUP_SIZE = 72;

/**
 * struct rr_nh_group (72 bytes): u32 count, u32 reserved, then NH_MAX x struct rr_nh { u32 ifindex, u8 dmac[6],
 * u8 smac[6] }; slots past count are zeros. Throws (CidrError) on a bad MAC; 1..NH_MAX next hops.
 */
export function encodeNexthopGroup(nexthops: readonly Nexthop[]): Buffer {
  if (nexthops.length < 1 || nexthops.length > NH_MAX) throw new RangeError(`a next-hop group holds 1..${NH_MAX} next hops, not ${nexthops.length}`);
  const b = Buffer.alloc(NH_GROUP_SIZE);
  u32(nexthops.length).copy(b, 0);
  nexthops.forEach((n, i) => {
    if (!Number.isInteger(n.ifindex) || n.ifindex <= 0 || n.ifindex > 0xffffffff) throw new RangeError(`bad ifindex ${n.ifindex}`);
    const at = 8 + i * 16;
    u32(n.ifindex).copy(b, at);
    macBytes(n.dmac).copy(b, at + 4);
    macBytes(n.smac).copy(b, at + 10);
  });
  return b;
}

/** The next hops of a group as the program would use them: null when count is not 1..NH_MAX. */
export function decodeNexthopGroup(b: Buffer): Nexthop[] | null {
  const count = readU32(b, 0);
  if (count < 1 || count > NH_MAX) return null;
  const out: Nexthop[] = [];
  for (let i = 0; i < count; i++) {
    const at = 8 + i * 16;
    out.push({ ifindex: readU32(b, at), dmac: formatMac(b.subarray(at + 4, at + 10)), smac: formatMac(b.subarray(at + 10, at + 16)) });
  }
  return out;
}

/** Sum of the per-CPU struct rr_stat slots of one reason (each slot 16 bytes: packets, bytes). */
export function sumPerCpuStat(value: Buffer, cpus: number): { packets: number; bytes: number } {
  let packets = 0, bytes = 0;
  for (let c = 0; c < cpus; c++) {
    packets += readU64(value, c * 16);
    bytes += readU64(value, c * 16 + 8);
  }
  return { packets, bytes };
}

/** Number of possible CPUs, from the kernel's list ("0-3,6"): the slot count of per-CPU map values. */
export function parseCpuList(text: string): number {
  let n = 0;
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map(Number);
    n += b === undefined ? 1 : b - a + 1;
  }
  return n;
}
