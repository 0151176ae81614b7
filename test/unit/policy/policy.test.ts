import test from 'ava';
import type { PathAttributes } from '../../../src/bgp/rib/attrs.js';
import { asSequence, community, makeAttrs } from '../../../src/bgp/rib/attrs.js';
import { parsePrefix } from '../../../src/bgp/rib/prefix.js';
import type { PolicyContext } from '../../../src/bgp/rib/route-policy.js';
import { compilePolicy, compilePrefixList, defaultExportPolicy, defaultImportPolicy, parseCommunity } from '../../../src/bgp/policy/index.js';

const P = parsePrefix;
const ctx: PolicyContext = { family: 'ipv4', localAsn: 64512, peerAsn: 65001, nextHopSelf: '10.0.1.10' };
const base = (x: Partial<PathAttributes> = {}) => makeAttrs({ asPath: asSequence(65001, 65100), nextHop: '10.0.1.1', ...x });

test('prefix list ge/le, IPv4', (t) => {
  const m = compilePrefixList([{ prefix: '10.244.0.0/16', ge: 24, le: 26 }]);
  t.false(m(P('10.244.0.0/16')));
  t.false(m(P('10.244.0.0/23')));
  t.true(m(P('10.244.3.0/24')));
  t.true(m(P('10.244.3.64/26')));
  t.false(m(P('10.244.3.64/27')));
  t.false(m(P('10.245.3.0/24')));
  const exact = compilePrefixList([{ prefix: '10.244.1.0/24' }]);
  t.true(exact(P('10.244.1.0/24')));
  t.false(exact(P('10.244.1.0/25')));
  const le = compilePrefixList([{ prefix: '10.244.0.0/16', le: 24 }]);
  t.true(le(P('10.244.0.0/16')) && le(P('10.244.9.0/24')) && !le(P('10.244.9.0/25')));
  const geOnly = compilePrefixList([{ prefix: '10.0.0.0/8', ge: 30 }]);
  t.true(geOnly(P('10.1.1.4/30')) && geOnly(P('10.1.1.4/32')) && !geOnly(P('10.1.1.0/29')));
});

test('prefix list ge/le, IPv6, and families never cross', (t) => {
  const m = compilePrefixList([{ prefix: 'fd00:244::/48', le: 64 }]);
  t.true(m(P('fd00:244:0:7::/64')));
  t.false(m(P('fd00:244:0:7::/80')));
  t.false(m(P('fd00:245::/64')));
  t.false(compilePrefixList([{ prefix: '0.0.0.0/0', le: 32 }])(P('::/0')));
  t.false(compilePrefixList([{ prefix: '::/0', le: 128 }])(P('10.0.0.0/8')));
});

test('prefix list entries are first-match with deny', (t) => {
  const m = compilePrefixList([{ prefix: '10.244.66.0/24', action: 'deny' }, { prefix: '10.244.0.0/16', le: 24 }]);
  t.false(m(P('10.244.66.0/24')));
  t.true(m(P('10.244.67.0/24')));
});

test('bad prefix list entries are errors that say where', (t) => {
  t.throws(() => compilePrefixList([{ prefix: '10.0.0.0/8', ge: 4 }], 'x'), { name: 'PolicyError', message: /x\[0\]/ });
  t.throws(() => compilePrefixList([{ prefix: '10.0.0.0/8', le: 33 }]), { name: 'PolicyError' });
  t.throws(() => compilePolicy({ terms: [{ match: { prefixList: 'nope' }, result: 'accept' }], default: 'reject' }), { message: /terms\[0\]\.match\.prefixList/ });
  t.throws(() => compilePolicy({ terms: [{ match: { community: { any: ['70000:1'] } }, result: 'accept' }], default: 'reject' }), { message: /community\.any\[0\]/ });
});

test('communities: text forms and well-known names', (t) => {
  t.is(parseCommunity('65000:100'), community(65000, 100));
  t.is(parseCommunity('no-export'), 0xffffff01);
  t.is(parseCommunity('4294967041'), 0xffffff01);
});

test('terms are first-match; matching on communities, large communities and AS path', (t) => {
  const pol = compilePolicy({
    prefixLists: { pods: [{ prefix: '10.244.0.0/16', le: 24 }] },
    terms: [
      { name: 'blackholed', match: { community: { any: ['65535:666'] } }, result: 'reject' },
      { name: 'tagged', match: { prefixList: 'pods', largeCommunity: { all: ['64512:1:2'] } }, actions: { localPref: 300 }, result: 'accept' },
      { name: 'from-65100', match: { asPath: { originAs: [65100] } }, actions: { localPref: 150 }, result: 'accept' },
      { name: 'transits', match: { asPath: { contains: [174, 3356] } }, result: 'reject' },
      { name: 'short', match: { asPath: { maxLength: 1, neighborAs: [65001] } }, result: 'accept' },
    ],
    default: 'reject',
  });
  const pod = P('10.244.3.0/24');
  t.is(pol.match(pod, base({ communities: [community(65535, 666)] })), 0);
  t.is(pol.evaluate(pod, base({ communities: [community(65535, 666)] }), ctx), null);
  t.is(pol.evaluate(pod, base({ largeCommunities: [[64512, 1, 2]] }), ctx)!.localPref, 300);
  t.is(pol.evaluate(P('10.9.0.0/24'), base({ largeCommunities: [[64512, 1, 2]] }), ctx)!.localPref, 150, 'prefix list failed: next term');
  t.is(pol.evaluate(pod, base({ asPath: asSequence(65001, 174, 65200) }), ctx), null);
  t.truthy(pol.evaluate(pod, base({ asPath: asSequence(65001) }), ctx));
  t.is(pol.evaluate(pod, base({ asPath: asSequence(65002) }), ctx), null, 'default reject');
  t.is(pol.termName(pol.match(pod, base())), 'from-65100');
});

