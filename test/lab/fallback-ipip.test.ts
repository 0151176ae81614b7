// Issue 7 in the `fallback` lab over IP-in-IP (`tunnel: ipip`): this kernel has no ipip module, so the agent picks
// the eBPF implementation (rr_ipip.o at tc on the uplink) and says why; the eBPF fast path (rr_ingress) runs beside
// it (datapath.ebpf defaults to true). Rack r2's ToR speaks no BGP: node3 reaches rack r1's pods through the tunnel
// and they reach it back the same way, while node1 <-> node2 stays native. Checks the routes (via the underlay
// gateway, mtu 1480) and the destination maps, traffic both families, a capture on the spine's link to tor2
// (protocol 4, node addresses outside, pod addresses inside), the MTU boundary, and TCP through the tunnel with
// its throughput printed next to native's. The lab is a copy of labs/fallback with its site file changed.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capture, expectReachable, inNs, lab, labDownQuietly, labUp, pingStats, rackroute, sleep, waitUntil } from './helpers.js';
import type { LabState } from '../../src/lab/state.js';
import { apiRequest } from '../../src/api/client.js';
import type { StatusResponse } from '../../src/api/types.js';
import type { DatapathApiStatus } from '../../src/dataplane/ebpf/status.js';
import { IpipMaps, kernelHasIpip } from '../../src/dataplane/ebpf/ipip.js';
import { pinDirForNetns } from '../../src/dataplane/ebpf/pins.js';
import { IPIP6_GATEWAY } from '../../src/dataplane/tunnel/ipip-ebpf.js';

const NAME = 't-ipip-fallback';
const dir = mkdtempSync(join(tmpdir(), 'rr-ipip-fallback-'));
const labs = lab('fallback').replace(/fallback\.clab\.yml$/, '');
const siteFile = join(dir, 'site.yaml');
const topo = join(dir, 'fallback.clab.yml');
writeFileSync(siteFile, readFileSync(join(labs, 'fallback/site.yaml'), 'utf8').replace(/^ {2}tunnel: vxlan$/m, '  tunnel: ipip'));
writeFileSync(topo, readFileSync(lab('fallback'), 'utf8')
  .replace(/^name: fallback$/m, `name: ${NAME}`)
  .replaceAll('fallback/site.yaml:', `${siteFile}:`)
  .replace(/- (frr\/[\w.-]+|fallback\/[\w.-]+\.conf|scripts\/pods\.sh):/g, (_m, p: string) => `- ${labs}${p}:`));

let state: LabState;
const ns = (node: string): string => state.nodes[node].ns;
const pod = (node: string, n = 1): string => `${ns(node)}-pod${n}`;
const sock = (node: string): string => state.nodes[node].control as string;

interface IpRoute { dst: string; gateway?: string; dev?: string; flags?: string[]; metrics?: Array<{ mtu?: number }> }
const routesOf = (node: string, family: '-4' | '-6' = '-4'): IpRoute[] =>
  JSON.parse(inNs(ns(node), 'ip', ['-j', '-d', family, 'route', 'show', 'proto', 'rackroute']).stdout || '[]') as IpRoute[];
const counters = async (node: string): Promise<Map<string, number>> => {
  const d = await apiRequest<DatapathApiStatus>(sock(node), 'GET', '/v1/datapath');
  return new Map(d.counters.map((c) => [c.label, c.packets]));
};

test.before(async () => {
  state = labUp(NAME, topo);
  await waitUntil('tunnel routes on node3 and node1, native node1 -> node2', 90_000, () => {
    const n3 = routesOf('node3').filter((r) => r.metrics?.[0]?.mtu === 1480);
    const n1 = routesOf('node1');
    return n3.length >= 2 && n1.find((r) => r.dst === '10.244.3.0/24')?.metrics?.[0]?.mtu === 1480
      && n1.find((r) => r.dst === '10.244.2.0/24')?.gateway === '10.0.1.11' ? true : undefined;
  }, 500);
  await sleep(1000);
});

test.after.always(() => {
  labDownQuietly(NAME, topo);
  rmSync(dir, { recursive: true, force: true });
});

