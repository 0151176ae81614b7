// The pod CIDR match of rr_ingress (bpf/lib/pods.h): a longest-prefix match done as one hash lookup per prefix
// length in use, longest first, with the lengths and a covering prefix published in rr_config_v2 by the map writer.
// Which entry matched shows in the verdict: the destination's LOCAL flag lets a packet routed to a pod veth use
// bpf_redirect_peer (fwd_redirect_peer), a REMOTE one gets plain bpf_redirect (fwd_redirect); no match at all is
// pass_not_pod. Also the direct-mapped device slots (rr_ifslots_v1) that say which devices are pod veths.
// The maps are written through the TypeScript writers, as the agent writes them. Needs root.
import test from 'ava';
import { DatapathLoader } from '../../src/dataplane/ebpf/loader.js';
import { hostExec } from '../../src/dataplane/ebpf/exec.js';
import { IFACE_F_POD, IFACE_F_UPLINK, IFSLOTS, POD_F_LOCAL, POD_F_REMOTE, formatCidr } from '../../src/dataplane/ebpf/layout.js';
import { syncPodCidrs } from '../../src/dataplane/ebpf/sync.js';
import { Reason } from '../../src/dataplane/ebpf/reasons.generated.js';
import { Netns, ensureBpffs, isRoot } from './helpers/netns.js';
import { progRun, skbCtx } from './helpers/progrun.js';
import { uplinkNode } from './helpers/topo.js';
import { buildPacket } from './helpers/packets.js';

const TC_ACT_OK = 0;
const TC_ACT_REDIRECT = 7;
const TOR_MAC = '02:00:00:00:aa:01';
const POD_MAC = '02:00:00:00:01:11';
const LXC_MAC = '02:00:00:00:01:10';
const L = POD_F_LOCAL, R = POD_F_REMOTE;

let ns: Netns;
let loader: DatapathLoader;
let up0: number;
let lxc1: number;
let lxc2: number;

test.before(async () => {
  if (!isRoot()) throw new Error('test/bpf needs root (BPF_PROG_TEST_RUN, network namespaces); CI runs it as root');
  ensureBpffs();
  ns = new Netns('pod');
  uplinkNode(ns, { lxcMac: LXC_MAC, podMac: POD_MAC, torMac: TOR_MAC, dualStack: true });
  lxc1 = ns.ifindex('lxc1');
  // A second pod veth whose ifindex shares lxc1's slot in rr_ifslots_v1.
  lxc2 = lxc1 + IFSLOTS;
  ns.lines(`
    ip link add lxc2 index ${lxc2} address 02:00:00:00:02:10 type veth peer name lxc2p
    ip link set lxc2 up
    ip link set lxc2p up
    ip route add 10.244.1.5/32 dev lxc1
    ip -6 route add fd00:244:1::5/128 dev lxc1
    ip neigh replace 10.244.1.5 lladdr ${POD_MAC} dev lxc1 nud permanent
    ip -6 neigh replace fd00:244:1::5 lladdr ${POD_MAC} dev lxc1 nud permanent
    ip route add 10.244.1.9/32 dev lxc2
    ip neigh replace 10.244.1.9 lladdr ${POD_MAC} dev lxc2 nud permanent
    ip route add 10.64.0.0/10 via 10.0.1.1
    ip route add 192.168.5.0/24 via 10.0.1.1
    ip -6 route add fd00:99::/64 via fd00:1::1
  `);
  up0 = ns.ifindex('up0');
  loader = new DatapathLoader({ pinDir: `/sys/fs/bpf/${ns.name}`, exec: hostExec(ns.name) });
  await loader.load();
  // Marked as pod veths, not attached (a reload re-attaches what the maps say is attached).
  loader.maps().setIface(lxc1, IFACE_F_POD);
});

test.after.always(async () => {
  await loader?.destroy().catch(() => undefined);
  ns?.delete();
});

function counter(reason: Reason): number {
  return loader.maps().readCounters().find((c) => c.id === reason)?.packets ?? -1;
}

