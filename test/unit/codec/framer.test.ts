// The framer against TCP segmentation: a stream cut at every byte position (and into random pieces) yields the
// same messages; a bad marker or length fails as soon as the header is complete.
import test from 'ava';
import fc from 'fast-check';
import { BgpCodecError, BgpFramer, decode, encode, toHex } from '../../../src/bgp/codec/index.js';
import { messageArb, ctxArb } from './arbitraries.js';
import { hex, VECTORS } from './vectors.js';

const stream = Buffer.concat(Object.values(VECTORS).map((v) => hex(v)));
const expected = Object.values(VECTORS).map((v) => v.replace(/\s+/g, ''));

test('a stream split in two at every byte position yields the same messages', (t) => {
  for (let cut = 0; cut <= stream.length; cut++) {
    const f = new BgpFramer();
    const got = [...f.pushAll(stream.subarray(0, cut)), ...f.pushAll(stream.subarray(cut))].map((m) => toHex(m));
    t.deepEqual(got, expected, `cut at ${cut}`);
    t.is(f.buffered, 0);
  }
});

test('a stream fed one byte at a time yields the same messages', (t) => {
  const f = new BgpFramer();
  const got: string[] = [];
  for (let i = 0; i < stream.length; i++) got.push(...f.pushAll(stream.subarray(i, i + 1)).map((m) => toHex(m)));
  t.deepEqual(got, expected);
});

test('generated message streams split at random points decode to the same messages', (t) => {
  fc.assert(fc.property(ctxArb.chain((ctx) => fc.tuple(fc.constant(ctx), fc.array(messageArb(ctx), { minLength: 1, maxLength: 6 }),
    fc.array(fc.nat(), { maxLength: 8 }))), ([ctx, msgs, cuts]) => {
    const bytes = Buffer.concat(msgs.map((m) => encode(m, ctx)));
    const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
    const f = new BgpFramer({ extendedMessage: true });
    const out: unknown[] = [];
    let prev = 0;
    for (const p of [...points, bytes.length]) {
      f.push(bytes.subarray(prev, p), (m) => out.push(decode(m, ctx)));
      prev = p;
    }
    t.deepEqual(out, msgs);
  }), { numRuns: 200 });
});

test('RFC 4271 §6.1: a bad marker fails once 19 octets have arrived, not later', (t) => {
  const f = new BgpFramer();
  const bad = hex('ffffffffffffffffffffffffffffff00 0013 04');
  t.deepEqual(f.pushAll(bad.subarray(0, 18)), []);
  const e = t.throws(() => f.pushAll(bad.subarray(18)), { instanceOf: BgpCodecError });
  t.deepEqual([e?.code, e?.subcode], [1, 1]);
});

test('RFC 8654 §4: a 5000-octet UPDATE frames only once extended messages are on', (t) => {
  const big = new Uint8Array(5000).fill(0);
  big.fill(0xff, 0, 16);
  big[16] = 5000 >> 8;
  big[17] = 5000 & 0xff;
  big[18] = 2;
  const e = t.throws(() => new BgpFramer().pushAll(big), { instanceOf: BgpCodecError });
  t.deepEqual([e?.code, e?.subcode, toHex(e?.data ?? new Uint8Array())], [1, 2, '1388']);
  t.is(new BgpFramer({ extendedMessage: true }).pushAll(big).length, 1);
});