test('actions: local-pref, MED, communities add/remove, large communities, prepend, next hop', (t) => {
  const pol = compilePolicy({
    terms: [{
      actions: {
        localPref: 120, med: 33,
        addCommunities: ['64512:10', '64512:11'], removeCommunities: ['65001:1'],
        addLargeCommunities: ['64512:0:5'], removeLargeCommunities: ['65001:0:1'],
        prepend: { times: 2 }, nextHop: 'self',
      },
      result: 'accept',
    }],
    default: 'reject',
  });
  const input = base({ communities: [community(65001, 1), community(64512, 10)], largeCommunities: [[65001, 0, 1], [65001, 0, 2]], med: 1 });
  const out = pol.evaluate(P('10.0.0.0/24'), input, ctx)!;
  t.is(out.localPref, 120);
  t.is(out.med, 33);
  t.deepEqual(out.communities, [community(64512, 10), community(64512, 11)]);
  t.deepEqual(out.largeCommunities, [[65001, 0, 2], [64512, 0, 5]]);
  t.deepEqual(out.asPath, asSequence(64512, 64512, 65001, 65100));
  t.is(out.nextHop, '10.0.1.10');
  t.deepEqual(input.communities, [community(65001, 1), community(64512, 10)], 'input untouched');

  const other = compilePolicy({ terms: [{ actions: { med: 'remove', nextHop: 'FD00::9', prepend: { times: 1, asn: 65009 }, removeCommunities: 'all' }, result: 'accept' }], default: 'reject' });
  const o2 = other.evaluate(P('10.0.0.0/24'), input, ctx)!;
  t.is(o2.med, undefined);
  t.is(o2.nextHop, 'fd00::9');
  t.deepEqual(o2.asPath, asSequence(65009, 65001, 65100));
  t.deepEqual(o2.communities, []);
});

test('a term without actions returns its input object (the RIB then skips interning)', (t) => {
  const pol = compilePolicy({ terms: [{ result: 'accept' }], default: 'reject' });
  const a = base();
  t.is(pol.evaluate(P('10.0.0.0/24'), a, ctx), a);
  const def = compilePolicy({ terms: [], default: 'accept', defaultActions: { addCommunities: ['1:1'] } });
  t.deepEqual(def.evaluate(P('10.0.0.0/24'), a, ctx)!.communities, [community(1, 1)]);
});

test('default import policy: cluster pod ranges up to their length, the default route, never our own', (t) => {
  const pol = compilePolicy(defaultImportPolicy({
    podRanges: [{ prefix: '10.244.0.0/16', le: 24 }, { prefix: 'fd00:244::/48', le: 64 }],
    ownPrefixes: ['10.244.1.0/24'],
  }));
  const ok = (p: string) => pol.evaluate(P(p), base(), ctx) !== null;
  t.true(ok('10.244.2.0/24'));
  t.true(ok('10.244.0.0/16'));
  t.false(ok('10.244.2.0/25'));
  t.false(ok('10.244.1.0/24'), 'own pod CIDR');
  t.true(ok('0.0.0.0/0'));
  t.true(ok('::/0'));
  t.true(ok('fd00:244:0:2::/64'));
  t.false(ok('192.168.0.0/16'));
  t.false(ok('8.8.8.0/24'));
  const noDefault = compilePolicy(defaultImportPolicy({ podRanges: [], defaultRoute: false }));
  t.is(noDefault.evaluate(P('0.0.0.0/0'), base(), ctx), null);
});

test('default export policy: exactly this node\'s prefixes', (t) => {
  const pol = compilePolicy(defaultExportPolicy({ ownPrefixes: ['10.244.1.0/24', 'fd00:244:1::/64'] }));
  t.truthy(pol.evaluate(P('10.244.1.0/24'), base(), ctx));
  t.truthy(pol.evaluate(P('fd00:244:1::/64'), base(), ctx));
  t.is(pol.evaluate(P('10.244.1.0/25'), base(), ctx), null);
  t.is(pol.evaluate(P('10.244.2.0/24'), base(), ctx), null);
  t.is(pol.evaluate(P('0.0.0.0/0'), base(), ctx), null);
  t.is(compilePolicy(defaultExportPolicy({ ownPrefixes: [] })).evaluate(P('10.244.1.0/24'), base(), ctx), null);
});
