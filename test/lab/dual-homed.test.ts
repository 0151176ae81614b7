// Issue 5 in the dual-homed lab: a node's routes through both of its rack's ToRs are installed as ECMP, and when
// one ToR's FRR stops, pod traffic keeps flowing over the other. The loss window is measured and printed.
import test from 'ava';
import { spawn } from 'node:child_process';
import { inNs, kernelRoutes, lab, labDownQuietly, labUp, pingStats, rackroute, sleep, waitUntil } from './helpers.js';
import { labStatus, type LabStatus } from '../../src/lab/runner.js';
import type { LabState } from '../../src/lab/state.js';
import { signalProc } from '../../src/util/proc.js';

const NAME = 't-dual';
const FILE = lab('dual-homed');
let state: LabState;
const ns = (node: string): string => state.nodes[node].ns;

test.before(() => {
  state = labUp(NAME, FILE);
});

test.after.always(() => labDownQuietly(NAME, FILE));

const gateways = (node: string, dst: string): string[] => {
  const r = kernelRoutes(ns(node), 'rackroute').find((x) => x.dst === dst);
  return (r?.nexthops?.map((h) => h.gateway) ?? (r?.gateway ? [r.gateway] : [])).sort();
};

test.serial('both ToRs\' paths are installed as ECMP, and stopping one ToR keeps pod traffic flowing', async (t) => {
  const ecmp = await waitUntil('node1 to install rack r2\'s pod CIDR through both ToRs', 60_000,
    () => (gateways('node1', '10.244.3.0/24').length === 2 ? gateways('node1', '10.244.3.0/24') : undefined), 500);
  t.deepEqual(ecmp, ['10.0.1.1', '10.0.101.1']);
  t.deepEqual(await waitUntil('node2 too', 30_000, () => (gateways('node2', '10.244.3.0/24').length === 2 ? gateways('node2', '10.244.3.0/24') : undefined)), ['10.0.1.1', '10.0.101.1']);
  // Some flows of a TCP/UDP hash take each ToR; ping uses one flow, so run one each way.
  const there = spawn('nsenter', [`--net=/run/netns/${ns('node1')}-pod1`, 'ping', '-i', '0.01', '-w', '10', '-q', '10.244.3.2'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const back = spawn('nsenter', [`--net=/run/netns/${ns('node3')}-pod1`, 'ping', '-i', '0.01', '-w', '10', '-q', '10.244.1.2'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let outThere = '';
  let outBack = '';
  there.stdout.on('data', (b: Buffer) => { outThere += b.toString(); });
  back.stdout.on('data', (b: Buffer) => { outBack += b.toString(); });
  await sleep(2000);
  const st = JSON.parse(rackroute(['lab', 'status', '--name', NAME, FILE, '-o', 'json']).stdout) as LabStatus;
  const tor = st.nodes.find((n) => n.node === 'tor1a');
  t.truthy(tor);
  for (const p of tor?.processes ?? []) if (p.start !== undefined) signalProc({ pid: p.pid, start: p.start }, 'SIGTERM');
  t.true((tor?.processes ?? []).every((p) => p.start !== undefined), 'the lab recorded each process with its start time');
  await Promise.all([new Promise((r) => there.once('exit', r)), new Promise((r) => back.once('exit', r))]);
  const s1 = pingStats(outThere);
  const s2 = pingStats(outBack);
  t.log(`tor1a's FRR stopped: node1/pod1 -> node3/pod1 lost ${s1.lost} of ${s1.sent} (loss window ~${s1.lost * 10} ms); node3/pod1 -> node1/pod1 lost ${s2.lost} of ${s2.sent} (~${s2.lost * 10} ms)`);
  t.true(s1.sent > 300 && s2.sent > 300);
  // Traffic flows over the other ToR: most packets arrived, and new ones do.
  t.true(s1.received > s1.sent * 0.5 && s2.received > s2.sent * 0.5, `${outThere}\n${outBack}`);
  t.deepEqual(await waitUntil('node1 to drop the stopped ToR from the ECMP route', 30_000,
    () => (gateways('node1', '10.244.3.0/24').length === 1 ? gateways('node1', '10.244.3.0/24') : undefined)), ['10.0.101.1']);
  const after = inNs(`${ns('node1')}-pod1`, 'ping', ['-c', '20', '-i', '0.05', '-q', '10.244.3.2']);
  t.is(pingStats(after.stdout).lost, 0, after.stdout);
  t.false(labStatus(NAME).nodes.find((n) => n.node === 'tor1a')?.processes.some((p) => p.alive));
});
