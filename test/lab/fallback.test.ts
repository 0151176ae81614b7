// Issue 7 in the `fallback` lab, over VXLAN: rack r2's ToR (tor2) speaks no BGP, so the fabric never hears of
// node3's pod CIDRs; with `encapsulation: auto` node3 reaches rack r1's pods through the tunnel (and they reach it
// back the same way), while node1 <-> node2 stays native. Checks the kernel state rackroute writes (device, FDB,
// neighbours, routes), traffic both families, the capture on the spine's link to tor2, the MTU boundary, drift
// repair, and the operator surfaces (status, routes).
import test from 'ava';
import { spawn } from 'node:child_process';
import { capture, expectReachable, inNs, kernelRoutes, lab, labDownQuietly, labUp, pingStats, rackroute, sleep, waitUntil } from './helpers.js';
import type { LabState } from '../../src/lab/state.js';
import { apiRequest } from '../../src/api/client.js';
import type { RoutesResponse, StatusResponse } from '../../src/api/types.js';

const NAME = 't-fallback-vxlan';
const FILE = lab('fallback');
let state: LabState;
const ns = (node: string): string => state.nodes[node].ns;
const pod = (node: string, n = 1): string => `${ns(node)}-pod${n}`;
const sock = (node: string): string => state.nodes[node].control as string;

test.before(async () => {
  state = labUp(NAME, FILE);
  // node3 reaches both r1 nodes through the tunnel (IPv4 and IPv6); node1 reaches node2 natively through the leaf.
  await waitUntil('tunnel and native routes on node1 and node3', 60_000, () => {
    const n3 = kernelRoutes(ns('node3'), 'rackroute').filter((r) => r.type !== 'blackhole');
    const n1 = kernelRoutes(ns('node1'), 'rackroute');
    return n3.length >= 4 && n1.some((r) => r.dst === '10.244.2.0/24') && n1.some((r) => r.dst === '10.244.3.0/24') ? true : undefined;
  }, 500);
  // Before their sessions are up, node1 and node2 tunnel to each other too (auto: no BGP path yet); then native.
  await waitUntil('node1 and node2 to route each other natively', 60_000, () =>
    ([['node1', '10.244.2.0/24'], ['node2', '10.244.1.0/24']] as const).every(([n, dst]) => routesOfNs(ns(n)).find((r) => r.dst === dst)?.dev === 'eth1') ? true : undefined, 500);
  await sleep(1000);
});

test.after.always(() => labDownQuietly(NAME, FILE));

interface IpRoute { dst: string; gateway?: string; dev?: string; flags?: string[]; metrics?: Array<{ mtu?: number }> }
const routesOfNs = (namespace: string, family: '-4' | '-6' = '-4'): IpRoute[] =>
  JSON.parse(inNs(namespace, 'ip', ['-j', '-d', family, 'route', 'show', 'proto', 'rackroute']).stdout || '[]') as IpRoute[];
const routesOf = (node: string, family: '-4' | '-6'): IpRoute[] => routesOfNs(ns(node), family);

test.serial('the VXLAN device, FDB and neighbour entries are what rackroute wrote, and routes go through it with MTU 1450', (t) => {
  const link = JSON.parse(inNs(ns('node3'), 'ip', ['-j', '-d', 'link', 'show', 'rr.vxlan']).stdout)[0] as {
    mtu: number; address: string; linkinfo: { info_kind: string; info_data: { id: number; local: string; port: number; learning: boolean; link: string } };
  };
  t.is(link.linkinfo.info_kind, 'vxlan');
  t.like(link.linkinfo.info_data, { id: 4096, local: '10.0.2.10', port: 4789, learning: false, link: 'eth1' });
  t.is(link.mtu, 1450);
  t.is(link.address, '02:72:0a:00:02:0a', 'the VTEP MAC derives from the underlay address');
  const fdb = inNs(ns('node3'), 'bridge', ['fdb', 'show', 'dev', 'rr.vxlan']).stdout;
  t.regex(fdb, /02:72:0a:00:01:0a dst 10\.0\.1\.10 self permanent/);
  t.regex(fdb, /02:72:0a:00:01:0b dst 10\.0\.1\.11 self permanent/);
  const neigh = inNs(ns('node3'), 'ip', ['neigh', 'show', 'dev', 'rr.vxlan']).stdout;
  t.regex(neigh, /10\.0\.1\.10 lladdr 02:72:0a:00:01:0a PERMANENT/);
  t.regex(neigh, /fe80::72:aff:fe00:10a lladdr 02:72:0a:00:01:0a PERMANENT/);
  const r4 = routesOf('node3', '-4').find((r) => r.dst === '10.244.1.0/24');
  t.like(r4, { gateway: '10.0.1.10', dev: 'rr.vxlan' });
  t.true(r4?.flags?.includes('onlink'));
  t.is(r4?.metrics?.[0]?.mtu, 1450);
  t.like(routesOf('node3', '-6').find((r) => r.dst === 'fd00:244:1::/64'), { gateway: 'fe80::72:aff:fe00:10a', dev: 'rr.vxlan' });
  // node1: node2 native through the leaf (third-party next hop), node3 through the tunnel
  t.like(routesOf('node1', '-4').find((r) => r.dst === '10.244.2.0/24'), { gateway: '10.0.1.11', dev: 'eth1' });
  t.like(routesOf('node1', '-4').find((r) => r.dst === '10.244.3.0/24'), { gateway: '10.0.2.10', dev: 'rr.vxlan' });
  // return traffic: the tunnel device is not strict (decapsulated packets are accepted)
  t.not(inNs(ns('node1'), 'cat', ['/proc/sys/net/ipv4/conf/rr.vxlan/rp_filter']).stdout.trim(), '1');
});

