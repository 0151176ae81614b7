// The endpoint path of rr_ingress: traffic to a local pod found in rr_endpoint4_v1 / rr_endpoint6_v1 skips
// bpf_fib_lookup (hash lookup, MACs from the map, TTL, bpf_redirect_peer); a miss, an entry not marked usable,
// a stale entry (its device gone), a packet too big for the pod's veth or a hairpin take the FIB path as before.
// The maps are filled the way the agent fills them (discoverEndpoints + syncEndpoints). Needs root.
import test from 'ava';
import { DatapathLoader } from '../../src/dataplane/ebpf/loader.js';
import { hostExec } from '../../src/dataplane/ebpf/exec.js';
import { ENDPOINT_F_PEER, IFACE_F_ATTACHED, IFACE_F_POD, POD_F_LOCAL, POD_F_REMOTE, formatCidr, parseCidr } from '../../src/dataplane/ebpf/layout.js';
import { discoverEndpoints } from '../../src/dataplane/ebpf/discover.js';
import { syncEndpoints, syncPodCidrs } from '../../src/dataplane/ebpf/sync.js';
import { Reason } from '../../src/dataplane/ebpf/reasons.generated.js';
import { Netns, ensureBpffs, isRoot } from './helpers/netns.js';
import { progRun, skbCtx } from './helpers/progrun.js';
import { uplinkNode } from './helpers/topo.js';
import { buildPacket, ipv4HeaderChecksumResidue, macAt, type L4 } from './helpers/packets.js';

const TC_ACT_OK = 0;
const TC_ACT_REDIRECT = 7;
const TOR_MAC = '02:00:00:00:aa:01';
const POD_MAC = '02:00:00:00:01:11';
const POD_CIDRS = ['10.244.1.0/24', 'fd00:244:1::/64'];

let ns: Netns;
let podNs: Netns;
let loader: DatapathLoader;
let up0: { ifindex: number; mac: string };
let lxc1: { ifindex: number; mac: string };

test.before(async () => {
  if (!isRoot()) throw new Error('test/bpf needs root (BPF_PROG_TEST_RUN, network namespaces); CI runs it as root');
  ensureBpffs();
  ns = new Netns('e');
  podNs = new Netns('ep');
  uplinkNode(ns, { lxcMac: '02:00:00:00:01:10', podMac: POD_MAC, torMac: TOR_MAC, podNs: podNs.name, dualStack: true });
  ns.lines(`
    ip route add 10.244.2.0/24 via 10.0.1.1
    ip -6 route add fd00:244:2::/64 via fd00:1::1
    ip route add 10.244.1.5/32 dev lxc1
    ip -6 route add fd00:244:1::5/128 dev lxc1
    ip route add 10.244.1.6/32 dev lxc1
    ip neigh replace 10.244.1.5 lladdr ${POD_MAC} dev lxc1 nud permanent
    ip -6 neigh replace fd00:244:1::5 lladdr ${POD_MAC} dev lxc1 nud permanent
    ip neigh replace 10.244.1.6 lladdr ${POD_MAC} dev lxc1 nud reachable
  `);
  up0 = { ifindex: ns.ifindex('up0'), mac: ns.mac('up0') };
  lxc1 = { ifindex: ns.ifindex('lxc1'), mac: ns.mac('lxc1') };
  loader = new DatapathLoader({ pinDir: `/sys/fs/bpf/${ns.name}`, exec: hostExec(ns.name) });
  await loader.load();
  syncPodCidrs(loader.maps(), new Map([['10.244.1.0/24', POD_F_LOCAL], ['fd00:244:1::/64', POD_F_LOCAL],
    ['10.244.2.0/24', POD_F_REMOTE], ['fd00:244:2::/64', POD_F_REMOTE]]));
  loader.maps().setIface(lxc1.ifindex, IFACE_F_ATTACHED | IFACE_F_POD);
});

