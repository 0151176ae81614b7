// Issue 5 in the leaf-spine lab, for real: every node's pod CIDRs in every other node's kernel FIB with the right
// next hops, pod traffic across racks (ping, TCP) unencapsulated on the fabric, drift repaired, foreign routes left
// alone, and an agent restart that loses no packet and leaves the FIB as it was.
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import {
  agentPids, CLI, inNs, kernelRoutes, lab, labDownQuietly, labUp, pingStats, rackroute, sleep, waitUntil, type KernelRoute,
} from './helpers.js';
import type { LabState } from '../../src/lab/state.js';
import { apiRequest } from '../../src/api/client.js';
import type { StatusResponse } from '../../src/api/types.js';
import { AGENT_NODE_OPTIONS } from '../../src/agent/node-options.js';

const NAME = 't-routing';
const FILE = lab('leaf-spine');
interface SiteNode { name: string; rack: string; address: string; podCIDRs: string[] }
const site = yaml.load(readFileSync(new URL('../../labs/leaf-spine/site.yaml', import.meta.url), 'utf8')) as { nodes: SiteNode[] };
const LEAF: Record<string, string> = { r1: '10.0.1.1', r2: '10.0.2.1' };
const LEAF6: Record<string, string> = { r1: 'fd00:10:1::1', r2: 'fd00:10:2::1' };

let state: LabState;
const ns = (node: string): string => state.nodes[node].ns;
const pod = (node: string, n = 1): string => `${ns(node)}-pod${n}`;

test.before(async () => {
  state = labUp(NAME, FILE);
  // Every node has the other three nodes' pod CIDRs natively, through the fabric. (With `encapsulation: auto` a
  // node briefly tunnels to nodes the fabric has not announced yet, then moves them back: wait for native.)
  await waitUntil('every node to route the other nodes\' pod CIDRs natively', 60_000, () => (mismatches().length === 0 ? true : undefined), 500);
});

test.after.always(() => labDownQuietly(NAME, FILE));

function routeTo(routes: readonly KernelRoute[], dst: string): KernelRoute | undefined {
  return routes.find((r) => r.dst === dst);
}

/** Same rack: the leaf passes the other node's own address on (third-party next hop); other rack: the leaf. */
function expectedGateways(n: SiteNode, m: SiteNode): [string, string] {
  return [m.rack === n.rack ? m.address : LEAF[n.rack], LEAF6[n.rack]];
}

/** Every route that is not (yet) as expected: `node: prefix got -> want`. */
function mismatches(): string[] {
  const out: string[] = [];
  for (const n of site.nodes) {
    const routes = kernelRoutes(ns(n.name), 'rackroute');
    for (const own of n.podCIDRs) if (routeTo(routes, own)?.type !== 'blackhole') out.push(`${n.name}: ${own} not blackholed`);
    for (const m of site.nodes.filter((x) => x !== n)) {
      m.podCIDRs.forEach((cidr, i) => {
        const got = routeTo(routes, cidr)?.gateway;
        const want = expectedGateways(n, m)[i];
        if (got !== want) out.push(`${n.name}: ${cidr} via ${got} (want ${want})`);
      });
    }
  }
  return out;
}

test.serial('every node has every other node\'s pod CIDRs with the right next hops, and a blackhole for its own', (t) => {
  t.deepEqual(mismatches(), []);
  const routes = kernelRoutes(ns('node1'), 'rackroute');
  t.is(routeTo(routes, '10.244.3.0/24')?.gateway, '10.0.1.1');
  t.is(routeTo(routes, '10.244.2.0/24')?.gateway, '10.0.1.11');
  t.is(routeTo(routes, 'fd00:244:4::/64')?.gateway, 'fd00:10:1::1');
});

test.serial('pods in rack r1 reach pods in rack r2 (ping, IPv4 and IPv6) and carry a TCP transfer', async (t) => {
  for (const [from, to, addr] of [['node1', 'node3', '10.244.3.2'], ['node2', 'node4', '10.244.4.2'], ['node1', 'node4', 'fd00:244:4::2'], ['node4', 'node2', '10.244.2.3']]) {
    const r = inNs(pod(from), 'ping', ['-c', '3', '-i', '0.2', '-W', '2', '-q', addr]);
    t.is(pingStats(r.stdout).received, 3, `${from} -> ${to} ${addr}: ${r.stdout}`);
  }
  const server = spawn('nsenter', [`--net=/run/netns/${pod('node3')}`, 'iperf3', '-s', '-1', '-p', '5201'], { stdio: 'ignore' });
  t.teardown(() => server.kill());
  type Iperf = { error?: string; end?: { sum_received?: { bytes: number; bits_per_second: number } } };
  let result: Iperf = {};
  for (let i = 0; i < 20 && !result.end?.sum_received; i++) {
    if (i > 0) await sleep(250); // until the server listens
    const client = inNs(pod('node1'), 'iperf3', ['-c', '10.244.3.2', '-p', '5201', '-t', '2', '-J'], 20_000);
    result = JSON.parse(client.stdout || '{}') as Iperf;
  }
  const received = result.end?.sum_received;
  if (!received) return t.fail(`iperf3: ${result.error}`);
  t.true(received.bytes > 1_000_000, `TCP bytes received: ${received.bytes}`);
  t.log(`TCP pod node1/pod1 -> node3/pod1 across the fabric: ${(received.bits_per_second / 1e9).toFixed(2)} Gbit/s`);
});