test.serial('pods on node3 (rack r2, no BGP) reach pods on node1 and node2 and back, IPv4 and IPv6', async (t) => {
  const cases: Array<[string, string]> = [
    ['node3', '10.244.1.2'], ['node3', '10.244.2.3'], ['node3', 'fd00:244:1::2'], ['node3', 'fd00:244:2::2'],
    ['node1', '10.244.3.2'], ['node2', '10.244.3.3'], ['node1', 'fd00:244:3::2'], ['node1', '10.244.2.2'],
  ];
  await expectReachable(t, cases.map(([from, addr]) => [pod(from), addr] as const));
});


test.serial('a capture on the spine\'s link to tor2 shows VXLAN (UDP 4789); node1 <-> node2 stays native', async (t) => {
  const spine = await capture(ns('spine1'), 'eth2', 'udp port 4789 or icmp', 4, () => inNs(pod('node3'), 'ping', ['-c', '4', '-i', '0.2', '-q', '10.244.1.2']));
  t.log(spine.trim());
  t.regex(spine, /IP 10\.0\.2\.10\.\d+ > 10\.0\.1\.10\.4789: VXLAN, flags \[I\] \(0x08\), vni 4096\s+IP 10\.244\.3\.2 > 10\.244\.1\.2: ICMP echo request/);
  t.regex(spine, /IP 10\.0\.1\.10\.\d+ > 10\.0\.2\.10\.4789: VXLAN.*\s+IP 10\.244\.1\.2 > 10\.244\.3\.2: ICMP echo reply/);
  t.notRegex(spine, /^\S+ IP 10\.244\./m, 'no pod address unencapsulated on the tunnel path');
  const leaf = await capture(ns('node1'), 'eth1', 'host 10.244.2.2 or udp port 4789', 4, () => inNs(pod('node1'), 'ping', ['-c', '4', '-i', '0.2', '-q', '10.244.2.2']));
  t.log(leaf.trim());
  t.regex(leaf, /IP 10\.244\.1\.2 > 10\.244\.2\.2: ICMP echo request/);
  t.notRegex(leaf, /VXLAN/, 'node1 <-> node2 is native');
});

