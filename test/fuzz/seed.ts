// Regenerates the seed part of test/fuzz/corpus/: the canonical vectors, generated messages of every type, and
// the real captured messages (test/fixtures/captures). Run with: npx tsx test/fuzz/seed.ts [--import DIR]
// --import DIR adds the inputs of a libFuzzer/Jazzer corpus directory (as cov-*), e.g. after npm run fuzz:jazzer.
import fc from 'fast-check';
import { encode, makeContext } from '../../src/bgp/codec/index.js';
import { messageArb, updateArb } from '../unit/codec/arbitraries.js';
import { hex, VECTORS } from '../unit/codec/vectors.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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
const captures = new URL('../fixtures/captures/', import.meta.url);
if (existsSync(captures)) {
  for (const f of readdirSync(captures).filter((x) => x.endsWith('.hex'))) {
    for (const line of readFileSync(new URL(f, captures), 'utf8').split('\n').filter(Boolean)) {
      saveInput(hex(line), 'cap');
      n++;
    }
  }
}
const imp = process.argv.indexOf('--import');
if (imp >= 0) {
  const dir = process.argv[imp + 1];
  for (const f of readdirSync(dir)) {
    saveInput(new Uint8Array(readFileSync(join(dir, f))), 'cov');
    n++;
  }
}
console.log(`${n} seeds written`);
