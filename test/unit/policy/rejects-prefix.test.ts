// RoutePolicy.rejectsPrefix: what a compiled policy can tell from the prefix alone, and the RIB's use of it (no export
// work for prefixes a peer's policy rejects outright; everything it sends unchanged).
import test from 'ava';
import { asSequence, community, makeAttrs } from '../../../src/bgp/rib/attrs.js';
import { ManualClock } from '../../../src/bgp/rib/clock.js';
import { formatPrefix, parsePrefix } from '../../../src/bgp/rib/prefix.js';
import { ACCEPT_ALL, REJECT_ALL, type PolicyContext, type RoutePolicy } from '../../../src/bgp/rib/route-policy.js';
import { Rib } from '../../../src/bgp/rib/rib.js';
import type { UpdatePlan } from '../../../src/bgp/rib/adj-rib-out.js';
import { compilePolicy, defaultExportPolicy, type PolicyDef } from '../../../src/bgp/policy/index.js';

const P = parsePrefix;
const ctx: PolicyContext = { family: 'ipv4', localAsn: 64512, peerAsn: 65001, nextHopSelf: '10.0.1.10' };

test('rejectsPrefix: the default export policy rejects everything but the node\'s own prefixes', (t) => {
  const pol = compilePolicy(defaultExportPolicy({ ownPrefixes: ['10.244.1.0/24', 'fd00:244:1::/64'] }));
  t.false(pol.rejectsPrefix(P('10.244.1.0/24')));
  t.false(pol.rejectsPrefix(P('fd00:244:1::/64')));
  t.true(pol.rejectsPrefix(P('10.244.2.0/24')));
  t.true(pol.rejectsPrefix(P('10.244.1.0/25')));
  t.true(pol.rejectsPrefix(P('0.0.0.0/0')));
  t.true(pol.rejectsPrefix(P('fd00:244:2::/64')));
  t.true(compilePolicy(defaultExportPolicy({ ownPrefixes: [] })).rejectsPrefix(P('10.0.0.0/8')));
  t.false(ACCEPT_ALL.rejectsPrefix!(P('10.0.0.0/8')));
  t.true(REJECT_ALL.rejectsPrefix!(P('10.0.0.0/8')));
});

test('rejectsPrefix is never true where some attributes would be accepted (first match, attribute conditions)', (t) => {
  const cases: { def: PolicyDef; prefix: string; rejects: boolean; why: string }[] = [
    { def: { terms: [], default: 'accept' }, prefix: '10.0.0.0/8', rejects: false, why: 'accept default' },
    { def: { terms: [{ match: { prefixList: [{ prefix: '10.0.0.0/8', le: 32 }] }, result: 'reject' }], default: 'accept' },
      prefix: '10.1.0.0/16', rejects: true, why: 'a prefix-only reject term matches first' },
    { def: { terms: [{ match: { prefixList: [{ prefix: '10.0.0.0/8', le: 32 }] }, result: 'reject' }], default: 'accept' },
      prefix: '11.0.0.0/8', rejects: false, why: 'falls through to the accept default' },
    { def: { terms: [{ match: { community: { any: ['65000:1'] } }, result: 'accept' }], default: 'reject' },
      prefix: '10.0.0.0/8', rejects: false, why: 'an accepting term on communities could match any prefix' },
    { def: { terms: [{ match: { prefixList: [{ prefix: '10.0.0.0/8' }], community: { any: ['65000:1'] } }, result: 'accept' }], default: 'reject' },
      prefix: '11.0.0.0/8', rejects: true, why: 'the accepting term cannot match this prefix' },
    { def: { terms: [{ match: { prefixList: [{ prefix: '10.0.0.0/8' }], community: { any: ['65000:1'] } }, result: 'accept' }], default: 'reject' },
      prefix: '10.0.0.0/8', rejects: false, why: 'the accepting term may match with the community' },
    { def: { terms: [{ match: { community: { any: ['65000:1'] } }, result: 'reject' }], default: 'accept' },
      prefix: '10.0.0.0/8', rejects: false, why: 'a reject term on communities does not catch every route' },
    { def: { terms: [{ match: { family: 'ipv6' }, result: 'reject' }, { match: {}, result: 'accept' }], default: 'reject' },
      prefix: 'fd00::/64', rejects: true, why: 'family-only reject term' },
    { def: { terms: [{ match: { family: 'ipv6' }, result: 'reject' }, { match: {}, result: 'accept' }], default: 'reject' },
      prefix: '10.0.0.0/8', rejects: false, why: 'the catch-all accept term' },
    { def: { terms: [{ match: { prefixList: [{ prefix: '10.0.0.0/8', action: 'deny' }, { prefix: '10.0.0.0/8', le: 32 }] }, result: 'accept' }], default: 'reject' },
      prefix: '10.0.0.0/8', rejects: true, why: 'a deny entry in the list' },
    { def: { terms: [{ match: { asPath: { originAs: [65100] } }, result: 'reject' }, { match: { prefixList: [{ prefix: '10.0.0.0/8' }] }, result: 'accept' }], default: 'reject' },
      prefix: '10.0.0.0/8', rejects: false, why: 'an attribute-dependent reject first, then an accept for the prefix' },
  ];
  for (const c of cases) {
    const pol = compilePolicy(c.def);
    t.is(pol.rejectsPrefix(P(c.prefix)), c.rejects, c.why);
  }
});

