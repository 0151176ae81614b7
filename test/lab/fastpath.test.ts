// Issue 6 in the leaf-spine lab with the eBPF fast path on (labs/leaf-spine/site.yaml: datapath.ebpf true): every
// agent attaches rr_ingress at its uplink and its pod veths (pins per node namespace), pod-to-pod traffic across
// racks (ping both families, TCP) is carried by the fast path (redirect counters grow on both ends), a pod made
// after the agent started is picked up, an agent stopped with SIGTERM (restart mode) leaves the fast path running
// (a 100 pps ping loses nothing while it is down and after it is back), withdraw mode detaches and unpins, and the
// same site with `datapath: { ebpf: false }` gives the same FIB and the same reachability with nothing attached.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  agentPids, attachedPrograms, CLI, inNs, kernelRoutes, lab, labDownQuietly, labUp, pingStats, rackroute, sleep, waitUntil,
} from './helpers.js';
import type { LabState } from '../../src/lab/state.js';
import { apiRequest } from '../../src/api/client.js';
import type { StatusResponse } from '../../src/api/types.js';
import type { DatapathApiStatus, DatapathStatus } from '../../src/dataplane/ebpf/status.js';
import { pinDirForNetns, removePins } from '../../src/dataplane/ebpf/pins.js';
import { POD_F_LOCAL } from '../../src/dataplane/ebpf/layout.js';
import { AGENT_NODE_OPTIONS } from '../../src/agent/node-options.js';

const NAME = 't-fastpath';
const FILE = lab('leaf-spine');
const SITE = new URL('../../labs/leaf-spine/site.yaml', import.meta.url).pathname;
const NODES = ['node1', 'node2', 'node3', 'node4'];
/** The kernel has tcx (6.6+): pod veths are attached there. */
const TCX = spawnSync(new URL('../../bpf/build/rr_tcx', import.meta.url).pathname, ['probe']).status === 0;
const EXTRA_POD = `rrfp-${process.pid}-pod3`;

let state: LabState;
let tmp: string;
const pinDirs = new Map<string, string>();
const ns = (node: string): string => state.nodes[node].ns;
const pod = (node: string, n = 1): string => `${ns(node)}-pod${n}`;
const sock = (node: string): string => state.nodes[node].control as string;

const datapath = (node: string): Promise<DatapathApiStatus> => apiRequest<DatapathApiStatus>(sock(node), 'GET', '/v1/datapath', undefined, 10_000);
const redirects = (s: DatapathStatus): number => s.counters.filter((c) => c.kind === 'redirect').reduce((a, c) => a + c.packets, 0);
const drops = (s: DatapathStatus): number => s.counters.filter((c) => c.kind === 'drop').reduce((a, c) => a + c.packets, 0);
/** Read straight from the pins, as `rackroute datapath --netns` does (works while the agent is down). */
function pinned(node: string): DatapathStatus {
  const r = rackroute(['datapath', '--netns', ns(node), '-o', 'json']);
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as DatapathStatus;
}

// By namespace: pgrep would see every lab's agents (other tests run leaf-spine's node1 too).
const agentsOf = (node: string): number[] => agentPids(ns(node));

async function stopAgent(node: string): Promise<void> {
  for (const pid of agentsOf(node)) process.kill(pid, 'SIGTERM');
  await waitUntil(`${node}'s agent to exit`, 30_000, () => (agentsOf(node).length === 0 ? true : undefined));
}

