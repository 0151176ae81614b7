// The next-hop cache of rr_ingress (bpf/lib/nexthop.h, rr_nh_v1): traffic from a local pod to a remote pod CIDR
// whose pod entry names a group of cached next hops skips bpf_fib_lookup (MACs from the group, TTL, bpf_redirect,
// fwd_nexthop). Anything uncertain (no group, a cleared one, a device gone, a packet or GSO segment too big, a
// tunnelled destination, a hairpin, a LOCAL entry, a source-only match, a bad count) gets exactly the FIB path's
// verdict. And the writer's rules (maps.ts / nexthop-groups.ts): a group is never rewritten while named, a released
// index is not written again before the next sync, upsertPodCidr keeps nh, the state is rebuilt on open, and the
// in-memory fake answers as the pinned maps do. Maps filled through the TypeScript writers. Needs root.
import test, { type ExecutionContext } from 'ava';
import { DatapathLoader } from '../../src/dataplane/ebpf/loader.js';
import { hostExec } from '../../src/dataplane/ebpf/exec.js';
import { IpipLoader, IpipMaps } from '../../src/dataplane/ebpf/ipip.js';
import { discoverNexthops } from '../../src/dataplane/ebpf/nexthops.js';
import { PinnedBpfMaps } from '../../src/dataplane/ebpf/maps.js';
import { MemoryBpfMaps } from '../../src/dataplane/ebpf/memory.js';
import {
  IFACE_F_ATTACHED, IFACE_F_POD, MAP_NAMES, NH_GROUPS, POD_F_LOCAL, POD_F_REMOTE, encodePodInfo, encodePodKey, parseCidr, type Nexthop,
} from '../../src/dataplane/ebpf/layout.js';
import type { BpfMapPort, NexthopCacheEntry } from '../../src/dataplane/ebpf/port.js';
import { syncPodCidrs } from '../../src/dataplane/ebpf/sync.js';
import { Reason } from '../../src/dataplane/ebpf/reasons.generated.js';
import { Netns, ensureBpffs, isRoot, sh } from './helpers/netns.js';
import { progRun, skbCtx } from './helpers/progrun.js';
import { uplinkNode } from './helpers/topo.js';
import { buildPacket, ipv4HeaderChecksumResidue, macAt, type L4, type PacketSpec } from './helpers/packets.js';

const TC_ACT_OK = 0;
const TC_ACT_REDIRECT = 7;
const TOR_MAC = '02:00:00:00:aa:01';
const TOR2_MAC = '02:00:00:00:aa:02';
const POD_MAC = '02:00:00:00:01:11';
const LXC_MAC = '02:00:00:00:01:10';
const UP1_MAC = '02:00:00:00:00:20';

const REMOTE4 = '10.244.9.0/24', REMOTE6 = 'fd00:244:9::/64', TUNNELED4 = '10.244.8.0/24', OTHER4 = '10.244.7.0/24';
const POD_CIDRS = new Map([
  ['10.244.1.0/24', POD_F_LOCAL], ['fd00:244:1::/64', POD_F_LOCAL],
  [REMOTE4, POD_F_REMOTE], [REMOTE6, POD_F_REMOTE], [TUNNELED4, POD_F_REMOTE], [OTHER4, POD_F_REMOTE],
]);

let ns: Netns;
let loader: DatapathLoader;
let ipip: IpipLoader;
let ipipMaps: IpipMaps;
let up0: { ifindex: number; mac: string };
let up1: { ifindex: number; mac: string };
let lxc1: { ifindex: number; mac: string };