test.after.always(async () => {
  await loader?.destroy().catch(() => undefined);
  ns?.delete();
  podNs?.delete();
});

function counter(reason: Reason): number {
  return loader.maps().readCounters().find((c) => c.id === reason)?.packets ?? -1;
}

function run(pkt: Buffer, ingress: 'up0' | 'lxc1') {
  const i = ingress === 'up0' ? up0.ifindex : lxc1.ifindex;
  return progRun(ns.name, loader.programPin, pkt, skbCtx({ ifindex: i, ingressIfindex: i }));
}

const toPod = (o: { l4: L4; v6?: boolean; dst?: string; ttl?: number; payload?: Buffer }): Buffer => buildPacket({
  src: o.v6 ? 'fd00:244:2::7' : '10.244.2.7', dst: o.dst ?? (o.v6 ? 'fd00:244:1::5' : '10.244.1.5'),
  srcMac: TOR_MAC, dstMac: '02:00:00:00:00:10', l4: o.l4, ...(o.ttl ? { ttl: o.ttl } : {}), ...(o.payload ? { payload: o.payload } : {}),
});

/** Runs one packet: verdict and reason, and for redirects the bytes out (MACs, TTL, checksum, the rest unchanged). */
function expect(t: import('ava').ExecutionContext, pkt: Buffer, ingress: 'up0' | 'lxc1', verdict: number, reason: Reason): void {
  const before = counter(reason);
  const r = run(pkt, ingress);
  t.is(r.retval, verdict, 'verdict');
  t.is(counter(reason), before + 1, `counter ${Reason[reason]}`);
  if (verdict === TC_ACT_OK) {
    t.deepEqual(r.out, pkt, 'a passed packet is unchanged');
    return;
  }
  const v6 = pkt.readUInt16BE(12) === 0x86dd;
  const ttlAt = v6 ? 21 : 22;
  t.is(macAt(r.out, 0), POD_MAC, 'destination MAC = the pod\'s');
  t.is(macAt(r.out, 6), lxc1.mac, 'source MAC = the host side\'s');
  t.is(r.out[ttlAt], pkt[ttlAt] - 1, 'TTL / hop limit decremented');
  if (!v6) t.is(ipv4HeaderChecksumResidue(r.out), 0, 'IPv4 header checksum valid');
  const l3Start = 14 + (v6 ? 8 : 12);
  t.deepEqual(r.out.subarray(l3Start), pkt.subarray(l3Start), 'addresses, L4 header and payload unchanged');
}

test.serial('the agent\'s discovery finds the local pods behind the pod veth; a second sync changes nothing', async (t) => {
  const found = await discoverEndpoints(hostExec(ns.name), POD_CIDRS, [{ ifname: 'lxc1', ifindex: lxc1.ifindex }]);
  const byIp = (a: { ip: string }, b: { ip: string }) => a.ip.localeCompare(b.ip);
  const want = ['10.244.1.5', '10.244.1.6', 'fd00:244:1::5']
    .map((ip) => ({ ip, ifindex: lxc1.ifindex, flags: ENDPOINT_F_PEER, podMac: POD_MAC, hostMac: lxc1.mac }));
  t.deepEqual([...found].sort(byIp), want);
  t.deepEqual(syncEndpoints(loader.maps(), found).added.sort(), want.map((e) => e.ip));
  t.deepEqual([...loader.maps().listEndpoints()].sort(byIp), want);
  t.deepEqual(syncEndpoints(loader.maps(), found), { added: [], updated: [], removed: [] });
  t.deepEqual(await discoverEndpoints(hostExec(ns.name), POD_CIDRS, []), [], 'no attached pod veth, no endpoint');
  // The prefixes that hold every endpoint (rr_config_v2): a destination outside them is not looked up.
  const cfg = loader.maps().readConfig();
  t.is(cfg.endpoint4Cover && formatCidr(cfg.endpoint4Cover), '10.244.1.4/30');
  t.is(cfg.endpoint6Cover && formatCidr(cfg.endpoint6Cover), 'fd00:244:1::5/128');
});