test('rejectsPrefix agrees with evaluate over a sample of attributes (true implies every evaluation rejects)', (t) => {
  const defs: PolicyDef[] = [
    defaultExportPolicy({ ownPrefixes: ['10.244.1.0/24'] }),
    { terms: [{ match: { prefixList: [{ prefix: '10.0.0.0/8', le: 24 }], community: { any: ['65000:1'] } }, result: 'accept' }], default: 'reject' },
    { terms: [{ match: { asPath: { maxLength: 2 } }, result: 'reject' }, { match: { prefixList: [{ prefix: '10.0.0.0/8', le: 24 }] }, result: 'accept' }], default: 'reject' },
    { terms: [{ match: { prefixList: [{ prefix: '10.1.0.0/16', le: 32 }] }, result: 'reject' }], default: 'accept' },
  ];
  const prefixes = ['10.244.1.0/24', '10.244.2.0/24', '10.1.2.0/24', '10.0.0.0/8', '10.1.2.128/25', '192.168.0.0/16'].map(P);
  const samples = [
    makeAttrs({ asPath: asSequence(65001), nextHop: '10.0.1.1' }),
    makeAttrs({ asPath: asSequence(65001, 65002, 65003), nextHop: '10.0.1.1', communities: [community(65000, 1)] }),
    makeAttrs({ nextHop: '10.0.1.1', communities: [community(65000, 2)] }),
  ];
  let checked = 0;
  for (const def of defs) {
    const pol = compilePolicy(def);
    for (const p of prefixes) {
      const accepted = samples.some((a) => pol.evaluate(p, a, ctx) !== null);
      if (pol.rejectsPrefix(p)) {
        t.false(accepted, `${def.name ?? 'policy'} ${formatPrefix(p)}`);
        checked++;
      }
    }
  }
  t.true(checked >= 8);
});

/** Counts what the RIB asks of a policy, and forwards to a compiled one. */
function counting(inner: ReturnType<typeof compilePolicy>, withShortcut: boolean): RoutePolicy & { applies: number } {
  const p = {
    applies: 0,
    match: (k: Parameters<RoutePolicy['match']>[0], a: Parameters<RoutePolicy['match']>[1]) => inner.match(k, a),
    apply: (term: number, a: Parameters<RoutePolicy['apply']>[1], c: PolicyContext) => { p.applies++; return inner.apply(term, a, c); },
    ...(withShortcut ? { rejectsPrefix: (k: Parameters<RoutePolicy['match']>[0]) => inner.rejectsPrefix(k) } : {}),
  };
  return p;
}

function plansText(plans: readonly UpdatePlan[]): string[] {
  return plans.map((p) => p.kind === 'announce'
    ? `announce ${p.nlri.map(formatPrefix).sort().join(',')} as-path ${p.attrs.asPath.map((s) => s.asns.join(' ')).join('|')} nh ${p.attrs.nextHop}`
    : p.kind === 'withdraw' ? `withdraw ${p.withdrawn.map(formatPrefix).sort().join(',')}` : `eor ${p.family}`).sort();
}