// up0 (10.0.1.10/24) towards the ToR 10.0.1.1 and up1 (10.0.2.10/24) towards a second ToR 10.0.2.1, permanent
// neighbours; lxc1 a pod veth with pod 10.244.1.5. Remote pod CIDRs 10.244.9.0/24, fd00:244:9::/64 and
// 10.244.7.0/24 via the first ToR; 10.244.8.0/24 carried by IP-in-IP (route mtu 1480, in rr_ipip_dst_v1), as in
// fwd-mtu.test.ts. Both program sets in one pin directory, as the agent loads them.
test.before(async () => {
  if (!isRoot()) throw new Error('test/bpf needs root (BPF_PROG_TEST_RUN, network namespaces); CI runs it as root');
  ensureBpffs();
  ns = new Netns('nh');
  uplinkNode(ns, { lxcMac: LXC_MAC, podMac: POD_MAC, torMac: TOR_MAC, dualStack: true });
  ns.lines(`
    ip link add up1 address ${UP1_MAC} type veth peer name up1p
    ip link set up1 up
    ip link set up1p up
    ip addr add 10.0.2.10/24 dev up1
    ip neigh replace 10.0.2.1 lladdr ${TOR2_MAC} dev up1 nud permanent
    ip route add ${REMOTE4} via 10.0.1.1
    ip -6 route add ${REMOTE6} via fd00:1::1
    ip route add ${OTHER4} via 10.0.1.1
    ip route add ${TUNNELED4} via 10.0.1.1 dev up0 mtu 1480
    ip route add 192.168.5.0/24 via 10.0.1.1
    ip route add 10.244.1.5/32 dev lxc1
    ip neigh replace 10.244.1.5 lladdr ${POD_MAC} dev lxc1 nud permanent
  `);
  up0 = { ifindex: ns.ifindex('up0'), mac: ns.mac('up0') };
  up1 = { ifindex: ns.ifindex('up1'), mac: ns.mac('up1') };
  lxc1 = { ifindex: ns.ifindex('lxc1'), mac: ns.mac('lxc1') };
  const pinDir = `/sys/fs/bpf/${ns.name}`;
  ipip = new IpipLoader({ pinDir, exec: hostExec(ns.name) });
  await ipip.load();
  ipipMaps = new IpipMaps(pinDir);
  ipipMaps.setConfig({ local: '10.0.1.10', ttl: 64 });
  ipipMaps.sync([{ podCidr: TUNNELED4, remote: '10.0.3.10' }]);
  loader = new DatapathLoader({ pinDir, exec: hostExec(ns.name) });
  await loader.load();
  syncPodCidrs(loader.maps(), POD_CIDRS);
  loader.maps().setIface(lxc1.ifindex, IFACE_F_ATTACHED | IFACE_F_POD);
});

test.after.always(async () => {
  ipipMaps?.close();
  await loader?.destroy().catch(() => undefined);
  ns?.delete();
});

const maps = (): PinnedBpfMaps => loader.maps() as PinnedBpfMaps;

function counter(reason: Reason): number {
  return loader.maps().readCounters().find((c) => c.id === reason)?.packets ?? -1;
}

const viaTor = (): Nexthop => ({ ifindex: up0.ifindex, dmac: TOR_MAC, smac: up0.mac });
const viaTor2 = (): Nexthop => ({ ifindex: up1.ifindex, dmac: TOR2_MAC, smac: up1.mac });
const viaTor3 = (): Nexthop => ({ ifindex: up1.ifindex, dmac: '02:00:00:00:aa:03', smac: up1.mac });

/** A packet from the local pod (in at lxc1) to a remote pod, or from anywhere with `over`. */
const fromPod = (over: Partial<PacketSpec> & { l4: L4; v6?: boolean }): Buffer => buildPacket({
  src: over.v6 ? 'fd00:244:1::5' : '10.244.1.5', dst: over.v6 ? 'fd00:244:9::7' : '10.244.9.7', srcMac: POD_MAC, dstMac: LXC_MAC, ...over,
});

function run(pkt: Buffer, ingress = lxc1.ifindex, ctx = skbCtx({ ifindex: ingress, ingressIfindex: ingress })) {
  return progRun(ns.name, loader.programPin, pkt, ctx);
}

/** The packet's verdict and its one counted reason; for a redirect, the bytes out are returned. */
function expect(t: ExecutionContext, pkt: Buffer, verdict: number, reason: Reason, opts: { ingress?: number; ctx?: Buffer } = {}): Buffer {
  const before = counter(reason);
  const r = run(pkt, opts.ingress, opts.ctx);
  t.is(r.retval, verdict, `verdict (${Reason[reason]} wanted)`);
  t.is(counter(reason), before + 1, `counted as ${Reason[reason]}`);
  if (verdict === TC_ACT_OK) t.deepEqual(r.out, pkt, 'a passed packet is unchanged');
  return r.out;
}

