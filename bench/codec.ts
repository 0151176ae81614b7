// npm run bench:codec — decode and encode of an UPDATE stream carrying 1,000,000 IPv4 prefixes (90% /24, the rest
// /16../32), one attribute set per ~10 prefixes. Goal (issue 3): decode >= 5M prefixes/s on one core, encode >= half.
import {
  attributeKey, BgpFramer, decode, encodeAttributes, Ipv4UpdateWriter, makeContext, scanUpdate, type PathAttribute,
} from '../src/bgp/codec/index.js';

const N = Number(process.env.PREFIXES ?? 1_000_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const ctx = makeContext({ as4: true });

// A deterministic generator (xorshift) so runs compare.
let seed = 0x2545f491;
const rand = (): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
};

const addrs = new Uint32Array(N);
const lens = new Uint8Array(N);
for (let i = 0; i < N; i++) {
  const r = rand() % 10;
  const len = r < 9 ? 24 : 16 + (rand() % 17);
  lens[i] = len;
  addrs[i] = (0x0a000000 + i * 256) >>> 0;
  if (len !== 24) addrs[i] = len === 0 ? 0 : (rand() & (-1 << (32 - len))) >>> 0;
}

// Group sizes around 10 (5..15): one attribute set each.
const groups: number[] = [];
for (let left = N; left > 0;) {
  const g = Math.min(left, 5 + (rand() % 11));
  groups.push(g);
  left -= g;
}

const t0 = performance.now();
const blocks = groups.map((_, i) => {
  const attrs: PathAttribute[] = [
    { type: 'origin', flags: 0x40, value: 'igp' },
    { type: 'asPath', flags: 0x40, value: [{ type: 'sequence', asns: [65001, 65100 + (i % 50), 4200000000 + (i % 7)] }] },
    { type: 'nextHop', flags: 0x40, value: `10.0.${i % 4}.1` },
    { type: 'med', flags: 0x80, value: i % 100 },
    { type: 'communities', flags: 0xc0, value: [65000 * 65536 + (i % 20), 65000 * 65536 + 666] },
  ];
  return encodeAttributes(attrs, ctx);
});
const tBlocks = performance.now() - t0;

function encodeStream(): Uint8Array {
  const w = new Ipv4UpdateWriter(ctx, 32 << 20);
  let k = 0;
  for (let g = 0; g < groups.length; g++) {
    w.announce(blocks[g], addrs, lens, k, k + groups[g]);
    k += groups[g];
  }
  return w.take();
}

let checksum = 0;
const handler = {
  announce4(addr: number, bits: number): void {
    checksum = (checksum + (addr ^ bits)) | 0;
  },
};
const interned = new Map<string, number>();
const handlerWithKeys = {
  announce4: handler.announce4,
  attributes(b: Uint8Array, s: number, e: number, info: Parameters<typeof attributeKey>[3]): void {
    const key = attributeKey(b, s, e, info);
    if (!interned.has(key)) interned.set(key, interned.size);
  },
};

function decodeStream(stream: Uint8Array, h: typeof handler | typeof handlerWithKeys): number {
  const framer = new BgpFramer();
  let messages = 0;
  // Feed in 64 KiB chunks as a socket would.
  for (let i = 0; i < stream.length; i += 65536) {
    framer.push(stream.subarray(i, Math.min(stream.length, i + 65536)), (m) => {
      scanUpdate(m, ctx, h);
      messages++;
    });
  }
  return messages;
}

function best(label: string, fn: () => void, bytes: number, prefixes = N): number {
  let bestMs = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    fn();
    bestMs = Math.min(bestMs, performance.now() - t);
  }
  const pps = prefixes / (bestMs / 1000);
  const mbs = bytes / 1e6 / (bestMs / 1000);
  console.log(`${label.padEnd(44)} ${(pps / 1e6).toFixed(2).padStart(6)} M prefixes/s  ${mbs.toFixed(1).padStart(7)} MB/s  (${bestMs.toFixed(0)} ms)`);
  return pps;
}

const stream = encodeStream();
const msgs = decodeStream(stream, handler);
console.log(`${N} prefixes in ${groups.length} attribute sets, ${msgs} UPDATEs, ${(stream.length / 1e6).toFixed(1)} MB; `
  + `node ${process.version}, best of ${ROUNDS}`);
console.log(`attribute blocks encoded once from objects: ${groups.length} in ${tBlocks.toFixed(0)} ms`);
const enc = best('encode (Ipv4UpdateWriter)', () => void encodeStream(), stream.length);
const dec = best('decode (framer + scanUpdate, numbers)', () => void decodeStream(stream, handler), stream.length);
best('decode + intern attribute sets (attributeKey)', () => {
  interned.clear();
  decodeStream(stream, handlerWithKeys);
}, stream.length);
const sub = stream.subarray(0, Math.floor(stream.length / 10));
const subPrefixes = ((): number => {
  let n = 0;
  new BgpFramer().push(sub, (m) => scanUpdate(m, ctx, { announce4: () => void n++ }));
  return n;
})();
best('decode to objects (decode(), for CLI/tests)', () => {
  new BgpFramer().push(sub, (m) => void decode(m, ctx));
}, sub.length, subPrefixes);
console.log(`interned attribute sets: ${interned.size}; checksum ${checksum}`);
console.log(`goal: decode >= 5.00 M/s: ${dec >= 5e6 ? 'met' : 'NOT met'}; encode >= half of decode: ${enc >= dec / 2 ? 'met' : 'NOT met'}`);