test.serial('the eBPF implementation is chosen, and status says which and why (the kernel device is skipped here)', async (t) => {
  const probe = await kernelHasIpip();
  t.log(probe.ok ? 'this kernel has the ipip module: the kernel device would be chosen (auto)'
    : `kernel ipip device path skipped here: ${probe.why}`);
  for (const node of ['node1', 'node2', 'node3']) {
    const st = await apiRequest<StatusResponse>(sock(node), 'GET', '/v1/status');
    const tun = st.transport?.tunnels;
    t.like(tun?.tunnel, { kind: 'ipip', implementation: probe.ok ? 'kernel' : 'ebpf', mtu: 1480, up: true });
    if (!probe.ok) t.regex(tun?.implementation ?? '', /^ebpf: .*ipip.*(Unknown device type|EOPNOTSUPP)/);
    if (node === 'node3') t.log(`node3: tunnel implementation ${tun?.implementation}; details ${JSON.stringify(tun?.tunnel?.details)}`);
  }
  const table = rackroute(['status', '--socket', sock('node3')]);
  t.regex(table.stdout, /tunnel ipip \((ebpf|kernel)\)/);
  t.regex(table.stdout, /tunnel implementation (ebpf|kernel): /);
  // both program sets on the uplink: rr_ipip_ingress (1000) before rr_ingress (1100), rr_ipip_egress at egress
  const net = inNs(ns('node3'), 'bpftool', ['net', 'show', 'dev', 'eth1']).stdout;
  t.log(net.trim());
  t.regex(net, /eth1\(\d+\) clsact\/ingress rr_ipip_ingress/);
  t.regex(net, /eth1\(\d+\) clsact\/ingress rr_ingress/);
  t.regex(net, /eth1\(\d+\) clsact\/egress rr_ipip_egress/);
});

test.serial('routes: via the underlay gateway with mtu 1480; the maps hold exactly the tunnelled pod CIDRs', (t) => {
  const n3 = routesOf('node3');
  t.like(n3.find((r) => r.dst === '10.244.1.0/24'), { gateway: '10.0.2.1', dev: 'eth1' });
  t.is(n3.find((r) => r.dst === '10.244.1.0/24')?.metrics?.[0]?.mtu, 1480);
  t.like(routesOf('node3', '-6').find((r) => r.dst === 'fd00:244:1::/64'), { gateway: IPIP6_GATEWAY, dev: 'eth1' });
  t.like(routesOf('node1').find((r) => r.dst === '10.244.3.0/24'), { gateway: '10.0.1.1', dev: 'eth1' });
  const native = routesOf('node1').find((r) => r.dst === '10.244.2.0/24');
  t.like(native, { gateway: '10.0.1.11', dev: 'eth1' });
  t.is(native?.metrics?.[0]?.mtu, undefined, 'native routes have no MTU of their own');
  for (const [node, want] of [['node3', ['10.244.1.0/24', '10.244.2.0/24', 'fd00:244:1::/64', 'fd00:244:2::/64']],
    ['node1', ['10.244.3.0/24', 'fd00:244:3::/64']]] as const) {
    const maps = new IpipMaps(pinDirForNetns(ns(node)));
    try {
      t.deepEqual(maps.listDestinations().map((d) => d.podCidr).sort(), [...want].sort(), `${node}: destinations`);
      t.deepEqual(new Set(maps.listDestinations().map((d) => d.remote)).size, node === 'node3' ? 2 : 1);
      const self = { node1: '10.0.1.10', node3: '10.0.2.10' }[node];
      t.deepEqual(maps.listPeers(), ['10.0.1.10', '10.0.1.11', '10.0.2.10'].filter((a) => a !== self), `${node}: the nodes it decapsulates for`);
    } finally {
      maps.close();
    }
  }
});

test.serial('pods on node3 (rack r2, no BGP) reach pods on node1 and node2 and back, IPv4 and IPv6', async (t) => {
  const cases: Array<[string, string]> = [
    ['node3', '10.244.1.2'], ['node3', '10.244.2.3'], ['node3', 'fd00:244:1::2'], ['node3', 'fd00:244:2::2'],
    ['node1', '10.244.3.2'], ['node2', '10.244.3.3'], ['node1', 'fd00:244:3::2'], ['node1', '10.244.2.2'],
  ];
  await expectReachable(t, cases.map(([from, addr]) => [pod(from), addr] as const));
});


