// rtnetlink messages for tunnels: links (RTM_NEWLINK with IFLA_LINKINFO / IFLA_VXLAN_* / IFLA_IPTUN_*), addresses
// (to find the underlay device), neighbours and VXLAN FDB entries (RTM_NEWNEIGH with NDA_LLADDR / NDA_DST; NTF_SELF
// for the FDB). Built and parsed here, sent on the FIB layer's RtnlSocket (which checks ports and sequence numbers).
// Not a hot path (a few messages per remote node): plain Buffers, no scratch reuse.
import { formatIP, parseIP } from '../netlink/address.js';
import * as C from '../netlink/constants.js';
import { errnoName, NetlinkError, type RtnlSocket } from '../netlink/socket.js';
import { msgLen, msgType, nextMsg } from '../netlink/wire.js';

export const RTM_DELLINK = 17;
export const RTM_NEWADDR = 20;
export const RTM_GETADDR = 22;
export const RTM_NEWNEIGH = 28;
export const RTM_DELNEIGH = 29;
export const RTM_GETNEIGH = 30;

export const AF_UNSPEC = 0;
export const AF_BRIDGE = 7;
export const IFF_UP = 1;

export const IFLA_ADDRESS = 1;
export const IFLA_MTU = 4;
export const IFLA_LINKINFO = 18;
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;

export const IFLA_VXLAN_ID = 1;
export const IFLA_VXLAN_LINK = 3;
export const IFLA_VXLAN_LOCAL = 4;
export const IFLA_VXLAN_TTL = 5;
export const IFLA_VXLAN_LEARNING = 7;
export const IFLA_VXLAN_PORT = 15;
export const IFLA_VXLAN_LOCAL6 = 17;

export const IFLA_IPTUN_LINK = 1;
export const IFLA_IPTUN_LOCAL = 2;
export const IFLA_IPTUN_TTL = 4;
export const IFLA_IPTUN_PMTUDISC = 10;

export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const RT_SCOPE_HOST = 254;

export const NDA_DST = 1;
export const NDA_LLADDR = 2;
export const NUD_PERMANENT = 0x80;
export const NTF_SELF = 0x02;

export const RTNLGRP_LINK = 1;
export const RTNLGRP_NEIGH = 3;

const align4 = (n: number): number => (n + 3) & ~3;

export function attr(type: number, value: Buffer): Buffer {
  const len = 4 + value.length;
  const b = Buffer.alloc(align4(len));
  b.writeUInt16LE(len, 0);
  b.writeUInt16LE(type, 2);
  value.copy(b, 4);
  return b;
}
export const u8 = (type: number, v: number): Buffer => attr(type, Buffer.from([v]));
export const u32 = (type: number, v: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return attr(type, b); };
export const be16 = (type: number, v: number): Buffer => { const b = Buffer.alloc(2); b.writeUInt16BE(v); return attr(type, b); };
export const str = (type: number, v: string): Buffer => attr(type, Buffer.from(`${v}\0`, 'latin1'));
export const nest = (type: number, ...children: Buffer[]): Buffer => attr(type, Buffer.concat(children));

export function message(type: number, flags: number, seq: number, header: Buffer, ...attrs: Buffer[]): Buffer {
  const body = Buffer.concat([header, ...attrs]);
  const h = Buffer.alloc(C.NLMSG_HDRLEN);
  h.writeUInt32LE(C.NLMSG_HDRLEN + body.length, 0);
  h.writeUInt16LE(type, 4);
  h.writeUInt16LE(flags, 6);
  h.writeUInt32LE(seq >>> 0, 8);
  return Buffer.concat([h, body]);
}

export function ifinfomsg(ifindex: number, flags = 0, change = 0, family = AF_UNSPEC): Buffer {
  const b = Buffer.alloc(C.IFINFOMSG_LEN);
  b[0] = family;
  b.writeInt32LE(ifindex, 4);
  b.writeUInt32LE(flags, 8);
  b.writeUInt32LE(change, 12);
  return b;
}

export function ndmsg(family: number, ifindex: number, state: number, flags: number): Buffer {
  const b = Buffer.alloc(12);
  b[0] = family;
  b.writeInt32LE(ifindex, 4);
  b.writeUInt16LE(state, 8);
  b[10] = flags;
  return b;
}