for (const v6 of [false, true]) {
  for (const l4 of ['tcp', 'udp', 'icmp'] as const) {
    test.serial(`${v6 ? 'IPv6' : 'IPv4'} ${l4} uplink -> local pod: endpoint hit, redirect_peer without the FIB`, (t) => {
      expect(t, toPod({ l4, v6 }), 'up0', TC_ACT_REDIRECT, Reason.FWD_ENDPOINT_PEER);
    });
  }
}

test.serial('TTL 2 to a local pod leaves with TTL 1; TTL 1 still goes to the stack', (t) => {
  expect(t, toPod({ l4: 'udp', ttl: 2 }), 'up0', TC_ACT_REDIRECT, Reason.FWD_ENDPOINT_PEER);
  expect(t, toPod({ l4: 'udp', ttl: 1 }), 'up0', TC_ACT_OK, Reason.PASS_TTL);
});

test.serial('a miss (local pod not in the endpoint map) takes the FIB path', (t) => {
  const maps = loader.maps();
  const saved = maps.listEndpoints().find((e) => e.ip === '10.244.1.5');
  t.truthy(saved);
  t.true(maps.deleteEndpoint('10.244.1.5'));
  try {
    expect(t, toPod({ l4: 'tcp' }), 'up0', TC_ACT_REDIRECT, Reason.FWD_REDIRECT_PEER);
    // not a pod address at all: the endpoint miss changes nothing for the stack's traffic
    expect(t, toPod({ l4: 'tcp', dst: '10.244.1.1' }), 'up0', TC_ACT_OK, Reason.PASS_FIB_NOT_FWDED);
  } finally {
    if (saved) maps.upsertEndpoint(saved);
  }
});

test.serial('an endpoint outside the covering prefix is found at once (the upsert widens it); removed, the sync narrows it again', (t) => {
  const maps = loader.maps();
  const e = maps.listEndpoints().find((x) => x.ip === '10.244.1.5');
  if (!e) throw new Error('10.244.1.5 is an endpoint here');
  maps.upsertEndpoint({ ...e, ip: '10.244.1.77' });
  try {
    t.is(formatCidr(maps.readConfig().endpoint4Cover ?? parseCidr('0.0.0.0/32')), '10.244.1.0/25');
    expect(t, toPod({ l4: 'tcp', dst: '10.244.1.77' }), 'up0', TC_ACT_REDIRECT, Reason.FWD_ENDPOINT_PEER);
  } finally {
    t.true(maps.deleteEndpoint('10.244.1.77'));
  }
  syncEndpoints(maps, maps.listEndpoints());
  t.is(formatCidr(maps.readConfig().endpoint4Cover ?? parseCidr('0.0.0.0/32')), '10.244.1.4/30');
  // 10.244.1.77 has no route here: outside the cover it is not looked up, and the FIB says no.
  expect(t, toPod({ l4: 'tcp', dst: '10.244.1.77' }), 'up0', TC_ACT_OK, Reason.PASS_FIB_NOT_FWDED);
});

test.serial('a stale entry (its device gone) or one not marked usable takes the FIB path, never a drop', (t) => {
  const maps = loader.maps();
  const saved = maps.listEndpoints().filter((e) => e.ip === '10.244.1.5' || e.ip === 'fd00:244:1::5');
  t.is(saved.length, 2);
  try {
    for (const e of saved) {
      // a pod deleted since the last pass: the ifindex names no device; wrong MACs must not be written
      maps.upsertEndpoint({ ...e, ifindex: 999_999, podMac: '02:00:00:00:de:ad' });
      expect(t, toPod({ l4: 'tcp', v6: e.ip.includes(':') }), 'up0', TC_ACT_REDIRECT, Reason.FWD_REDIRECT_PEER);
      maps.upsertEndpoint({ ...e, flags: 0, podMac: '02:00:00:00:de:ad' });
      expect(t, toPod({ l4: 'udp', v6: e.ip.includes(':') }), 'up0', TC_ACT_REDIRECT, Reason.FWD_REDIRECT_PEER);
    }
  } finally {
    for (const e of saved) maps.upsertEndpoint(e);
  }
});

