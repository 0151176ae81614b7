// rr_ingress and the MTU of what it redirects, through BPF_PROG_TEST_RUN (issue 7: the fast path with a tunnel).
//
// The bug: rr_ingress looked routes up with bpf_fib_lookup tot_len = 0, so the kernel compared the skb with the
// egress DEVICE's MTU (+ 4 bytes of VLAN slack). An IP-in-IP route (`via <gateway> dev up0 mtu 1480`, no tunnel
// device) then let 1481..1500-byte pod packets be redirected to the uplink, where rr_ipip_egress must drop them
// (ipip_too_big): TCP over the tunnel stalled. With VXLAN (device MTU 1450) 1451..1454-byte DF packets slipped
// through and left as a 1501..1504-byte outer packet the kernel fragmented (the VXLAN lab's "1451-byte DF ping
// got replies"). Now: tot_len is the packet (or GSO segment) length, so the FIB answers FRAG_NEEDED against the
// device MTU and against a locked route MTU; and a destination in rr_ipip_dst_v1 must fit the egress device with
// 20 bytes more, else it goes to the stack (pass_ipip_too_big), which sends frag-needed with mtu 1480.
// Both program sets are loaded in one pin directory, as the agent does (the destination maps are shared).
import test from 'ava';
import { hostExec } from '../../src/dataplane/ebpf/exec.js';
import { IpipLoader, IpipMaps, IPIP_DST_USED_V4, IPIP_DST_USED_V6, IPIP_MAP_NAMES } from '../../src/dataplane/ebpf/ipip.js';
import { DatapathLoader } from '../../src/dataplane/ebpf/loader.js';
import { IFACE_F_ATTACHED, IFACE_F_POD, POD_F_LOCAL, POD_F_REMOTE } from '../../src/dataplane/ebpf/layout.js';
import { syncPodCidrs } from '../../src/dataplane/ebpf/sync.js';
import { Reason } from '../../src/dataplane/ebpf/reasons.generated.js';
import { Netns, ensureBpffs, isRoot, sh } from './helpers/netns.js';
import { progRun, skbCtx } from './helpers/progrun.js';
import { uplinkNode } from './helpers/topo.js';
import { buildPacket, macAt } from './helpers/packets.js';

const TC_ACT_OK = 0;
const TC_ACT_REDIRECT = 7;
const TOR_MAC = '02:00:00:00:aa:01';
const POD_MAC = '02:00:00:00:01:11';
const LXC_MAC = '02:00:00:00:01:10';

let ns: Netns;
let tc: DatapathLoader;
let ipip: IpipLoader;
let ipipMaps: IpipMaps;
let lxc1: number;

