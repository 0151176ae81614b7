// rr_ingress packet by packet through BPF_PROG_TEST_RUN, in a namespace with real routes and neighbours:
// packet in -> verdict, reason counted, and bytes out (MACs, TTL / hop limit, checksums). The maps are filled
// through the TypeScript writers, the way the agent fills them. Needs root (CI runs as root).
import test from 'ava';
import { DatapathLoader, onlyDefaultRules } from '../../src/dataplane/ebpf/loader.js';
import { hostExec } from '../../src/dataplane/ebpf/exec.js';
import { CFG_F_FIB_DIRECT, CFG_F_REDIRECT_NEIGH, IFACE_F_ATTACHED, IFACE_F_POD, POD_F_LOCAL, POD_F_REMOTE } from '../../src/dataplane/ebpf/layout.js';
import { syncPodCidrs } from '../../src/dataplane/ebpf/sync.js';
import { Reason } from '../../src/dataplane/ebpf/reasons.generated.js';
import { Netns, ensureBpffs, isRoot } from './helpers/netns.js';
import { progRun, skbCtx } from './helpers/progrun.js';
import { uplinkNode } from './helpers/topo.js';
import { buildArp, buildPacket, csum16, ipv4HeaderChecksumResidue, macAt, type L4, type PacketSpec } from './helpers/packets.js';

const TC_ACT_OK = 0;
const TC_ACT_REDIRECT = 7;
const TOR_MAC = '02:00:00:00:aa:01';
const POD_MAC = '02:00:00:00:01:11';

const POD_CIDRS = new Map([
  ['10.244.1.0/24', POD_F_LOCAL], ['fd00:244:1::/64', POD_F_LOCAL],
  ['10.244.2.0/24', POD_F_REMOTE], ['fd00:244:2::/64', POD_F_REMOTE],
  ['10.244.3.0/24', POD_F_REMOTE], ['fd00:244:3::/64', POD_F_REMOTE],
  ['10.244.4.0/24', POD_F_REMOTE], ['10.244.9.0/24', POD_F_REMOTE], ['fd00:244:9::/64', POD_F_REMOTE],
]);

let ns: Netns;
let loader: DatapathLoader;
let up0: { ifindex: number; mac: string };
let lxc1: { ifindex: number; mac: string };

test.before(async () => {
  if (!isRoot()) throw new Error('test/bpf needs root (BPF_PROG_TEST_RUN, network namespaces); CI runs it as root');
  ensureBpffs();
  ns = new Netns('f');
  uplinkNode(ns, { lxcMac: '02:00:00:00:01:10', podMac: POD_MAC, torMac: TOR_MAC, dualStack: true });
  ns.lines(`
    ip route add 10.244.2.0/24 via 10.0.1.1
    ip -6 route add fd00:244:2::/64 via fd00:1::1
    ip route add 10.244.3.0/24 via 10.0.1.2
    ip -6 route add fd00:244:3::/64 via fd00:1::2
    ip route add blackhole 10.244.4.0/24
    ip route add 10.244.1.5/32 dev lxc1
    ip -6 route add fd00:244:1::5/128 dev lxc1
    ip neigh replace 10.244.1.5 lladdr ${POD_MAC} dev lxc1 nud permanent
    ip -6 neigh replace fd00:244:1::5 lladdr ${POD_MAC} dev lxc1 nud permanent
  `);
  up0 = { ifindex: ns.ifindex('up0'), mac: ns.mac('up0') };
  lxc1 = { ifindex: ns.ifindex('lxc1'), mac: ns.mac('lxc1') };
  loader = new DatapathLoader({ pinDir: `/sys/fs/bpf/${ns.name}`, exec: hostExec(ns.name) });
  const loaded = await loader.load();
  if (loaded.programs[0]?.name !== 'rr_ingress') throw new Error(`unexpected programs: ${JSON.stringify(loaded)}`);
  // The way the agent fills the maps: a level-triggered sync of the pod CIDRs, and the managed devices.
  const result = syncPodCidrs(loader.maps(), POD_CIDRS);
  if (result.added.length !== POD_CIDRS.size) throw new Error(`sync added ${JSON.stringify(result)}`);
  loader.maps().setIface(lxc1.ifindex, IFACE_F_ATTACHED | IFACE_F_POD);
});