test.serial('a packet too big for the pod veth\'s MTU takes the FIB path, which passes it to the stack (frag-needed)', (t) => {
  ns.run(['ip', 'link', 'set', 'lxc1', 'mtu', '1300']);
  try {
    for (const v6 of [false, true]) {
      expect(t, toPod({ l4: 'udp', v6, payload: Buffer.alloc(1350) }), 'up0', TC_ACT_OK, Reason.PASS_FIB_FRAG_NEEDED);
      expect(t, toPod({ l4: 'udp', v6, payload: Buffer.alloc(1200) }), 'up0', TC_ACT_REDIRECT, Reason.FWD_ENDPOINT_PEER);
    }
  } finally {
    ns.run(['ip', 'link', 'set', 'lxc1', 'mtu', '1500']);
  }
});

test.serial('a GSO packet whose segments are too big for the pod veth takes the FIB path; one whose segments fit is delivered', (t) => {
  ns.run(['ip', 'link', 'set', 'lxc1', 'mtu', '1300']);
  try {
    // Two TCP segments of `seg` bytes each (40 bytes of headers): bpf_check_mtu alone says "fits" for any GSO skb.
    const gso = (seg: number) => {
      const pkt = toPod({ l4: 'tcp', payload: Buffer.alloc(seg * 2, 0x62) });
      return { pkt, ctx: skbCtx({ ifindex: up0.ifindex, ingressIfindex: up0.ifindex, gso: { segs: 2, size: seg } }) };
    };
    const big = gso(1400);
    const before = counter(Reason.FWD_ENDPOINT_PEER);
    const fragBefore = counter(Reason.PASS_FIB_FRAG_NEEDED);
    const r = progRun(ns.name, loader.programPin, big.pkt, big.ctx);
    t.is(r.retval, TC_ACT_OK, '1440-byte segments into a 1300 MTU: to the stack');
    t.is(counter(Reason.PASS_FIB_FRAG_NEEDED), fragBefore + 1, 'by the FIB path (frag-needed)');
    t.is(counter(Reason.FWD_ENDPOINT_PEER), before, 'not the endpoint path');
    const fits = gso(1200);
    const r2 = progRun(ns.name, loader.programPin, fits.pkt, fits.ctx);
    t.is(r2.retval, TC_ACT_REDIRECT);
    t.is(counter(Reason.FWD_ENDPOINT_PEER), before + 1, '1240-byte segments: the endpoint path');
  } finally {
    ns.run(['ip', 'link', 'set', 'lxc1', 'mtu', '1500']);
  }
});

test.serial('a packet from the pod veth to its own pod (hairpin) takes the FIB path', (t) => {
  const pkt = buildPacket({ src: '10.244.1.6', dst: '10.244.1.5', srcMac: POD_MAC, dstMac: lxc1.mac, l4: 'tcp' });
  expect(t, pkt, 'lxc1', TC_ACT_OK, Reason.PASS_HAIRPIN);
});

test.serial('the agent\'s sync removes the entries of a pod veth that is gone', async (t) => {
  const maps = loader.maps();
  const r = syncEndpoints(maps, await discoverEndpoints(hostExec(ns.name), POD_CIDRS, []));
  t.deepEqual(r.removed.sort(), ['10.244.1.5', '10.244.1.6', 'fd00:244:1::5']);
  t.deepEqual(maps.listEndpoints(), []);
  t.like(maps.readConfig(), { endpoint4Cover: null, endpoint6Cover: null }, 'no endpoint: no lookup for any destination');
  expect(t, toPod({ l4: 'tcp' }), 'up0', TC_ACT_REDIRECT, Reason.FWD_REDIRECT_PEER);
});
