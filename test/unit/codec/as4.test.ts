// RFC 6793 §4.2.3: rebuilding the true AS path from AS_PATH and AS4_PATH on a 2-octet session.
import test from 'ava';
import { AS_TRANS, mergeAs4, type PathAttribute } from '../../../src/bgp/codec/index.js';

const seq = (...asns: number[]) => ({ type: 'sequence' as const, asns });

test('RFC 6793 §4.2.3 AS4_PATH replaces the trailing AS_TRANS entries', (t) => {
  const attrs: PathAttribute[] = [
    { type: 'asPath', flags: 0x40, value: [seq(65001, AS_TRANS, AS_TRANS)] },
    { type: 'as4Path', flags: 0xc0, value: [seq(4200000001, 4200000002)] },
  ];
  t.deepEqual(mergeAs4(attrs), { asPath: [seq(65001), seq(4200000001, 4200000002)] });
});

test('RFC 6793 §4.2.3 AS4_PATH longer than AS_PATH is ignored', (t) => {
  const attrs: PathAttribute[] = [
    { type: 'asPath', flags: 0x40, value: [seq(AS_TRANS)] },
    { type: 'as4Path', flags: 0xc0, value: [seq(4200000001, 4200000002)] },
  ];
  t.deepEqual(mergeAs4(attrs), { asPath: [seq(AS_TRANS)] });
});

test('RFC 6793 §4.2.3 AGGREGATOR not AS_TRANS: AS4_AGGREGATOR and AS4_PATH are ignored', (t) => {
  const attrs: PathAttribute[] = [
    { type: 'asPath', flags: 0x40, value: [seq(65001, AS_TRANS)] },
    { type: 'aggregator', flags: 0xc0, value: { asn: 65002, address: '192.0.2.1' } },
    { type: 'as4Aggregator', flags: 0xc0, value: { asn: 4200000009, address: '192.0.2.9' } },
    { type: 'as4Path', flags: 0xc0, value: [seq(4200000001)] },
  ];
  t.deepEqual(mergeAs4(attrs), { asPath: [seq(65001, AS_TRANS)], aggregator: { asn: 65002, address: '192.0.2.1' } });
});

test('RFC 6793 §4.2.3 AGGREGATOR AS_TRANS takes AS4_AGGREGATOR; a SET counts as one', (t) => {
  const attrs: PathAttribute[] = [
    { type: 'asPath', flags: 0x40, value: [seq(65001, AS_TRANS), { type: 'set', asns: [AS_TRANS, 65005] }] },
    { type: 'aggregator', flags: 0xc0, value: { asn: AS_TRANS, address: '192.0.2.1' } },
    { type: 'as4Aggregator', flags: 0xc0, value: { asn: 4200000009, address: '192.0.2.9' } },
    { type: 'as4Path', flags: 0xc0, value: [seq(4200000001), { type: 'set', asns: [4200000002, 65005] }] },
  ];
  t.deepEqual(mergeAs4(attrs), {
    asPath: [seq(65001), seq(4200000001), { type: 'set', asns: [4200000002, 65005] }],
    aggregator: { asn: 4200000009, address: '192.0.2.9' },
  });
});
