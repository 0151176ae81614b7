// Policy and RIB together: the node's real configuration shape.
import test from 'ava';
import { asSequence, makeAttrs } from '../../../src/bgp/rib/attrs.js';
import { ManualClock } from '../../../src/bgp/rib/clock.js';
import { formatPrefix, parsePrefix } from '../../../src/bgp/rib/prefix.js';
import { Rib } from '../../../src/bgp/rib/rib.js';
import { compilePolicy, defaultExportPolicy, defaultImportPolicy } from '../../../src/bgp/policy/index.js';

test('a node with default policies: imports pod ranges with ECMP over two ToRs, exports only its pod CIDR', (t) => {
  const rib = new Rib({ localAsn: 64512, routerId: '10.0.1.10', clock: new ManualClock(), maxPaths: 8 });
  const importPolicy = compilePolicy(defaultImportPolicy({ podRanges: [{ prefix: '10.244.0.0/16', le: 24 }], ownPrefixes: ['10.244.1.0/24'] }));
  const exportPolicy = compilePolicy({
    ...defaultExportPolicy({ ownPrefixes: ['10.244.1.0/24'] }),
    terms: [{ match: { prefixList: [{ prefix: '10.244.1.0/24' }] }, actions: { addCommunities: ['64512:100'] }, result: 'accept' }],
  });
  const tors = ['10.0.1.1', '10.0.1.2'].map((address, i) => {
    const id = rib.addPeer({ address, asn: 65001, importPolicy, exportPolicy, allowOwnAsIn: 1 });
    rib.peerUp(id, { routerId: `1.1.1.${i + 1}`, localAddress: { ipv4: '10.0.1.10' }, families: ['ipv4'] });
    return id;
  });
  rib.originate('ipv4', parsePrefix('10.244.1.0/24'), makeAttrs({}));
  for (const [i, id] of tors.entries()) {
    const r = rib.receive(id, 'ipv4', makeAttrs({ asPath: asSequence(65001, 64512), nextHop: `10.0.1.${i + 1}` }), [
      parsePrefix('10.244.2.0/24'), parsePrefix('10.244.1.0/24'), parsePrefix('172.16.0.0/12'), parsePrefix('0.0.0.0/0'),
    ]);
    t.deepEqual([r.accepted, r.rejected], [2, 2]);
  }
  const ch = rib.flush();
  const byPrefix = new Map(ch.map((c) => [formatPrefix(c.prefix), c]));
  t.deepEqual(byPrefix.get('10.244.2.0/24')!.multipath.map((p) => p.attrs.nextHop), ['10.0.1.1', '10.0.1.2']);
  t.deepEqual(byPrefix.get('0.0.0.0/0')!.multipath.length, 2);
  t.is(byPrefix.get('10.244.1.0/24')!.best!.peer, 0, 'own prefix stays local');
  for (const id of tors) {
    const plans = rib.takeUpdates(id).plans.filter((p) => p.kind === 'announce');
    t.is(plans.length, 1);
    const plan = plans[0]!;
    if (plan.kind !== 'announce') throw new Error('unreachable');
    t.deepEqual(plan.nlri.map(formatPrefix), ['10.244.1.0/24']);
    t.deepEqual(plan.attrs.asPath, asSequence(64512));
    t.deepEqual(plan.attrs.communities, [64512 * 65536 + 100]);
    t.is(plan.attrs.nextHop, '10.0.1.10');
    t.is(rib.peerStats(id).advertised, 1);
    t.deepEqual([rib.peerStats(id).received, rib.peerStats(id).accepted], [4, 2]);
  }
});