/** One packet in at `ingress`: the verdict and the one reason counted. */
function verdict(t: import('ava').ExecutionContext, p: { src: string; dst: string }, ingress: number, want: Reason, what: string): void {
  const pkt = buildPacket({ ...p, l4: 'udp', srcMac: ingress === up0 ? TOR_MAC : POD_MAC, dstMac: ingress === up0 ? '02:00:00:00:00:10' : LXC_MAC });
  const before = counter(want);
  const r = progRun(ns.name, loader.programPin, pkt, skbCtx({ ifindex: ingress, ingressIfindex: ingress }));
  t.is(counter(want), before + 1, `${what}: counted as ${Reason[want]} (verdict ${r.retval})`);
  t.is(r.retval, want === Reason.FWD_REDIRECT || want === Reason.FWD_REDIRECT_PEER ? TC_ACT_REDIRECT : TC_ACT_OK, `${what}: verdict`);
}

const fromTor = (dst: string) => ({ src: dst.includes(':') ? 'fd00:1::20' : '10.0.1.20', dst });
const sync = (entries: [string, number][]) => syncPodCidrs(loader.maps(), new Map(entries));
const lens = () => ({ v4: loader.maps().readConfig().pod4.lens, v6: loader.maps().readConfig().pod6.lens });

test.serial('no pod CIDR yet: nothing is pod traffic', (t) => {
  t.deepEqual(lens(), { v4: [], v6: [] });
  verdict(t, fromTor('10.244.1.5'), up0, Reason.PASS_NOT_POD, 'to a pod address');
});

test.serial('IPv4: the longest prefix wins, with two lengths in use', (t) => {
  sync([['10.244.0.0/16', L], ['10.244.1.0/24', R]]);
  t.deepEqual(lens().v4, [24, 16]);
  t.is(formatCidr(loader.maps().readConfig().pod4.cover ?? { family: 4, addr: Buffer.alloc(4), prefixLen: 99 }), '10.244.0.0/16');
  verdict(t, fromTor('10.244.1.5'), up0, Reason.FWD_REDIRECT, '/24 REMOTE inside /16 LOCAL');
  sync([['10.244.0.0/16', R], ['10.244.1.0/24', L]]);
  verdict(t, fromTor('10.244.1.5'), up0, Reason.FWD_REDIRECT_PEER, '/24 LOCAL inside /16 REMOTE');
  // No /24 entry holds the address: the /16 answers.
  sync([['10.244.0.0/16', L], ['10.244.2.0/24', R]]);
  verdict(t, fromTor('10.244.1.5'), up0, Reason.FWD_REDIRECT_PEER, 'only the /16 holds it');
});

test.serial('IPv4: a source-only match is pod traffic; neither address is not', (t) => {
  sync([['10.244.1.0/24', L]]);
  verdict(t, { src: '10.244.1.5', dst: '192.168.5.5' }, lxc1, Reason.FWD_REDIRECT, 'pod to an outside address');
  verdict(t, { src: '10.9.9.9', dst: '192.168.5.5' }, lxc1, Reason.PASS_NOT_POD, 'outside to outside');
  // Inside the covering prefix but in no CIDR: a lookup, a miss, the stack.
  sync([['10.244.1.0/24', L], ['10.244.3.0/24', R]]);
  verdict(t, { src: '10.244.2.9', dst: '192.168.5.5' }, lxc1, Reason.PASS_NOT_POD, 'inside the cover, in no CIDR');
});