test.serial('a capture on a fabric link shows the pod addresses on the wire, unencapsulated', async (t) => {
  const spine = ns('spine1');
  const cap = spawn('nsenter', [`--net=/run/netns/${spine}`, 'tcpdump', '-n', '-l', '-i', 'eth1', '-c', '4', 'host 10.244.1.2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  cap.stdout.on('data', (b: Buffer) => { text += b.toString(); });
  t.teardown(() => cap.kill());
  await sleep(1000);
  inNs(pod('node1'), 'ping', ['-c', '4', '-i', '0.2', '-q', '10.244.3.2']);
  await waitUntil('tcpdump to see the packets', 10_000, () => (text.split('\n').filter(Boolean).length >= 4 ? true : undefined));
  t.log(text.trim());
  t.regex(text, /IP 10\.244\.1\.2 > 10\.244\.3\.2: ICMP echo request/);
  t.regex(text, /IP 10\.244\.3\.2 > 10\.244\.1\.2: ICMP echo reply/);
  t.notRegex(text, /VXLAN|IP 10\.0\.\d+\.\d+ > 10\.0\.\d+\.\d+: IP 10\.244/, 'no encapsulation');
});

test.serial('drift: a route deleted or changed by hand comes back; a foreign route is left alone', async (t) => {
  const n = ns('node1');
  t.is(inNs(n, 'ip', ['route', 'add', '10.99.0.0/24', 'via', '10.0.1.1', 'proto', 'static']).status, 0);
  t.is(inNs(n, 'ip', ['route', 'del', '10.244.3.0/24', 'proto', 'rackroute']).status, 0);
  const t0 = Date.now();
  await waitUntil('the deleted route to come back', 40_000, () => routeTo(kernelRoutes(n, 'rackroute'), '10.244.3.0/24'));
  t.log(`deleted route repaired in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  t.is(inNs(n, 'ip', ['route', 'replace', '10.244.4.0/24', 'via', '10.0.1.11', 'proto', 'rackroute', 'metric', '20']).status, 0);
  await waitUntil('the changed route to be put back', 40_000, () => (routeTo(kernelRoutes(n, 'rackroute'), '10.244.4.0/24')?.gateway === '10.0.1.1' ? true : undefined));
  await sleep(1500);
  const foreign = kernelRoutes(n, 'static');
  t.deepEqual(foreign.map((r) => [r.dst, r.gateway]), [['10.99.0.0/24', '10.0.1.1']], 'foreign route untouched');
  const fib = rackroute(['fib', '--socket', state.nodes.node1.control as string, '-o', 'json']);
  t.is(fib.status, 0, fib.stderr);
  const view = JSON.parse(fib.stdout) as { summary: { ok: number; foreign: number; missing: number } };
  t.true(view.summary.ok >= 8 && view.summary.missing === 0 && view.summary.foreign >= 1, JSON.stringify(view.summary));
});

test.serial('restarting the agent on an endpoint\'s node loses no packet, and the FIB after equals the FIB before', async (t) => {
  for (const node of ['node1', 'node3']) {
    const sock = state.nodes[node].control as string;
    const before = JSON.stringify(kernelRoutes(ns(node), 'rackroute'));
    const agentPid = state.nodes[node].processes.find((p) => p.name === 'rackroute')?.pid;
    // The agent the lab started, or the one a previous round started.
    const pids = agentPids(ns(node));
    t.true(pids.length === 1, `one agent on ${node} (lab pid ${agentPid}, found ${pids.join(',')})`);
    const ping = spawn('nsenter', [`--net=/run/netns/${pod('node1')}`, 'ping', '-i', '0.01', '-w', '8', '-q', '10.244.3.2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    ping.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    await sleep(1000);
    process.kill(pids[0], 'SIGTERM');
    await waitUntil('the agent to exit', 10_000, () => (agentPids(ns(node)).length === 0 ? true : undefined));
    const agent = spawn('nsenter', [`--net=/run/netns/${ns(node)}`, process.execPath, ...AGENT_NODE_OPTIONS, CLI, 'agent', '--config', `${state.file.replace(/leaf-spine\.clab\.yml$/, '')}leaf-spine/site.yaml`, '--node', node, '--socket', sock], { stdio: 'ignore', detached: true });
    agent.unref();
    await waitUntil(`${node}'s new agent to be Established`, 30_000, async () => {
      try {
        const s = await apiRequest<StatusResponse>(sock, 'GET', '/v1/status', undefined, 2000);
        return s.sessions.every((x) => x.state === 'Established') ? true : undefined;
      } catch {
        return undefined;
      }
    });
    await new Promise((r) => ping.once('exit', r));
    const stats = pingStats(out);
    t.log(`${node} agent restarted under a 100 pps ping node1/pod1 -> node3/pod1: ${stats.sent} sent, ${stats.lost} lost`);
    t.true(stats.sent > 300, out);
    t.is(stats.lost, 0, out);
    await sleep(2000); // End-of-RIB, then the reconciler's first pass
    t.is(JSON.stringify(kernelRoutes(ns(node), 'rackroute')), before, `${node}: FIB after restart equals FIB before`);
  }
});
