// rtnetlink bytes: route requests written straight into one send buffer, and route/link/error messages read in
// place from received datagrams. Hot paths: no per-route objects on the way out, one reusable scratch on the
// way in. Netlink headers and attributes are host byte order (little-endian on every platform we ship for);
// addresses are network order.
import { endianness } from 'node:os';
import type { Family } from './address.js';
import { formatIP, formatIPv4 } from './address.js';
import * as C from './constants.js';
import type { KernelRoute, NextHop, NormRoute } from './route.js';
import { typeName } from './route.js';

if (endianness() !== 'LE') throw new Error('rackroute netlink: big-endian hosts are not supported');

const align4 = (n: number): number => (n + 3) & ~3;

/** A growable buffer of netlink messages that go out in one sendmsg. */
export class MessageWriter {
  buf: Buffer;
  pos = 0;
  /** messages written */
  count = 0;

  constructor(initial = 256 * 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  reset(): void {
    this.pos = 0;
    this.count = 0;
  }

  /** The bytes written so far (a view, not a copy). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private header(type: number, flags: number, seq: number): number {
    this.ensure(1024);
    const at = this.pos;
    const b = this.buf;
    b.writeUInt32LE(0, at);
    b.writeUInt16LE(type, at + 4);
    b.writeUInt16LE(flags, at + 6);
    b.writeUInt32LE(seq >>> 0, at + 8);
    b.writeUInt32LE(0, at + 12);
    this.pos += C.NLMSG_HDRLEN;
    return at;
  }

  private finish(at: number): void {
    this.buf.writeUInt32LE(this.pos - at, at);
    this.count++;
  }

  private attrU32(type: number, v: number): void {
    const b = this.buf;
    b.writeUInt16LE(8, this.pos);
    b.writeUInt16LE(type, this.pos + 2);
    b.writeUInt32LE(v >>> 0, this.pos + 4);
    this.pos += 8;
  }

  private attrBytes(type: number, v: Uint8Array): void {
    const len = 4 + v.length;
    this.ensure(align4(len) + 4);
    const b = this.buf;
    b.writeUInt16LE(len, this.pos);
    b.writeUInt16LE(type, this.pos + 2);
    b.set(v, this.pos + 4);
    const end = this.pos + align4(len);
    b.fill(0, this.pos + len, end);
    this.pos = end;
  }

  private nestStart(type: number): number {
    const at = this.pos;
    this.buf.writeUInt16LE(type, at + 2);
    this.pos += 4;
    return at;
  }

  private nestEnd(at: number): void {
    this.buf.writeUInt16LE(this.pos - at, at);
  }

  private gateway(routeFamily: Family, gwFamily: Family | 0, gw: Buffer): void {
    if (gwFamily === 0) return;
    if (gwFamily === routeFamily) {
      this.attrBytes(C.RTA_GATEWAY, gw);
      return;
    }
    // RTA_VIA: struct rtvia { u16 family; u8 addr[] }
    const via = Buffer.alloc(2 + gw.length);
    via.writeUInt16LE(gwFamily === 6 ? C.AF_INET6 : C.AF_INET, 0);
    gw.copy(via, 2);
    this.attrBytes(C.RTA_VIA, via);
  }

  private rtmsg(r: NormRoute, scope: number, rtn: number, flags: number): void {
    const b = this.buf;
    const at = this.pos;
    b[at] = r.family === 4 ? C.AF_INET : C.AF_INET6;
    b[at + 1] = r.dstLen;
    b[at + 2] = 0;
    b[at + 3] = 0;
    b[at + 4] = r.table < 256 ? r.table : C.RT_TABLE_COMPAT;
    b[at + 5] = C.RTPROT_RACKROUTE;
    b[at + 6] = scope;
    b[at + 7] = rtn;
    b.writeUInt32LE(flags, at + 8);
    this.pos += C.RTMSG_LEN;
    if (r.dstLen > 0) this.attrBytes(C.RTA_DST, r.dstBytes);
    this.attrU32(C.RTA_TABLE, r.table);
    this.attrU32(C.RTA_PRIORITY, r.metric);
  }

  /**
   * RTM_NEWROUTE. `mode`: 'create' (NLM_F_CREATE|NLM_F_EXCL: fails with EEXIST if the table+prefix+metric slot is
   * taken, by anyone) or 'replace' (NLM_F_CREATE|NLM_F_REPLACE). `nhId` > 0: reference a nexthop object instead.
   */
  newRoute(r: NormRoute, seq: number, ack: boolean, mode: 'create' | 'replace', nhId = 0): void {
    const flags = C.NLM_F_REQUEST | C.NLM_F_CREATE | (mode === 'create' ? C.NLM_F_EXCL : C.NLM_F_REPLACE) | (ack ? C.NLM_F_ACK : 0);
    const at = this.header(C.RTM_NEWROUTE, flags, seq);
    const hops = r.nexthops;
    const single = hops.length === 1 && nhId === 0 ? hops[0] : undefined;
    const scope = single && single.gwFamily === 0 ? C.RT_SCOPE_LINK : C.RT_SCOPE_UNIVERSE;
    this.rtmsg(r, scope, r.rtn, single?.onlink ? C.RTNH_F_ONLINK : 0);
    if (nhId > 0) {
      this.attrU32(C.RTA_NH_ID, nhId);
    } else if (single) {
      this.gateway(r.family, single.gwFamily, single.gw);
      if (single.ifindex) this.attrU32(C.RTA_OIF, single.ifindex);
    } else if (hops.length > 1) {
      this.ensure(hops.length * 40 + 8);
      const mp = this.nestStart(C.RTA_MULTIPATH);
      for (const h of hops) {
        // struct rtnexthop { u16 len; u8 flags; u8 hops; i32 ifindex } then its attributes
        const nh = this.pos;
        this.buf.writeUInt8(h.onlink ? C.RTNH_F_ONLINK : 0, nh + 2);
        this.buf.writeUInt8(h.weight - 1, nh + 3);
        this.buf.writeInt32LE(h.ifindex | 0, nh + 4);
        this.pos += 8;
        this.gateway(r.family, h.gwFamily, h.gw);
        this.buf.writeUInt16LE(this.pos - nh, nh);
      }
      this.nestEnd(mp);
    }
    if (r.mtu || r.advmss) {
      const m = this.nestStart(C.RTA_METRICS);
      if (r.mtu) this.attrU32(C.RTAX_MTU, r.mtu);
      if (r.advmss) this.attrU32(C.RTAX_ADVMSS, r.advmss);
      this.nestEnd(m);
    }
    this.finish(at);
  }

  /** RTM_DELROUTE matching table+prefix+metric and our protocol only: a foreign route is never hit. */
  delRoute(r: NormRoute, seq: number, ack: boolean): void {
    const at = this.header(C.RTM_DELROUTE, C.NLM_F_REQUEST | (ack ? C.NLM_F_ACK : 0), seq);
    this.rtmsg(r, C.RT_SCOPE_NOWHERE, C.RTN_UNSPEC, 0);
    this.finish(at);
  }

  /** A dump request: RTM_GETROUTE / RTM_GETLINK / RTM_GETNEXTHOP with NLM_F_DUMP. */
  dump(type: number, family: number, seq: number): void {
    const at = this.header(type, C.NLM_F_REQUEST | C.NLM_F_DUMP, seq);
    const len = type === C.RTM_GETLINK ? C.IFINFOMSG_LEN : type === C.RTM_GETNEXTHOP ? C.NHMSG_LEN : C.RTMSG_LEN;
    this.buf.fill(0, this.pos, this.pos + len);
    this.buf[this.pos] = family;
    this.pos += len;
    this.finish(at);
  }

  /** RTM_NEWNEXTHOP for one gateway (id, gateway, oif) or a group (id, members), protocol ours. */
  newNexthop(id: number, seq: number, ack: boolean, hop: { family: Family; gw: Buffer; ifindex: number; onlink: boolean } | { group: readonly { id: number; weight: number }[] }): void {
    const at = this.header(C.RTM_NEWNEXTHOP, C.NLM_F_REQUEST | C.NLM_F_CREATE | C.NLM_F_REPLACE | (ack ? C.NLM_F_ACK : 0), seq);
    const b = this.buf;
    const p = this.pos;
    b.fill(0, p, p + C.NHMSG_LEN);
    if ('family' in hop) {
      b[p] = hop.family === 4 ? C.AF_INET : C.AF_INET6;
      b.writeUInt32LE(hop.onlink ? C.RTNH_F_ONLINK : 0, p + 4);
    }
    b[p + 2] = C.RTPROT_RACKROUTE;
    this.pos += C.NHMSG_LEN;
    this.attrU32(C.NHA_ID, id);
    if ('family' in hop) {
      if (hop.gw.length > 0) this.attrBytes(C.NHA_GATEWAY, hop.gw);
      this.attrU32(C.NHA_OIF, hop.ifindex);
    } else {
      const g = Buffer.alloc(hop.group.length * 8);
      hop.group.forEach((m, i) => {
        g.writeUInt32LE(m.id, i * 8);
        g[i * 8 + 4] = m.weight - 1;
      });
      this.attrBytes(C.NHA_GROUP, g);
    }
    this.finish(at);
  }

  delNexthop(id: number, seq: number, ack: boolean): void {
    const at = this.header(C.RTM_DELNEXTHOP, C.NLM_F_REQUEST | (ack ? C.NLM_F_ACK : 0), seq);
    this.buf.fill(0, this.pos, this.pos + C.NHMSG_LEN);
    this.pos += C.NHMSG_LEN;
    this.attrU32(C.NHA_ID, id);
    this.finish(at);
  }
}

/** Netlink message header fields read in place. */
export const msgLen = (b: Buffer, off: number): number => b.readUInt32LE(off);
export const msgType = (b: Buffer, off: number): number => b.readUInt16LE(off + 4);
export const msgFlags = (b: Buffer, off: number): number => b.readUInt16LE(off + 6);
export const msgSeq = (b: Buffer, off: number): number => b.readUInt32LE(off + 8);
export const msgPort = (b: Buffer, off: number): number => b.readUInt32LE(off + 12);
export const nextMsg = (off: number, len: number): number => off + align4(len);

/** NLMSG_ERROR: the (negative) errno (0 = ack) and the sequence number of the request it answers. */
export function readError(b: Buffer, off: number, len: number): { errno: number; origSeq: number } {
  if (len < C.NLMSG_HDRLEN + 4) return { errno: -1, origSeq: msgSeq(b, off) };
  const errno = b.readInt32LE(off + 16);
  const origSeq = len >= C.NLMSG_HDRLEN + 4 + 12 ? b.readUInt32LE(off + 16 + 4 + 8) : msgSeq(b, off);
  return { errno, origSeq };
}

/**
 * One route message decoded into reusable fields: what the reconciler needs to key and compare a route without
 * building an object. Valid until the next decode.
 */
export class RouteScratch {
  buf: Buffer = Buffer.alloc(0);
  family: Family = 4;
  dstLen = 0;
  /** offset of the destination bytes in buf, -1 when absent (a default route) */
  dstOff = -1;
  tos = 0;
  table = 0;
  protocol = 0;
  scope = 0;
  rtn = 0;
  flags = 0;
  metric = 0;
  mtu = 0;
  advmss = 0;
  nhId = 0;
  nhCount = 0;
  readonly nhGwFamily: number[] = [];
  /** offset of the gateway bytes in buf (-1: none) */
  readonly nhGwOff: number[] = [];
  readonly nhIfindex: number[] = [];
  readonly nhFlags: number[] = [];
  readonly nhWeight: number[] = [];