/** Redirected out of `via` (MACs), TTL / hop limit - 1, IPv4 checksum valid, the rest unchanged. */
function forwarded(t: ExecutionContext, pkt: Buffer, out: Buffer, via: Nexthop): void {
  const v6 = pkt.readUInt16BE(12) === 0x86dd;
  const ttlAt = v6 ? 21 : 22;
  t.is(macAt(out, 0), via.dmac, 'destination MAC = the next hop\'s');
  t.is(macAt(out, 6), via.smac, 'source MAC = the egress device\'s');
  t.is(out[ttlAt], pkt[ttlAt] - 1, 'TTL / hop limit decremented');
  if (!v6) t.is(ipv4HeaderChecksumResidue(out), 0, 'IPv4 header checksum valid');
  const l3Start = 14 + (v6 ? 8 : 12);
  t.deepEqual(out.subarray(l3Start), pkt.subarray(l3Start), 'addresses, L4 header and payload unchanged');
}

function cache(entries: NexthopCacheEntry[]) {
  return loader.maps().syncNexthops(entries);
}

/** A pod packet whose verdict with the cache must be the FIB path's, exactly: run without a group first, then with. */
function sameAsFibPath(t: ExecutionContext, pkt: Buffer, entries: NexthopCacheEntry[], ingress = lxc1.ifindex, ctx?: Buffer): void {
  cache([]);
  const before = run(pkt, ingress, ctx);
  cache(entries);
  try {
    const counts = loader.maps().readCounters();
    const after = run(pkt, ingress, ctx);
    t.is(after.retval, before.retval, 'the FIB path\'s verdict');
    t.deepEqual(after.out, before.out, 'the FIB path\'s bytes');
    const moved = loader.maps().readCounters().filter((c, i) => c.packets !== counts[i].packets).map((c) => c.id);
    t.is(moved.length, 1);
    t.not(moved[0], Reason.FWD_NEXTHOP, 'not the next-hop cache');
  } finally {
    cache([]);
  }
}

const FAMILIES = [{ v6: false, cidr: REMOTE4 }, { v6: true, cidr: REMOTE6 }];

test.serial('without cached next hops (nh 0) a remote pod CIDR takes the FIB path; the map is pinned with its layout', (t) => {
  t.deepEqual(loader.maps().listNexthops(), []);
  const nh = maps().summaries().find((m) => m.name === MAP_NAMES.nh);
  t.like(nh, { type: 'array', keySize: 4, valueSize: 72, maxEntries: NH_GROUPS });
  for (const { v6 } of FAMILIES) {
    const pkt = fromPod({ l4: 'udp', v6 });
    forwarded(t, pkt, expect(t, pkt, TC_ACT_REDIRECT, Reason.FWD_REDIRECT), viaTor());
  }
});

for (const { v6, cidr } of FAMILIES) {
  for (const l4 of ['tcp', 'udp', 'icmp'] as const) {
    test.serial(`${v6 ? 'IPv6' : 'IPv4'} ${l4} pod -> remote pod with cached next hops: fwd_nexthop, the same bytes as the FIB path`, (t) => {
      const pkt = fromPod({ l4, v6 });
      cache([]);
      const fib = expect(t, pkt, TC_ACT_REDIRECT, Reason.FWD_REDIRECT);
      t.deepEqual(cache([{ cidr, nexthops: [viaTor()] }]), { added: [cidr], updated: [], removed: [] });
      try {
        const out = expect(t, pkt, TC_ACT_REDIRECT, Reason.FWD_NEXTHOP);
        forwarded(t, pkt, out, viaTor());
        t.deepEqual(out, fib, 'byte for byte what the FIB path sends');
        // TTL 2 leaves with 1; TTL 1 is still the stack's (checked before any lookup)
        forwarded(t, fromPod({ l4, v6, ttl: 2 }), expect(t, fromPod({ l4, v6, ttl: 2 }), TC_ACT_REDIRECT, Reason.FWD_NEXTHOP), viaTor());
        expect(t, fromPod({ l4, v6, ttl: 1 }), TC_ACT_OK, Reason.PASS_TTL);
      } finally {
        cache([]);
      }
    });
  }
}