test.after.always(async () => {
  await loader?.destroy().catch(() => undefined);
  ns?.delete();
});


test.serial('the maps hold what the TypeScript writers put there; a second sync changes nothing', (t) => {
  const maps = loader.maps();
  const sorted = (m: Iterable<[string, number]>) => [...m].sort((a, b) => a[0].localeCompare(b[0]));
  t.deepEqual(sorted(maps.listPodCidrs().map((e) => [e.cidr, e.flags])), sorted(POD_CIDRS));
  t.deepEqual(maps.listIfaces(), [{ ifindex: lxc1.ifindex, flags: IFACE_F_ATTACHED | IFACE_F_POD }]);
  t.deepEqual(syncPodCidrs(maps, POD_CIDRS), { added: [], updated: [], removed: [] });
});

interface Case {
  readonly title: string;
  readonly pkt: Buffer;
  readonly ingress: 'up0' | 'lxc1';
  readonly verdict: number;
  readonly reason: Reason;
  /** for redirects: expected MACs after the rewrite */
  readonly macs?: { dst: string; src: () => string };
}

const fromPod = (over: Partial<PacketSpec> & { l4: L4; v6?: boolean }): Buffer => buildPacket({
  src: over.v6 ? 'fd00:244:1::5' : '10.244.1.5', dst: over.v6 ? 'fd00:244:2::7' : '10.244.2.7',
  srcMac: POD_MAC, dstMac: '02:00:00:00:01:10', ...over,
});
const fromUplink = (over: Partial<PacketSpec> & { l4: L4; v6?: boolean }): Buffer => buildPacket({
  src: over.v6 ? 'fd00:244:2::7' : '10.244.2.7', dst: over.v6 ? 'fd00:244:1::5' : '10.244.1.5',
  srcMac: TOR_MAC, dstMac: '02:00:00:00:00:10', ...over,
});
const toTor = { dst: TOR_MAC, src: () => up0.mac };
const toPod = { dst: POD_MAC, src: () => lxc1.mac };