  dst(): string {
    if (this.dstOff < 0) return this.family === 4 ? '0.0.0.0/0' : '::/0';
    if (this.family === 4) return `${formatIPv4(this.buf, this.dstOff)}/${this.dstLen}`;
    return `${formatIP(6, this.buf, this.dstOff)}/${this.dstLen}`;
  }

  dst4(): number {
    return this.dstOff < 0 ? 0 : this.buf.readInt32BE(this.dstOff);
  }

  key(): string {
    return `${this.table} ${this.dst()} ${this.metric}`;
  }

  private hop(i: number, gwFamily: number, gwOff: number, ifindex: number, flags: number, weight: number): void {
    this.nhGwFamily[i] = gwFamily;
    this.nhGwOff[i] = gwOff;
    this.nhIfindex[i] = ifindex;
    this.nhFlags[i] = flags;
    this.nhWeight[i] = weight;
  }

  /** Decodes the RTM_NEWROUTE at `off` (nlmsghdr included). False when it is not a usable route message. */
  decode(b: Buffer, off: number, len: number): boolean {
    if (len < C.NLMSG_HDRLEN + C.RTMSG_LEN) return false;
    this.buf = b;
    const r = off + C.NLMSG_HDRLEN;
    const fam = b[r];
    if (fam !== C.AF_INET && fam !== C.AF_INET6) return false;
    this.family = fam === C.AF_INET ? 4 : 6;
    this.dstLen = b[r + 1];
    this.tos = b[r + 3];
    this.table = b[r + 4];
    this.protocol = b[r + 5];
    this.scope = b[r + 6];
    this.rtn = b[r + 7];
    this.flags = b.readUInt32LE(r + 8);
    this.dstOff = -1;
    this.metric = 0;
    this.mtu = 0;
    this.advmss = 0;
    this.nhId = 0;
    this.nhCount = 0;
    let gwFamily = 0;
    let gwOff = -1;
    let oif = 0;
    let multipath = false;
    const end = off + len;
    for (let a = r + C.RTMSG_LEN; a + 4 <= end; ) {
      const alen = b.readUInt16LE(a);
      if (alen < 4 || a + alen > end) break;
      const atype = b.readUInt16LE(a + 2) & 0x3fff;
      const v = a + 4;
      switch (atype) {
        case C.RTA_DST: this.dstOff = v; break;
        case C.RTA_TABLE: this.table = b.readUInt32LE(v); break;
        case C.RTA_PRIORITY: this.metric = b.readUInt32LE(v); break;
        case C.RTA_OIF: oif = b.readUInt32LE(v); break;
        case C.RTA_GATEWAY: gwFamily = this.family; gwOff = v; break;
        case C.RTA_VIA: gwFamily = b.readUInt16LE(v) === C.AF_INET6 ? 6 : 4; gwOff = v + 2; break;
        case C.RTA_NH_ID: this.nhId = b.readUInt32LE(v); break;
        case C.RTA_METRICS: this.metrics(b, v, a + alen); break;
        case C.RTA_MULTIPATH: multipath = true; this.multipath(b, v, a + alen); break;
        default: break;
      }
      a += align4(alen);
    }
    if (!multipath && (gwOff >= 0 || oif !== 0)) {
      this.hop(0, gwFamily, gwOff, oif, this.flags & 0xff, 1);
      this.nhCount = 1;
    }
    return true;
  }