test.serial('IPv4: an upsert publishes its length at once; a removal narrows the summary at the next sync', (t) => {
  const maps = loader.maps();
  sync([['10.244.0.0/16', R]]);
  t.deepEqual(lens().v4, [16]);
  verdict(t, fromTor('10.244.1.5'), up0, Reason.FWD_REDIRECT, '/16 REMOTE');
  maps.upsertPodCidr('10.244.1.0/26', L);
  t.deepEqual(lens().v4, [26, 16], 'widened by the upsert');
  verdict(t, fromTor('10.244.1.5'), up0, Reason.FWD_REDIRECT_PEER, 'the new /26 LOCAL');
  t.true(maps.deletePodCidr('10.244.1.0/26'));
  t.deepEqual(lens().v4, [26, 16], 'a removal alone leaves the summary wider (a lookup more, never a wrong answer)');
  verdict(t, fromTor('10.244.1.5'), up0, Reason.FWD_REDIRECT, 'the /16 again');
  t.deepEqual(sync([['10.244.0.0/16', R]]), { added: [], updated: [], removed: [] });
  t.deepEqual(lens().v4, [16], 'the sync made it exact');
  sync([['10.96.0.0/16', R]]);
  t.deepEqual(lens().v4, [16]);
  t.is(formatCidr(maps.readConfig().pod4.cover ?? { family: 4, addr: Buffer.alloc(4), prefixLen: 99 }), '10.96.0.0/16');
  verdict(t, fromTor('10.244.1.5'), up0, Reason.PASS_NOT_POD, 'a CIDR removed by the sync');
  sync([]);
  t.deepEqual(lens().v4, []);
  t.is(maps.readConfig().pod4.cover, null);
});

test.serial('IPv4: /0 and /32 pod CIDRs', (t) => {
  sync([['0.0.0.0/0', R]]);
  verdict(t, { src: '10.9.9.9', dst: '192.168.5.5' }, lxc1, Reason.FWD_REDIRECT, 'everything is in /0');
  sync([['10.244.1.5/32', L], ['10.244.0.0/16', R]]);
  verdict(t, fromTor('10.244.1.5'), up0, Reason.FWD_REDIRECT_PEER, 'the /32 LOCAL');
  verdict(t, fromTor('10.244.1.9'), up0, Reason.FWD_REDIRECT, 'beside it: the /16 REMOTE');
});

test.serial('IPv4: with more distinct lengths than published, the longest 16 are; a CIDR of a length left out goes to the stack', (t) => {
  const entries: [string, number][] = [];
  for (let len = 16; len <= 32; len++) entries.push([`10.${100 + len}.0.0/${len}`, R]);
  sync(entries);
  t.deepEqual(lens().v4, [32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17]);
  verdict(t, { src: '192.168.5.9', dst: '10.117.0.5' }, lxc1, Reason.FWD_REDIRECT, 'in the /17');
  verdict(t, { src: '192.168.5.9', dst: '10.116.0.5' }, lxc1, Reason.PASS_NOT_POD, 'only in the /16, left out');
});

test.serial('IPv6: the longest prefix wins, source-only matches, masks across words', (t) => {
  sync([['fd00:244::/48', L], ['fd00:244:1::/64', R]]);
  t.deepEqual(lens().v6, [64, 48]);
  verdict(t, fromTor('fd00:244:1::5'), up0, Reason.FWD_REDIRECT, '/64 REMOTE inside /48 LOCAL');
  sync([['fd00:244::/48', R], ['fd00:244:1::/64', L]]);
  verdict(t, fromTor('fd00:244:1::5'), up0, Reason.FWD_REDIRECT_PEER, '/64 LOCAL inside /48 REMOTE');
  // /126 (::4 - ::7) cuts the last word; /127 and /128 beside it must not catch ::5.
  sync([['fd00:244:1::/64', R], ['fd00:244:1::4/126', L], ['fd00:244:1::6/127', R], ['fd00:244:1::4/128', R]]);
  t.deepEqual(lens().v6, [128, 127, 126, 64]);
  verdict(t, fromTor('fd00:244:1::5'), up0, Reason.FWD_REDIRECT_PEER, 'the /126 LOCAL');
  verdict(t, { src: 'fd00:244:1::5', dst: 'fd00:99::1' }, lxc1, Reason.FWD_REDIRECT, 'pod to an outside address');
  verdict(t, { src: 'fd00:1::99', dst: 'fd00:99::1' }, lxc1, Reason.PASS_NOT_POD, 'outside to outside');
  sync([['fd00:244::/47', L]]);
  t.deepEqual(lens().v6, [47]);
  verdict(t, fromTor('fd00:244:1::5'), up0, Reason.FWD_REDIRECT_PEER, 'a length inside the third 16 bits');
  sync([]);
  t.deepEqual(lens().v6, []);
  verdict(t, fromTor('fd00:244:1::5'), up0, Reason.PASS_NOT_POD, 'removed');
});