function startAgent(node: string, site: string, extra: string[] = []): void {
  const log = openSync(join(state.nodes[node].dir, 'rackroute.log'), 'a');
  const agent = spawn('nsenter', [`--net=/run/netns/${ns(node)}`, process.execPath, ...AGENT_NODE_OPTIONS, CLI, 'agent', '--config', site, '--node', node, '--socket', sock(node), ...extra],
    { stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  agent.unref();
}

async function established(node: string): Promise<void> {
  await waitUntil(`${node}'s agent to be Established`, 40_000, async () => {
    try {
      const s = await apiRequest<StatusResponse>(sock(node), 'GET', '/v1/status', undefined, 2000);
      return s.sessions.length > 0 && s.sessions.every((x) => x.state === 'Established') ? true : undefined;
    } catch {
      return undefined;
    }
  });
}

/** The fast path in place on a node: uplink eth1 and the pod veths attached, running the pinned program. */
async function fastPathUp(node: string, pods = ['vpod1', 'vpod2']): Promise<DatapathApiStatus> {
  return waitUntil(`${node}: fast path attached at eth1 and ${pods.join(', ')}`, 30_000, async () => {
    try {
      const s = await datapath(node);
      const ok = s.agent.state === 'running' && s.agent.uplinks.join() === 'eth1' && pods.every((p) => s.agent.pods.includes(p))
        && s.attachments.length === 1 + pods.length && s.attachments.every((a) => a.state === 'attached');
      return ok ? s : undefined;
    } catch {
      return undefined;
    }
  }, 300);
}

function ping(from: string, to: string, count: number, interval = '0.2'): { sent: number; received: number; lost: number; out: string } {
  const r = inNs(from, 'ping', ['-c', String(count), '-i', interval, '-W', '2', '-q', to], 60_000);
  return { ...pingStats(r.stdout), out: r.stdout };
}

const fibOf = (): string => JSON.stringify(NODES.map((n) => kernelRoutes(ns(n), 'rackroute')));

test.before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'rrfp-'));
  state = labUp(NAME, FILE);
  for (const n of NODES) pinDirs.set(n, pinDirForNetns(ns(n)));
  await waitUntil('every node to install the other nodes\' pod CIDRs', 60_000, () =>
    NODES.every((n) => kernelRoutes(ns(n), 'rackroute').filter((r) => r.type !== 'blackhole').length >= 6) ? true : undefined, 500);
  for (const n of NODES) await fastPathUp(n);
});

