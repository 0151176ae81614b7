import test from 'ava';
import type { PathAttributes } from '../../../src/bgp/rib/attrs.js';
import { AS_CONFED_SEQUENCE, AS_SEQUENCE, AS_SET, makeAttrs } from '../../../src/bgp/rib/attrs.js';
import type { BestReason, Candidate, DecisionOptions, PathSource } from '../../../src/bgp/rib/decision.js';
import { DEFAULT_DECISION, STEPS, comparePaths, selectBest } from '../../../src/bgp/rib/decision.js';
import { addressSortKey, parseIPv4 } from '../../../src/bgp/rib/ip.js';

const src = (kind: PathSource['kind'], address: string, routerId: string, asn = 65001): PathSource => ({
  kind, asn, routerId: parseIPv4(routerId), addressKey: addressSortKey(address),
});
const E1 = src('ebgp', '10.0.1.1', '1.1.1.1');
const E2 = src('ebgp', '10.0.1.2', '2.2.2.2');
const I1 = src('ibgp', '10.0.9.1', '3.3.3.3', 64512);
const LOCAL: PathSource = { kind: 'local', asn: 64512, routerId: 0, addressKey: '' };

const seq = (...asns: number[]) => [{ type: AS_SEQUENCE, asns }] as const;
const cand = (s: PathSource, a: Partial<PathAttributes>, pathId = 0): Candidate => ({
  src: s, pathId, attrs: makeAttrs({ asPath: seq(65001, 65100), nextHop: '10.0.1.1', ...a }),
});
const opts = (o: Partial<DecisionOptions> = {}): DecisionOptions => ({ ...DEFAULT_DECISION, localAsn: 64512, ...o });

interface Row {
  name: string;
  a: Candidate;
  b: Candidate;
  o?: Partial<DecisionOptions>;
  winner: 'a' | 'b' | 'tie';
  reason: BestReason | 'tie';
}

const rows: Row[] = [
  { name: 'higher local-pref wins', a: cand(I1, { localPref: 200 }), b: cand(E1, {}), winner: 'a', reason: 'local-pref' },
  { name: 'missing local-pref counts as default 100', a: cand(E1, { localPref: 99 }), b: cand(E2, {}), winner: 'b', reason: 'local-pref' },
  { name: 'locally originated preferred', a: cand(E1, { asPath: [] }), b: cand(LOCAL, { asPath: seq(1, 2, 3) }), winner: 'b', reason: 'local-origin' },
  { name: 'shorter AS path wins', a: cand(E1, { asPath: seq(65001, 1, 2) }), b: cand(E2, { asPath: seq(65002, 1) }), winner: 'b', reason: 'as-path-length' },
  {
    name: 'AS_SET counts as one', a: cand(E1, { asPath: [{ type: AS_SEQUENCE, asns: [65001] }, { type: AS_SET, asns: [1, 2, 3, 4] }] }),
    b: cand(E2, { asPath: seq(65002, 7, 8) }), winner: 'a', reason: 'as-path-length',
  },
  {
    name: 'confed segments count zero', a: cand(E1, { asPath: [{ type: AS_CONFED_SEQUENCE, asns: [1, 2, 3] }, { type: AS_SEQUENCE, asns: [65001, 9] }] }),
    b: cand(E2, { asPath: seq(65002, 7, 8) }), winner: 'a', reason: 'as-path-length',
  },
  { name: 'lower origin wins (IGP < INCOMPLETE)', a: cand(E1, { origin: 2 }), b: cand(E2, { origin: 0 }), winner: 'b', reason: 'origin' },
  { name: 'lower origin wins (IGP < EGP)', a: cand(E1, { origin: 0 }), b: cand(E2, { origin: 1 }), winner: 'a', reason: 'origin' },
  { name: 'lower MED wins within one neighbour AS', a: cand(E1, { med: 50 }), b: cand(E2, { med: 10 }), winner: 'b', reason: 'med' },
  {
    name: 'MED ignored across neighbour ASes (falls to router id)', a: cand(E1, { med: 50, asPath: seq(65001, 65100) }),
    b: cand(E2, { med: 10, asPath: seq(65002, 65100) }), winner: 'a', reason: 'router-id',
  },
  {
    name: 'always-compare-med compares across ASes', a: cand(E1, { med: 50, asPath: seq(65001, 65100) }),
    b: cand(E2, { med: 10, asPath: seq(65002, 65100) }), o: { alwaysCompareMed: true }, winner: 'b', reason: 'med',
  },
  { name: 'missing MED is 0 by default', a: cand(E1, { med: 5 }), b: cand(E2, {}), winner: 'b', reason: 'med' },
  { name: 'missing MED worst with the option', a: cand(E1, { med: 5 }), b: cand(E2, {}), o: { medMissingAsWorst: true }, winner: 'a', reason: 'med' },
  { name: 'eBGP over iBGP', a: cand(I1, {}), b: cand(E2, {}), winner: 'b', reason: 'ebgp-over-ibgp' },
  {
    name: 'IGP metric when known', a: cand(I1, { nextHop: '10.9.9.1' }), b: cand({ ...I1, routerId: 1 }, { nextHop: '10.9.9.2' }),
    o: { igpMetric: (nh) => (nh === '10.9.9.1' ? 5 : 20) }, winner: 'a', reason: 'igp-metric',
  },
  { name: 'lower router id', a: cand(E2, {}), b: cand(E1, {}), winner: 'b', reason: 'router-id' },
  {
    name: 'ORIGINATOR_ID stands in for router id', a: cand(I1, { originatorId: parseIPv4('9.9.9.9') }),
    b: cand({ ...I1, routerId: parseIPv4('8.8.8.8'), addressKey: addressSortKey('10.0.9.2') }, {}), winner: 'b', reason: 'router-id',
  },
  {
    name: 'shorter cluster list', a: cand(I1, { originatorId: 7, clusterList: [1, 2] }),
    b: cand({ ...I1, addressKey: addressSortKey('10.0.9.2') }, { originatorId: 7, clusterList: [1] }), winner: 'b', reason: 'cluster-list-length',
  },
  {
    name: 'lower peer address', a: cand({ ...E1, addressKey: addressSortKey('10.0.1.20') }, {}),
    b: cand({ ...E1, addressKey: addressSortKey('10.0.1.3') }, {}), winner: 'b', reason: 'peer-address',
  },
  {
    name: 'IPv4 peer address below IPv6', a: cand({ ...E1, addressKey: addressSortKey('fd00::1') }, {}),
    b: cand({ ...E1, addressKey: addressSortKey('192.0.2.1') }, {}), winner: 'b', reason: 'peer-address',
  },
  { name: 'ADD-PATH paths of one peer: lower path id', a: cand(E1, {}, 7), b: cand(E1, {}, 3), winner: 'b', reason: 'path-id' },
  { name: 'identical paths tie', a: cand(E1, {}), b: cand(E1, {}), winner: 'tie', reason: 'tie' },
  {
    name: 'local-pref beats a shorter path', a: cand(E1, { localPref: 300, asPath: seq(65001, 1, 2, 3) }),
    b: cand(E2, { asPath: seq(65002) }), winner: 'a', reason: 'local-pref',
  },
];