test.serial('MTU: 1422-byte payloads (1450-byte packets) cross the tunnel with DF; bigger DF packets get "frag needed", none vanish', (t) => {
  // Pods keep MTU 1500 (labs/scripts/pods.sh); the route MTU (1450) on the tunnel routes makes the node answer
  // oversized DF packets with ICMP "fragmentation needed" (PMTU discovery), and fragments the others.
  const at = (size: number, df: boolean): { out: string; sent: number; received: number } => {
    const r = inNs(pod('node3'), 'ping', [...(df ? ['-M', 'do'] : []), '-c', '3', '-i', '0.3', '-W', '2', '-s', String(size), '10.244.1.2']);
    const out = r.stdout + r.stderr;
    return { out, ...pingStats(out) };
  };
  const fits = at(1422, true);
  t.is(fits.received, 3, fits.out);
  for (const size of [1423, 1472]) {
    const big = at(size, true);
    const told = /mtu = 1450|message too long, mtu=1450/.test(big.out);
    t.true(big.received === big.sent || told, `DF ${size}: answered or told the MTU, never silently lost: ${big.out}`);
    t.log(`DF -s ${size}: ${big.received}/${big.sent} replies${told ? ', frag needed (mtu 1450) reported to the pod' : ''}`);
  }
  const frag = at(1472, false);
  t.is(frag.received, 3, `1500-byte packets without DF are fragmented, not lost: ${frag.out}`);
  // TCP: the MSS follows the PMTU
  const server = spawn('nsenter', [`--net=/run/netns/${pod('node1')}`, 'iperf3', '-s', '-1', '-p', '5202'], { stdio: 'ignore' });
  t.teardown(() => server.kill());
  type Iperf = { error?: string; end?: { sum_received?: { bytes: number; bits_per_second: number } } };
  let result: Iperf = {};
  for (let i = 0; i < 20 && !result.end?.sum_received; i++) {
    const client = inNs(pod('node3'), 'iperf3', ['-c', '10.244.1.2', '-p', '5202', '-t', '2', '-J'], 20_000);
    result = JSON.parse(client.stdout || '{}') as Iperf;
    if (!result.end?.sum_received) spawnSyncSleep(250);
  }
  const rx = result.end?.sum_received;
  t.true((rx?.bytes ?? 0) > 1_000_000, `TCP through the tunnel: ${JSON.stringify(rx ?? result.error)}`);
  if (rx) t.log(`TCP node3/pod1 -> node1/pod1 through VXLAN: ${(rx.bits_per_second / 1e9).toFixed(2)} Gbit/s`);
});

function spawnSyncSleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

test.serial('status and routes show the transport, its reason and the tunnel', async (t) => {
  const st = await apiRequest<StatusResponse>(sock('node3'), 'GET', '/v1/status');
  t.is(st.transport?.mode, 'auto');
  t.is(st.transport?.tunnels.tunnel?.kind, 'vxlan');
  t.is(st.transport?.tunnels.tunnel?.mtu, 1450);
  t.deepEqual(st.transport?.nodes.map((n) => `${n.node} ${n.transport} ${n.why}`), ['node1 vxlan fabric-no-path', 'node2 vxlan fabric-no-path']);
  const routes = await apiRequest<RoutesResponse>(sock('node1'), 'GET', '/v1/routes');
  const by = new Map(routes.routes.map((r) => [r.prefix, r]));
  t.like(by.get('10.244.3.0/24'), { transport: 'vxlan', transportReason: 'fabric-no-path', paths: [] });
  t.like(by.get('10.244.2.0/24'), { transport: 'native', transportReason: 'fabric-routes' });
  const table = rackroute(['routes', '--socket', sock('node1')]);
  t.regex(table.stdout, /10\.244\.3\.0\/24\s+-\s+site file\s+-\s+vxlan \(fabric-no-path\)/);
});

test.serial('drift: a deleted VXLAN device, FDB entry or neighbour comes back, with the routes through it', async (t) => {
  const n = ns('node3');
  t.is(inNs(n, 'bridge', ['fdb', 'del', '02:72:0a:00:01:0a', 'dev', 'rr.vxlan', 'dst', '10.0.1.10', 'self']).status, 0);
  t.is(inNs(n, 'ip', ['neigh', 'del', '10.0.1.11', 'dev', 'rr.vxlan']).status, 0);
  await waitUntil('FDB and neighbour entries back', 40_000, () => {
    const fdb = inNs(n, 'bridge', ['fdb', 'show', 'dev', 'rr.vxlan']).stdout;
    const neigh = inNs(n, 'ip', ['neigh', 'show', 'dev', 'rr.vxlan']).stdout;
    return /02:72:0a:00:01:0a dst 10\.0\.1\.10/.test(fdb) && /10\.0\.1\.11 lladdr/.test(neigh) ? true : undefined;
  });
  const t0 = Date.now();
  t.is(inNs(n, 'ip', ['link', 'del', 'rr.vxlan']).status, 0);
  await waitUntil('the device and the routes through it back', 60_000, () =>
    (routesOf('node3', '-4').filter((r) => r.dev === 'rr.vxlan').length === 2 && routesOf('node3', '-6').filter((r) => r.dev === 'rr.vxlan').length === 2 ? true : undefined), 250);
  t.log(`deleted rr.vxlan: device, FDB, neighbours and 4 routes back in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const r = inNs(pod('node3'), 'ping', ['-c', '3', '-i', '0.2', '-W', '2', '-q', '10.244.1.2']);
  t.is(pingStats(r.stdout).received, 3, r.stdout);
});