test.after.always(async () => {
  spawn('ip', ['netns', 'del', EXTRA_POD], { stdio: 'ignore' });
  labDownQuietly(NAME, FILE);
  // The namespaces are gone, so are their tc attachments; the pins are ours to remove.
  for (const dir of pinDirs.values()) {
    try {
      removePins(dir);
    } catch {
      /* already gone */
    }
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test.serial('every agent attaches at its uplink and its pod veths, pinned in its own namespace\'s directory', async (t) => {
  const dirs = new Set<string>();
  for (const n of NODES) {
    const s = await datapath(n);
    t.true(s.enabled);
    t.is(s.pinDir, pinDirs.get(n) as string);
    t.regex(s.pinDir, /^\/sys\/fs\/bpf\/rackroute\/netns\/\d+$/);
    dirs.add(s.pinDir);
    t.deepEqual(s.attachments.map((a) => [a.interface, a.role, a.state]).sort(),
      [['eth1', 'uplink', 'attached'], ['vpod1', 'pod', 'attached'], ['vpod2', 'pod', 'attached']]);
    // Pod veths on tcx where the kernel has it (this one does: 6.6+), the uplink on tc (IP-in-IP decapsulation first).
    const podHook = TCX ? 'tcx' : 'tc';
    t.deepEqual(s.attachments.map((a) => [a.interface, a.hook]).sort(), [['eth1', 'tc'], ['vpod1', podHook], ['vpod2', podHook]]);
    t.is(s.podCidrs.length, 8, `${n}: the four nodes' pod CIDRs, both families`);
    const own = s.podCidrs.filter((p) => p.flags & POD_F_LOCAL).map((p) => p.cidr).sort();
    t.is(own.length, 2, `${n}: own pod CIDRs marked local: ${own.join(' ')}`);
    t.true(s.redirectNeigh);
    // What the program reads before its lookups: the pod CIDRs' lengths and cover, the local pods' cover.
    t.deepEqual(s.summary?.pod4.lens, [...new Set(s.podCidrs.filter((p) => !p.cidr.includes(':')).map((p) => Number(p.cidr.split('/')[1])))].sort((a, b) => b - a));
    t.deepEqual(s.summary?.pod4.unpublished, []);
    t.truthy(s.summary?.pod4.cover && s.summary.pod6.cover, JSON.stringify(s.summary));
    t.deepEqual(s.agent.errors, { cleanup: 0, load: 0, maps: 0, discover: 0, attach: 0, detach: 0 });
    // The pins read directly say the same.
    t.is(pinned(n).program?.id, s.program?.id);
  }
  t.is(dirs.size, NODES.length, 'one pin directory per node');
  const text = rackroute(['datapath', '--socket', sock('node1')]);
  t.is(text.status, 0, text.stderr);
  t.regex(text.stdout, /uplinks \(routes\): eth1 +pod veths: vpod1 vpod2/);
  t.regex(text.stdout, /pod CIDR lookups: IPv4 \/\d+.* within \d+\.\d+\.\d+\.\d+\/\d+; IPv6 \/\d+/);
  const metrics = await new Promise<string>((resolve, reject) => {
    import('node:http').then(({ default: http }) => http.get({ socketPath: sock('node1'), path: '/metrics' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve(body));
    }).on('error', reject));
  });
  t.regex(metrics, /rackroute_datapath_attached_devices\{role="pod"\} 2/);
});

test.serial('pods across racks: ping (IPv4, IPv6) and TCP are carried by the fast path on both ends', async (t) => {
  const before = new Map<string, DatapathApiStatus>();
  for (const n of NODES) before.set(n, await datapath(n));
  for (const [from, to, addr] of [['node1', 'node3', '10.244.3.2'], ['node1', 'node3', 'fd00:244:3::2'], ['node2', 'node4', '10.244.4.3'], ['node4', 'node2', 'fd00:244:2::2']]) {
    // First contact resolves neighbours on the way (one run in five lost it for over 2 s: an ARP retry, or worse;
    // logged so it shows), then every packet must arrive.
    const t0 = Date.now();
    await waitUntil(`a first reply ${from} -> ${addr}`, 20_000, () => (ping(pod(from), addr, 1, '0.2').received === 1 ? true : undefined), 100)
      .catch(() => undefined);
    if (Date.now() - t0 > 1000) t.log(`${from} -> ${addr}: first reply after ${Date.now() - t0} ms`);
    const r = ping(pod(from), addr, 10, '0.05');
    t.is(r.received, 10, `${from} -> ${to} ${addr}: ${r.out}`);
  }
  for (const n of NODES) {
    const grown = redirects(await datapath(n)) - redirects(before.get(n) as DatapathStatus);
    // 20 pings and 20 replies cross every node (out of one pod, into another): both directions are redirected.
    t.true(grown >= 40, `${n}: redirect counters grew by ${grown}`);
  }

  // The agent puts node3's pod in its endpoint map (host route + neighbour entry, both there after the pings) within
  // a pass: from then on traffic into that pod skips bpf_fib_lookup.
  const endpoints4 = (s: DatapathStatus) => s.maps.find((m) => m.name === 'rr_endpoint4_v1')?.entries ?? 0;
  for (let i = 0; i < 40 && endpoints4(await datapath('node3')) < 1; i++) await sleep(250);
  t.true(endpoints4(await datapath('node3')) >= 1, 'node3: its pod in the endpoint map');

  const server = spawn('nsenter', [`--net=/run/netns/${pod('node3')}`, 'iperf3', '-s', '-1', '-p', '5202'], { stdio: 'ignore' });
  t.teardown(() => server.kill());
  const n1 = await datapath('node1'), n3 = await datapath('node3');
  type Iperf = { error?: string; end?: { sum_received?: { bytes: number; bits_per_second: number } } };
  let result: Iperf = {};
  for (let i = 0; i < 20 && !result.end?.sum_received; i++) {
    if (i > 0) await sleep(250);
    result = JSON.parse(inNs(pod('node1'), 'iperf3', ['-c', '10.244.3.2', '-p', '5202', '-t', '2', '-J'], 20_000).stdout || '{}') as Iperf;
  }
  const received = result.end?.sum_received;
  if (!received) return t.fail(`iperf3: ${result.error}`);
  t.true(received.bytes > 1_000_000, `TCP bytes: ${received.bytes}`);
  const a1 = await datapath('node1'), a3 = await datapath('node3');
  const byReason = (a: DatapathStatus, b: DatapathStatus) =>
    a.counters.filter((c) => c.packets).map((c) => `${c.label} +${c.packets - (b.counters.find((x) => x.id === c.id)?.packets ?? 0)}`).join(', ');
  t.log(`TCP node1/pod1 -> node3/pod1: ${(received.bits_per_second / 1e9).toFixed(2)} Gbit/s; node1 ${byReason(a1, n1)}; node3 ${byReason(a3, n3)}`);
  // Every data segment leaves node1 redirected at vpod1 and enters node3 redirected (endpoint map, redirect_peer) at eth1.
  t.true(redirects(a1) - redirects(n1) > 1000, 'node1 redirected the transfer');
  t.true(redirects(a3) - redirects(n3) > 1000, 'node3 redirected the transfer');
  const peer3 = (s: DatapathStatus) => s.counters.find((c) => c.label === 'fwd_endpoint_peer')?.packets ?? 0;
  t.true(peer3(a3) - peer3(n3) > 1000, 'node3 delivered into the pod with redirect_peer, from its endpoint map (no FIB lookup)');
  // ... and leaves node1 from its next-hop cache: node3's pod CIDR via leaf1, with the leaf's MAC (no FIB lookup).
  const nh1 = (s: DatapathStatus) => s.counters.find((c) => c.label === 'fwd_nexthop')?.packets ?? 0;
  t.true(nh1(a1) - nh1(n1) > 1000, 'node1 sent the transfer from its next-hop cache');
  const cached = a1.nexthops.find((e) => e.cidr === '10.244.3.0/24');
  t.truthy(cached, `node1's next-hop cache: ${JSON.stringify(a1.nexthops)}`);
  t.true(cached?.nexthops.every((n) => n.interface === 'eth1' && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(n.dmac)), JSON.stringify(cached));
  for (const n of NODES) t.is(drops(await datapath(n)), 0, `${n}: no drops`);
});

test.serial('a route someone else adds inside a cached remote pod CIDR uncaches it from the route event; it is cached again when the route goes', async (t) => {
  const n = ns('node1');
  const logFile = join(state.nodes.node1.dir, 'rackroute.log');
  const from = readFileSync(logFile, 'utf8').length;
  const cachedNow = async () => (await datapath('node1')).nexthops.some((e) => e.cidr === '10.244.3.0/24');
  await waitUntil('10.244.3.0/24 in node1\'s next-hop cache', 15_000, async () => ((await cachedNow()) ? true : undefined));
  // A more specific route inside node3's pod CIDR: the kernel now blackholes half of it, so the cached next hop
  // (the whole /24 via the leaf) would be wrong.
  const add = inNs(n, 'ip', ['route', 'add', 'blackhole', '10.244.3.128/25']);
  t.is(add.status, 0, add.stderr);
  try {
    await waitUntil('node1 to drop 10.244.3.0/24 from the cache', 15_000, async () => ((await cachedNow()) ? undefined : true));
    const drop = readFileSync(logFile, 'utf8').slice(from).split('\n').find((l) => l.includes('"event":"datapath-nexthops-drop"') && l.includes('10.244.3.0/24'));
    t.truthy(drop, 'dropped on the route event (not only at the next periodic pass)');
    t.log(drop);
    // The next pass leaves it to bpf_fib_lookup and says why.
    await waitUntil('the reason in the log', 15_000, () => (readFileSync(logFile, 'utf8').slice(from).includes('"event":"datapath-nexthops-skipped"') ? true : undefined));
  } finally {
    inNs(n, 'ip', ['route', 'del', 'blackhole', '10.244.3.128/25']);
  }
  await waitUntil('10.244.3.0/24 cached again', 15_000, async () => ((await cachedNow()) ? true : undefined));
  t.pass();
});

test.serial('a pod veth created after the agent started is attached within seconds', async (t) => {
  const n = ns('node1');
  const sh = (args: string[], inNode = true) => {
    const r = inNode ? inNs(n, 'ip', args) : inNs(EXTRA_POD, 'ip', args);
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  };
  const add = spawn('ip', ['netns', 'add', EXTRA_POD]);
  await new Promise((r) => add.once('exit', r));
  sh(['link', 'add', 'vpod3', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', EXTRA_POD]);
  sh(['link', 'set', 'lo', 'up'], false);
  sh(['link', 'set', 'eth0', 'up'], false);
  sh(['addr', 'add', '10.244.1.4/32', 'dev', 'eth0'], false);
  sh(['route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link'], false);
  sh(['route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0'], false);
  inNs(n, 'sysctl', ['-qw', 'net.ipv4.conf.vpod3.proxy_arp=1', 'net.ipv4.neigh.vpod3.proxy_delay=0']);
  const t0 = Date.now();
  sh(['link', 'set', 'vpod3', 'up']);
  sh(['route', 'add', '10.244.1.4/32', 'dev', 'vpod3']);
  const s = await fastPathUp('node1', ['vpod1', 'vpod2', 'vpod3']);
  t.log(`vpod3 attached ${Date.now() - t0} ms after its route appeared`);
  t.true(Date.now() - t0 < 5000);
  const before = redirects(s);
  t.is(ping(EXTRA_POD, '10.244.3.2', 5).received, 5);
  t.true(redirects(await datapath('node1')) - before >= 5);
  // Gone again: the agent forgets it (the kernel removed the filter with the device).
  sh(['link', 'del', 'vpod3']);
  await fastPathUp('node1');
  await waitUntil('vpod3 out of the ifaces map', 15_000, async () => ((await datapath('node1')).attachments.length === 3 ? true : undefined));
});

test.serial('SIGTERM (restart mode) leaves the fast path running: no packet lost while the agents are down or after', async (t) => {
  const before = new Map<string, DatapathApiStatus>();
  for (const n of ['node1', 'node3']) before.set(n, await datapath(n));
  const fib = fibOf();
  const flows = ['10.244.3.2', 'fd00:244:3::2'].map((addr) => {
    // A count, not a deadline: ping then waits for the last replies, so a slow reply under load is not a loss.
    const p = spawn('nsenter', [`--net=/run/netns/${pod('node1')}`, 'ping', '-i', '0.01', '-c', '1500', '-W', '2', '-q', addr], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    return { addr, done: new Promise<{ out: string; at: number }>((r) => p.once('exit', () => r({ out, at: Date.now() }))) };
  });
  await sleep(1000);
  await Promise.all(['node1', 'node3'].map(stopAgent));
  // Down: the programs stay attached and keep counting.
  const down1 = pinned('node1');
  t.deepEqual(down1.attachments.map((a) => a.state), ['attached', 'attached', 'attached']);
  await sleep(2000);
  const down2 = pinned('node1');
  t.true(redirects(down2) - redirects(down1) >= 300, `redirects while the agent is down: ${redirects(down2) - redirects(down1)}`);
  for (const n of ['node1', 'node3']) startAgent(n, SITE);
  for (const n of ['node1', 'node3']) {
    await established(n);
    const s = await fastPathUp(n);
    const b = before.get(n) as DatapathApiStatus;
    t.not(s.program?.id, b.program?.id, `${n}: the restarted agent loaded its program`);
    t.deepEqual(s.maps.map((m) => m.id), b.maps.map((m) => m.id), `${n}: the same pinned maps`);
    t.true(redirects(s) > redirects(b), `${n}: counters kept`);
  }
  const restarted = Date.now();
  for (const f of flows) {
    const { out, at } = await f.done;
    t.true(at > restarted, 'the ping outlasted both restarts');
    const stats = pingStats(out);
    t.log(`node1/pod1 -> ${f.addr} at 100 pps across both agents' restart: ${stats.sent} sent, ${stats.lost} lost`);
    t.is(stats.sent, 1500);
    t.is(stats.lost, 0);
  }
  await sleep(2000);
  t.is(fibOf(), fib, 'FIB after the restarts equals the FIB before');
});

test.serial('withdraw mode detaches and unpins; the kernel path carries on', async (t) => {
  await stopAgent('node4');
  startAgent('node4', SITE, ['--shutdown-mode', 'withdraw']);
  await established('node4');
  await fastPathUp('node4');
  t.true(existsSync(join(pinDirs.get('node4') as string, 'progs')));
  await stopAgent('node4');
  t.false(existsSync(join(pinDirs.get('node4') as string, 'progs')), 'pins removed');
  t.deepEqual(pinned('node4').attachments, []);
  t.notRegex(attachedPrograms(ns('node4')), /rr_ingress/, 'nothing attached');
  startAgent('node4', SITE);
  await established('node4');
  await fastPathUp('node4');
});

test.serial('datapath.ebpf false: nothing loaded, the same FIB and the same reachability', async (t) => {
  await waitUntil('the FIB to settle after node4\'s withdraw and return', 40_000, async () => {
    const a = fibOf();
    await sleep(1500);
    return fibOf() === a && NODES.every((n) => kernelRoutes(ns(n), 'rackroute').length >= 8) ? a : undefined;
  }, 100);
  const fibOn = fibOf();
  const off = join(tmp, 'site-ebpf-off.yaml');
  const text = readFileSync(SITE, 'utf8');
  t.regex(text, /^datapath: \{ ebpf: true \}/m);
  writeFileSync(off, text.replace(/^datapath: \{ ebpf: true \}/m, 'datapath: { ebpf: false }'));
  await Promise.all(NODES.map(stopAgent));
  for (const n of NODES) startAgent(n, off);
  for (const n of NODES) await established(n);
  for (const n of NODES) {
    const s = await waitUntil(`${n}: datapath disabled and removed`, 20_000, async () => {
      const d = await datapath(n).catch(() => undefined);
      // Disabled, and its pins gone (the agent removes them just after it reports the state).
      return d && !d.enabled && d.agent.state === 'disabled' && !existsSync(join(pinDirs.get(n) as string, 'progs')) ? d : undefined;
    });
    t.false(s.loaded);
    t.false(existsSync(join(pinDirs.get(n) as string, 'progs')), `${n}: unpinned`);
    t.notRegex(attachedPrograms(ns(n)), /rr_ingress/, `${n}: nothing attached`);
  }
  await waitUntil('the FIB without the fast path to equal the FIB with it', 40_000, () => (fibOf() === fibOn ? true : undefined), 500);
  t.is(fibOf(), fibOn);
  for (const [from, addr] of [['node1', '10.244.3.2'], ['node1', 'fd00:244:4::3'], ['node3', '10.244.2.2'], ['node4', 'fd00:244:1::2']]) {
    t.is(ping(pod(from), addr, 5, '0.05').received, 5, `${from} -> ${addr} on the kernel path`);
  }
});
