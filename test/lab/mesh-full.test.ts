// The full node mesh, for real: the leaf-spine lab with `nodeMesh: full` over the whole site. Every node peers
// with every other (iBGP) besides its leaf; each learns a pod CIDR from its own node only (iBGP split horizon,
// RFC 4271 §9.2: nobody passes on what it learned over iBGP), without reflection attributes; pods reach each other.
import test from 'ava';
import { inNs, LEAF_SPINE, LeafSpineMesh, type LeafSpineNode } from './helpers.js';
import type { RoutesResponse, StatusResponse } from '../../src/api/types.js';

const NODES = LEAF_SPINE.nodes;
const LEAF = LEAF_SPINE.leaf;
type Node = LeafSpineNode;
const mesh = new LeafSpineMesh('t-meshfull', 'nodeMesh: { mode: full, scope: site }\n', (_n, m) => NODES[m]);
const nodes = mesh.nodes;
const status = (n: Node): Promise<StatusResponse> => mesh.status(n);
const routes = (n: Node): Promise<RoutesResponse> => mesh.routes(n);

test.before(() => mesh.up());
test.after.always(() => mesh.down());

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
        if (inNs(`${mesh.state.nodes[n].ns}-pod1`, 'ping', ['-c', '2', '-i', '0.2', '-W', '2', dst]).status !== 0) lost.push(`${n}/pod1 -> ${dst}`);
      }
    }
  }
  t.deepEqual(lost, []);
});
