// Issue 7 in `leaf-spine` with `encapsulation: auto` (labs/leaf-spine/site.yaml): node1's BGP session to its leaf
// is shut down while pings run both ways between node1's pods and rack r2's pods. The leaf withdraws node1's pod
// CIDR from the fabric (the Cease arrives at once) while the underlay still routes node1's address (the leaf's
// connected 10.0.1.0/24), so node3 moves 10.244.1.0/24 to the tunnel and node1, which lost every path, moves all
// the other nodes' pod CIDRs to the tunnel; traffic keeps flowing. The session is started again and both move
// back to native. Prints the packets lost during each switch.
//
// The session is shut from the node side (`rackroute shutdown 10.0.1.1`): node1 is a dynamic neighbour at the
// leaf (`bgp listen range`), which `neighbor 10.0.1.10 shutdown` cannot name.
import test from 'ava';
import { spawn } from 'node:child_process';
import { inNs, lab, labDownQuietly, labUp, pingStats, rackroute, sleep, waitUntil } from './helpers.js';
import type { LabState } from '../../src/lab/state.js';
import { apiRequest } from '../../src/api/client.js';
import type { StatusResponse } from '../../src/api/types.js';

const NAME = 't-fallback-auto';
const FILE = lab('leaf-spine');
let state: LabState;
const ns = (node: string): string => state.nodes[node].ns;
const pod = (node: string, n = 1): string => `${ns(node)}-pod${n}`;
const sock = (node: string): string => state.nodes[node].control as string;

interface IpRoute { dst: string; gateway?: string; dev?: string }
const devOf = (node: string, dst: string): string | undefined =>
  (JSON.parse(inNs(ns(node), 'ip', ['-j', 'route', 'show', 'proto', 'rackroute']).stdout || '[]') as IpRoute[]).find((r) => r.dst === dst)?.dev;

/** Both directions of the test traffic: node1/pod1 <-> node3/pod1 and node1/pod2 <-> node4/pod1. */
const FLOWS: ReadonlyArray<[string, string, string]> = [
  ['node1', '10.244.3.2', '->node3'], ['node3', '10.244.1.2', '->node1'], ['node4', '10.244.1.3', '->node1(pod2)'],
];
const ROUTES: ReadonlyArray<[string, string]> = [['node1', '10.244.3.0/24'], ['node3', '10.244.1.0/24'], ['node4', '10.244.1.0/24']];

test.before(async () => {
  state = labUp(NAME, FILE);
  await waitUntil('every watched route native through eth1', 90_000, () => (ROUTES.every(([n, d]) => devOf(n, d) === 'eth1') ? true : undefined), 500);
  await sleep(2000);
});

test.after.always(() => labDownQuietly(NAME, FILE));

/** Runs 100 pps pings on every flow for `seconds` while `during` happens; returns the loss per flow. */
async function underTraffic(seconds: number, during: () => Promise<void>): Promise<Array<{ flow: string; sent: number; lost: number }>> {
  const runs = FLOWS.map(([from, to, label]) => {
    // -c, not -w: with a deadline ping exits at the first ICMP error (a leaf's "unreachable" during the switch)
    const p = spawn('nsenter', [`--net=/run/netns/${pod(from)}`, 'ping', '-i', '0.01', '-W', '1', '-c', String(seconds * 100), '-q', to], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    return { label: `${from}${label} ${to}`, done: new Promise<string>((r) => p.once('exit', () => r(out))) };
  });
  await sleep(1500);
  await during();
  return Promise.all(runs.map(async (r) => {
    const s = pingStats(await r.done);
    return { flow: r.label, sent: s.sent, lost: s.lost };
  }));
}

const status = (node: string): Promise<StatusResponse> => apiRequest<StatusResponse>(sock(node), 'GET', '/v1/status');

test.serial('node1\'s session shut: its pod traffic with rack r2 moves to VXLAN and keeps flowing; started again, it moves back to native', async (t) => {
  const movesBefore = (await status('node3')).transport?.moves ?? 0;
  let switchedOut = 0;
  const out = await underTraffic(8, async () => {
    const t0 = Date.now();
    const r = rackroute(['shutdown', '10.0.1.1', '--socket', sock('node1'), '--message', 'test: fallback to the tunnel']);
    t.is(r.status, 0, r.stderr);
    await waitUntil('node1, node3 and node4 to route through the tunnel', 30_000, () => (ROUTES.every(([n, d]) => devOf(n, d) === 'rr.vxlan') ? true : undefined), 50);
    switchedOut = Date.now() - t0;
  });
  for (const f of out) t.log(`to the tunnel: ${f.flow}: ${f.sent} sent, ${f.lost} lost (${(f.lost * 10)} ms of traffic at 100 pps)`);
  t.log(`all three nodes on the tunnel ${switchedOut} ms after the shutdown`);
  // bounded by the hold timer (9 s = 900 packets); with a Cease it is the time the withdrawal takes to spread
  for (const f of out) t.true(f.sent > 300 && f.lost < 900, JSON.stringify(f));
  // and it keeps flowing over the tunnel
  for (const [from, to] of FLOWS) {
    const r = inNs(pod(from), 'ping', ['-c', '5', '-i', '0.1', '-W', '1', '-q', to]);
    t.is(pingStats(r.stdout).received, 5, `${from} -> ${to} through the tunnel: ${r.stdout}`);
  }
  const s3 = await status('node3');
  const s1 = await status('node1');
  t.true((s3.transport?.movesByReason['fabric-withdrew'] ?? 0) >= 2, JSON.stringify(s3.transport?.movesByReason)); // IPv4 and IPv6
  t.true((s1.transport?.movesByReason['fabric-withdrew'] ?? 0) >= 6, JSON.stringify(s1.transport?.movesByReason)); // 3 nodes x 2 families
  t.deepEqual(s1.transport?.nodes.map((n) => n.transport), ['vxlan', 'vxlan', 'vxlan']);

  const back = await underTraffic(10, async () => {
    const r = rackroute(['shutdown', '10.0.1.1', '--start', '--socket', sock('node1')]);
    t.is(r.status, 0, r.stderr);
    await waitUntil('node1, node3 and node4 back on native routes', 40_000, () => (ROUTES.every(([n, d]) => devOf(n, d) === 'eth1') ? true : undefined), 50);
  });
  for (const f of back) t.log(`back to native: ${f.flow}: ${f.sent} sent, ${f.lost} lost`);
  for (const f of back) t.true(f.sent > 300, JSON.stringify(f));
  t.deepEqual(back.map((f) => f.lost), back.map(() => 0), 'make before break: no packet lost on the way back');
  const after3 = await status('node3');
  t.true((after3.transport?.movesByReason['fabric-routes-again'] ?? 0) >= 2, JSON.stringify(after3.transport?.movesByReason));
  t.true((after3.transport?.moves ?? 0) >= movesBefore + 4);
});