  private metrics(b: Buffer, from: number, to: number): void {
    for (let a = from; a + 4 <= to; ) {
      const alen = b.readUInt16LE(a);
      if (alen < 4 || a + alen > to) break;
      const t = b.readUInt16LE(a + 2);
      if (alen >= 8) {
        if (t === C.RTAX_MTU) this.mtu = b.readUInt32LE(a + 4);
        else if (t === C.RTAX_ADVMSS) this.advmss = b.readUInt32LE(a + 4);
      }
      a += align4(alen);
    }
  }

  private multipath(b: Buffer, from: number, to: number): void {
    let n = 0;
    for (let p = from; p + 8 <= to; ) {
      const len = b.readUInt16LE(p);
      if (len < 8 || p + len > to) break;
      let gwFamily = 0;
      let gwOff = -1;
      for (let a = p + 8; a + 4 <= p + len; ) {
        const alen = b.readUInt16LE(a);
        if (alen < 4 || a + alen > p + len) break;
        const t = b.readUInt16LE(a + 2);
        if (t === C.RTA_GATEWAY) {
          gwFamily = this.family;
          gwOff = a + 4;
        } else if (t === C.RTA_VIA) {
          gwFamily = b.readUInt16LE(a + 4) === C.AF_INET6 ? 6 : 4;
          gwOff = a + 6;
        }
        a += align4(alen);
      }
      this.hop(n++, gwFamily, gwOff, b.readInt32LE(p + 4), b[p + 2], b[p + 3] + 1);
      p += align4(len);
    }
    this.nhCount = n;
  }