export function macBytes(mac: string): Buffer {
  const parts = mac.split(':').map((x) => parseInt(x, 16));
  if (parts.length !== 6 || parts.some((x) => !(x >= 0 && x <= 255))) throw new Error(`not a MAC: ${mac}`);
  return Buffer.from(parts);
}
export const formatMac = (b: Buffer, off = 0, len = 6): string =>
  [...b.subarray(off, off + len)].map((x) => x.toString(16).padStart(2, '0')).join(':');

export function ipBytes(text: string): Buffer {
  const ip = parseIP(text);
  if (!ip) throw new Error(`not an address: ${text}`);
  return ip.bytes;
}

/** Walks attributes in [from, to), calling fn(type, valueOffset, valueLength). */
export function walk(b: Buffer, from: number, to: number, fn: (type: number, v: number, len: number) => void): void {
  for (let a = from; a + 4 <= to; ) {
    const alen = b.readUInt16LE(a);
    if (alen < 4 || a + alen > to) break;
    fn(b.readUInt16LE(a + 2) & 0x3fff, a + 4, alen - 4);
    a += align4(alen);
  }
}

export interface LinkInfo {
  readonly ifindex: number;
  readonly name: string;
  readonly flags: number;
  readonly mtu: number;
  readonly mac: string;
  readonly kind: string;
  /** IFLA_INFO_DATA attributes by type (raw values) */
  readonly data: ReadonlyMap<number, Buffer>;
}

export function readLinkInfo(b: Buffer, off: number, len: number): LinkInfo | null {
  const p = off + C.NLMSG_HDRLEN;
  if (len < C.NLMSG_HDRLEN + C.IFINFOMSG_LEN) return null;
  const out = { ifindex: b.readInt32LE(p + 4), flags: b.readUInt32LE(p + 8), name: '', mtu: 0, mac: '', kind: '', data: new Map<number, Buffer>() };
  walk(b, p + C.IFINFOMSG_LEN, off + len, (t, v, l) => {
    if (t === C.IFLA_IFNAME) out.name = b.toString('latin1', v, v + l).replace(/\0.*$/, '');
    else if (t === IFLA_MTU && l >= 4) out.mtu = b.readUInt32LE(v);
    else if (t === IFLA_ADDRESS) out.mac = formatMac(b, v, l);
    else if (t === IFLA_LINKINFO) {
      walk(b, v, v + l, (it, iv, il) => {
        if (it === IFLA_INFO_KIND) out.kind = b.toString('latin1', iv, iv + il).replace(/\0.*$/, '');
        else if (it === IFLA_INFO_DATA) walk(b, iv, iv + il, (dt, dv, dl) => out.data.set(dt, Buffer.from(b.subarray(dv, dv + dl))));
      });
    }
  });
  return out;
}

export interface NeighInfo {
  readonly family: number;
  readonly ifindex: number;
  readonly state: number;
  readonly flags: number;
  readonly dst: string | null;
  readonly mac: string | null;
}

export function readNeigh(b: Buffer, off: number, len: number): NeighInfo | null {
  const p = off + C.NLMSG_HDRLEN;
  if (len < C.NLMSG_HDRLEN + 12) return null;
  let dst: string | null = null;
  let mac: string | null = null;
  walk(b, p + 12, off + len, (t, v, l) => {
    if (t === NDA_DST && (l === 4 || l === 16)) dst = formatIP(l === 4 ? 4 : 6, b, v);
    else if (t === NDA_LLADDR && l === 6) mac = formatMac(b, v, 6);
  });
  return { family: b[p]!, ifindex: b.readInt32LE(p + 4), state: b.readUInt16LE(p + 8), flags: b[p + 10]!, dst, mac };
}

/** One request with an ack; throws NetlinkError with the kernel's errno. */
export async function request(sock: RtnlSocket, build: (seq: number) => Buffer, what: string): Promise<void> {
  const seq = sock.reserve(1);
  const errors = await sock.transact(build(seq), seq, seq);
  const errno = errors.get(seq);
  if (errno) throw new NetlinkError(`${what}: ${errnoName(errno)}`, errno, errnoName(errno));
}