test.serial('two next hops: each flow always takes the same one, different flows take both', (t) => {
  for (const { v6, cidr } of FAMILIES) {
    cache([{ cidr, nexthops: [viaTor2(), viaTor()] }]);
    try {
      t.deepEqual(loader.maps().listNexthops(), [{ cidr, nexthops: [viaTor(), viaTor2()].sort((a, b) => a.ifindex - b.ifindex) }]);
      const seen = new Map<string, number>();
      for (let i = 1; i <= 24; i++) {
        // flows differ by destination, and by source port for one destination (UDP; IPv4 checksum 0: none)
        const pkt = i <= 12 ? fromPod({ l4: 'tcp', v6, dst: v6 ? `fd00:244:9::${i}` : `10.244.9.${i}` }) : fromPod({ l4: 'udp', v6 });
        if (i > 12) {
          const l4 = 14 + (v6 ? 40 : 20);
          pkt.writeUInt16BE(40000 + i, l4);
          if (!v6) pkt.writeUInt16BE(0, l4 + 6);
        }
        const first = expect(t, pkt, TC_ACT_REDIRECT, Reason.FWD_NEXTHOP);
        const via = macAt(first, 6) === up0.mac ? viaTor() : viaTor2();
        forwarded(t, pkt, first, via);
        for (let k = 0; k < 3; k++) t.deepEqual(run(pkt).out, first, `flow ${i}: the same next hop every time`);
        seen.set(via.dmac, (seen.get(via.dmac) ?? 0) + 1);
      }
      t.deepEqual([...seen.keys()].sort(), [TOR_MAC, TOR2_MAC], `both next hops used (${JSON.stringify([...seen])})`);
    } finally {
      cache([]);
    }
  }
});

test.serial('cleared (clearNexthops) or never cached: the FIB path\'s verdict', (t) => {
  for (const { v6, cidr } of FAMILIES) {
    cache([{ cidr, nexthops: [viaTor2()] }]);
    expect(t, fromPod({ l4: 'tcp', v6 }), TC_ACT_REDIRECT, Reason.FWD_NEXTHOP);
    t.is(loader.maps().clearNexthops([cidr]), 1);
    t.is(loader.maps().clearNexthops([cidr]), 0, 'nothing left to clear');
    t.deepEqual(loader.maps().listNexthops(), []);
    forwarded(t, fromPod({ l4: 'tcp', v6 }), expect(t, fromPod({ l4: 'tcp', v6 }), TC_ACT_REDIRECT, Reason.FWD_REDIRECT), viaTor());
  }
  cache([{ cidr: REMOTE4, nexthops: [viaTor2()] }, { cidr: REMOTE6, nexthops: [viaTor2()] }]);
  t.is(loader.maps().clearNexthops(), 2, 'all of them');
  sameAsFibPath(t, fromPod({ l4: 'udp' }), []);
});

test.serial('a next hop whose device is gone: the FIB path', (t) => {
  for (const { v6, cidr } of FAMILIES) {
    sameAsFibPath(t, fromPod({ l4: 'tcp', v6 }), [{ cidr, nexthops: [{ ...viaTor2(), ifindex: 999_999 }] }]);
  }
});

test.serial('a packet too big for the next hop\'s device, or a GSO segment too big: the FIB path (frag-needed from the stack)', (t) => {
  ns.run(['ip', 'link', 'set', 'up0', 'mtu', '1300']);
  try {
    for (const { v6, cidr } of FAMILIES) {
      cache([{ cidr, nexthops: [viaTor()] }]);
      try {
        expect(t, fromPod({ l4: 'udp', v6, payload: Buffer.alloc(1350) }), TC_ACT_OK, Reason.PASS_FIB_FRAG_NEEDED);
        expect(t, fromPod({ l4: 'udp', v6, payload: Buffer.alloc(1200) }), TC_ACT_REDIRECT, Reason.FWD_NEXTHOP);
      } finally {
        cache([]);
      }
    }
    // GSO: bpf_check_mtu says "fits" for any GSO skb; the segment (40 + 1400 bytes) is compared with the MTU.
    const gso = (seg: number) => {
      const pkt = fromPod({ l4: 'tcp', payload: Buffer.alloc(seg * 2, 0x62) });
      return { pkt, ctx: skbCtx({ ifindex: lxc1.ifindex, ingressIfindex: lxc1.ifindex, gso: { segs: 2, size: seg } }) };
    };
    const big = gso(1400);
    sameAsFibPath(t, big.pkt, [{ cidr: REMOTE4, nexthops: [viaTor()] }], lxc1.ifindex, big.ctx);
    t.is(run(big.pkt, lxc1.ifindex, big.ctx).retval, TC_ACT_OK, 'FIB: frag-needed');
    const fits = gso(1200);
    cache([{ cidr: REMOTE4, nexthops: [viaTor()] }]);
    try {
      expect(t, fits.pkt, TC_ACT_REDIRECT, Reason.FWD_NEXTHOP, { ctx: fits.ctx });
    } finally {
      cache([]);
    }
  } finally {
    ns.run(['ip', 'link', 'set', 'up0', 'mtu', '1500']);
  }
});

