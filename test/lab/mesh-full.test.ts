// The full node mesh, for real: the leaf-spine lab with `nodeMesh: full` over the whole site. Every node peers
// with every other (iBGP) besides its leaf; each learns a pod CIDR from its own node only (iBGP split horizon,
// RFC 4271 §9.2: nobody passes on what it learned over iBGP), without reflection attributes; pods reach each other.
import test from 'ava';
import { inNs, kernelRoutes, LEAF_SPINE, labDownQuietly, labUp, leafSpineWith, waitUntil } from './helpers.js';
import type { LabState } from '../../src/lab/state.js';
import { apiRequest } from '../../src/api/client.js';
import type { RoutesResponse, StatusResponse } from '../../src/api/types.js';

const NAME = 't-meshfull';
const { topo, remove } = leafSpineWith(NAME, 'nodeMesh: { mode: full, scope: site }\n');
const NODES = LEAF_SPINE.nodes;
const LEAF = LEAF_SPINE.leaf;
type Node = keyof typeof NODES;
const nodes = Object.keys(NODES) as Node[];

let state: LabState;
const sock = (node: Node): string => state.nodes[node].control as string;
const status = (node: Node): Promise<StatusResponse> => apiRequest<StatusResponse>(sock(node), 'GET', '/v1/status');
const routes = (node: Node): Promise<RoutesResponse> => apiRequest<RoutesResponse>(sock(node), 'GET', '/v1/routes?detail=1');

/**
 * Converged at `n`: every session Established; for each other node's pod CIDRs (IPv4 and IPv6) a path from the leaf
 * and one over the mesh; the kernel route to each other node's IPv4 pod CIDR via that node.
 */
async function converged(n: Node): Promise<boolean> {
  const s = await status(n).catch(() => undefined);
  if (!s || s.sessions.length === 0 || s.sessions.some((x) => x.state !== 'Established')) return false;
  const r = await routes(n).catch(() => undefined);
  if (!r) return false;
  const kernel = kernelRoutes(state.nodes[n].ns, 'rackroute');
  for (const m of (Object.keys(NODES) as Node[]).filter((x) => x !== n)) {
    const i = m.slice(4);
    const meshPeer = NODES[m];
    for (const prefix of [`10.244.${i}.0/24`, `fd00:244:${i}::/64`]) {
      const paths = r.routes.find((x) => x.prefix === prefix)?.paths ?? [];
      if (!paths.some((p) => p.peer === LEAF[n]) || !paths.some((p) => p.peer === meshPeer)) return false;
    }
    if (kernel.find((k) => k.dst === `10.244.${i}.0/24`)?.gateway !== NODES[m]) return false;
  }
  return true;
}

test.before(async () => {
  state = labUp(NAME, topo);
  await waitUntil('every node converged (sessions, leaf and mesh paths, kernel routes)', 90_000, async () => {
    for (const n of Object.keys(NODES) as Node[]) if (!(await converged(n))) return undefined;
    return true;
  });
});

test.after.always(() => {
  labDownQuietly(NAME, topo);
  remove();
});

test.serial('every node peers with its leaf and every other node', async (t) => {
  for (const n of nodes) {
    const peers = (await status(n)).sessions.filter((x) => x.state === 'Established').map((x) => x.peer).sort();
    t.deepEqual(peers, [LEAF[n], ...nodes.filter((m) => m !== n).map((m) => NODES[m])].sort(), n);
  }
});

test.serial('a pod CIDR comes over iBGP from its own node only (split horizon), unreflected, next hop that node', async (t) => {
  for (const n of nodes) {
    const r = (await routes(n)).routes;
    for (const m of nodes.filter((x) => x !== n)) {
      const prefix = `10.244.${m.slice(4)}.0/24`;
      const ibgp = r.find((x) => x.prefix === prefix)?.paths.filter((p) => p.peer !== LEAF[n]) ?? [];
      t.deepEqual(ibgp.map((p) => p.peer), [NODES[m]], `${n}: ${prefix} over iBGP from ${m} only`);
      t.is(ibgp[0]?.nextHop, NODES[m]);
      t.is(ibgp[0]?.originatorId, undefined);
      t.is(ibgp[0]?.clusterList, undefined);
    }
  }
});

test.serial('pods reach each other across racks (IPv4, IPv6)', (t) => {
  const lost: string[] = [];
  for (const n of nodes) {
    for (const m of nodes.filter((x) => x !== n)) {
      for (const dst of [`10.244.${m.slice(4)}.2`, `fd00:244:${m.slice(4)}::2`]) {
        if (inNs(`${state.nodes[n].ns}-pod1`, 'ping', ['-c', '2', '-i', '0.2', '-W', '2', dst]).status !== 0) lost.push(`${n}/pod1 -> ${dst}`);
      }
    }
  }
  t.deepEqual(lost, []);
});