function scenario(withShortcut: boolean, exportDef: PolicyDef) {
  const rib = new Rib({ localAsn: 64512, routerId: '10.0.1.10', clock: new ManualClock() });
  const policies: ReturnType<typeof counting>[] = [];
  const peers = ['10.0.1.1', '10.0.1.2', '10.0.1.3'].map((address, i) => {
    const exportPolicy = counting(compilePolicy(exportDef), withShortcut);
    policies.push(exportPolicy);
    const id = rib.addPeer({ address, asn: 65001 + i, importPolicy: ACCEPT_ALL, exportPolicy });
    rib.peerUp(id, { routerId: `1.1.1.${i + 1}`, localAddress: { ipv4: '10.0.1.10' }, families: ['ipv4'] });
    return id;
  });
  rib.originate('ipv4', P('10.244.1.0/24'), makeAttrs({}));
  const out: string[][] = [];
  const take = (): void => {
    rib.flush();
    for (const id of peers) out.push(plansText(rib.takeUpdates(id).plans));
  };
  take();
  for (const [i, id] of peers.entries()) {
    const nlri = Array.from({ length: 20 }, (_x, k) => P(`10.${100 + i}.${k}.0/24`));
    rib.receive(id, 'ipv4', makeAttrs({ asPath: asSequence(65001 + i, 65100), nextHop: `10.0.1.${i + 1}` }), nlri);
  }
  take();
  rib.withdraw(peers[0]!, 'ipv4', [P('10.100.3.0/24')]);
  rib.withdrawOriginated('ipv4', P('10.244.1.0/24'));
  take();
  rib.originate('ipv4', P('10.244.1.0/24'), makeAttrs({}));
  take();
  return { out, applies: policies.reduce((n, p) => n + p.applies, 0), advertised: peers.map((id) => rib.peerStats(id).advertised) };
}

test('the RIB sends exactly the same with and without rejectsPrefix, and skips the export work', (t) => {
  const def = defaultExportPolicy({ ownPrefixes: ['10.244.1.0/24'] });
  const without = scenario(false, def);
  const withIt = scenario(true, def);
  t.deepEqual(withIt.out, without.out);
  t.deepEqual(withIt.advertised, [1, 1, 1]);
  t.true(without.out.flat().some((x) => x.startsWith('announce 10.244.1.0/24')));
  t.true(without.out.flat().some((x) => x.startsWith('withdraw 10.244.1.0/24')));
  // Without the shortcut every peer's policy is applied to the other peers' routes; with it only to its own prefix.
  t.true(without.applies > 10, `applies without: ${without.applies}`);
  t.true(withIt.applies <= 6, `applies with: ${withIt.applies}`);
});

test('an export policy that accepts by prefix: same plans with and without rejectsPrefix', (t) => {
  const def: PolicyDef = { terms: [{ match: { prefixList: [{ prefix: '10.100.0.0/16', le: 24 }] }, result: 'accept' }], default: 'reject' };
  const without = scenario(false, def);
  const withIt = scenario(true, def);
  t.deepEqual(withIt.out, without.out);
  t.true(withIt.out.flat().some((x) => x.startsWith('announce 10.100.')));
  t.true(withIt.out.flat().some((x) => x === 'withdraw 10.100.3.0/24'));
});

test('a policy change that rejects what was sent still withdraws it', (t) => {
  const rib = new Rib({ localAsn: 64512, routerId: '10.0.1.10', clock: new ManualClock() });
  const a = rib.addPeer({ address: '10.0.1.1', asn: 65001, importPolicy: ACCEPT_ALL, exportPolicy: ACCEPT_ALL });
  const b = rib.addPeer({ address: '10.0.1.2', asn: 65002, importPolicy: ACCEPT_ALL, exportPolicy: ACCEPT_ALL });
  for (const id of [a, b]) rib.peerUp(id, { routerId: `1.1.1.${id}`, localAddress: { ipv4: '10.0.1.10' }, families: ['ipv4'] });
  rib.receive(a, 'ipv4', makeAttrs({ asPath: asSequence(65001), nextHop: '10.0.1.1' }), [P('10.100.0.0/24'), P('10.100.1.0/24')]);
  rib.flush();
  t.deepEqual(plansText(rib.takeUpdates(b).plans), ['announce 10.100.0.0/24,10.100.1.0/24 as-path 64512 65001 nh 10.0.1.10', 'eor ipv4']);
  rib.setExportPolicy(b, compilePolicy({ terms: [{ match: { prefixList: [{ prefix: '10.100.1.0/24' }] }, result: 'accept' }], default: 'reject' }));
  t.deepEqual(plansText(rib.takeUpdates(b).plans), ['withdraw 10.100.0.0/24']);
  // A later change to a rejected prefix: nothing goes out; the accepted one still updates.
  rib.receive(a, 'ipv4', makeAttrs({ asPath: asSequence(65001, 65009), nextHop: '10.0.1.1' }), [P('10.100.0.0/24'), P('10.100.1.0/24')]);
  rib.flush();
  t.deepEqual(plansText(rib.takeUpdates(b).plans), ['announce 10.100.1.0/24 as-path 64512 65001 65009 nh 10.0.1.10']);
  t.is(rib.peerStats(b).advertised, 1);
});
