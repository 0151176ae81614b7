// Regenerates the seed part of test/fuzz/corpus/: the canonical vectors, the malformed corpus's shapes, and
// generated messages of every type. Run with: npx tsx test/fuzz/seed.ts
import fc from 'fast-check';
import { encode, makeContext } from '../../src/bgp/codec/index.js';
import { messageArb, updateArb } from '../unit/codec/arbitraries.js';
import { hex, VECTORS } from '../unit/codec/vectors.js';
import { saveInput } from './corpus.js';

let n = 0;
for (const v of Object.values(VECTORS)) {
  saveInput(hex(v), 'seed');
  n++;
}
const ctx = makeContext({ as4: true, extendedMessage: true, extendedNextHop: true });
for (const m of fc.sample(messageArb(ctx), { numRuns: 40, seed: 42 })) {
  saveInput(encode(m, ctx), 'seed');
  n++;
}
for (const m of fc.sample(updateArb(ctx), { numRuns: 40, seed: 7 })) {
  saveInput(encode(m, ctx), 'seed');
  n++;
}
console.log(`${n} seeds written`);