test.serial('device slots: two pod veths in one slot; the one without it gets bpf_redirect; a removal hands the slot over', (t) => {
  const maps = loader.maps();
  sync([['10.244.1.0/24', L]]);
  maps.setIface(lxc2, IFACE_F_POD);
  try {
    verdict(t, fromTor('10.244.1.5'), up0, Reason.FWD_REDIRECT_PEER, 'lxc1 holds the slot');
    verdict(t, fromTor('10.244.1.9'), up0, Reason.FWD_REDIRECT, 'lxc2 shares it: plain redirect, delivered the same');
    maps.deleteIface(lxc1);
    verdict(t, fromTor('10.244.1.9'), up0, Reason.FWD_REDIRECT_PEER, 'lxc2 got the slot');
    verdict(t, fromTor('10.244.1.5'), up0, Reason.FWD_REDIRECT, 'lxc1 no longer a managed pod veth');
    // A device that is no pod veth yields the slot to one that is.
    maps.deleteIface(lxc2);
    maps.setIface(lxc2, IFACE_F_UPLINK);
    maps.setIface(lxc1, IFACE_F_POD);
    verdict(t, fromTor('10.244.1.5'), up0, Reason.FWD_REDIRECT_PEER, 'lxc1 took the slot from a non-pod device');
    maps.setIface(lxc2, IFACE_F_UPLINK);
    verdict(t, fromTor('10.244.1.5'), up0, Reason.FWD_REDIRECT_PEER, 'and keeps it');
    t.false(maps.refreshIfaceSlots(), 'the slots already are what the managed devices say');
    // Two pod veths: the holder keeps the slot, also through a rebuild (no flapping on reloads).
    maps.deleteIface(lxc1);
    maps.setIface(lxc2, IFACE_F_POD);
    maps.setIface(lxc1, IFACE_F_POD);
    t.false(maps.refreshIfaceSlots());
    verdict(t, fromTor('10.244.1.9'), up0, Reason.FWD_REDIRECT_PEER, 'lxc2 holds it');
    verdict(t, fromTor('10.244.1.5'), up0, Reason.FWD_REDIRECT, 'lxc1 waits');
  } finally {
    maps.deleteIface(lxc2);
    maps.setIface(lxc1, IFACE_F_POD);
  }
  verdict(t, fromTor('10.244.1.5'), up0, Reason.FWD_REDIRECT_PEER, 'lxc1 again');
});

test.serial('a reload rebuilds the summaries and slots from the maps (an upgrade starts with them empty)', async (t) => {
  sync([['10.244.0.0/16', R], ['10.244.1.0/24', L]]);
  const pin = `/sys/fs/bpf/${ns.name}`;
  // What an upgrade finds: the maps kept, the config and slot maps new (here: emptied by hand).
  ns.run(['bpftool', 'map', 'update', 'pinned', `${pin}/rr_ifslots_v1`, 'key', ...[0, 1, 2, 3].map((i) => String(((lxc1 % IFSLOTS) >> (8 * i)) & 0xff)),
    'value', ...new Array<string>(8).fill('0')]);
  verdict(t, fromTor('10.244.1.5'), up0, Reason.FWD_REDIRECT, 'slot gone: plain redirect');
  ns.run(['bpftool', 'map', 'update', 'pinned', `${pin}/rr_config_v2`, 'key', '0', '0', '0', '0', 'value', ...new Array<string>(120).fill('0')]);
  verdict(t, fromTor('10.244.1.5'), up0, Reason.PASS_NOT_POD, 'summary gone: nothing is pod traffic');
  await loader.load();
  t.deepEqual(lens().v4, [24, 16]);
  verdict(t, fromTor('10.244.1.5'), up0, Reason.FWD_REDIRECT_PEER, 'summary and slot rebuilt');
});
