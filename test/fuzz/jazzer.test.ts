// A short coverage-guided run of Jazzer.js over the codec's fuzz target (decode, scan, framer), seeded with the
// regression corpus. The long run is `npm run fuzz:jazzer`. Jazzer is built outside the repository (see
// test/fuzz/README.md for why it cannot be a devDependency here).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./jazzer/run.sh', import.meta.url));

test('Jazzer.js: 10 s of coverage-guided fuzzing of decode finds nothing', (t) => {
  const r = spawnSync('sh', [script, '10'], { encoding: 'utf8', timeout: 240_000 });
  const out = `${r.stdout}\n${r.stderr}`;
  const done = /Done (\d+) runs in \d+ second/.exec(out);
  t.is(r.status, 0, out.split('\n').slice(-20).join('\n'));
  t.truthy(done, 'libFuzzer finished its run');
  t.notRegex(out, /==\d+== ?ERROR|crash-[0-9a-f]+|Uncaught/);
  const cov = /cov: (\d+)/.exec(out.split('\n').filter((l) => l.includes('cov:')).pop() ?? '');
  t.log(`${done?.[1]} runs, coverage ${cov?.[1]} edges`);
  t.true(Number(done?.[1]) > 10_000);
});