test.serial('a tunnelled destination (IP-in-IP) never uses the cache: the FIB path and its MTU check', (t) => {
  const entries = [{ cidr: TUNNELED4, nexthops: [viaTor()] }];
  t.deepEqual(cache(entries).added, [TUNNELED4]);
  cache([]);
  for (const size of [1000, 1480, 1481, 1500]) sameAsFibPath(t, fromPod({ l4: 'udp', dst: '10.244.8.7', payload: Buffer.alloc(size - 28) }), entries);
  cache(entries);
  try {
    expect(t, fromPod({ l4: 'udp', dst: '10.244.8.7', payload: Buffer.alloc(1000) }), TC_ACT_REDIRECT, Reason.FWD_REDIRECT);
    expect(t, fromPod({ l4: 'udp', dst: '10.244.8.7', payload: Buffer.alloc(1481 - 28) }), TC_ACT_OK, Reason.PASS_IPIP_TOO_BIG);
  } finally {
    cache([]);
  }
});

test.serial('a next hop on the ingress device (hairpin): the FIB path', (t) => {
  for (const { v6, cidr } of FAMILIES) {
    const pkt = fromPod({ l4: 'tcp', v6, src: v6 ? 'fd00:1::20' : '10.0.1.20', srcMac: TOR_MAC, dstMac: up0.mac });
    sameAsFibPath(t, pkt, [{ cidr, nexthops: [viaTor()] }], up0.ifindex);
    cache([{ cidr, nexthops: [viaTor()] }]);
    try {
      expect(t, pkt, TC_ACT_OK, Reason.PASS_HAIRPIN, { ingress: up0.ifindex });
    } finally {
      cache([]);
    }
  }
});

test.serial('filled the way the agent fills it (discoverNexthops from the kernel\'s routes, then syncNexthops): the cache carries the traffic', async (t) => {
  const uplinks = [{ ifname: 'up0', ifindex: up0.ifindex }, { ifname: 'up1', ifindex: up1.ifindex }];
  const found = await discoverNexthops(hostExec(ns.name), [REMOTE4, REMOTE6, OTHER4, TUNNELED4], ['10.244.0.0/16', 'fd00:244::/32'], uplinks);
  const byCidr = new Map(found.entries.map((e) => [e.cidr, e.nexthops]));
  t.deepEqual(byCidr.get(REMOTE4), [viaTor()]);
  t.deepEqual(byCidr.get(REMOTE6), [viaTor()]);
  t.false(byCidr.has(TUNNELED4), 'the tunnelled CIDR\'s route has an MTU: not cached');
  t.deepEqual(cache(found.entries).added.sort(), [...byCidr.keys()].sort());
  try {
    for (const { v6 } of FAMILIES) {
      const pkt = fromPod({ l4: 'tcp', v6 });
      forwarded(t, pkt, expect(t, pkt, TC_ACT_REDIRECT, Reason.FWD_NEXTHOP), viaTor());
    }
    t.deepEqual(cache(found.entries), { added: [], updated: [], removed: [] }, 'a second pass changes nothing');
  } finally {
    cache([]);
  }
});