for (const r of rows) {
  test(`decision: ${r.name}`, (t) => {
    const c = comparePaths(r.a, r.b, opts(r.o));
    t.is(c.winner, r.winner);
    t.is(c.reason, r.reason);
    // Symmetry: swapping the paths swaps the winner, same reason.
    const back = comparePaths(r.b, r.a, opts(r.o));
    t.is(back.winner, r.winner === 'tie' ? 'tie' : r.winner === 'a' ? 'b' : 'a');
    t.is(back.reason, r.reason);
  });
}

test('every step is covered by the table and carries its clause', (t) => {
  const reasons = new Set(rows.map((r) => r.reason));
  for (const s of STEPS) {
    t.true(reasons.has(s.reason), `no row for ${s.reason}`);
    t.regex(s.clause, /\S/);
  }
});

test('selectBest: one path is only-path', (t) => {
  const s = selectBest([cand(E1, {})], opts());
  t.deepEqual(s, { best: 0, reason: 'only-path', multipath: [0] });
});

test('selectBest: reason is the step that left one path', (t) => {
  const s = selectBest([cand(E1, { localPref: 200, asPath: seq(65001, 1, 2) }), cand(E2, { localPref: 100 }), cand(I1, { localPref: 200, asPath: seq(65009, 1) })], opts());
  t.is(s.best, 2);
  t.is(s.reason, 'as-path-length');
});

test('selectBest: MED elimination only within the same neighbour AS (RFC 4271 9.1.2.2 c)', (t) => {
  // A (AS 65001, MED 10) beats B (AS 65001, MED 20); C (AS 65002, MED 0) is not compared by MED to either.
  // Pairwise order would depend on arrival; elimination does not: A and C survive, router id picks C.
  const A = cand({ ...E1, routerId: 50 }, { med: 10, asPath: seq(65001, 9) });
  const B = cand({ ...E1, routerId: 1, addressKey: addressSortKey('10.0.1.9') }, { med: 20, asPath: seq(65001, 9) });
  const C = cand({ ...E2, routerId: 30 }, { med: 0, asPath: seq(65002, 9) });
  for (const order of [[A, B, C], [C, B, A], [B, C, A]]) {
    const s = selectBest(order, opts());
    t.is(order[s.best], C);
    t.is(s.reason, 'router-id');
  }
});

test('selectBest: multipath needs ties through eBGP/iBGP and identical AS path unless relaxed', (t) => {
  const a = cand(E1, { asPath: seq(65001, 65100) });
  const b = cand(E2, { asPath: seq(65001, 65100) });
  const c = cand({ ...E2, routerId: parseIPv4('9.9.9.9'), addressKey: addressSortKey('10.0.1.9') }, { asPath: seq(65003, 65100) });
  const strict = selectBest([a, b, c], opts(), { maxPaths: 8, relaxAsPath: false });
  t.deepEqual([...strict.multipath].sort(), [0, 1]);
  const relaxed = selectBest([a, b, c], opts(), { maxPaths: 8, relaxAsPath: true });
  t.deepEqual([...relaxed.multipath].sort(), [0, 1, 2]);
  const capped = selectBest([a, b, c], opts(), { maxPaths: 2, relaxAsPath: true });
  t.is(capped.multipath.length, 2);
  t.is(capped.multipath[0], capped.best);
});
