import test from 'ava';
import fc from 'fast-check';
import { NumKeyIndex } from '../../../src/bgp/rib/key-index.js';
import { addressSortKey, formatIPv6, normalizeIp, parseIPv6 } from '../../../src/bgp/rib/ip.js';
import { formatPrefix, parsePrefix, prefixCovers, v4Key } from '../../../src/bgp/rib/prefix.js';

test('prefix keys: host bits cleared, text round trip, IPv4 is a number and IPv6 a 17-char string', (t) => {
  t.is(parsePrefix('10.244.1.7/24'), parsePrefix('10.244.1.0/24'));
  t.is(formatPrefix(parsePrefix('10.244.1.7/24')), '10.244.1.0/24');
  t.is(typeof parsePrefix('0.0.0.0/0'), 'number');
  t.is(formatPrefix(parsePrefix('255.255.255.255/32')), '255.255.255.255/32');
  const k6 = parsePrefix('FD00:244:1:0:ffff::1/64');
  t.is(typeof k6, 'string');
  t.is((k6 as string).length, 17);
  t.is(formatPrefix(k6), 'fd00:244:1::/64');
  t.is(formatPrefix(parsePrefix('::/0')), '::/0');
  t.throws(() => parsePrefix('10.0.0.0/33'));
  t.throws(() => parsePrefix('10.0.0/8'));
  t.throws(() => parsePrefix('fd00::1::2/64'));
});

test('prefixCovers', (t) => {
  t.true(prefixCovers(parsePrefix('10.244.0.0/16'), parsePrefix('10.244.7.0/24')));
  t.false(prefixCovers(parsePrefix('10.244.0.0/16'), parsePrefix('10.245.7.0/24')));
  t.false(prefixCovers(parsePrefix('10.244.0.0/16'), parsePrefix('10.0.0.0/8')));
  t.true(prefixCovers(parsePrefix('fd00:240::/29'), parsePrefix('fd00:244:1::/64')));
  t.false(prefixCovers(parsePrefix('fd00:240::/29'), parsePrefix('fd00:248::/32')));
  t.false(prefixCovers(parsePrefix('0.0.0.0/0'), parsePrefix('::/0')));
});

test('IPv6 text is canonical (RFC 5952)', (t) => {
  t.is(normalizeIp('FD00:0:0:0:0:0:0:1'), 'fd00::1');
  t.is(normalizeIp('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  t.is(normalizeIp('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
  t.is(formatIPv6(parseIPv6('::ffff:10.0.0.1')), '::ffff:10.0.0.1'); // RFC 5952 §5: IPv4-mapped in mixed notation
  t.true(addressSortKey('10.0.0.2') < addressSortKey('10.0.0.10'));
  t.true(addressSortKey('255.0.0.0') < addressSortKey('::1'));
});

test('NumKeyIndex behaves like a Map under random insert/delete (fast-check)', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 32 })), { maxLength: 2000 }),
      (ops) => {
        const idx = new NumKeyIndex();
        const ref = new Map<number, number>();
        ops.forEach(([ins, a, len], i) => {
          const key = v4Key(a * 16777259 >>> 0, len);
          if (ins) { idx.set(key, i); ref.set(key, i); } else { t.is(idx.delete(key), ref.delete(key)); }
        });
        if (idx.size !== ref.size) return false;
        for (const [k, v] of ref) if (idx.get(k) !== v) return false;
        let n = 0;
        idx.forEach((k, v) => { n++; if (ref.get(k) !== v) throw new Error('mismatch'); });
        return n === ref.size;
      },
    ),
    { numRuns: 200 },
  );
  t.pass();
});
