import test from 'ava';
import { AttrTable, type AttrDraft } from '../../../src/bgp/rib/attr-table.js';
import { asSequence, emptyList, makeAttrs } from '../../../src/bgp/rib/attrs.js';

test('equal attributes intern to one frozen object; refcount frees it', (t) => {
  const table = new AttrTable();
  const a = table.intern(makeAttrs({ asPath: asSequence(1, 2), nextHop: '10.0.0.1', communities: [5, 6] }));
  const b = table.intern(makeAttrs({ asPath: asSequence(1, 2), nextHop: '10.0.0.1', communities: [5, 6] }));
  t.is(a, b);
  t.true(Object.isFrozen(a) && Object.isFrozen(a.asPath) && Object.isFrozen(a.asPath[0]!.asns));
  t.is(table.refs(a.id), 2);
  t.is(table.intern(a), a, 'interning an interned set is a ref');
  t.is(table.refs(a.id), 3);
  const c = table.intern(makeAttrs({ asPath: asSequence(1, 2), nextHop: '10.0.0.1', communities: [6, 5] }));
  t.not(c, a);
  t.is(table.size, 2);
  for (let i = 0; i < 3; i++) table.release(a.id);
  t.is(table.size, 1);
  t.throws(() => table.get(a.id));
  const d = table.intern(makeAttrs({ asPath: asSequence(1, 2), nextHop: '10.0.0.1', communities: [5, 6] }));
  t.is(table.refs(d.id), 1, 'a fresh set after the old one was freed');
});

test('every field takes part in identity', (t) => {
  const table = new AttrTable();
  const base = makeAttrs({ asPath: asSequence(1), nextHop: '10.0.0.1' });
  const variants = [
    { origin: 2 as const }, { nextHop: '10.0.0.2' }, { nextHopLinkLocal: 'fe80::1' }, { med: 0 }, { localPref: 100 },
    { atomicAggregate: true }, { aggregator: { asn: 1, address: '1.1.1.1' } }, { communities: [1] },
    { largeCommunities: [[1, 2, 3] as const] }, { extendedCommunities: [new Uint8Array([0, 2, 0, 1, 0, 0, 0, 1])] },
    { originatorId: 1 }, { clusterList: [1] }, { otc: 65001 }, { unknown: [{ flags: 0xc0, code: 99, value: new Uint8Array([1]) }] },
    { asPath: [{ type: 1 as const, asns: [1] }] },
  ];
  const ids = new Set([table.intern(base).id]);
  for (const v of variants) ids.add(table.intern({ ...base, ...v }).id);
  t.is(ids.size, variants.length + 1);
});

test('byte-valued attributes are copied, not aliased to the decoder buffer', (t) => {
  const table = new AttrTable();
  const buf = new Uint8Array([0, 2, 0, 1, 0, 0, 0, 1, 9, 9]);
  const s = table.intern(makeAttrs({ extendedCommunities: [buf.subarray(0, 8)] }));
  buf[1] = 77;
  t.is(s.extendedCommunities[0]![1], 2);
  t.not(s.extendedCommunities[0]!.buffer, buf.buffer);
});

test('adopt keeps a fresh draft as the set (frozen at the top, same shape and identity as intern)', (t) => {
  const table = new AttrTable();
  const interned = table.intern(makeAttrs({ asPath: asSequence(1, 2), nextHop: '10.0.0.1', communities: [5, 6] }));
  const draft = (): AttrDraft => ({
    id: -1, origin: 0, asPath: [{ type: 2, asns: [1, 2] }], nextHop: '10.0.0.1', nextHopLinkLocal: undefined,
    med: undefined, localPref: undefined, atomicAggregate: false, aggregator: undefined, communities: [5, 6],
    largeCommunities: emptyList(), extendedCommunities: emptyList(), originatorId: undefined, clusterList: emptyList(),
    otc: undefined, unknown: emptyList(),
  });
  t.is(table.adopt(draft()), interned, 'an equal set is found, the draft dropped');
  t.is(table.refs(interned.id), 2);
  const d = { ...draft(), med: 7 };
  const s = table.adopt(d);
  t.is(s, d, 'no equal set: the draft itself is interned');
  t.true(s.id >= 0 && s.id !== interned.id);
  t.true(Object.isFrozen(s));
  t.is(table.get(s.id), s);
  t.is(table.intern(makeAttrs({ asPath: asSequence(1, 2), nextHop: '10.0.0.1', communities: [5, 6], med: 7 })), s);
  t.deepEqual(Object.keys(s), Object.keys(interned), 'same field order as intern (one object shape)');
  t.is(table.refs(s.id), 2);
  table.release(s.id);
  table.release(s.id);
  t.false(table.holds(s));
});

test('the hash index survives growth and releases in any order (chains relinked, equal sets still found)', (t) => {
  const table = new AttrTable();
  const mk = (i: number) => makeAttrs({ asPath: asSequence(1, i), nextHop: '10.0.0.1', med: i % 7 });
  const sets = Array.from({ length: 5000 }, (_, i) => table.intern(mk(i)));
  t.is(table.size, 5000);
  for (let i = 0; i < 5000; i += 1) t.is(table.intern(mk(i)), sets[i], `set ${i} found after growth`);
  for (let i = 4999; i >= 0; i -= 2) { table.release(sets[i]!.id); table.release(sets[i]!.id); }
  t.is(table.size, 2500);
  for (let i = 0; i < 5000; i++) {
    if (i % 2 === 0) t.is(table.intern(mk(i)), sets[i]);
    else t.false(table.holds(sets[i]!));
  }
  const again = table.intern(mk(1));
  t.not(again, sets[1]);
  t.is(table.intern(mk(1)), again);
});
