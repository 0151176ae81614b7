// Address and prefix parsing: strict, canonical (RFC 5952), containment.
import test from 'ava';
import { formatAddress, parseAddress, parsePrefix, prefixContains, prefixesOverlap } from '../../../src/config/ip.js';

const prefix = (s: string) => {
  const r = parsePrefix(s);
  if (!r.ok) throw new Error(`bad ${s}`);
  return r.value;
};

test('canonical prefixes parse; others say why', (t) => {
  for (const s of ['10.0.1.0/24', '0.0.0.0/0', 'fd00:244:1::/64', '::/0', '2001:db8::/32', '::ffff:10.0.0.1/128']) {
    t.true(parsePrefix(s).ok, s);
  }
  t.deepEqual(parsePrefix('10.0.1.5/24'), { ok: false, problem: { kind: 'host-bits', network: '10.0.1.0/24' } });
  t.deepEqual(parsePrefix('10.0.1.0/33'), { ok: false, problem: { kind: 'length', max: 32 } });
  t.deepEqual(parsePrefix('fd00:244:1:0::/64'), { ok: false, problem: { kind: 'not-canonical', canonical: 'fd00:244:1::/64' } });
  for (const s of ['010.0.1.0/24', '10.0.1/24', '1::2::3/64', 'fe80::1%eth0/64', '10.0.0.0/024', 'x/8', '10.0.0.0']) {
    t.deepEqual(parsePrefix(s), { ok: false, problem: { kind: 'syntax' } }, s);
  }
});

test('RFC 5952 formatting', (t) => {
  const f = (s: string) => formatAddress(parseAddress(s)!);
  t.is(f('2001:DB8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  t.is(f('2001:db8:0:0:0:0:2:1'), '2001:db8::2:1');
  t.is(f('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
  t.is(f('0:0:0:0:0:0:0:0'), '::');
  t.is(f('::ffff:0a00:0001'), '::ffff:10.0.0.1');
  t.is(f('1:0:0:1:0:0:0:1'), '1:0:0:1::1');
});

test('containment and overlap', (t) => {
  t.true(prefixContains(prefix('10.244.0.0/16'), prefix('10.244.1.0/24')));
  t.false(prefixContains(prefix('10.244.1.0/24'), prefix('10.244.0.0/16')));
  t.true(prefixContains(prefix('10.0.1.0/24'), parseAddress('10.0.1.10')!));
  t.false(prefixContains(prefix('10.0.0.0/8'), parseAddress('fd00::1')!));
  t.true(prefixesOverlap(prefix('fd00:244::/32'), prefix('fd00:244:1::/64')));
  t.false(prefixesOverlap(prefix('10.244.1.0/24'), prefix('10.244.2.0/24')));
});
