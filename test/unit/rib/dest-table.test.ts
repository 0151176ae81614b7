// DestTable's IPv4 index (slot numbers in open addressing, keys in a column) against a Map model: inserts, finds,
// releases with backward-shift deletion, growth, and the default route whose key is 0.
import test from 'ava';
import { DestTable } from '../../../src/bgp/rib/dest-table.js';
import { parsePrefix, v4Key, type PrefixKey } from '../../../src/bgp/rib/prefix.js';

function check(family: 'ipv4' | 'ipv6', keyOf: (n: number) => PrefixKey, t: import('ava').ExecutionContext): void {
  const table = new DestTable(family);
  const model = new Map<PrefixKey, number>();
  let seed = 99;
  const rnd = (n: number): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
  for (let step = 0; step < 60_000; step++) {
    const key = keyOf(rnd(5_000));
    if (rnd(3) === 0) {
      const d = model.get(key);
      if (d !== undefined) {
        table.release(d);
        model.delete(key);
      }
      t.is(table.find(key), -1);
    } else {
      const d = table.findOrCreate(key);
      const had = model.get(key);
      if (had !== undefined && had !== d) t.fail(`key moved: ${had} -> ${d}`);
      model.set(key, d);
      t.is(table.keyOf(d), key);
    }
  }
  for (const [key, d] of model) if (table.find(key) !== d) t.fail(`lost ${String(key)}`);
  const seen = new Map<PrefixKey, number>();
  table.forEach((key, d) => seen.set(key, d));
  t.deepEqual([...seen].sort(), [...model].sort());
}

test('IPv4 index agrees with a Map through inserts, releases and growth', (t) => {
  check('ipv4', (n) => (n === 0 ? parsePrefix('0.0.0.0/0') : v4Key(0x0a000000 + n * 256, 24 + (n % 3))), t);
});

test('IPv6 index agrees with a Map', (t) => {
  check('ipv6', (n) => parsePrefix(`fd00:${n.toString(16)}::/64`), t);
});

test('the default route (key 0) is an ordinary key', (t) => {
  const table = new DestTable('ipv4');
  const zero = parsePrefix('0.0.0.0/0');
  t.is(zero, 0);
  t.is(table.find(zero), -1);
  const d = table.findOrCreate(zero);
  t.is(table.find(zero), d);
  t.is(table.findOrCreate(zero), d);
  table.release(d);
  t.is(table.find(zero), -1);
});

test('prefetch of a batch of keys (present, absent, released, IPv6) changes nothing in the table', (t) => {
  for (const family of ['ipv4', 'ipv6'] as const) {
    const table = new DestTable(family);
    const keyOf = (n: number): PrefixKey => (family === 'ipv4' ? v4Key(0x0a000000 + n * 256, 24) : parsePrefix(`fd00:${n.toString(16)}::/64`));
    const slots = new Map<PrefixKey, number>();
    for (let n = 0; n < 3_000; n++) slots.set(keyOf(n), table.findOrCreate(keyOf(n)));
    for (let n = 0; n < 3_000; n += 7) {
      table.release(slots.get(keyOf(n))!);
      slots.delete(keyOf(n));
    }
    const batch = Array.from({ length: 20 }, (_, j) => keyOf(j * 250));
    table.prefetch(batch);
    table.prefetch([keyOf(1)]);
    table.prefetch([]);
    for (let n = 0; n < 3_500; n++) t.is(table.find(keyOf(n)), slots.get(keyOf(n)) ?? -1);
    for (const key of batch) {
      const d = table.findOrCreate(key);
      if (slots.has(key)) t.is(d, slots.get(key)!);
      t.is(table.keyOf(d), key);
    }
  }
});
