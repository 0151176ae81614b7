// npm run fuzz [-- --seconds N --seed S]: the mutation fuzzer over decode.fuzz.ts for N seconds (default 600).
// A failing input is saved to test/fuzz/corpus/crash-* (commit it once fixed: it becomes a regression case).
import { fuzz } from './decode.fuzz.js';
import { loadCorpus, saveInput } from './corpus.js';
import { mutate, Rng } from './mutate.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

export interface FuzzReport {
  executions: number;
  failures: { input: Uint8Array; error: string }[];
  slowestMs: number;
}

/** Runs the corpus, then mutations until `ms` elapse or `maxRuns` inputs ran. */
export function runFuzzer(opts: { ms: number; seed: number; maxRuns?: number; stopOnFailure?: boolean }): FuzzReport {
  const corpus = loadCorpus();
  const rng = new Rng(opts.seed);
  const report: FuzzReport = { executions: 0, failures: [], slowestMs: 0 };
  const one = (input: Uint8Array): void => {
    const t = performance.now();
    try {
      fuzz(Buffer.from(input.buffer, input.byteOffset, input.length));
    } catch (e) {
      report.failures.push({ input, error: e instanceof Error ? e.stack ?? e.message : String(e) });
    }
    report.slowestMs = Math.max(report.slowestMs, performance.now() - t);
    report.executions++;
  };
  for (const c of corpus) one(c);
  const end = performance.now() + opts.ms;
  const max = opts.maxRuns ?? Infinity;
  while (performance.now() < end && report.executions < max) {
    if (opts.stopOnFailure === true && report.failures.length > 0) break;
    one(mutate(corpus[rng.below(corpus.length)], corpus, rng));
  }
  return report;
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  const seconds = arg('seconds', 600);
  const seed = arg('seed', Date.now() & 0x7fffffff);
  console.log(`fuzzing decode for ${seconds} s, seed ${seed}`);
  const r = runFuzzer({ ms: seconds * 1000, seed, stopOnFailure: true });
  console.log(`${r.executions} executions (${Math.round(r.executions / seconds)}/s), slowest ${r.slowestMs.toFixed(1)} ms`);
  for (const f of r.failures) console.log(`FAILURE saved as ${saveInput(f.input, 'crash')}:\n${f.error}`);
  if (r.slowestMs > 1000) console.log('WARNING: an input took more than 1 s');
  process.exitCode = r.failures.length > 0 ? 1 : 0;
}