/** bpftool map update of a pod entry, bypassing the writer (what drift or another writer would leave). */
function rawPod(cidr: string, flags: number, nh: number): void {
  const c = parseCidr(cidr);
  const hex = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, '0'));
  sh(['bpftool', 'map', 'update', 'pinned', `${loader.pinDir}/${c.family === 4 ? MAP_NAMES.pod4 : MAP_NAMES.pod6}`,
    'key', 'hex', ...hex(encodePodKey(c)), 'value', 'hex', ...hex(encodePodInfo({ flags, nh }))]);
}

function rawGroup(index: number, count: number, nexthops: Nexthop[]): void {
  const b = Buffer.alloc(72);
  b.writeUInt32LE(count, 0);
  nexthops.forEach((n, i) => {
    b.writeUInt32LE(n.ifindex, 8 + i * 16);
    Buffer.from(n.dmac.split(':').map((h) => parseInt(h, 16))).copy(b, 12 + i * 16);
    Buffer.from(n.smac.split(':').map((h) => parseInt(h, 16))).copy(b, 18 + i * 16);
  });
  sh(['bpftool', 'map', 'update', 'pinned', `${loader.pinDir}/${MAP_NAMES.nh}`, 'key', '0', '0', '0', '0',
    'value', 'hex', ...[...b].map((x) => x.toString(16).padStart(2, '0'))]);
  if (index !== 0) throw new Error('rawGroup writes index 0 only');
}

test.serial('LOCAL entries and source-only matches never use a group; a bad count or a group never written is the FIB path', (t) => {
  t.deepEqual(cache([{ cidr: '10.244.1.0/24', nexthops: [viaTor2()] }]), { added: [], updated: [], removed: [], skipped: ['10.244.1.0/24'] },
    'a LOCAL pod CIDR is not cached');
  t.is(maps().nexthopIndex('10.244.1.0/24'), 0);
  // Drift the writer never makes: a LOCAL entry naming a valid group, a REMOTE entry as source only.
  rawGroup(0, 1, [viaTor2()]);
  try {
    rawPod('10.244.1.0/24', POD_F_LOCAL, 1);
    const toLocal = fromPod({ l4: 'tcp', src: '10.244.9.7', dst: '10.244.1.5', srcMac: TOR_MAC, dstMac: up0.mac });
    expect(t, toLocal, TC_ACT_REDIRECT, Reason.FWD_REDIRECT_PEER, { ingress: up0.ifindex });
    rawPod(REMOTE4, POD_F_REMOTE, 1);
    const sourceOnly = fromPod({ l4: 'tcp', src: '10.244.9.7', dst: '192.168.5.5' });
    forwarded(t, sourceOnly, expect(t, sourceOnly, TC_ACT_REDIRECT, Reason.FWD_REDIRECT), viaTor());
    expect(t, fromPod({ l4: 'tcp' }), TC_ACT_REDIRECT, Reason.FWD_NEXTHOP, {});
    for (const count of [0, 5, 0xffffffff]) {
      rawGroup(0, count, [viaTor2()]);
      forwarded(t, fromPod({ l4: 'tcp' }), expect(t, fromPod({ l4: 'tcp' }), TC_ACT_REDIRECT, Reason.FWD_REDIRECT), viaTor());
    }
    rawGroup(0, 1, [{ ...viaTor2(), ifindex: 0 }]);
    expect(t, fromPod({ l4: 'tcp' }), TC_ACT_REDIRECT, Reason.FWD_REDIRECT);
    rawPod(REMOTE4, POD_F_REMOTE, NH_GROUPS + 1); // out of the array: no group
    expect(t, fromPod({ l4: 'tcp' }), TC_ACT_REDIRECT, Reason.FWD_REDIRECT);
  } finally {
    rawPod('10.244.1.0/24', POD_F_LOCAL, 0);
    rawPod(REMOTE4, POD_F_REMOTE, 0);
    loader.close(); // the writer's state no longer matches the maps: reopen, as a restarted agent
  }
  t.deepEqual(cache([]), { added: [], updated: [], removed: [] });
});

