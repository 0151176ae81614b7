// diffConfigs: what a reload changes for one node, so untouched sessions are left alone.
import test from 'ava';
import { small, SMALL } from './helpers.js';
import { NodeNotFoundError, diffConfigs, parseSite } from '../../../src/config/index.js';

const load = (text: string) => parseSite(text, 'site.yaml').config;
const base = load(SMALL);

test('the same file changes nothing', (t) => {
  const d = diffConfigs(base, load(SMALL), 'node-a');
  t.true(d.empty);
  t.deepEqual(d.peers, { added: [], removed: [], changed: [] });
  t.deepEqual(d.other, []);
});

test('a peer added and one removed, by address', (t) => {
  const d = diffConfigs(base, load(small('{ address: 10.0.1.1, asn: 65001 }', '{ address: 10.0.1.2, asn: 65001 }')), 'node-a');
  t.deepEqual(d.peers.added.map((p) => p.address), ['10.0.1.2']);
  t.deepEqual(d.peers.removed.map((p) => p.address), ['10.0.1.1']);
  t.deepEqual(d.peers.changed, []);
  t.false(d.empty);
  // node-b's sessions are untouched by a change in r1.
  t.deepEqual(diffConfigs(base, load(small('{ address: 10.0.1.1, asn: 65001 }', '{ address: 10.0.1.2, asn: 65001 }')), 'node-b').peers,
    { added: [], removed: [], changed: [] });
});

test('a peer changed: which fields, and whether the session must reset', (t) => {
  const asn = diffConfigs(base, load(small('asn: 65001', 'asn: 65002')), 'node-a');
  t.deepEqual(asn.peers.changed.map((c) => [c.address, c.fields, c.reset]), [['10.0.1.1', ['asn'], true]]);
  const imp = diffConfigs(base, load(small('asn: 65001 }', 'asn: 65001, import: all }')), 'node-a');
  t.deepEqual(imp.peers.changed.map((c) => [c.address, c.fields, c.reset]), [['10.0.1.1', ['import'], false]]);
  const hold = diffConfigs(base, load(small('  asn: 64512\n', '  asn: 64512\n  holdTime: 30\n')), 'node-a');
  t.deepEqual(hold.peers.changed.map((c) => [c.fields, c.reset]), [[['holdTime', 'keepalive'], true]]);
  t.deepEqual(hold.other, ['defaults.holdTime', 'racks.r1.holdTime', 'racks.r2.holdTime']);
});

test('pod CIDRs added and removed on this node; other nodes listed apart', (t) => {
  const next = load(small('podCIDRs: [10.244.1.0/24]', 'podCIDRs: [10.244.5.0/24, "fd00:244:1::/64"]'));
  const a = diffConfigs(base, next, 'node-a');
  t.deepEqual(a.podCIDRs, { added: ['10.244.5.0/24', 'fd00:244:1::/64'], removed: ['10.244.1.0/24'] });
  t.deepEqual(a.nodes, { added: [], removed: [], changed: [] });
  const b = diffConfigs(base, next, 'node-b');
  t.deepEqual(b.podCIDRs, { added: [], removed: [] });
  t.deepEqual(b.nodes.changed, ['node-a']);
  // The default import follows the nodes' pod CIDRs: node-a's ToR session re-runs its import.
  t.deepEqual(a.policyRefresh, ['10.0.1.1']);
});

test('policies changed by content, and the peers that use them refreshed', (t) => {
  const withPolicy = (lp: number) => load(`${small('asn: 65001 }', 'asn: 65001, import: tor-in }')}policies:
  tor-in:
    terms: [{ set: { localPref: ${lp} } }]
`);
  const d = diffConfigs(withPolicy(100), withPolicy(200), 'node-a');
  t.deepEqual(d.policies, { added: [], removed: [], changed: ['tor-in'] });
  t.deepEqual(d.policyRefresh, ['10.0.1.1']);
  t.deepEqual(d.peers.changed, []);
  const added = diffConfigs(base, withPolicy(100), 'node-a');
  t.deepEqual(added.policies.added, ['tor-in']);
  t.deepEqual(added.peers.changed.map((c) => c.fields), [['import']]);
});

test('other changes by path, and the ones that need a restart', (t) => {
  const d = diffConfigs(base, load(`${SMALL}vxlan: { port: 8472 }\nbgp: { listen: false }\n`), 'node-a');
  t.deepEqual(d.other, ['bgp.listen', 'vxlan.port']);
  t.deepEqual(d.restartRequired, ['bgp.listen']);
  const asn = diffConfigs(base, load(small('rack: r1', 'rack: r1, asn: 64600')), 'node-a');
  t.deepEqual(asn.restartRequired, ['node.asn']);
});

test('a node missing from either file', (t) => {
  t.throws(() => diffConfigs(base, base, 'node-z'), { instanceOf: NodeNotFoundError });
});
