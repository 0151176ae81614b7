// Finding this node (by --node or hostname) and its sessions: rack ToRs, its own peers, the node mesh.
import test from 'ava';
import { issues as parseSiteIssues, readRepoFile, small, SMALL } from './helpers.js';
import { NodeNotFoundError, parseSite, peersOf, selectNode } from '../../../src/config/index.js';

const { config } = parseSite(SMALL, 'site.yaml');

test('selectNode by --node, then by hostname whole or without its domain', (t) => {
  t.is(selectNode(config, 'node-b', 'ignored').name, 'node-b');
  t.is(selectNode(config, undefined, 'node-a').name, 'node-a');
  t.is(selectNode(config, undefined, 'Node-A.dc1.example.com').name, 'node-a');
});

test('selectNode names what it looked for and what exists', (t) => {
  const e1 = t.throws(() => selectNode(config, 'node-z', 'h'), { instanceOf: NodeNotFoundError });
  t.is(e1!.name, 'NodeNotFoundError');
  t.is(e1!.message, 'site.yaml: no node named by --node node-z under `nodes`; the nodes are: node-a, node-b');
  const e2 = t.throws(() => selectNode(config, undefined, 'build-box'), { instanceOf: NodeNotFoundError });
  t.is(e2!.message, 'site.yaml: no node named by hostname "build-box" (pass --node NAME to choose another) under `nodes`; the nodes are: node-a, node-b');
});

test('peersOf: rack ToRs then the node\'s own peers', (t) => {
  const text = small('podCIDRs: [10.244.1.0/24] }', 'podCIDRs: [10.244.1.0/24], peers: [{ address: 10.255.0.1, asn: 65100, multihop: 3 }] }');
  const c = parseSite(text, 'site.yaml').config;
  t.deepEqual(peersOf(c, selectNode(c, 'node-a')).map((p) => [p.address, p.origin, p.multihop]),
    [['10.0.1.1', 'rack', 1], ['10.255.0.1', 'node', 3]]);
  t.deepEqual(peersOf(c, selectNode(c, 'node-b')), []);
});

test('node mesh: route reflectors and their clients', (t) => {
  const c = parseSite(readRepoFile('config/site.example.yaml'), 'x.yaml').config;
  const rr = peersOf(c, selectNode(c, 'node-b'));
  t.deepEqual(rr.map((p) => [p.address, p.origin, p.node, p.asn, p.routeReflectorClient, p.holdTime]),
    [['10.0.2.11', 'mesh', 'node-c', 64512, true, 30]]);
  const client = peersOf(c, selectNode(c, 'node-c'));
  t.deepEqual(client.map((p) => [p.address, p.routeReflectorClient]), [['10.0.2.10', false]]);
  // node-a's rack is not in the mesh.
  t.deepEqual(peersOf(c, selectNode(c, 'node-a')).map((p) => p.origin), ['rack', 'rack']);
});

test('node mesh: a full mesh, site-wide and within racks', (t) => {
  const three = `${SMALL.replace('  - { name: node-b', '  - { name: node-c, rack: r2, address: 10.0.2.11, podCIDRs: [10.244.3.0/24] }\n  - { name: node-b')}`;
  const full = parseSite(`${three}nodeMesh: { mode: full }\n`, 's.yaml').config;
  t.deepEqual(peersOf(full, selectNode(full, 'node-b')).map((p) => p.address), ['10.0.1.10', '10.0.2.11']);
  t.deepEqual(peersOf(full, selectNode(full, 'node-a')).map((p) => p.address), ['10.0.1.1', '10.0.2.11', '10.0.2.10']);
  const rack = parseSite(`${three}nodeMesh: { mode: full, scope: rack }\n`, 's.yaml').config;
  t.deepEqual(peersOf(rack, selectNode(rack, 'node-b')).map((p) => p.address), ['10.0.2.11']);
});

test('node mesh errors: unknown reflector, no reflector, mixed AS numbers', (t) => {
  const r1 = parseSiteIssues(`${SMALL}nodeMesh: { mode: route-reflectors, routeReflectors: [{ node: node-x }] }\n`);
  t.deepEqual(r1, ["site.yaml:14:63: node 'node-x' is not defined (expected the name of a node under nodes)"]);
  const r2 = parseSiteIssues(`${SMALL}nodeMesh: { mode: route-reflectors }\n`);
  t.deepEqual(r2, ['site.yaml:14:19: mode route-reflectors needs at least one route reflector (expected nodeMesh.routeReflectors: [{node: NAME}])']);
  const r3 = parseSiteIssues(`${small('rack: r2', 'rack: r2, asn: 64999')}nodeMesh: { mode: full }\n`);
  t.deepEqual(r3, ["site.yaml:13:36: node 'node-b' is in AS 64999 but the node mesh (iBGP) needs every member in AS 64512 like 'node-a' (expected AS 64512, or leave this node's rack out of nodeMesh.racks)"]);
});
