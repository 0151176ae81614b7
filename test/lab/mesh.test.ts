// The node mesh with route reflection (RFC 4456), for real: the leaf-spine lab with `nodeMesh: route-reflectors`
// and node1 as the reflector of the whole site. Besides their eBGP sessions to the leaves, node2..node4 each peer
// with node1 only (iBGP); node1 reflects what one client sends to the others, with ORIGINATOR_ID and CLUSTER_LIST,
// and next hops unchanged; a client never takes back its own route. The reflected paths have the shorter AS path
// (none), so they win over the leaves' (RFC 4271 §9.1.2.2): the FIB sends each pod CIDR to its own node, in the
// rack directly, across racks natively where the fabric routes the node's address and by VXLAN where it does not.
// Pods reach each other either way.
import test from 'ava';
import { inNs, kernelRoutes, LEAF_SPINE, LeafSpineMesh, rackroute, type LeafSpineNode } from './helpers.js';
import type { RoutesResponse, StatusResponse } from '../../src/api/types.js';

const NODES = LEAF_SPINE.nodes;
const LEAF = LEAF_SPINE.leaf;
type Node = LeafSpineNode;
// Node1 learns each pod CIDR from its node; the clients learn every other one from node1.
const mesh = new LeafSpineMesh('t-mesh', `nodeMesh:
  mode: route-reflectors
  scope: site
  routeReflectors:
    - { node: node1 }
`, (n, m) => (n === 'node1' ? NODES[m] : NODES.node1));
const sock = (n: Node): string => mesh.sock(n);
const status = (n: Node): Promise<StatusResponse> => mesh.status(n);
const routes = (n: Node): Promise<RoutesResponse> => mesh.routes(n);
const established = (s: StatusResponse): string[] => s.sessions.filter((x) => x.state === 'Established').map((x) => x.peer).sort();

test.before(() => mesh.up());
test.after.always(() => mesh.down());

test.serial('the reflector peers with every node; each client with its leaf and the reflector only', async (t) => {
  t.deepEqual(established(await status('node1')), [LEAF.node1, NODES.node2, NODES.node3, NODES.node4].sort());
  for (const n of ['node2', 'node3', 'node4'] as const) {
    const s = await status(n);
    t.deepEqual(established(s), [LEAF[n], NODES.node1].sort(), `${n}: ${JSON.stringify(s.sessions.map((x) => [x.peer, x.state]))}`);
  }
});

test.serial('a client\'s pod CIDR reaches the other clients through the reflector: ORIGINATOR_ID, CLUSTER_LIST, next hop unchanged', async (t) => {
  // node2's pod CIDR as the clients in the other rack hold it.
  for (const n of ['node3', 'node4'] as const) {
    const r = (await routes(n)).routes.find((x) => x.prefix === '10.244.2.0/24');
    const reflected = r?.paths.find((p) => p.peer === NODES.node1);
    t.truthy(reflected, `${n}: a path from the reflector: ${JSON.stringify(r)}`);
    t.is(reflected?.originatorId, NODES.node2, 'ORIGINATOR_ID: node2, where the route came from');
    t.deepEqual(reflected?.clusterList, [NODES.node1], 'CLUSTER_LIST: the reflector\'s cluster (its router id)');
    t.is(reflected?.nextHop, NODES.node2, 'next hop unchanged by the reflector');
    t.is(reflected?.asPath, '', 'iBGP: no AS added');
    t.is(reflected?.localPref, 100);
    t.truthy(r?.paths.some((p) => p.peer === LEAF[n]), `${n}: the leaf's path is there too`);
    t.true(reflected?.best, `${n}: the reflected path is best`);
    t.is(reflected?.reason, 'as-path-length', 'no AS path against the leaf\'s four ASes');
  }
  // node1 learned it from node2 directly: its own path, no reflection attributes.
  const at1 = (await routes('node1')).routes.find((x) => x.prefix === '10.244.2.0/24')?.paths.find((p) => p.peer === NODES.node2);
  t.truthy(at1);
  t.is(at1?.originatorId, undefined);
  t.is(at1?.clusterList, undefined);
  const table = rackroute(['routes', '--socket', sock('node4'), '--detail']).stdout.split('\n');
  const at = table.findIndex((l) => l.includes(' 10.244.2.0/24 '));
  t.log(['node4: rackroute routes --detail', table[0], table[at], table[at + 1]].join('\n'));
});

test.serial('a client never holds its own route back from the reflector; the reflector\'s own route reaches every client', async (t) => {
  for (const [n, own] of [['node2', 2], ['node3', 3], ['node4', 4]] as const) {
    const r = (await routes(n)).routes;
    const back = r.find((x) => x.prefix === `10.244.${own}.0/24`)?.paths.filter((p) => p.peer === NODES.node1) ?? [];
    t.deepEqual(back, [], `${n}: its own pod CIDR not taken back from the reflector`);
    const fromRr = r.find((x) => x.prefix === '10.244.1.0/24')?.paths.find((p) => p.peer === NODES.node1);
    t.truthy(fromRr, `${n}: node1's own pod CIDR from node1`);
    t.is(fromRr?.originatorId, undefined, 'the reflector\'s own route is not reflected: no ORIGINATOR_ID');
    t.is(fromRr?.nextHop, NODES.node1);
  }
});

test.serial('the FIB sends every remote pod CIDR to its node, and pods reach each other across racks (IPv4, IPv6)', (t) => {
  for (const n of Object.keys(NODES) as Node[]) {
    const ours = kernelRoutes(mesh.state.nodes[n].ns, 'rackroute');
    for (const [m, address] of Object.entries(NODES) as [Node, string][]) {
      if (m === n) continue;
      const route = ours.find((r) => r.dst === `10.244.${m.slice(4)}.0/24`);
      t.is(route?.gateway, address, `${n}: the pod CIDR of ${m} via ${m} itself: ${JSON.stringify(route)}`);
      // in the rack: on the uplink; across racks: the underlay or the VXLAN device, as the transport planner chose
      t.true(route?.dev === 'eth1' || route?.dev === 'rr.vxlan', JSON.stringify(route));
    }
  }
  const lost: string[] = [];
  for (const n of Object.keys(NODES) as Node[]) {
    for (const m of Object.keys(NODES) as Node[]) {
      if (m === n) continue;
      for (const dst of [`10.244.${m.slice(4)}.2`, `fd00:244:${m.slice(4)}::2`]) {
        const r = inNs(`${mesh.state.nodes[n].ns}-pod1`, 'ping', ['-c', '2', '-i', '0.2', '-W', '2', dst]);
        if (r.status !== 0) lost.push(`${n}/pod1 -> ${dst}`);
      }
    }
  }
  t.deepEqual(lost, [], 'every pod-to-pod pair answered');
});