const cases: Case[] = [];
for (const v6 of [false, true]) {
  const fam = v6 ? 'IPv6' : 'IPv4';
  for (const l4 of ['tcp', 'udp', 'icmp'] as const) {
    cases.push({ title: `${fam} ${l4} pod -> remote pod: redirect to the uplink`, pkt: fromPod({ l4, v6 }), ingress: 'lxc1',
      verdict: TC_ACT_REDIRECT, reason: Reason.FWD_REDIRECT, macs: toTor });
    cases.push({ title: `${fam} ${l4} uplink -> local pod: redirect_peer into the pod`, pkt: fromUplink({ l4, v6 }), ingress: 'up0',
      verdict: TC_ACT_REDIRECT, reason: Reason.FWD_REDIRECT_PEER, macs: toPod });
  }
  cases.push({ title: `${fam} TTL 2 is forwarded with TTL 1`, pkt: fromPod({ l4: 'udp', v6, ttl: 2 }), ingress: 'lxc1',
    verdict: TC_ACT_REDIRECT, reason: Reason.FWD_REDIRECT, macs: toTor });
  cases.push({ title: `${fam} TTL 1 goes to the stack (ICMP time exceeded is the kernel's)`, pkt: fromPod({ l4: 'udp', v6, ttl: 1 }),
    ingress: 'lxc1', verdict: TC_ACT_OK, reason: Reason.PASS_TTL });
  cases.push({ title: `${fam} TTL 0 goes to the stack`, pkt: fromPod({ l4: 'tcp', v6, ttl: 0 }),
    ingress: 'lxc1', verdict: TC_ACT_OK, reason: Reason.PASS_TTL });
  cases.push({ title: `${fam} FIB miss goes to the stack`, pkt: fromPod({ l4: 'tcp', v6, dst: v6 ? 'fd00:244:9::9' : '10.244.9.9' }),
    ingress: 'lxc1', verdict: TC_ACT_OK, reason: Reason.PASS_FIB_NOT_FWDED });
  cases.push({ title: `${fam} next hop without a neighbour entry goes to the stack`,
    pkt: fromPod({ l4: 'tcp', v6, dst: v6 ? 'fd00:244:3::3' : '10.244.3.3' }), ingress: 'lxc1', verdict: TC_ACT_OK,
    reason: Reason.PASS_FIB_NO_NEIGH });
  cases.push({ title: `${fam} local destination goes to the stack`, pkt: fromUplink({ l4: 'icmp', v6, dst: v6 ? 'fd00:244:1::1' : '10.244.1.1' }),
    ingress: 'up0', verdict: TC_ACT_OK, reason: Reason.PASS_FIB_NOT_FWDED });
  cases.push({ title: `${fam} non-pod traffic goes to the stack`,
    pkt: fromUplink({ l4: 'tcp', v6, src: v6 ? 'fd00:1::20' : '10.0.1.20', dst: v6 ? 'fd00:99::1' : '192.168.5.5' }),
    ingress: 'up0', verdict: TC_ACT_OK, reason: Reason.PASS_NOT_POD });
  cases.push({ title: `${fam} uplink -> remote pod back out of the uplink (hairpin) goes to the stack`,
    pkt: fromUplink({ l4: 'udp', v6, dst: v6 ? 'fd00:244:2::8' : '10.244.2.8' }), ingress: 'up0', verdict: TC_ACT_OK,
    reason: Reason.PASS_HAIRPIN });
  cases.push({ title: `${fam} frame for another MAC goes to the stack`, pkt: fromPod({ l4: 'tcp', v6, dstMac: '02:00:00:00:77:77' }),
    ingress: 'lxc1', verdict: TC_ACT_OK, reason: Reason.PASS_NOT_HOST });
}
cases.push(
  { title: 'IPv4 first fragment (MF) goes to the stack', pkt: fromPod({ l4: 'udp', moreFragments: true }), ingress: 'lxc1',
    verdict: TC_ACT_OK, reason: Reason.PASS_FRAGMENT },
  { title: 'IPv4 later fragment (offset) goes to the stack', pkt: fromPod({ l4: 'udp', fragOffset: 185 }), ingress: 'lxc1',
    verdict: TC_ACT_OK, reason: Reason.PASS_FRAGMENT },
  { title: 'IPv6 fragment header goes to the stack', pkt: fromPod({ l4: 'udp', v6: true, ipv6Fragment: true }), ingress: 'lxc1',
    verdict: TC_ACT_OK, reason: Reason.PASS_FRAGMENT },
  { title: 'IPv4 with options goes to the stack', pkt: fromPod({ l4: 'tcp', ipOptions: 4 }), ingress: 'lxc1',
    verdict: TC_ACT_OK, reason: Reason.PASS_IP_OPTIONS },
  { title: 'IPv4 blackhole route goes to the stack', pkt: fromPod({ l4: 'tcp', dst: '10.244.4.4' }), ingress: 'lxc1',
    verdict: TC_ACT_OK, reason: Reason.PASS_FIB_UNREACHABLE },
  { title: 'IPv6 link-local destination goes to the stack', pkt: fromPod({ l4: 'udp', v6: true, dst: 'fe80::1' }), ingress: 'lxc1',
    verdict: TC_ACT_OK, reason: Reason.PASS_LINK_SCOPE },
  { title: 'ARP (non-IP) goes to the stack', pkt: Buffer.concat([buildArp(POD_MAC, '10.244.1.5', '10.244.1.1').subarray(0, 42)]),
    ingress: 'lxc1', verdict: TC_ACT_OK, reason: Reason.PASS_NOT_IP },
);

