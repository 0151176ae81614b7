// The TypeScript reasons are generated from bpf/lib/reasons.h: the committed file must match the header.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REASONS, REASON_MAX, Reason } from '../../src/dataplane/ebpf/reasons.generated.js';

const script = fileURLToPath(new URL('../../scripts/gen-reasons.mjs', import.meta.url));

test('reasons.generated.ts is up to date with bpf/lib/reasons.h', (t) => {
  t.notThrows(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' }),
    'run `node scripts/gen-reasons.mjs` after changing bpf/lib/reasons.h');
});

test('reasons are unique, in their kind\'s range, and below the counters map size', (t) => {
  const ids = REASONS.map((r) => r.id);
  t.is(new Set(ids).size, ids.length);
  for (const r of REASONS) {
    t.true(r.id < REASON_MAX);
    const range = { unspec: [0, 0], pass: [1, 63], redirect: [64, 127], drop: [128, 255] }[r.kind];
    t.true(r.id >= range[0] && r.id <= range[1], `${r.label} = ${r.id} is a ${r.kind}`);
  }
  t.is(Reason.PASS_NOT_IP, 1);
  t.is(Reason.FWD_REDIRECT_PEER, 65);
});
