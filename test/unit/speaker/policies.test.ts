// The peers' default policies as the speaker builds them from the site file: a route reflector's mesh sessions
// also pass the cluster's pod ranges (what it reflects, RFC 4456); every other session only this node's own.
import test from 'ava';
import { readRepoFile } from '../config/helpers.js';
import { parseSite, peersOf, selectNode } from '../../../src/config/index.js';
import { exportPolicy } from '../../../src/bgp/speaker/policies.js';
import { asSequence, makeAttrs } from '../../../src/bgp/rib/attrs.js';
import { parsePrefix } from '../../../src/bgp/rib/prefix.js';
import type { PolicyContext } from '../../../src/bgp/rib/route-policy.js';

const site = parseSite(readRepoFile('config/site.example.yaml'), 'x.yaml').config;
const attrs = makeAttrs({ asPath: asSequence(), nextHop: '10.0.2.11' });
const ctx: PolicyContext = { family: 'ipv4', localAsn: 64512, peerAsn: 64512, nextHopSelf: '10.0.2.10' };
const passes = (node: string, peer: string, prefix: string): boolean => {
  const n = selectNode(site, node);
  const p = peersOf(site, n).find((x) => x.address === peer);
  if (!p) throw new Error(`${node} has no session with ${peer}`);
  const pol = exportPolicy(p.export, site, n, p);
  const key = parsePrefix(prefix);
  return pol.apply(pol.match(key, attrs), { ...attrs, id: 0 }, ctx) !== null;
};

test('a route reflector (node-b) passes its own pod CIDR and the ones it reflects to its client (node-c)', (t) => {
  t.true(passes('node-b', '10.0.2.11', '10.244.2.0/24'), 'its own');
  t.true(passes('node-b', '10.0.2.11', '10.244.4.0/24'), 'another node\'s pod CIDR, to reflect');
  t.false(passes('node-b', '10.0.2.11', '192.168.0.0/24'), 'nothing outside the cluster\'s pod ranges');
  t.false(passes('node-b', '10.0.2.11', '0.0.0.0/0'));
});

test('a client (node-c) and a ToR session (node-a\'s) pass the node\'s own pod CIDRs only', (t) => {
  t.true(passes('node-c', '10.0.2.10', '10.244.3.0/24'));
  t.false(passes('node-c', '10.0.2.10', '10.244.4.0/24'));
  const tor = peersOf(site, selectNode(site, 'node-a')).find((p) => p.origin === 'rack');
  t.truthy(tor);
  t.true(passes('node-a', tor!.address, '10.244.1.0/24'));
  t.false(passes('node-a', tor!.address, '10.244.4.0/24'));
});