test.serial('writer: a changed group goes to a new index (the old one untouched), a released index is not written again in the same sync, groups are shared', (t) => {
  const m = maps();
  cache([]);
  t.deepEqual(cache([{ cidr: REMOTE4, nexthops: [viaTor()] }, { cidr: REMOTE6, nexthops: [viaTor()] }]), { added: [REMOTE4, REMOTE6], updated: [], removed: [] });
  const first = m.nexthopIndex(REMOTE4) ?? 0;
  t.true(first > 0);
  t.is(m.nexthopIndex(REMOTE6), first, 'the same next hops: one shared group');
  t.deepEqual(cache([{ cidr: REMOTE4, nexthops: [viaTor()] }, { cidr: REMOTE6, nexthops: [viaTor()] }]), { added: [], updated: [], removed: [] });
  t.is(m.nexthopIndex(REMOTE4), first, 'unchanged: the same group');

  const r = cache([{ cidr: REMOTE4, nexthops: [viaTor2()] }, { cidr: REMOTE6, nexthops: [viaTor2(), viaTor()] }, { cidr: OTHER4, nexthops: [viaTor3()] }]);
  t.deepEqual(r, { added: [OTHER4], updated: [REMOTE4, REMOTE6], removed: [] });
  const now = [REMOTE4, REMOTE6, OTHER4].map((c) => m.nexthopIndex(c) ?? 0);
  t.false(now.includes(first), 'the released group is not reused in the sync that released it');
  t.is(new Set(now).size, 3);
  t.deepEqual(m.nexthopGroup(first - 1), [viaTor()], 'the old group is left as it was (a reader that loaded it still reads it)');
  t.deepEqual(m.nexthopUsage(), { live: 3, released: 1, free: NH_GROUPS - 4 });
  expect(t, fromPod({ l4: 'tcp' }), TC_ACT_REDIRECT, Reason.FWD_NEXTHOP);
  t.is(macAt(run(fromPod({ l4: 'tcp' })).out, 0), TOR2_MAC, 'the new group is used');

  t.is(m.clearNexthops([OTHER4, '10.244.250.0/24', 'not a cidr']), 1);
  t.deepEqual(m.nexthopUsage(), { live: 2, released: 2, free: NH_GROUPS - 4 });
  t.deepEqual(cache([{ cidr: REMOTE4, nexthops: [viaTor2()] }, { cidr: REMOTE6, nexthops: [viaTor2(), viaTor()] }]), { added: [], updated: [], removed: [] });
  t.deepEqual(m.nexthopUsage(), { live: 2, released: 0, free: NH_GROUPS - 2 }, 'released ones are free from the next sync on');
  t.deepEqual(cache([]), { added: [], updated: [], removed: [REMOTE4, REMOTE6] });
});

test.serial('writer: upsertPodCidr keeps nh while REMOTE, clears it for LOCAL; a deleted pod CIDR releases its group', (t) => {
  const m = maps();
  cache([{ cidr: REMOTE4, nexthops: [viaTor()] }, { cidr: OTHER4, nexthops: [viaTor2()] }]);
  const nh = m.nexthopIndex(REMOTE4);
  m.upsertPodCidr(REMOTE4, POD_F_REMOTE);
  t.is(m.nexthopIndex(REMOTE4), nh, 'an upsert with the same flags keeps the group');
  t.deepEqual(syncPodCidrs(m, POD_CIDRS), { added: [], updated: [], removed: [] });
  expect(t, fromPod({ l4: 'udp' }), TC_ACT_REDIRECT, Reason.FWD_NEXTHOP);
  m.upsertPodCidr(REMOTE4, POD_F_LOCAL);
  t.is(m.nexthopIndex(REMOTE4), 0, 'LOCAL: no next hops');
  m.upsertPodCidr(REMOTE4, POD_F_REMOTE);
  t.is(m.nexthopIndex(REMOTE4), 0, 'and none again until a sync gives some');
  t.true(m.deletePodCidr(OTHER4));
  t.deepEqual(m.nexthopUsage().released, 2);
  m.upsertPodCidr(OTHER4, POD_F_REMOTE);
  t.deepEqual(cache([]), { added: [], updated: [], removed: [] });
  t.deepEqual(m.nexthopUsage(), { live: 0, released: 0, free: NH_GROUPS });
});