/** A dump of `type` with a header of `headerLen` bytes whose first byte is `family`. */
export async function dumpAll<T>(sock: RtnlSocket, type: number, family: number, headerLen: number, read: (b: Buffer, off: number, len: number, type: number) => T | null): Promise<T[]> {
  const seq = sock.reserve(1);
  const h = Buffer.alloc(headerLen);
  h[0] = family;
  const out: T[] = [];
  await sock.dump(message(type, C.NLM_F_REQUEST | C.NLM_F_DUMP, seq, h), seq, (b, off, len, t) => {
    const v = read(b, off, len, t);
    if (v !== null) out.push(v);
  });
  return out;
}

export const links = (sock: RtnlSocket): Promise<LinkInfo[]> =>
  dumpAll(sock, C.RTM_GETLINK, AF_UNSPEC, C.IFINFOMSG_LEN, (b, off, len, t) => (t === C.RTM_NEWLINK ? readLinkInfo(b, off, len) : null));

export const neighbours = (sock: RtnlSocket, family: number): Promise<NeighInfo[]> =>
  dumpAll(sock, RTM_GETNEIGH, family, 12, (b, off, len, t) => (t === RTM_NEWNEIGH ? readNeigh(b, off, len) : null));

/** The device holding `address` (the underlay interface), or undefined; `except`: a device not to count (our tunnel's). */
export async function deviceOfAddress(sock: RtnlSocket, address: string, except?: number): Promise<number | undefined> {
  const want = parseIP(address);
  if (!want) return undefined;
  const found = await dumpAll(sock, RTM_GETADDR, want.family === 4 ? C.AF_INET : C.AF_INET6, 8, (b, off, len, t) => {
    if (t !== RTM_NEWADDR) return null;
    const p = off + C.NLMSG_HDRLEN;
    let hit = false;
    walk(b, p + 8, off + len, (at, v, l) => {
      if ((at === IFA_LOCAL || at === IFA_ADDRESS) && l === want.bytes.length && b.subarray(v, v + l).equals(want.bytes)) hit = true;
    });
    return hit ? b.readUInt32LE(p + 4) : null;
  });
  return found.find((i) => i !== except);
}

/** The ifindexes holding the IPv4 address `address` (any prefix length). */
export async function devicesWithAddress4(sock: RtnlSocket, address: string): Promise<number[]> {
  const want = ipBytes(address);
  return dumpAll(sock, RTM_GETADDR, C.AF_INET, 8, (b, off, len, t) => {
    if (t !== RTM_NEWADDR) return null;
    const p = off + C.NLMSG_HDRLEN;
    let hit = false;
    walk(b, p + 8, off + len, (at, v, l) => {
      if (at === IFA_LOCAL && l === 4 && b.subarray(v, v + l).equals(want)) hit = true;
    });
    return hit ? b.readUInt32LE(p + 4) : null;
  });
}

/** RTM_NEWADDR of an IPv4 /32 with scope host on `ifindex` (create or replace). */
export function newHostAddress4(seq: number, ifindex: number, address: string): Buffer {
  const h = Buffer.alloc(8);
  h[0] = C.AF_INET;
  h[1] = 32;
  h[3] = RT_SCOPE_HOST;
  h.writeUInt32LE(ifindex, 4);
  return message(RTM_NEWADDR, C.NLM_F_REQUEST | C.NLM_F_ACK | C.NLM_F_CREATE | C.NLM_F_REPLACE, seq, h,
    attr(IFA_LOCAL, ipBytes(address)), attr(IFA_ADDRESS, ipBytes(address)));
}

/** Datagram-level helper for notification sockets: the message types and ifindexes in `b`. */
export function notifications(b: Buffer): { type: number; ifindex: number }[] {
  const out: { type: number; ifindex: number }[] = [];
  for (let off = 0; off + C.NLMSG_HDRLEN <= b.length; ) {
    const len = msgLen(b, off);
    if (len < C.NLMSG_HDRLEN || off + len > b.length) break;
    const type = msgType(b, off);
    const p = off + C.NLMSG_HDRLEN;
    if (len >= C.NLMSG_HDRLEN + 8) out.push({ type, ifindex: b.readInt32LE(p + 4) });
    off = nextMsg(off, len);
  }
  return out;
}