function ifc(name: 'up0' | 'lxc1') {
  return name === 'up0' ? up0 : lxc1;
}

function counter(reason: Reason): number {
  return loader.maps().readCounters().find((c) => c.id === reason)?.packets ?? -1;
}

function run(pkt: Buffer, ingress: 'up0' | 'lxc1') {
  const i = ifc(ingress).ifindex;
  return progRun(ns.name, loader.programPin, pkt, skbCtx({ ifindex: i, ingressIfindex: i }));
}

for (const c of cases) {
  test.serial(c.title, (t) => {
    // The ARP case uses a broadcast MAC; the kernel marks it PACKET_BROADCAST, which is also "not ours".
    const before = counter(c.reason);
    const arp = c.reason === Reason.PASS_NOT_IP;
    const r = run(c.pkt, c.ingress);
    t.is(r.retval, c.verdict, 'verdict');
    if (arp) t.is(counter(Reason.PASS_NOT_HOST) >= 1, true);
    else t.is(counter(c.reason), before + 1, `counter ${Reason[c.reason]}`);
    t.is(r.out.length, c.pkt.length, 'length unchanged');
    if (c.verdict === TC_ACT_OK) {
      t.deepEqual(r.out, c.pkt, 'a passed packet is unchanged');
      return;
    }
    const v6 = c.pkt.readUInt16BE(12) === 0x86dd;
    const ttlAt = v6 ? 14 + 7 : 14 + 8;
    if (!c.macs) throw new Error('a redirect case names its MACs');
    t.is(macAt(r.out, 0), c.macs.dst, 'destination MAC = the next hop\'s');
    t.is(macAt(r.out, 6), c.macs.src(), 'source MAC = the egress device\'s');
    t.is(r.out[ttlAt], c.pkt[ttlAt] - 1, 'TTL / hop limit decremented');
    if (!v6) t.is(ipv4HeaderChecksumResidue(r.out), 0, 'IPv4 header checksum valid');
    // Everything after the L3 header's TTL/checksum (addresses, L4 header and its checksum, payload) is unchanged.
    const l3Start = 14 + (v6 ? 8 : 12);
    t.deepEqual(r.out.subarray(l3Start), c.pkt.subarray(l3Start), 'addresses, L4 header, L4 checksum, payload unchanged');
  });
}

test.serial('ARP (non-IP) from a unicast MAC is counted as not IP', (t) => {
  const arp = buildArp(POD_MAC, '10.244.1.5', '10.244.1.1');
  Buffer.from('02:00:00:00:01:10'.split(':').map((h) => parseInt(h, 16))).copy(arp, 0);
  const before = counter(Reason.PASS_NOT_IP);
  const r = run(arp, 'lxc1');
  t.is(r.retval, TC_ACT_OK);
  t.deepEqual(r.out, arp);
  t.is(counter(Reason.PASS_NOT_IP), before + 1);
});

test.serial('without the pod flag on the target device, plain bpf_redirect is used (never redirect_peer)', (t) => {
  const maps = loader.maps();
  maps.setIface(lxc1.ifindex, IFACE_F_ATTACHED);
  try {
    const r = run(fromUplink({ l4: 'tcp' }), 'up0');
    t.is(r.retval, TC_ACT_REDIRECT);
    t.is(macAt(r.out, 0), POD_MAC);
    const before = counter(Reason.FWD_REDIRECT);
    run(fromUplink({ l4: 'tcp' }), 'up0');
    t.is(counter(Reason.FWD_REDIRECT), before + 1);
  } finally {
    maps.setIface(lxc1.ifindex, IFACE_F_ATTACHED | IFACE_F_POD);
  }
});

