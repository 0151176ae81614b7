// The agent's passive side: a router dials in and is accepted as a dynamic neighbour from a listen range; a second
// agent finding port 179 busy says so and keeps running (it can live beside another BGP daemon).
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CLI, labDownQuietly, labUp, waitUntil } from './helpers.js';
import type { LabState } from '../../src/lab/state.js';
import { vtysh } from '../../src/lab/daemons.js';
import { apiRequest } from '../../src/api/client.js';
import type { RoutesResponse, StatusResponse } from '../../src/api/types.js';
import { AGENT_NODE_OPTIONS } from '../../src/agent/node-options.js';

const FILE = fileURLToPath(new URL('../fixtures/labs/listen.clab.yml', import.meta.url));
const NAME = 't-listen';
let state: LabState;

test.before(() => {
  state = labUp(NAME, FILE);
});

test.after.always(() => labDownQuietly(NAME, FILE));

test.serial('a router dialling in is accepted as a dynamic neighbour; routes flow both ways', async (t) => {
  const sock = state.nodes.node1.control as string;
  const st = await waitUntil('the dynamic session', 30_000, async () => {
    const s = await apiRequest<StatusResponse>(sock, 'GET', '/v1/status').catch(() => undefined);
    return s?.sessions.find((x) => x.state === 'Established' && x.accepted > 0);
  });
  t.like(st, { peer: '10.78.0.1', asn: 65010, dynamic: true, origin: 'dynamic', state: 'Established' });
  const routes = await apiRequest<RoutesResponse>(sock, 'GET', '/v1/routes');
  t.true(routes.routes.some((r) => r.prefix === '10.244.9.0/24' && r.paths[0].peer === '10.78.0.1'));
  const frr = await waitUntil('FRR to learn the node\'s pod CIDR', 15_000, () => {
    const out = JSON.parse(vtysh(state.nodes.r1, 'show bgp ipv4 unicast json')) as { routes: Record<string, unknown> };
    return out.routes['10.244.1.0/24'] ? out : undefined;
  });
  t.truthy(frr.routes['10.244.1.0/24']);
});

test.serial('a busy BGP port is a clear error, not a crash: the agent keeps running and dials out', async (t) => {
  const socket = `${state.nodes.node1.dir}/second.sock`;
  const second = spawn('nsenter', [`--net=/run/netns/${state.nodes.node1.ns}`, process.execPath, ...AGENT_NODE_OPTIONS, CLI, 'agent', '--config',
    fileURLToPath(new URL('../fixtures/labs/listen/site.yaml', import.meta.url)), '--node', 'node1', '--socket', socket, '--no-watch'],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  second.stderr.on('data', (b: Buffer) => { log += b.toString(); });
  t.teardown(() => second.kill('SIGKILL'));
  const line = await waitUntil('the listen error in the log', 15_000, () => log.split('\n').find((l) => l.includes('listen-failed')));
  const entry = JSON.parse(line) as { error: string; level: string };
  t.is(entry.level, 'error');
  t.regex(entry.error, /cannot listen for BGP on .*:179: the port is in use/);
  const s = await apiRequest<StatusResponse>(socket, 'GET', '/v1/status');
  t.is(s.node, 'node1');
  t.is(second.exitCode, null, 'still running');
});

test.serial('the admin socket is root-only (0600) and serves Prometheus metrics with peers as labels', async (t) => {
  const sock = state.nodes.node1.control as string;
  t.is(statSync(sock).mode & 0o777, 0o600);
  const r = spawnSync('curl', ['-s', '--unix-socket', sock, 'http://rackroute/metrics'], { encoding: 'utf8', timeout: 10_000 });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /^rackroute_bgp_session_up\{peer="10\.78\.0\.1",peer_asn="65010"\} 1$/m);
  t.regex(r.stdout, /^rackroute_bgp_routes_accepted\{peer="10\.78\.0\.1"\} 1$/m);
  t.regex(r.stdout, /^rackroute_bgp_loc_rib_prefixes\{afi="ipv4"\} 2$/m);
  // Metrics are read-only: nothing but GET.
  const post = spawnSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'POST', '--unix-socket', sock, 'http://rackroute/metrics'], { encoding: 'utf8' });
  t.is(post.stdout, '404');
});