test.serial('a capture on the spine\'s link to tor2 shows IP protocol 4 (nodes outside, pods inside); node1 <-> node2 stays native', async (t) => {
  // -v: the outer header's protocol is printed ("proto IPIP (4)"), the inner packet on the lines below it
  const spine = await capture(ns('spine1'), 'eth2', 'ip proto 4 or ip proto 41 or icmp', 4, () => inNs(pod('node3'), 'ping', ['-c', '4', '-i', '0.2', '-q', '10.244.1.2']), true);
  t.log(spine.trim());
  t.regex(spine, /proto IPIP \(4\), length 104\)\n\s+10\.0\.2\.10 > 10\.0\.1\.10: IP \([^\n]*proto ICMP \(1\), length 84\)\n\s+10\.244\.3\.2 > 10\.244\.1\.2: ICMP echo request/);
  t.regex(spine, /proto IPIP \(4\), length 104\)\n\s+10\.0\.1\.10 > 10\.0\.2\.10: IP \([^\n]*proto ICMP \(1\), length 84\)\n\s+10\.244\.1\.2 > 10\.244\.3\.2: ICMP echo reply/);
  t.notRegex(spine, /^\d\S* IP \([^\n]*proto ICMP \(1\)[^\n]*\n\s+10\.244\./m, 'no pod address unencapsulated on the tunnel path');
  const v6 = await capture(ns('spine1'), 'eth2', 'ip proto 41', 2, () => inNs(pod('node3'), 'ping', ['-c', '2', '-i', '0.2', '-q', 'fd00:244:1::2']));
  t.log(v6.trim());
  t.regex(v6, /IP 10\.0\.2\.10 > 10\.0\.1\.10: IP6 fd00:244:3::2 > fd00:244:1::2: ICMP6, echo request/);
  const leaf = await capture(ns('node1'), 'eth1', 'host 10.244.2.2 or ip proto 4', 4, () => inNs(pod('node1'), 'ping', ['-c', '4', '-i', '0.2', '-q', '10.244.2.2']));
  t.log(leaf.trim());
  t.regex(leaf, /^\S+ IP 10\.244\.1\.2 > 10\.244\.2\.2: ICMP echo request/m);
  t.notRegex(leaf, /ipip-proto-4/, 'node1 <-> node2 is native');
});

test.serial('MTU: 1452-byte payloads (1480-byte packets) cross with DF; 1453 gets frag-needed mtu 1480; none dropped at the egress', async (t) => {
  const before = await counters('node3');
  const at = (size: number, df: boolean): { out: string; sent: number; received: number } => {
    const r = inNs(pod('node3'), 'ping', [...(df ? ['-M', 'do'] : []), '-c', '3', '-i', '0.3', '-W', '2', '-s', String(size), '10.244.1.2']);
    const out = r.stdout + r.stderr;
    return { out, ...pingStats(out) };
  };
  const fits = at(1452, true);
  t.is(fits.received, 3, fits.out);
  for (const size of [1453, 1472]) {
    const big = at(size, true);
    const told = /mtu = 1480|message too long, mtu=1480/.test(big.out);
    t.true(told, `DF ${size}: the pod is told mtu 1480: ${big.out}`);
    t.log(`DF -s ${size}: ${big.received}/${big.sent} replies; ${big.out.split('\n').filter((l) => /mtu/i.test(l))[0]?.trim() ?? ''}`);
  }
  const frag = at(1472, false);
  t.is(frag.received, 3, `1500-byte packets without DF are fragmented by the node, not lost: ${frag.out}`);
  const after = await counters('node3');
  const delta = (label: string): number => (after.get(label) ?? 0) - (before.get(label) ?? 0);
  t.log(`node3 counters during the MTU checks: pass_ipip_too_big +${delta('pass_ipip_too_big')}, fwd_ipip_encap +${delta('fwd_ipip_encap')}, `
    + `drop_ipip_too_big +${delta('drop_ipip_too_big')}`);
  t.true(delta('pass_ipip_too_big') > 0, 'the fast path handed the oversized packets to the stack');
  t.is(delta('drop_ipip_too_big'), 0, 'nothing reached the uplink too big to encapsulate');
});

