// Reload without restart (issue 5): a change of the site file or SIGHUP applies added/removed peers and changed
// pod CIDRs without disturbing the untouched session; a bad file is refused and the last good config keeps running.
// And `--shutdown-mode=withdraw`: withdraw, wait, Cease, exit.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentPids, CLI, kernelRoutes, lab, labDownQuietly, labUp, sleep, waitUntil } from './helpers.js';
import type { LabState } from '../../src/lab/state.js';
import { vtysh } from '../../src/lab/daemons.js';
import { apiRequest } from '../../src/api/client.js';
import type { StatusResponse } from '../../src/api/types.js';
import { AGENT_NODE_OPTIONS } from '../../src/agent/node-options.js';

const NAME = 't-reload';
const dir = mkdtempSync(join(tmpdir(), 'rr-reload-'));
const labs = lab('basic').replace(/basic\.clab\.yml$/, '');
const siteFile = join(dir, 'site.yaml');
const original = readFileSync(join(labs, 'basic/site.yaml'), 'utf8');
// The basic lab with its site file in a scratch directory, so the test can edit it.
const topo = join(dir, 'basic.clab.yml');
writeFileSync(siteFile, original);
writeFileSync(topo, readFileSync(lab('basic'), 'utf8')
  .replace(/^name: basic$/m, `name: ${NAME}`)
  .replaceAll('basic/site.yaml:', `${siteFile}:`)
  .replace(/- (frr\/daemons|basic\/tor1\.conf|scripts\/pods\.sh):/g, (_m, p: string) => `- ${labs}${p}:`));

let state: LabState;
const sock = (node: string): string => state.nodes[node].control as string;
const status = (node: string): Promise<StatusResponse> => apiRequest<StatusResponse>(sock(node), 'GET', '/v1/status');
const torRoutes = (): Record<string, unknown> => (JSON.parse(vtysh(state.nodes.tor1, 'show bgp ipv4 unicast json')) as { routes: Record<string, unknown> }).routes;
const agentLog = (node: string): string => readFileSync(join(state.nodes[node].dir, 'rackroute.log'), 'utf8');

test.before(async () => {
  state = labUp(NAME, topo);
  await waitUntil('both agents Established', 30_000, async () => {
    const all = await Promise.all(['node1', 'node2'].map((n) => status(n).catch(() => undefined)));
    return all.every((s) => s?.sessions.every((x) => x.state === 'Established' && x.accepted > 0)) ? true : undefined;
  });
});

test.after.always(() => {
  labDownQuietly(NAME, topo);
  rmSync(dir, { recursive: true, force: true });
});

test.serial('a changed site file adds a pod CIDR and a peer, then removes the peer, leaving the ToR session alone', async (t) => {
  const before = (await status('node1')).sessions.find((s) => s.peer === '10.0.1.1');
  t.is(before?.state, 'Established');
  const edited = original
    .replace('podCIDRs: [10.244.1.0/24, "fd00:244:1::/64"]', 'podCIDRs: [10.244.1.0/24, 10.244.11.0/24, "fd00:244:1::/64"]')
    .replace('      - { address: 10.0.1.1, asn: 65001 }', '      - { address: 10.0.1.1, asn: 65001 }\n      - { address: 10.0.1.99, asn: 65099 }');
  writeFileSync(siteFile, edited);
  await waitUntil('the ToR to learn the new pod CIDR', 20_000, () => (torRoutes()['10.244.11.0/24'] ? true : undefined));
  const after = await waitUntil('the new peer', 10_000, async () => {
    const s = await status('node1');
    return s.sessions.length === 2 ? s : undefined;
  });
  t.deepEqual(after.sessions.map((s) => s.peer).sort(), ['10.0.1.1', '10.0.1.99']);
  const tor = after.sessions.find((s) => s.peer === '10.0.1.1');
  t.is(tor?.state, 'Established');
  t.true((tor?.upDownSeconds ?? 0) >= (before?.upDownSeconds ?? 0), 'the ToR session was not reset');
  await waitUntil('the new pod CIDR\'s blackhole in the kernel', 10_000,
    () => (kernelRoutes(state.nodes.node1.ns, 'rackroute').some((r) => r.dst === '10.244.11.0/24' && r.type === 'blackhole') ? true : undefined));

  // Back, the way editors save: write a new file and rename it over the old one.
  writeFileSync(`${siteFile}.tmp`, original);
  renameSync(`${siteFile}.tmp`, siteFile);
  await waitUntil('the pod CIDR withdrawn', 20_000, () => (torRoutes()['10.244.11.0/24'] ? undefined : true));
  const back = await waitUntil('the peer removed', 10_000, async () => {
    const s = await status('node1');
    return s.sessions.length === 1 ? s : undefined;
  });
  t.is(back.sessions[0].peer, '10.0.1.1');
  t.true(back.sessions[0].upDownSeconds >= (tor?.upDownSeconds ?? 0), 'still not reset');
});