  /**
   * Does this kernel route carry exactly what `r` asks for? A desired next hop without a device matches any
   * device (the kernel resolved it); next hop order does not matter; kernel-only flags (dead, linkdown) are ignored.
   */
  matches(r: NormRoute, nhIds?: ReadonlyMap<number, string>, wantNhId?: number): boolean {
    if (this.rtn !== r.rtn || this.mtu !== r.mtu || this.advmss !== r.advmss) return false;
    if (wantNhId !== undefined || this.nhId !== 0) return this.nhId === (wantNhId ?? 0) && (nhIds === undefined || nhIds.has(this.nhId));
    if (r.rtn !== C.RTN_UNICAST) return true;
    const hops = r.nexthops;
    if (hops.length !== this.nhCount) return false;
    let used = 0;
    outer: for (const h of hops) {
      for (let i = 0; i < this.nhCount; i++) {
        if (used & (1 << i)) continue;
        if (this.nhGwFamily[i] !== h.gwFamily) continue;
        if (h.ifindex !== 0 && this.nhIfindex[i] !== h.ifindex) continue;
        if (((this.nhFlags[i] & C.RTNH_F_ONLINK) !== 0) !== h.onlink) continue;
        if (hops.length > 1 && this.nhWeight[i] !== h.weight) continue;
        if (h.gwFamily !== 0) {
          const o = this.nhGwOff[i];
          const g = h.gw;
          let eq = true;
          for (let k = 0; k < g.length; k++) if (this.buf[o + k] !== g[k]) { eq = false; break; }
          if (!eq) continue;
        }
        used |= 1 << i;
        continue outer;
      }
      return false;
    }
    return true;
  }