// up0 (MTU 1500) towards the ToR 10.0.1.1; lxc1 a pod veth. Routes as the agent writes them:
//   10.244.2.0/24, fd00:244:2::/64  IP-in-IP by eBPF: via the underlay gateway, mtu 1480, in rr_ipip_dst
//   10.244.3.0/24                    native
//   10.244.4.0/24                    mtu lock 1480 (the FIB itself checks a locked route MTU)
//   10.244.7.0/24                    VXLAN: via the remote VTEP on rr.vxlan (MTU 1450), mtu 1450
test.before(async () => {
  if (!isRoot()) throw new Error('test/bpf needs root (BPF_PROG_TEST_RUN, network namespaces); CI runs it as root');
  ensureBpffs();
  ns = new Netns('mtu');
  uplinkNode(ns, { lxcMac: LXC_MAC, podMac: POD_MAC, torMac: TOR_MAC, dualStack: false });
  ns.lines(`
    ip neigh replace fe80::1 lladdr ${TOR_MAC} dev up0 nud permanent
    ip route add 10.244.2.0/24 via 10.0.1.1 dev up0 mtu 1480
    ip -6 route add fd00:244:2::/64 via fe80::1 dev up0 mtu 1480
    ip route add 10.244.3.0/24 via 10.0.1.1 dev up0
    ip route add 10.244.4.0/24 via 10.0.1.1 dev up0 mtu lock 1480
    ip link add rr.vxlan mtu 1450 type vxlan id 4096 dstport 4789 local 10.0.1.10 dev up0 nolearning
    ip link set rr.vxlan up
    ip neigh replace 10.0.2.10 lladdr 02:72:0a:00:02:0a dev rr.vxlan nud permanent
    ip route add 10.244.7.0/24 via 10.0.2.10 dev rr.vxlan onlink mtu 1450
    ip route add 10.244.1.5/32 dev lxc1
    ip neigh replace 10.244.1.5 lladdr ${POD_MAC} dev lxc1 nud permanent
  `);
  lxc1 = ns.ifindex('lxc1');
  const pinDir = `/sys/fs/bpf/${ns.name}`;
  // The agent's order: the tunnel (rr_ipip.o) first, then the fast path (rr_tc.o) reuses its pinned maps.
  ipip = new IpipLoader({ pinDir, exec: hostExec(ns.name) });
  await ipip.load();
  ipipMaps = new IpipMaps(pinDir);
  ipipMaps.setConfig({ local: '10.0.1.10', ttl: 64 });
  ipipMaps.sync([{ podCidr: '10.244.2.0/24', remote: '10.0.2.10' }, { podCidr: 'fd00:244:2::/64', remote: '10.0.2.10' }]);
  tc = new DatapathLoader({ pinDir, exec: hostExec(ns.name) });
  await tc.load();
  syncPodCidrs(tc.maps(), new Map([
    ['10.244.1.0/24', POD_F_LOCAL], ['fd00:244:1::/64', POD_F_LOCAL],
    ...['10.244.2.0/24', 'fd00:244:2::/64', '10.244.3.0/24', '10.244.4.0/24', '10.244.7.0/24'].map((c) => [c, POD_F_REMOTE] as [string, number]),
  ]));
  tc.maps().setIface(lxc1, IFACE_F_ATTACHED | IFACE_F_POD);
});

test.after.always(async () => {
  ipipMaps?.close();
  await tc?.destroy().catch(() => undefined);
  ns?.delete();
});

function counter(reason: Reason): number {
  return tc.maps().readCounters().find((c) => c.id === reason)?.packets ?? 0;
}