test.serial('writer: the state is rebuilt when the maps are opened again (indexes named by pod entries are in use)', (t) => {
  cache([{ cidr: REMOTE4, nexthops: [viaTor()] }, { cidr: REMOTE6, nexthops: [viaTor2()] }]);
  const before = [REMOTE4, REMOTE6].map((c) => maps().nexthopIndex(c));
  loader.close();
  const reopened = maps();
  t.deepEqual(reopened.nexthopUsage(), { live: 2, released: 0, free: NH_GROUPS - 2 });
  t.deepEqual(reopened.listNexthops(), [{ cidr: REMOTE4, nexthops: [viaTor()] }, { cidr: REMOTE6, nexthops: [viaTor2()] }]);
  const r = cache([{ cidr: REMOTE4, nexthops: [viaTor()] }, { cidr: REMOTE6, nexthops: [viaTor2()] }, { cidr: OTHER4, nexthops: [viaTor2(), viaTor()] }]);
  t.deepEqual(r, { added: [OTHER4], updated: [], removed: [] });
  t.deepEqual([REMOTE4, REMOTE6].map((c) => reopened.nexthopIndex(c)), before, 'kept');
  t.false(before.includes(reopened.nexthopIndex(OTHER4)), 'a new group does not take a live index');
  // the same next hops as a live group (REMOTE6's) after a restart: shared
  cache([{ cidr: REMOTE4, nexthops: [viaTor()] }, { cidr: REMOTE6, nexthops: [viaTor2()] }, { cidr: OTHER4, nexthops: [viaTor2()] }]);
  t.is(reopened.nexthopIndex(OTHER4), before[1]);
  cache([]);
});

/** The same script on the pinned maps and on the in-memory fake: the same answers, the same indexes. */
test.serial('the in-memory fake behaves like the pinned maps', (t) => {
  cache([]);
  loader.close(); // a fresh writer: free indexes in order, as a new fake's
  const mem = new MemoryBpfMaps();
  syncPodCidrs(mem, POD_CIDRS);
  const steps: ((p: BpfMapPort) => unknown)[] = [
    (p) => p.syncNexthops([{ cidr: REMOTE4, nexthops: [viaTor()] }, { cidr: REMOTE6, nexthops: [viaTor()] }, { cidr: '10.244.1.0/24', nexthops: [viaTor()] }]),
    (p) => p.syncNexthops([{ cidr: '10.244.9.77/24', nexthops: [viaTor2(), viaTor()] }, { cidr: REMOTE6, nexthops: [] },
      { cidr: OTHER4, nexthops: [viaTor(), viaTor(), viaTor(), viaTor(), viaTor()] }, { cidr: TUNNELED4, nexthops: [{ ...viaTor(), dmac: 'nonsense' }] }]),
    (p) => p.syncNexthops([{ cidr: REMOTE4, nexthops: [viaTor()] }, { cidr: OTHER4, nexthops: [viaTor2()] }, { cidr: '10.99.0.0/16', nexthops: [viaTor()] }]),
    (p) => p.clearNexthops([REMOTE4]),
    (p) => p.syncNexthops([{ cidr: REMOTE4, nexthops: [viaTor2()] }, { cidr: OTHER4, nexthops: [viaTor2()] }, { cidr: REMOTE6, nexthops: [viaTor2()] }]),
    (p) => { p.upsertPodCidr(OTHER4, POD_F_LOCAL); return p.listPodCidrs().length; },
    (p) => p.deletePodCidr(REMOTE6),
    (p) => { p.upsertPodCidr(REMOTE6, POD_F_REMOTE); p.upsertPodCidr(OTHER4, POD_F_REMOTE); return p.listNexthops(); },
    (p) => p.syncNexthops([{ cidr: REMOTE6, nexthops: [viaTor()] }]),
    (p) => p.clearNexthops(),
  ];
  const state = (p: PinnedBpfMaps | MemoryBpfMaps) => ({
    list: p.listNexthops(), nh: [...POD_CIDRS.keys()].map((c) => p.nexthopIndex(c)), usage: p.nexthopUsage(),
  });
  try {
    steps.forEach((step, i) => {
      const pinned = maps();
      t.deepEqual(step(pinned), step(mem), `step ${i + 1}: the same answer`);
      t.deepEqual(state(pinned), state(mem), `step ${i + 1}: the same state`);
    });
  } finally {
    syncPodCidrs(loader.maps(), POD_CIDRS);
    cache([]);
  }
});