  /** A full object for views and tests (not for the hot path). */
  toRoute(devName?: (ifindex: number) => string | undefined): KernelRoute {
    const nexthops: NextHop[] = [];
    for (let i = 0; i < this.nhCount; i++) {
      const h: { -readonly [K in keyof NextHop]: NextHop[K] } = {};
      const gf = this.nhGwFamily[i];
      if (gf === 4 || gf === 6) h.gateway = formatIP(gf, this.buf, this.nhGwOff[i]);
      if (this.nhIfindex[i]) {
        h.ifindex = this.nhIfindex[i];
        const d = devName?.(this.nhIfindex[i]);
        if (d !== undefined) h.dev = d;
      }
      if (this.nhFlags[i] & C.RTNH_F_ONLINK) h.onlink = true;
      if (this.nhWeight[i] !== 1) h.weight = this.nhWeight[i];
      nexthops.push(h);
    }
    const out: { -readonly [K in keyof KernelRoute]: KernelRoute[K] } = {
      family: this.family, dst: this.dst(), table: this.table, type: typeName(this.rtn), metric: this.metric,
      protocol: this.protocol, nexthops,
    };
    if (this.mtu) out.mtu = this.mtu;
    if (this.advmss) out.advmss = this.advmss;
    if (this.nhId) (out as { nhId?: number }).nhId = this.nhId;
    return out;
  }
}

/** RTM_NEWLINK from a link dump: ifindex and name. */
export function readLink(b: Buffer, off: number, len: number): { ifindex: number; name: string } | null {
  const p = off + C.NLMSG_HDRLEN;
  if (len < C.NLMSG_HDRLEN + C.IFINFOMSG_LEN) return null;
  const ifindex = b.readInt32LE(p + 4);
  const end = off + len;
  for (let a = p + C.IFINFOMSG_LEN; a + 4 <= end; ) {
    const alen = b.readUInt16LE(a);
    if (alen < 4 || a + alen > end) break;
    if ((b.readUInt16LE(a + 2) & 0x3fff) === C.IFLA_IFNAME) {
      let z = a + 4;
      while (z < a + alen && b[z] !== 0) z++;
      return { ifindex, name: b.toString('latin1', a + 4, z) };
    }
    a += align4(alen);
  }
  return null;
}