/** An ICMP echo from the pod with this IP total length (IPv6: header + payload), DF for IPv4. */
function fromPod(dst: string, total: number): Buffer {
  const v6 = dst.includes(':');
  const headers = v6 ? 40 + 8 : 20 + 8;
  const pkt = buildPacket({ src: v6 ? 'fd00:244:1::5' : '10.244.1.5', dst, l4: 'icmp', srcMac: POD_MAC, dstMac: LXC_MAC,
    payload: Buffer.alloc(total - headers, 0x61) });
  if (!v6) {
    pkt.writeUInt16BE(pkt.readUInt16BE(20) | 0x4000, 20); // DF, as ping -M do
    pkt.writeUInt16BE(0, 24);
    let sum = 0;
    for (let i = 14; i < 34; i += 2) sum += pkt.readUInt16BE(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    pkt.writeUInt16BE(~sum & 0xffff, 24);
  }
  return pkt;
}

/** A TCP GSO packet from the pod: `segs` segments of `gsoSize` bytes of payload each. */
function gsoFromPod(dst: string, gsoSize: number, segs: number): { pkt: Buffer; ctx: Buffer } {
  const pkt = buildPacket({ src: '10.244.1.5', dst, l4: 'tcp', srcMac: POD_MAC, dstMac: LXC_MAC, payload: Buffer.alloc(gsoSize * segs, 0x62) });
  return { pkt, ctx: skbCtx({ ifindex: lxc1, ingressIfindex: lxc1, gso: { segs, size: gsoSize } }) };
}

function run(pkt: Buffer, ctx = skbCtx({ ifindex: lxc1, ingressIfindex: lxc1 })) {
  return progRun(ns.name, tc.programPin, pkt, ctx);
}

test.serial('both program sets share one rr_ipip_dst_v1 (pinned once, the same map id in each)', (t) => {
  const mapIds = (prog: string): number[] =>
    (JSON.parse(sh(['bpftool', '-j', 'prog', 'show', 'pinned', prog])) as { map_ids: number[] }).map_ids;
  const dst = JSON.parse(sh(['bpftool', '-j', 'map', 'show', 'pinned', `${ipip.pinDir}/${IPIP_MAP_NAMES.dst4}`])) as { id: number };
  t.true(mapIds(tc.programPin).includes(dst.id), 'rr_ingress uses the pinned destination map');
  t.true(mapIds(ipip.programPin('rr_ipip_egress')).includes(dst.id), 'rr_ipip_egress uses the same one');
});

interface Case { title: string; dst: string; total: number; verdict: number; reason: Reason }
const cases: Case[] = [
  { title: 'IP-in-IP route mtu 1480: a 1480-byte packet is redirected (fits the uplink once encapsulated)', dst: '10.244.2.7', total: 1480,
    verdict: TC_ACT_REDIRECT, reason: Reason.FWD_REDIRECT },
  { title: 'IP-in-IP route mtu 1480: a 1481-byte DF packet goes to the stack (pass_ipip_too_big), not to a drop at egress', dst: '10.244.2.7',
    total: 1481, verdict: TC_ACT_OK, reason: Reason.PASS_IPIP_TOO_BIG },
  { title: 'IP-in-IP route mtu 1480: a 1500-byte DF packet goes to the stack (pass_ipip_too_big)', dst: '10.244.2.7', total: 1500,
    verdict: TC_ACT_OK, reason: Reason.PASS_IPIP_TOO_BIG },
  { title: 'IPv6-in-IPv4 route mtu 1480: 1480 bytes redirected', dst: 'fd00:244:2::7', total: 1480, verdict: TC_ACT_REDIRECT, reason: Reason.FWD_REDIRECT },
  { title: 'IPv6-in-IPv4 route mtu 1480: 1500 bytes go to the stack (packet too big is the kernel\'s)', dst: 'fd00:244:2::7', total: 1500,
    verdict: TC_ACT_OK, reason: Reason.PASS_IPIP_TOO_BIG },
  { title: 'native route: a 1500-byte packet is still redirected', dst: '10.244.3.7', total: 1500, verdict: TC_ACT_REDIRECT, reason: Reason.FWD_REDIRECT },
  { title: 'locked route mtu 1480: 1481 bytes get the FIB\'s own FRAG_NEEDED', dst: '10.244.4.7', total: 1481, verdict: TC_ACT_OK,
    reason: Reason.PASS_FIB_FRAG_NEEDED },
  { title: 'VXLAN device mtu 1450: 1450 bytes redirected', dst: '10.244.7.7', total: 1450, verdict: TC_ACT_REDIRECT, reason: Reason.FWD_REDIRECT },
  { title: 'VXLAN device mtu 1450: 1451 bytes get FRAG_NEEDED (were redirected by the 4-byte VLAN slack before)', dst: '10.244.7.7', total: 1451,
    verdict: TC_ACT_OK, reason: Reason.PASS_FIB_FRAG_NEEDED },
  { title: 'VXLAN device mtu 1450: 1454 bytes get FRAG_NEEDED', dst: '10.244.7.7', total: 1454, verdict: TC_ACT_OK, reason: Reason.PASS_FIB_FRAG_NEEDED },
];

for (const c of cases) {
  test.serial(c.title, (t) => {
    const pkt = fromPod(c.dst, c.total);
    const before = counter(c.reason);
    const r = run(pkt);
    t.is(r.retval, c.verdict, 'verdict');
    t.is(counter(c.reason), before + 1, `counted as ${Reason[c.reason]}`);
    if (c.verdict === TC_ACT_OK) t.deepEqual(r.out, pkt, 'passed unchanged: the stack answers frag-needed / packet too big');
    else t.is(macAt(r.out, 0), c.dst === '10.244.7.7' ? '02:72:0a:00:02:0a' : TOR_MAC, 'MACs of the route\'s next hop (rr_ipip_egress rewrites them for the outer one)');
  });
}

test.serial('GSO: segments of 1480 bytes to an IP-in-IP destination are redirected; segments of 1500 go to the stack', (t) => {
  // 20 IP + 20 TCP + 1440 = 1480: fits once encapsulated. 1460 of payload: 1500-byte segments, 1520 outer.
  const fits = gsoFromPod('10.244.2.7', 1440, 2);
  t.is(run(fits.pkt, fits.ctx).retval, TC_ACT_REDIRECT);
  const before = counter(Reason.PASS_IPIP_TOO_BIG);
  const big = gsoFromPod('10.244.2.7', 1460, 2);
  t.is(run(big.pkt, big.ctx).retval, TC_ACT_OK);
  t.is(counter(Reason.PASS_IPIP_TOO_BIG), before + 1);
  // Natively, the same 1500-byte segments fit the uplink (3000 bytes in one skb are not "too big").
  const native = gsoFromPod('10.244.3.7', 1460, 2);
  t.is(run(native.pkt, native.ctx).retval, TC_ACT_REDIRECT);
});

test.serial('a destination taken out of rr_ipip_dst_v1 is native again: 1500 bytes redirected', (t) => {
  t.is(ipipMaps.usedFlags(), IPIP_DST_USED_V4 | IPIP_DST_USED_V6);
  ipipMaps.sync([{ podCidr: 'fd00:244:2::/64', remote: '10.0.2.10' }]);
  try {
    t.is(ipipMaps.usedFlags(), IPIP_DST_USED_V6, 'no IPv4 destination left: the fast path skips the IPv4 lookup');
    t.is(run(fromPod('10.244.2.7', 1500)).retval, TC_ACT_REDIRECT);
  } finally {
    ipipMaps.sync([{ podCidr: '10.244.2.0/24', remote: '10.0.2.10' }, { podCidr: 'fd00:244:2::/64', remote: '10.0.2.10' }]);
  }
  t.is(ipipMaps.usedFlags(), IPIP_DST_USED_V4 | IPIP_DST_USED_V6);
  t.is(run(fromPod('10.244.2.7', 1500)).retval, TC_ACT_OK, 'tunnelled again: too big');
});

test.serial('the used bits follow single upserts and deletes, and are repaired when the maps are opened', (t) => {
  t.true(ipipMaps.deleteDestination('10.244.2.0/24'));
  t.is(ipipMaps.usedFlags(), IPIP_DST_USED_V6, 'cleared after the last IPv4 destination went');
  ipipMaps.upsertDestination('10.244.2.0/24', '10.0.2.10');
  t.is(ipipMaps.usedFlags(), IPIP_DST_USED_V4 | IPIP_DST_USED_V6, 'set with the first one');
  const before = counter(Reason.PASS_IPIP_TOO_BIG);
  t.is(run(fromPod('10.244.2.7', 1500)).retval, TC_ACT_OK);
  t.is(counter(Reason.PASS_IPIP_TOO_BIG), before + 1);
  // A used map whose bit is clear (a writer interrupted, or an upgrade that found destinations): opening repairs it.
  sh(['bpftool', 'map', 'update', 'pinned', `${ipip.pinDir}/${IPIP_MAP_NAMES.used}`, 'key', '0', '0', '0', '0', 'value', ...new Array<string>(8).fill('0')]);
  t.is(run(fromPod('10.244.2.7', 1500)).retval, TC_ACT_REDIRECT, 'bit clear: no lookup (what the writer must never allow)');
  const reopened = new IpipMaps(ipip.pinDir);
  try {
    t.is(reopened.usedFlags(), IPIP_DST_USED_V4 | IPIP_DST_USED_V6);
  } finally {
    reopened.close();
  }
  t.is(run(fromPod('10.244.2.7', 1500)).retval, TC_ACT_OK);
});