test.serial('with redirect-neigh on, a next hop without a neighbour entry is redirected through bpf_redirect_neigh', (t) => {
  const maps = loader.maps();
  maps.setConfigFlags(CFG_F_REDIRECT_NEIGH);
  try {
    for (const v6 of [false, true]) {
      const pkt = fromPod({ l4: 'tcp', v6, dst: v6 ? 'fd00:244:3::3' : '10.244.3.3' });
      const before = counter(Reason.FWD_REDIRECT_NEIGH);
      const r = run(pkt, 'lxc1');
      t.is(r.retval, TC_ACT_REDIRECT);
      t.is(counter(Reason.FWD_REDIRECT_NEIGH), before + 1);
      t.deepEqual(r.out.subarray(0, 12), pkt.subarray(0, 12), 'MACs left to the kernel\'s neighbour output');
      const ttlAt = v6 ? 21 : 22;
      t.is(r.out[ttlAt], pkt[ttlAt] - 1);
      if (!v6) t.is(ipv4HeaderChecksumResidue(r.out), 0);
    }
  } finally {
    maps.setConfigFlags(0);
  }
});

test.serial('a pod CIDR removed from the map takes traffic off the fast path', (t) => {
  const maps = loader.maps();
  t.true(maps.deletePodCidr('10.244.2.0/24'));
  t.true(maps.deletePodCidr('10.244.1.0/24'));
  try {
    const r = run(fromPod({ l4: 'tcp' }), 'lxc1');
    t.is(r.retval, TC_ACT_OK);
  } finally {
    maps.upsertPodCidr('10.244.2.0/24', POD_F_REMOTE);
    maps.upsertPodCidr('10.244.1.0/24', POD_F_LOCAL);
  }
});

test.serial('IPv4 / IPv6 that fail the stack\'s header checks go to the stack unchanged', (t) => {
  const badSum = fromPod({ l4: 'tcp' });
  badSum[14 + 10] ^= 0x01;
  const longV4 = fromPod({ l4: 'tcp' });
  longV4.writeUInt16BE(longV4.readUInt16BE(16) + 100, 16); // tot_len beyond the packet
  longV4.writeUInt16BE(0, 24);
  longV4.writeUInt16BE(ipv4Csum(longV4), 24);
  const longV6 = fromPod({ l4: 'udp', v6: true });
  longV6.writeUInt16BE(longV6.readUInt16BE(18) + 100, 18);
  const jumbo = fromPod({ l4: 'udp', v6: true });
  jumbo.writeUInt16BE(0, 18);
  const truncatedL4 = fromPod({ l4: 'tcp' }).subarray(0, 14 + 20 + 2);
  for (const pkt of [badSum, longV4, longV6, jumbo, Buffer.from(truncatedL4)]) {
    const before = counter(Reason.PASS_MALFORMED);
    const r = run(pkt, 'lxc1');
    t.is(r.retval, TC_ACT_OK);
    t.deepEqual(r.out, pkt);
    t.is(counter(Reason.PASS_MALFORMED), before + 1);
  }
});

function ipv4Csum(pkt: Buffer): number {
  return csum16(pkt.subarray(14, 34));
}

test.serial('with fib-direct on (only default rules here), the FIB answers are the same', async (t) => {
  t.true(await onlyDefaultRules(hostExec(ns.name)));
  const maps = loader.maps();
  maps.setConfigFlags(CFG_F_FIB_DIRECT);
  try {
    for (const c of cases.filter((x) => x.reason === Reason.FWD_REDIRECT || x.reason === Reason.PASS_FIB_NOT_FWDED
      || x.reason === Reason.PASS_FIB_NO_NEIGH)) {
      const r = run(c.pkt, c.ingress);
      t.is(r.retval, c.verdict, c.title);
      if (c.macs) t.is(macAt(r.out, 0), c.macs.dst, c.title);
    }
  } finally {
    maps.setConfigFlags(0);
  }
});
