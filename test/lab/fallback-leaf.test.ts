// Issue 7 in `leaf-spine` with `encapsulation: auto`, the fabric's side of it: leaf1 filters node1's pod CIDRs
// (an inbound route-map on its SERVERS peer-group, IPv4 and IPv6) while node1's session stays up. The fabric stops
// routing 10.244.1.0/24 and fd00:244:1::/64 but still routes node1's underlay address, so node2 (same rack: it
// loses the leaf's path too), node3 and node4 move node1's pod CIDRs to VXLAN, while node1, whose session is up,
// keeps its native routes to everybody: the traffic is asymmetric (node1 -> r2 native, r2 -> node1 through the
// tunnel). The decapsulated packets arrive on node1's rr.vxlan with a source routed through eth1: the reverse-path
// check must let them through. Every node runs with Ubuntu's default `net.ipv4.conf.all.rp_filter = 2` (loose),
// which drops them when the tunnel device has no IPv4 address (rackroute gives it the node's underlay address /32).
// The filter is then removed and everything moves back to native. Prints the packets lost during each switch.
import test from 'ava';
import { spawn } from 'node:child_process';
import { inNs, lab, labDownQuietly, labUp, pingStats, sleep, waitUntil } from './helpers.js';
import type { LabState } from '../../src/lab/state.js';
import { apiRequest } from '../../src/api/client.js';
import type { StatusResponse } from '../../src/api/types.js';

const NAME = 't-fb-leaf';
const FILE = lab('leaf-spine');
let state: LabState;
const ns = (node: string): string => state.nodes[node].ns;
const pod = (node: string, n = 1): string => `${ns(node)}-pod${n}`;
const sock = (node: string): string => state.nodes[node].control as string;
const status = (node: string): Promise<StatusResponse> => apiRequest<StatusResponse>(sock(node), 'GET', '/v1/status');

interface IpRoute { dst: string; dev?: string }
const devOf = (node: string, dst: string): string | undefined => {
  const fam = dst.includes(':') ? '-6' : '-4';
  return (JSON.parse(inNs(ns(node), 'ip', [fam, '-j', 'route', 'show', 'proto', 'rackroute']).stdout || '[]') as IpRoute[]).find((r) => r.dst === dst)?.dev;
};
const allVia = (routes: ReadonlyArray<readonly [string, string]>, dev: string): true | undefined => (routes.every(([n, d]) => devOf(n, d) === dev) ? true : undefined);

/** node1's pod CIDRs as the other nodes route them: moved by the filter. */
const TO_NODE1: ReadonlyArray<readonly [string, string]> = ['node2', 'node3', 'node4'].flatMap((n) => [[n, '10.244.1.0/24'], [n, 'fd00:244:1::/64']] as const);
/** node1's routes to the others: native all along (its session stays up). */
const FROM_NODE1: ReadonlyArray<readonly [string, string]> = [['node1', '10.244.3.0/24'], ['node1', '10.244.4.0/24'], ['node1', 'fd00:244:3::/64']];

/** Each ping is a round trip, so each flow crosses the asymmetric path both ways. */
const FLOWS: ReadonlyArray<readonly [string, number, string, string]> = [
  ['node1', 1, '10.244.3.2', 'node1 -> node3'], ['node1', 2, '10.244.4.2', 'node1(pod2) -> node4'],
  ['node3', 1, '10.244.1.2', 'node3 -> node1'], ['node4', 1, '10.244.1.3', 'node4 -> node1(pod2)'],
  ['node3', 1, 'fd00:244:1::2', 'node3 -> node1 IPv6'], ['node2', 1, '10.244.1.2', 'node2 -> node1 (same rack)'],
];

const leaf1 = (...commands: string[]): void => {
  const r = inNs(ns('leaf1'), 'vtysh', ['--vty_socket', state.nodes.leaf1.control as string, ...commands.flatMap((c) => ['-c', c])]);
  if (r.status !== 0 || /% /.test(r.stdout)) throw new Error(`vtysh at leaf1: ${r.stdout}${r.stderr}`);
};
const FILTER = ['ip prefix-list NODE1-PODS seq 5 permit 10.244.1.0/24', 'ipv6 prefix-list NODE1-PODS6 seq 5 permit fd00:244:1::/64',
  'route-map SERVERS-IN deny 10', 'match ip address prefix-list NODE1-PODS', 'exit',
  'route-map SERVERS-IN deny 20', 'match ipv6 address prefix-list NODE1-PODS6', 'exit',
  'route-map SERVERS-IN permit 100', 'exit'];
const peerGroupIn = (no: boolean): string[] => ['router bgp 65001',
  'address-family ipv4 unicast', `${no ? 'no ' : ''}neighbor SERVERS route-map SERVERS-IN in`, 'exit-address-family',
  'address-family ipv6 unicast', `${no ? 'no ' : ''}neighbor SERVERS route-map SERVERS-IN in`, 'exit-address-family'];

const counter = (node: string, name: string): number => Number(new RegExp(`${name}\\s+(\\d+)`).exec(inNs(ns(node), 'nstat', ['-asz']).stdout)?.[1] ?? NaN);
const vxlanStats = (node: string): { rx: number; tx: number } => {
  const l = JSON.parse(inNs(ns(node), 'ip', ['-j', '-s', 'link', 'show', 'rr.vxlan']).stdout)[0] as { stats64: { rx: { packets: number }; tx: { packets: number } } };
  return { rx: l.stats64.rx.packets, tx: l.stats64.tx.packets };
};

