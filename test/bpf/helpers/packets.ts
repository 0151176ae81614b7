// Packet building and checking for the BPF tests and the bench: Ethernet, IPv4 (with options and fragment
// fields), IPv6 (with a fragment header), TCP, UDP, ICMP, ICMPv6 and ARP, with correct checksums.
import { addressBytes } from '../../../src/dataplane/ebpf/layout.js';

export const ETH_P_IP = 0x0800;
export const ETH_P_IPV6 = 0x86dd;
export const ETH_P_ARP = 0x0806;

export function mac(text: string): Buffer {
  return Buffer.from(text.split(':').map((h) => parseInt(h, 16)));
}

export function csum16(...parts: Buffer[]): number {
  let sum = 0;
  const all = Buffer.concat(parts);
  for (let i = 0; i < all.length; i += 2) sum += (all[i] << 8) | (i + 1 < all.length ? all[i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export type L4 = 'tcp' | 'udp' | 'icmp';

export interface PacketSpec {
  readonly src: string;
  readonly dst: string;
  readonly l4: L4;
  readonly srcMac: string;
  readonly dstMac: string;
  readonly ttl?: number;
  readonly payload?: Buffer;
  /** IPv4: set More Fragments / a fragment offset (8-byte units) */
  readonly moreFragments?: boolean;
  readonly fragOffset?: number;
  /** IPv4: bytes of options (a multiple of 4, NOP-padded) */
  readonly ipOptions?: number;
  /** IPv6: put a fragment header before the L4 header */
  readonly ipv6Fragment?: boolean;
}

function l4Header(l4: L4, v6: boolean, payload: Buffer): { proto: number; hdr: Buffer; csumOffset: number } {
  if (l4 === 'tcp') {
    const h = Buffer.alloc(20);
    h.writeUInt16BE(40000, 0); h.writeUInt16BE(5201, 2); h.writeUInt32BE(1, 4);
    h[12] = 5 << 4; h[13] = 0x18; h.writeUInt16BE(64240, 14);
    return { proto: 6, hdr: Buffer.concat([h, payload]), csumOffset: 16 };
  }
  if (l4 === 'udp') {
    const h = Buffer.alloc(8);
    h.writeUInt16BE(40001, 0); h.writeUInt16BE(5201, 2); h.writeUInt16BE(8 + payload.length, 4);
    return { proto: 17, hdr: Buffer.concat([h, payload]), csumOffset: 6 };
  }
  const h = Buffer.alloc(8);
  h[0] = v6 ? 128 : 8; h.writeUInt16BE(0x1234, 4); h.writeUInt16BE(1, 6);
  return { proto: v6 ? 58 : 1, hdr: Buffer.concat([h, payload]), csumOffset: 2 };
}

export function buildPacket(p: PacketSpec): Buffer {
  const src = addressBytes(p.src), dst = addressBytes(p.dst);
  const v6 = src.length === 16;
  const payload = p.payload ?? Buffer.from('rackroute fast path test payload');
  const { proto, hdr, csumOffset } = l4Header(p.l4, v6, payload);
  // L4 checksum over the pseudo-header (ICMPv4 has none).
  let pseudo: Buffer;
  if (v6) {
    pseudo = Buffer.alloc(40);
    src.copy(pseudo, 0); dst.copy(pseudo, 16); pseudo.writeUInt32BE(hdr.length, 32); pseudo[39] = proto;
  } else {
    pseudo = Buffer.alloc(12);
    src.copy(pseudo, 0); dst.copy(pseudo, 4); pseudo[9] = proto; pseudo.writeUInt16BE(hdr.length, 10);
  }
  const sum = proto === 1 ? csum16(hdr) : csum16(pseudo, hdr);
  hdr.writeUInt16BE(proto === 17 && sum === 0 ? 0xffff : sum, csumOffset);

  const eth = Buffer.alloc(14);
  mac(p.dstMac).copy(eth, 0); mac(p.srcMac).copy(eth, 6); eth.writeUInt16BE(v6 ? ETH_P_IPV6 : ETH_P_IP, 12);
  if (v6) {
    let next = proto, ext = Buffer.alloc(0);
    if (p.ipv6Fragment) {
      ext = Buffer.alloc(8);
      ext[0] = proto; ext.writeUInt16BE(1, 2); ext.writeUInt32BE(0xabcd, 4); // offset 0, M=1
      next = 44;
    }
    const ip = Buffer.alloc(40);
    ip.writeUInt32BE((6 << 28) | (0x12 << 20) | 0x5678, 0);
    ip.writeUInt16BE(ext.length + hdr.length, 4); ip[6] = next; ip[7] = p.ttl ?? 64;
    src.copy(ip, 8); dst.copy(ip, 24);
    return Buffer.concat([eth, ip, ext, hdr]);
  }
  const optLen = p.ipOptions ?? 0;
  const ip = Buffer.alloc(20 + optLen, 1); // options: NOPs
  ip.fill(0, 0, 20);
  ip[0] = 0x40 | ((20 + optLen) / 4); ip[1] = 0x10;
  ip.writeUInt16BE(ip.length + hdr.length, 2); ip.writeUInt16BE(0x4242, 4);
  ip.writeUInt16BE((p.moreFragments ? 0x2000 : 0) | (p.fragOffset ?? 0), 6);
  ip[8] = p.ttl ?? 64; ip[9] = proto;
  src.copy(ip, 12); dst.copy(ip, 16);
  ip.writeUInt16BE(csum16(ip), 10);
  return Buffer.concat([eth, ip, hdr]);
}

export function buildArp(srcMac: string, senderIp: string, targetIp: string): Buffer {
  const b = Buffer.alloc(42);
  b.fill(0xff, 0, 6); mac(srcMac).copy(b, 6); b.writeUInt16BE(ETH_P_ARP, 12);
  b.writeUInt16BE(1, 14); b.writeUInt16BE(ETH_P_IP, 16); b[18] = 6; b[19] = 4; b.writeUInt16BE(1, 20);
  mac(srcMac).copy(b, 22); addressBytes(senderIp).copy(b, 28); addressBytes(targetIp).copy(b, 38);
  return b;
}

/** IPv4 header checksum of the packet at offset 14: 0 when valid. */
export function ipv4HeaderChecksumResidue(pkt: Buffer): number {
  const ihl = (pkt[14] & 0x0f) * 4;
  return csum16(pkt.subarray(14, 14 + ihl));
}

export function macAt(pkt: Buffer, offset: number): string {
  return [...pkt.subarray(offset, offset + 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}
