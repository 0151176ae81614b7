// rr_ipip_egress / rr_ipip_ingress packet by packet through BPF_PROG_TEST_RUN, in a namespace with real routes
// and neighbours (the outer next hop comes from bpf_fib_lookup there): packet in -> verdict, reason counted, and
// bytes out (outer header field by field, its checksum, the inner packet byte for byte, the MACs of the underlay
// next hop). Maps filled through the TypeScript writers (IpipMaps), as EbpfIpipTunnel fills them. Needs root.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostExec } from '../../src/dataplane/ebpf/exec.js';
import {
  IpipLoader, IpipMaps, PROGRAM_IPIP_EGRESS, PROGRAM_IPIP_INGRESS, decodeIpipConfig, encodeIpipConfig, encodeIpipDst, decodeIpipDst,
} from '../../src/dataplane/ebpf/ipip.js';
import { DEFAULT_BUILD_DIR } from '../../src/dataplane/ebpf/loader.js';
import { PinnedBpfMaps } from '../../src/dataplane/ebpf/maps.js';
import { Reason } from '../../src/dataplane/ebpf/reasons.generated.js';
import { addressBytes } from '../../src/dataplane/ebpf/layout.js';
import { Netns, ensureBpffs, isRoot, sh } from './helpers/netns.js';
import { skbCtx } from './helpers/progrun.js';
import { buildArp, buildPacket, csum16, mac, macAt, type PacketSpec } from './helpers/packets.js';

const TC_ACT_UNSPEC = 0xffffffff; // -1 as the u32 bpftool reports: "continue" (next filter, then the stack)
const TC_ACT_SHOT = 2;
const TC_ACT_REDIRECT = 7;
const UP0_MAC = '02:00:00:00:00:10';
const TOR_MAC = '02:00:00:00:aa:01';
const NODE_MAC = '02:00:00:00:00:20'; // a node on our own underlay subnet
const LOCAL = '10.0.1.10';

let ns: Netns;
let loader: IpipLoader;
let maps: IpipMaps;
let stats: PinnedBpfMaps;
let up0: number;

// Namespace: up0 10.0.1.10/24 (MTU 1500) with the ToR 10.0.1.1 (neighbour known), a second gateway 10.0.1.2
// (no neighbour entry), a node 10.0.1.20 on the subnet; remote racks behind the ToR; 10.9.0.0/16 unroutable.
test.before(async () => {
  if (!isRoot()) throw new Error('test/bpf needs root (BPF_PROG_TEST_RUN, network namespaces); CI runs it as root');
  ensureBpffs();
  ns = new Netns('ipip');
  // Forwarding on, as on every node that routes pods: bpf_fib_lookup answers FWD_DISABLED without it, even for
  // an output lookup (the program then keeps the kernel's L2 header).
  ns.lines(`
    sysctl -qw net.ipv4.ip_forward=1
    ip link add up0 address ${UP0_MAC} type veth peer name up0p
    ip link set up0 up
    ip link set up0p up
    ip addr add ${LOCAL}/24 dev up0
    ip neigh replace 10.0.1.1 lladdr ${TOR_MAC} dev up0 nud permanent
    ip neigh replace 10.0.1.20 lladdr ${NODE_MAC} dev up0 nud permanent
    ip route add 10.0.2.0/24 via 10.0.1.1
    ip route add 10.0.3.0/24 via 10.0.1.2
  `);
  up0 = ns.ifindex('up0');
  loader = new IpipLoader({ pinDir: `/sys/fs/bpf/${ns.name}`, exec: hostExec(ns.name) });
  await loader.load();
  maps = new IpipMaps(loader.pinDir);
  maps.setConfig({ local: LOCAL, ttl: 64 });
  const r = maps.sync([
    { podCidr: '10.244.2.0/24', remote: '10.0.2.10' }, // behind the ToR
    { podCidr: '10.244.5.0/24', remote: '10.0.1.20' }, // a node on our subnet: straight to it
    { podCidr: '10.244.3.0/24', remote: '10.0.3.10' }, // next hop without a neighbour entry
    { podCidr: '10.244.6.0/24', remote: '10.9.9.9' }, // no route to the remote node
    { podCidr: 'fd00:244:2::/64', remote: '10.0.2.10' }, // IPv6 in IPv4
  ]);
  if (r.added.length !== 5) throw new Error(`sync: ${JSON.stringify(r)}`);
  stats = new PinnedBpfMaps(loader.pinDir);
});