test.before(async () => {
  state = labUp(NAME, FILE);
  await waitUntil('every watched route native through eth1', 60_000, () => allVia([...TO_NODE1, ...FROM_NODE1], 'eth1'), 250);
  // Ubuntu's /etc/sysctl.d/10-network-security.conf: loose reverse-path filtering everywhere
  for (const n of ['node1', 'node2', 'node3', 'node4']) inNs(ns(n), 'sysctl', ['-qw', 'net.ipv4.conf.all.rp_filter=2', 'net.ipv4.conf.default.rp_filter=2']);
  await sleep(1000);
});

test.after.always(() => {
  labDownQuietly(NAME, FILE);
});

/** Runs a 100 pps ping on every flow, waits until each has replies, then runs `during`; returns the loss per flow. */
async function underTraffic(count: number, during: () => Promise<void>): Promise<Array<{ flow: string; sent: number; lost: number }>> {
  const runs = FLOWS.map(([node, n, to, label]) => {
    const from = pod(node, n);
    // -c, not -w: with a deadline ping exits at the first ICMP error (a leaf's "unreachable" during the switch)
    const p = spawn('nsenter', [`--net=/run/netns/${from}`, 'ping', '-i', '0.01', '-W', '1', '-c', String(count), to], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    return { flow: `${label} ${to}`, out: () => out, done: new Promise<string>((r) => p.once('exit', () => r(out))) };
  });
  await waitUntil('a first reply on every flow', 10_000, () => (runs.every((r) => /bytes from/.test(r.out())) ? true : undefined), 50);
  await sleep(500);
  await during();
  return Promise.all(runs.map(async (r) => {
    const s = pingStats(await r.done);
    return { flow: r.flow, sent: s.sent, lost: s.lost };
  }));
}

test.serial('leaf1 filters node1\'s pod CIDRs: the others tunnel to node1, node1 stays native (asymmetric), traffic flows; unfiltered, all native again', async (t) => {
  t.timeout(80_000);
  const movesBefore = (await status('node3')).transport?.movesByReason['fabric-withdrew'] ?? 0;

  let switchedOut = 0;
  const out = await underTraffic(800, async () => {
    const t0 = Date.now();
    leaf1('conf t', ...FILTER, ...peerGroupIn(false));
    await waitUntil('node2, node3 and node4 to route node1\'s pod CIDRs through the tunnel', 20_000, () => allVia(TO_NODE1, 'rr.vxlan'), 20);
    switchedOut = Date.now() - t0;
  });
  t.log(`node2, node3, node4 on the tunnel ${switchedOut} ms after the filter`);
  for (const f of out) t.log(`to the tunnel: ${f.flow}: ${f.sent} sent, ${f.lost} lost (${f.lost * 10} ms of traffic at 100 pps)`);
  // the session stays up: no hold timer, only the withdrawal's way through the fabric (well under a second)
  for (const f of out) t.true(f.sent >= 800 && f.lost < 100, JSON.stringify(f));

  // asymmetric: node1 keeps its native routes (session up, nothing moved), the others come back through VXLAN
  t.truthy(allVia(FROM_NODE1, 'eth1'), 'node1 routes the others natively');
  const s1 = await status('node1');
  t.deepEqual(s1.transport?.nodes.map((n) => n.transport), ['native', 'native', 'native']);
  t.deepEqual(s1.sessions.map((x) => x.state), ['Established']);
  const rp0 = counter('node1', 'TcpExtIPReversePathFilter');
  const v0 = vxlanStats('node1');
  for (const [node, n, to, label] of FLOWS) {
    const r = inNs(pod(node, n), 'ping', ['-c', '20', '-i', '0.01', '-W', '1', '-q', to]);
    t.is(pingStats(r.stdout).received, 20, `${label} while filtered: ${r.stdout}`);
  }
  const v1 = vxlanStats('node1');
  t.log(`node1 rr.vxlan during ${FLOWS.length} x 20 pings: rx ${v1.rx - v0.rx}, tx ${v1.tx - v0.tx} packets; rp_filter drops ${counter('node1', 'TcpExtIPReversePathFilter') - rp0}`);
  t.true(v1.rx - v0.rx >= 100, 'node1 receives the other nodes\' requests through the tunnel');
  t.true(v1.tx - v0.tx < 5, 'node1 answers natively, not through the tunnel');
  t.is(counter('node1', 'TcpExtIPReversePathFilter') - rp0, 0, 'no reverse-path drop on node1');
  // the tunnel device holds node1's underlay address (host scope) so loose rp_filter accepts what it decapsulates
  t.regex(inNs(ns('node1'), 'ip', ['-4', 'addr', 'show', 'dev', 'rr.vxlan']).stdout, /inet 10\.0\.1\.10\/32 scope host/);
  const s3 = await status('node3');
  t.true((s3.transport?.movesByReason['fabric-withdrew'] ?? 0) >= movesBefore + 2, JSON.stringify(s3.transport?.movesByReason)); // IPv4 and IPv6
  t.is(s3.transport?.nodes.find((n) => n.node === 'node1')?.transport, 'vxlan');

  let switchedBack = 0;
  const back = await underTraffic(800, async () => {
    const t0 = Date.now();
    leaf1('conf t', ...peerGroupIn(true));
    await waitUntil('node2, node3 and node4 back on native routes to node1', 30_000, () => allVia(TO_NODE1, 'eth1'), 20);
    switchedBack = Date.now() - t0;
  });
  t.log(`node2, node3, node4 native again ${switchedBack} ms after the filter went`);
  for (const f of back) t.log(`back to native: ${f.flow}: ${f.sent} sent, ${f.lost} lost`);
  for (const f of back) t.true(f.sent >= 800, JSON.stringify(f));
  t.deepEqual(back.map((f) => f.lost), back.map(() => 0), 'make before break: no packet lost on the way back');
  t.truthy(allVia(FROM_NODE1, 'eth1'));
  t.true(((await status('node3')).transport?.movesByReason['fabric-routes-again'] ?? 0) >= 2);
});