test.serial('a bad site file is refused with file:line:column; the running config stays; SIGHUP reloads', async (t) => {
  writeFileSync(siteFile, original.replace('holdTime: 9', 'holdTime: 9\n  bogusKey: 1'));
  // The watcher may also catch the file half-written: look for the refusal that names the bad key.
  const line = await waitUntil('the refused reload in the log', 15_000, () => agentLog('node1').split('\n').find((l) => l.includes('reload-failed') && l.includes('bogusKey')));
  const entry = JSON.parse(line) as { errors: string[] };
  t.true(entry.errors.some((e) => e.startsWith(`${siteFile}:6:3:`) && /bogusKey/.test(e)), entry.errors.join('\n'));
  const s = await status('node1');
  t.is(s.sessions[0].state, 'Established');
  writeFileSync(siteFile, original);
  await sleep(1000);
  const [pid] = agentPids(state.nodes.node1.ns);
  process.kill(pid, 'SIGHUP');
  await waitUntil('the SIGHUP reload in the log', 10_000, () => (agentLog('node1').includes('"why":"SIGHUP"') ? true : undefined));
  t.pass();
});

test.serial('--shutdown-mode=withdraw takes the node out: routes withdrawn, then Cease, then exit', async (t) => {
  const ns = state.nodes.node2.ns;
  const [old] = agentPids(ns);
  process.kill(old, 'SIGTERM');
  await waitUntil('the old agent to exit', 10_000, () => (agentPids(ns).length ? undefined : true));
  const socket = join(dir, 'node2.sock');
  const agent = spawn('nsenter', [`--net=/run/netns/${ns}`, process.execPath, ...AGENT_NODE_OPTIONS, CLI, 'agent', '--config', siteFile, '--node', 'node2',
    '--socket', socket, '--shutdown-mode', 'withdraw'], { stdio: 'ignore' });
  await waitUntil('node2 Established again', 30_000, async () => {
    const s = await apiRequest<StatusResponse>(socket, 'GET', '/v1/status').catch(() => undefined);
    return s?.sessions.every((x) => x.state === 'Established' && x.accepted > 0) ? true : undefined;
  });
  await waitUntil('the ToR to have node2\'s pod CIDR', 10_000, () => (torRoutes()['10.244.2.0/24'] ? true : undefined));
  // The ToR logs each UPDATE it receives from here on, so the log shows the withdrawal and the Cease in order.
  vtysh(state.nodes.tor1, 'debug bgp updates in');
  const logFile = join(state.nodes.tor1.dir, 'frr', 'bgpd.log');
  const logFrom = readFileSync(logFile, 'utf8').length;
  agent.kill('SIGTERM');
  const code = await new Promise<number | null>((r) => agent.once('exit', r));
  t.is(code, 0);
  // FRR may still list the path as `removed` for a moment after it processed the withdrawal.
  await waitUntil('the ToR to drop 10.244.2.0/24', 5_000, () => (torRoutes()['10.244.2.0/24'] ? undefined : true));
  // FRR forgets a dynamic neighbour once it is down; its log keeps the UPDATE and the NOTIFICATION it received.
  const frrLog = readFileSync(logFile, 'utf8').slice(logFrom);
  const withdrawn = frrLog.search(/10\.0\.1\.11.* rcvd UPDATE about 10\.244\.2\.0\/24 IPv4 unicast -- withdrawn/);
  const cease = frrLog.search(/received from neighbor 10\.0\.1\.11 6\/2 \(Cease\/Administrative Shutdown\) "node leaving"/);
  t.true(withdrawn >= 0 && cease > withdrawn, `withdrawal (at ${withdrawn}) before the Cease (at ${cease}):\n${frrLog.split('\n').slice(-8).join('\n')}`);
  vtysh(state.nodes.tor1, 'no debug bgp updates in');
  t.deepEqual(kernelRoutes(ns, 'rackroute'), [], 'the node removed its routes');
});