test.after.always(() => {
  stats?.close();
  maps?.close();
  if (ns) sh(['rm', '-rf', `/sys/fs/bpf/${ns.name}`], { allowFail: true });
  ns?.delete();
});

interface Run {
  readonly retval: number;
  readonly out: Buffer;
}

/** bpftool prog run with room for a packet that grows (data_size_out). */
function run(prog: string, pkt: Buffer, dir: 'egress' | 'ingress'): Run {
  const tmp = mkdtempSync(join(tmpdir(), 'rripip-run-'));
  try {
    writeFileSync(join(tmp, 'in'), pkt);
    writeFileSync(join(tmp, 'ctx'), skbCtx({ ifindex: up0, ingressIfindex: dir === 'ingress' ? up0 : 0 }));
    const json = sh(['bpftool', '-j', 'prog', 'run', 'pinned', loader.programPin(prog as typeof PROGRAM_IPIP_EGRESS), 'data_in', join(tmp, 'in'),
      'data_out', join(tmp, 'out'), 'data_size_out', '4096', 'ctx_in', join(tmp, 'ctx')], { netns: ns.name });
    return { retval: (JSON.parse(json) as { retval: number }).retval, out: readFileSync(join(tmp, 'out')) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
const egress = (pkt: Buffer) => run(PROGRAM_IPIP_EGRESS, pkt, 'egress');
const ingress = (pkt: Buffer) => run(PROGRAM_IPIP_INGRESS, pkt, 'ingress');

function counter(reason: Reason): number {
  return stats.readCounters().find((c) => c.id === reason)?.packets ?? -1;
}

/** IPv4 header at 14: set DF and/or TOS, fix the checksum. */
function withIp(pkt: Buffer, o: { df?: boolean; tos?: number }): Buffer {
  const p = Buffer.from(pkt);
  if (o.df) p.writeUInt16BE(p.readUInt16BE(20) | 0x4000, 20);
  if (o.tos !== undefined) p[15] = o.tos;
  p.writeUInt16BE(0, 24);
  p.writeUInt16BE(csum16(p.subarray(14, 34)), 24);
  return p;
}

/** A packet as the kernel hands it to the uplink's egress: from a local pod, L2 towards the ToR. */
const out = (over: Partial<PacketSpec> & { v6?: boolean } = {}): Buffer => buildPacket({
  src: over.v6 ? 'fd00:244:1::5' : '10.244.1.5', dst: over.v6 ? 'fd00:244:2::7' : '10.244.2.7', l4: 'tcp',
  srcMac: UP0_MAC, dstMac: TOR_MAC, ...over,
});

/** An IP-in-IP frame as it arrives on up0 from the ToR. */
function encapsulated(inner: Buffer, o: { src?: string; dst?: string; proto?: number; tos?: number; flags?: number; ihl?: number; badCsum?: boolean; dstMac?: string } = {}): Buffer {
  const ihl = o.ihl ?? 5;
  const h = Buffer.alloc(ihl * 4, 1);
  h.fill(0, 0, 20);
  h[0] = 0x40 | ihl; h[1] = o.tos ?? 0;
  h.writeUInt16BE(h.length + inner.length, 2); h.writeUInt16BE(0x1111, 4); h.writeUInt16BE(o.flags ?? 0x4000, 6);
  h[8] = 63; h[9] = o.proto ?? 4;
  addressBytes(o.src ?? '10.0.2.10').copy(h, 12); addressBytes(o.dst ?? LOCAL).copy(h, 16);
  h.writeUInt16BE(csum16(h), 10);
  if (o.badCsum) h[10] ^= 0xff;
  const eth = Buffer.alloc(14);
  mac(o.dstMac ?? UP0_MAC).copy(eth, 0); mac(TOR_MAC).copy(eth, 6); eth.writeUInt16BE(0x0800, 12);
  return Buffer.concat([eth, h, inner]);
}
const l3 = (pkt: Buffer) => pkt.subarray(14);
const fromRemotePod = (v6 = false, over: Partial<PacketSpec> = {}) => buildPacket({
  src: v6 ? 'fd00:244:2::7' : '10.244.2.7', dst: v6 ? 'fd00:244:1::5' : '10.244.1.5', l4: 'udp', srcMac: '00:00:00:00:00:00', dstMac: '00:00:00:00:00:00', ...over,
});

function outerHeader(pkt: Buffer) {
  const ip = pkt.subarray(14, 34);
  return {
    ethType: pkt.readUInt16BE(12), verIhl: ip[0], tos: ip[1], totLen: ip.readUInt16BE(2), id: ip.readUInt16BE(4),
    frag: ip.readUInt16BE(6), ttl: ip[8], proto: ip[9], src: [...ip.subarray(12, 16)].join('.'), dst: [...ip.subarray(16, 20)].join('.'),
    csumResidue: csum16(ip),
  };
}

test.serial('the maps hold what the writers put there; a second sync changes nothing; encoders round-trip', (t) => {
  t.deepEqual(maps.getConfig(), { local: LOCAL, ttl: 64 });
  t.deepEqual(decodeIpipConfig(encodeIpipConfig({ local: '192.0.2.1', ttl: 0 })), { local: '192.0.2.1', ttl: 0 });
  t.deepEqual(decodeIpipDst(encodeIpipDst('10.0.2.10')), { remote: '10.0.2.10', local: null });
  t.deepEqual(maps.listPeers(), ['10.0.1.20', '10.0.2.10', '10.0.3.10', '10.9.9.9']);
  t.is(maps.listDestinations().length, 5);
  t.deepEqual(maps.sync([
    { podCidr: '10.244.2.0/24', remote: '10.0.2.10' }, { podCidr: '10.244.5.0/24', remote: '10.0.1.20' },
    { podCidr: '10.244.3.0/24', remote: '10.0.3.10' }, { podCidr: '10.244.6.0/24', remote: '10.9.9.9' },
    { podCidr: 'fd00:244:2::/64', remote: '10.0.2.10' },
  ]), { added: [], updated: [], removed: [], peersAdded: [], peersRemoved: [] });
});

test.serial('encap IPv4 (DF): outer header field by field, checksum valid, inner byte-identical, MACs of the ToR', (t) => {
  const pkt = withIp(out(), { df: true, tos: 0x2a }); // DSCP 10, ECT(0)
  const before = counter(Reason.FWD_IPIP_ENCAP);
  const r = egress(pkt);
  t.is(r.retval, TC_ACT_UNSPEC, 'continue (TC_ACT_UNSPEC)');
  t.is(counter(Reason.FWD_IPIP_ENCAP), before + 1);
  t.is(r.out.length, pkt.length + 20);
  t.is(macAt(r.out, 0), TOR_MAC, 'destination MAC: the outer next hop');
  t.is(macAt(r.out, 6), UP0_MAC);
  const o = outerHeader(r.out);
  t.deepEqual(o, {
    ethType: 0x0800, verIhl: 0x45, tos: 0x2a, totLen: pkt.length - 14 + 20, id: pkt.readUInt16BE(18), frag: 0x4000, ttl: 64, proto: 4,
    src: LOCAL, dst: '10.0.2.10', csumResidue: 0,
  });
  t.deepEqual(r.out.subarray(34), l3(pkt), 'inner packet byte-identical');
});

test.serial('encap IPv4 without DF: DF clear outside, a fresh ID, still a valid checksum', (t) => {
  const pkt = out({ l4: 'udp' });
  const o = outerHeader(egress(pkt).out);
  t.is(o.frag, 0);
  t.is(o.proto, 4);
  t.is(o.csumResidue, 0);
  t.not(outerHeader(egress(pkt).out).id === o.id && outerHeader(egress(pkt).out).id === o.id, true, 'ID varies between packets');
});

test.serial('encap towards a node on our own subnet: MACs of that node, not of the gateway the kernel chose', (t) => {
  const pkt = withIp(out({ dst: '10.244.5.9' }), { df: true });
  const r = egress(pkt);
  t.is(r.retval, TC_ACT_UNSPEC);
  t.is(macAt(r.out, 0), NODE_MAC);
  t.is(outerHeader(r.out).dst, '10.0.1.20');
  t.deepEqual(r.out.subarray(34), l3(pkt));
});

test.serial('encap with no neighbour entry for the outer next hop: bpf_redirect_neigh', (t) => {
  const before = counter(Reason.FWD_IPIP_ENCAP_NEIGH);
  const pkt = out({ dst: '10.244.3.3' });
  const r = egress(pkt);
  t.is(r.retval, TC_ACT_REDIRECT);
  t.is(counter(Reason.FWD_IPIP_ENCAP_NEIGH), before + 1);
  t.is(outerHeader(r.out).dst, '10.0.3.10');
  t.deepEqual(r.out.subarray(34), l3(pkt));
});

test.serial('encap with no route to the remote node: encapsulated, the kernel\'s L2 header kept', (t) => {
  const before = counter(Reason.FWD_IPIP_ENCAP_KEEP_L2);
  const pkt = out({ dst: '10.244.6.6' });
  const r = egress(pkt);
  t.is(r.retval, TC_ACT_UNSPEC);
  t.is(counter(Reason.FWD_IPIP_ENCAP_KEEP_L2), before + 1);
  t.deepEqual(r.out.subarray(0, 12), pkt.subarray(0, 12));
  t.is(outerHeader(r.out).dst, '10.9.9.9');
});

test.serial('encap IPv6 in IPv4: protocol 41, EtherType IPv4, DF set, traffic class copied, inner identical', (t) => {
  const pkt = out({ v6: true, l4: 'udp' });
  const r = egress(pkt);
  t.is(r.retval, TC_ACT_UNSPEC);
  const o = outerHeader(r.out);
  t.deepEqual(o, { ethType: 0x0800, verIhl: 0x45, tos: 0x12, totLen: pkt.length - 14 + 20, id: 0, frag: 0x4000, ttl: 64, proto: 41,
    src: LOCAL, dst: '10.0.2.10', csumResidue: 0 });
  t.is(macAt(r.out, 0), TOR_MAC);
  t.deepEqual(r.out.subarray(34), l3(pkt));
});

test.serial('outer TTL: 64 by default, the inner TTL when the config says 0 (inherit)', (t) => {
  const pkt = out({ ttl: 17 });
  t.is(outerHeader(egress(pkt).out).ttl, 64);
  maps.setConfig({ local: LOCAL, ttl: 0 });
  try {
    t.is(outerHeader(egress(pkt).out).ttl, 17);
  } finally {
    maps.setConfig({ local: LOCAL, ttl: 64 });
  }
});

test.serial('MTU: a 1480-byte packet is encapsulated to 1500; 1481 bytes is dropped and counted (the route MTU must stop it)', (t) => {
  const fits = withIp(out({ l4: 'udp', payload: Buffer.alloc(1480 - 28, 0x61) }), { df: true });
  t.is(fits.length - 14, 1480);
  const r = egress(fits);
  t.is(r.retval, TC_ACT_UNSPEC);
  t.is(r.out.length - 14, 1500);
  const big = withIp(out({ l4: 'udp', payload: Buffer.alloc(1481 - 28, 0x61) }), { df: true });
  const before = counter(Reason.DROP_IPIP_TOO_BIG);
  t.is(egress(big).retval, TC_ACT_SHOT);
  t.is(counter(Reason.DROP_IPIP_TOO_BIG), before + 1);
});

const egressPass: [string, () => Buffer][] = [
  ['IPv4 to an address outside every tunnelled pod CIDR (underlay traffic)', () => out({ src: LOCAL, dst: '10.0.2.10' })],
  ['IPv4 to a pod CIDR reached natively (not in rr_ipip_dst_v1)', () => out({ dst: '10.244.9.9' })],
  ['IPv6 to a pod CIDR not in rr_ipip_dst6_v1', () => out({ v6: true, dst: 'fd00:244:9::9' })],
  ['ARP', () => buildArp(UP0_MAC, LOCAL, '10.0.1.1')],
  ['an IP-in-IP packet already (never twice)', () => encapsulated(out(), { src: LOCAL, dst: '10.0.2.10' })],
];
for (const [title, make] of egressPass) {
  test.serial(`egress passes unchanged: ${title}`, (t) => {
    const pkt = make();
    const before = counter(Reason.PASS_IPIP_NOT_TUNNELED);
    const r = egress(pkt);
    t.is(r.retval, TC_ACT_UNSPEC);
    t.deepEqual(r.out, pkt);
    t.is(counter(Reason.PASS_IPIP_NOT_TUNNELED), before + 1);
  });
}

test.serial('egress with no local address configured passes everything', (t) => {
  maps.clearConfig();
  try {
    const pkt = out();
    const r = egress(pkt);
    t.is(r.retval, TC_ACT_UNSPEC);
    t.deepEqual(r.out, pkt);
  } finally {
    maps.setConfig({ local: LOCAL, ttl: 64 });
  }
});

test.serial('decap IPv4 in IPv4 from a known node: the inner packet, byte for byte, after the same Ethernet header', (t) => {
  for (const l4 of ['tcp', 'udp', 'icmp'] as const) {
    const inner = l3(fromRemotePod(false, { l4 }));
    const pkt = encapsulated(inner);
    const before = counter(Reason.FWD_IPIP_DECAP);
    const r = ingress(pkt);
    t.is(r.retval, TC_ACT_UNSPEC, `${l4}: continue to the next filter / the stack`);
    t.is(counter(Reason.FWD_IPIP_DECAP), before + 1);
    t.deepEqual(r.out.subarray(0, 14), pkt.subarray(0, 14), `${l4}: Ethernet header kept (EtherType IPv4)`);
    t.deepEqual(r.out.subarray(14), inner, `${l4}: inner packet untouched`);
  }
});

test.serial('decap IPv6 in IPv4: EtherType becomes IPv6, inner identical', (t) => {
  const inner = l3(fromRemotePod(true));
  const r = ingress(encapsulated(inner, { proto: 41 }));
  t.is(r.retval, TC_ACT_UNSPEC);
  t.is(r.out.readUInt16BE(12), 0x86dd);
  t.deepEqual(r.out.subarray(14), inner);
});

test.serial('decap, RFC 6040: outer CE over an ECT inner packet marks it CE (checksum fixed); over not-ECT it is dropped', (t) => {
  const ect = l3(withIp(fromRemotePod(), { tos: 0x02 }));
  const r = ingress(encapsulated(ect, { tos: 0x03 }));
  t.is(r.retval, TC_ACT_UNSPEC);
  t.is(r.out[15], 0x03, 'inner ECN = CE');
  t.is(csum16(r.out.subarray(14, 34)), 0, 'inner header checksum still valid');
  t.deepEqual(r.out.subarray(34), ect.subarray(20));
  const before = counter(Reason.DROP_IPIP_ECN);
  t.is(ingress(encapsulated(l3(fromRemotePod()), { tos: 0x03 })).retval, TC_ACT_SHOT);
  t.is(counter(Reason.DROP_IPIP_ECN), before + 1);
});

const ingressPass: [string, () => Buffer, Reason][] = [
  ['IP-in-IP from a source that is not a known node (no open decapsulation)', () => encapsulated(l3(fromRemotePod()), { src: '10.0.7.7' }), Reason.PASS_IPIP_UNKNOWN_PEER],
  ['IP-in-IP to another address than ours', () => encapsulated(l3(fromRemotePod()), { dst: '10.0.1.99' }), Reason.PASS_IPIP_NOT_FOR_US],
  ['first fragment of an IP-in-IP packet (MF)', () => encapsulated(l3(fromRemotePod()), { flags: 0x2000 }), Reason.PASS_IPIP_FRAGMENT],
  ['later fragment of an IP-in-IP packet (offset)', () => encapsulated(l3(fromRemotePod()), { flags: 185 }), Reason.PASS_IPIP_FRAGMENT],
  ['outer header with a bad checksum', () => encapsulated(l3(fromRemotePod()), { badCsum: true }), Reason.PASS_IPIP_MALFORMED],
  ['outer header with options', () => encapsulated(l3(fromRemotePod()), { ihl: 6 }), Reason.PASS_IPIP_MALFORMED],
  ['protocol 4 carrying an IPv6 header', () => encapsulated(l3(fromRemotePod(true)), { proto: 4 }), Reason.PASS_IPIP_MALFORMED],
  ['outer header with no inner header behind it', () => encapsulated(Buffer.alloc(8)), Reason.PASS_IPIP_MALFORMED],
  ['plain TCP to our address', () => buildPacket({ src: '10.0.2.10', dst: LOCAL, l4: 'tcp', srcMac: TOR_MAC, dstMac: UP0_MAC }), Reason.PASS_IPIP_NOT_FOR_US],
  ['IPv6', () => buildPacket({ src: 'fd00:1::1', dst: 'fd00:1::10', l4: 'udp', srcMac: TOR_MAC, dstMac: UP0_MAC }), Reason.PASS_IPIP_NOT_FOR_US],
  ['ARP (non-IP)', () => { const a = buildArp(TOR_MAC, '10.0.1.1', LOCAL); mac(UP0_MAC).copy(a, 0); return a; }, Reason.PASS_IPIP_NOT_FOR_US],
  ['IP-in-IP in a frame for another MAC', () => encapsulated(l3(fromRemotePod()), { dstMac: '02:00:00:00:77:77' }), Reason.PASS_IPIP_NOT_FOR_US],
];
for (const [title, make, reason] of ingressPass) {
  test.serial(`ingress passes unchanged: ${title}`, (t) => {
    const pkt = make();
    const before = counter(reason);
    const r = ingress(pkt);
    t.is(r.retval, TC_ACT_UNSPEC);
    t.deepEqual(r.out, pkt);
    t.is(counter(reason), before + 1, Reason[reason]);
  });
}

test.serial('a peer removed from the map is no longer decapsulated', (t) => {
  const pkt = encapsulated(l3(fromRemotePod()));
  maps.deletePeer('10.0.2.10');
  try {
    t.deepEqual(ingress(pkt).out, pkt);
  } finally {
    maps.setPeer('10.0.2.10');
  }
  t.is(ingress(pkt).out.length, pkt.length - 20);
});

test.serial('round trip: what egress encapsulates, ingress on the remote node gives back byte for byte', (t) => {
  const pkt = withIp(out(), { df: true });
  const wire = egress(pkt).out;
  // Play the remote node 10.0.2.10: it knows us as a peer.
  maps.setConfig({ local: '10.0.2.10', ttl: 64 });
  maps.setPeer(LOCAL);
  try {
    mac(UP0_MAC).copy(wire, 0);
    const r = ingress(wire);
    t.is(r.retval, TC_ACT_UNSPEC);
    t.deepEqual(r.out.subarray(14), l3(pkt));
  } finally {
    maps.deletePeer(LOCAL);
    maps.setConfig({ local: LOCAL, ttl: 64 });
  }
});

test.serial('cost per packet through BPF_PROG_TEST_RUN (repeat 1 per call: each run rewrites the packet)', (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'rripip-bench-'));
  try {
    const ctxE = join(tmp, 'ctxe'), ctxI = join(tmp, 'ctxi');
    writeFileSync(ctxE, skbCtx({ ifindex: up0, ingressIfindex: 0 }));
    writeFileSync(ctxI, skbCtx({ ifindex: up0, ingressIfindex: up0 }));
    const cases: [string, string, Buffer, string][] = [
      ['encap IPv4 (LPM + adjust_room + header + fib_lookup)', PROGRAM_IPIP_EGRESS, withIp(out(), { df: true }), ctxE],
      ['egress pass (not tunnelled)', PROGRAM_IPIP_EGRESS, out({ dst: '10.244.9.9' }), ctxE],
      ['decap IPv4', PROGRAM_IPIP_INGRESS, encapsulated(l3(fromRemotePod(false, { l4: 'tcp' }))), ctxI],
      ['ingress pass (not IP-in-IP)', PROGRAM_IPIP_INGRESS, buildPacket({ src: '10.0.2.10', dst: LOCAL, l4: 'tcp', srcMac: TOR_MAC, dstMac: UP0_MAC }), ctxI],
    ];
    for (const [label, prog, pkt, ctx] of cases) {
      const data = join(tmp, 'data');
      writeFileSync(data, pkt);
      const res = JSON.parse(execFileSync('nsenter', [`--net=/run/netns/${ns.name}`, '--', join(DEFAULT_BUILD_DIR, 'rr_prog_run'),
        loader.programPin(prog as typeof PROGRAM_IPIP_EGRESS), data, ctx, '1', '20000'], { encoding: 'utf8' })) as { median_ns: number; min_ns: number };
      t.log(`${label}: median ${res.median_ns} ns, min ${res.min_ns} ns per packet`);
      console.log(`ipip bench: ${label}: median ${res.median_ns} ns/packet (min ${res.min_ns})`);
      t.true(res.median_ns > 0);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