type Iperf = { error?: string; end?: { sum_received?: { bytes: number; bits_per_second: number }; sum_sent?: { retransmits?: number } } };
function iperf(from: string, to: string, port: number): Iperf['end'] {
  const server = spawn('nsenter', [`--net=/run/netns/${pod(to)}`, 'iperf3', '-s', '-1', '-p', String(port)], { stdio: 'ignore' });
  try {
    const addr = { node1: '10.244.1.2', node2: '10.244.2.2', node3: '10.244.3.2' }[to] as string;
    let result: Iperf = {};
    for (let i = 0; i < 20 && !result.end?.sum_received; i++) {
      const client = inNs(pod(from), 'iperf3', ['-c', addr, '-p', String(port), '-t', '3', '-J'], 30_000);
      result = JSON.parse(client.stdout || '{}') as Iperf;
      if (!result.end?.sum_received) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
    return result.end;
  } finally {
    server.kill();
  }
}

function iperfNodes(from: string, to: string, addr: string, port: number): Iperf['end'] {
  const server = spawn('nsenter', [`--net=/run/netns/${ns(to)}`, 'iperf3', '-s', '-1', '-p', String(port)], { stdio: 'ignore' });
  try {
    let result: Iperf = {};
    for (let i = 0; i < 20 && !result.end?.sum_received; i++) {
      result = JSON.parse(inNs(ns(from), 'iperf3', ['-c', addr, '-p', String(port), '-t', '3', '-J'], 30_000).stdout || '{}') as Iperf;
      if (!result.end?.sum_received) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
    return result.end;
  } finally {
    server.kill();
  }
}

test.serial('TCP through the tunnel (fast path attached too) and natively: iperf3 throughput side by side', async (t) => {
  const before = await counters('node3');
  const tunnelled = iperf('node3', 'node1', 5211);
  const after = await counters('node3');
  const native = iperf('node2', 'node1', 5212);
  // the same routed path as the tunnel (tor2, spine, leaf) without encapsulation: node3's and node1's own addresses
  const underlay = iperfNodes('node3', 'node1', '10.0.1.10', 5213);
  const rx = tunnelled?.sum_received;
  t.true((rx?.bytes ?? 0) > 10_000_000, `TCP node3/pod1 -> node1/pod1 through IP-in-IP: ${JSON.stringify(rx)}`);
  t.true((native?.sum_received?.bytes ?? 0) > 10_000_000, `TCP node2/pod1 -> node1/pod1 native: ${JSON.stringify(native?.sum_received)}`);
  const gbps = (b?: number): string => ((b ?? 0) / 1e9).toFixed(2);
  const ratio = (tunnelled?.sum_received?.bits_per_second ?? 0) / (native?.sum_received?.bits_per_second ?? 1);
  t.log(`iperf3 3 s, one stream: IP-in-IP (eBPF) node3 -> node1 ${gbps(rx?.bits_per_second)} Gbit/s `
    + `(retransmits ${tunnelled?.sum_sent?.retransmits ?? '?'}); native node2 -> node1 ${gbps(native?.sum_received?.bits_per_second)} Gbit/s `
    + `(retransmits ${native?.sum_sent?.retransmits ?? '?'}); ratio ${ratio.toFixed(2)}`);
  const same = (tunnelled?.sum_received?.bits_per_second ?? 0) / (underlay?.sum_received?.bits_per_second ?? 1);
  t.log(`same routed path (node3 -> tor2 -> spine -> leaf -> node1) without encapsulation, node to node: `
    + `${gbps(underlay?.sum_received?.bits_per_second)} Gbit/s; IP-in-IP pod to pod / that = ${same.toFixed(2)}`);
  const delta = (label: string): number => (after.get(label) ?? 0) - (before.get(label) ?? 0);
  t.log(`node3 during the tunnelled transfer: fwd_redirect +${delta('fwd_redirect')}, fwd_ipip_encap +${delta('fwd_ipip_encap')}, `
    + `pass_ipip_too_big +${delta('pass_ipip_too_big')}, drop_ipip_too_big +${delta('drop_ipip_too_big')}`);
  t.is(delta('drop_ipip_too_big'), 0);
});
