// Process references: a PID is signalled only while it still names the process that was recorded.
import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { alive, procRef, running, signalProc, stopProcs } from '../../../src/util/proc.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('a reference to a running process; none for a PID nobody has', (t) => {
  const me = procRef(process.pid);
  t.truthy(me);
  t.true(running(me!));
  t.true(alive(process.pid));
  // PIDs above pid_max's ceiling (2^22) are never given.
  t.is(procRef(4_194_305), undefined);
  t.false(alive(4_194_305));
  t.false(alive(0));
  t.false(alive(-1));
});

test('a PID that now names another process (a later start time) is not signalled', async (t) => {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  const ref = procRef(child.pid!)!;
  t.truthy(ref);
  const reused = { pid: ref.pid, start: ref.start - 1 }; // as recorded for an earlier owner of the PID
  t.false(running(reused));
  t.false(signalProc(reused, 'SIGKILL'));
  await sleep(100);
  t.is(child.exitCode, null);
  t.is(child.signalCode, null);
  t.true(signalProc(ref, 'SIGKILL'));
  await once(child, 'exit');
  t.is(child.signalCode, 'SIGKILL');
  t.false(running(ref));
});

test('a zombie is not alive', async (t) => {
  // sh starts `true` in the background and execs sleep, which never reaps it: `true` stays a zombie.
  const child = spawn('sh', ['-c', 'true & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  const zombie = Number(chunk.toString().trim());
  await sleep(200);
  t.false(alive(zombie));
  t.is(procRef(zombie), undefined);
  child.kill('SIGKILL');
  await once(child, 'exit');
});

test('stopProcs: SIGTERM, then SIGKILL for one that ignores it; both gone when it resolves', async (t) => {
  const polite = spawn('sleep', ['30'], { stdio: 'ignore' });
  const stubborn = spawn('sh', ['-c', 'trap "" TERM; while :; do sleep 0.05; done'], { stdio: 'ignore' });
  await sleep(100); // the trap is set
  const refs = [procRef(polite.pid!)!, procRef(stubborn.pid!)!];
  const exits = [once(polite, 'exit'), once(stubborn, 'exit')];
  await stopProcs(refs, 300);
  t.false(refs.some(running));
  await Promise.all(exits);
  t.is(polite.signalCode, 'SIGTERM');
  t.is(stubborn.signalCode, 'SIGKILL');
});
