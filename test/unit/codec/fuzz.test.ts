// The fuzz target in `npm test`: the regression corpus (test/fuzz/corpus) and a short deterministic mutation run.
// Long runs: `npm run fuzz` (our mutation engine) or `npm run fuzz:jazzer` (coverage-guided, see test/fuzz/README.md).
import test from 'ava';
import { BgpCodecError } from '../../../src/bgp/codec/index.js';
import { expectCodecError, fuzz } from '../../fuzz/decode.fuzz.js';
import { runFuzzer } from '../../fuzz/run.js';
import { loadCorpus } from '../../fuzz/corpus.js';

test('every corpus input passes the fuzz target', (t) => {
  const corpus = loadCorpus();
  t.true(corpus.length >= 50, `${corpus.length} inputs`);
  for (const c of corpus) t.notThrows(() => fuzz(Buffer.from(c)), Buffer.from(c).toString('hex'));
});

test('40,000 mutated inputs: only BgpCodecError, stable round trips, none slower than 1 s (no hang)', (t) => {
  const r = runFuzzer({ ms: 60_000, seed: 20261121, maxRuns: 40_000 });
  t.is(r.executions, 40_000);
  t.deepEqual(r.failures.map((f) => `${Buffer.from(f.input).toString('hex')}\n${f.error}`), []);
  t.true(r.slowestMs < 1000, `slowest ${r.slowestMs} ms`);
});

test('the oracle passes BgpCodecError and reports anything else (RangeError, TypeError)', (t) => {
  t.notThrows(() => expectCodecError(new BgpCodecError('x', { code: 1, subcode: 2 }), 'decode'));
  t.throws(() => expectCodecError(new RangeError('offset out of bounds'), 'decode'), { message: /decode threw RangeError/ });
  t.throws(() => expectCodecError(new TypeError('x'), 'scanUpdate'), { message: /scanUpdate threw TypeError/ });
});
