// Processes known by PID, safely. A PID is only a name until the process is reaped: then the kernel gives it to
// the next process it starts (pid_max is 32768 on many machines, and a test run starts tens of thousands of
// processes). So whoever records a PID to signal it later also records the process's start time, and signals only
// while both still match. Linux only (/proc).
import { readFileSync } from 'node:fs';

/** A process as recorded: its PID and its start time in clock ticks after boot (/proc/PID/stat, field 22). */
export interface ProcRef {
  readonly pid: number;
  readonly start: number;
}

interface Stat {
  readonly state: string;
  readonly start: number;
}

function stat(pid: number): Stat | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) S ppid ...": comm may hold spaces and parentheses, so fields are counted after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[19]); // field 22 of the whole line
  if (fields[0] === undefined || !Number.isFinite(start)) return undefined;
  return { state: fields[0], start };
}

/** The process exists and is not a zombie (a zombie still answers kill(pid, 0) until its parent reaps it). */
export function alive(pid: number): boolean {
  const s = stat(pid);
  return s !== undefined && s.state !== 'Z';
}

/** The running process with this PID, as a reference to signal later; undefined when there is none. */
export function procRef(pid: number): ProcRef | undefined {
  const s = stat(pid);
  return s === undefined || s.state === 'Z' ? undefined : { pid, start: s.start };
}

/** The recorded process still runs: its PID is alive and was not given to a newer process. */
export function running(ref: ProcRef): boolean {
  const s = stat(ref.pid);
  return s !== undefined && s.state !== 'Z' && s.start === ref.start;
}

/** Sends `sig` only to the recorded process itself; false when it is gone (or its PID is someone else's now). */
export function signalProc(ref: ProcRef, sig: NodeJS.Signals): boolean {
  if (!running(ref)) return false;
  try {
    process.kill(ref.pid, sig);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Stops the recorded processes: SIGCONT (a stopped one cannot act on SIGTERM), SIGTERM, then SIGKILL to those
 * still running after `graceMs`; resolves when all are gone. Never signals a PID that was reused.
 */
export async function stopProcs(refs: readonly ProcRef[], graceMs = 3000): Promise<void> {
  const live = refs.filter(running);
  for (const r of live) {
    signalProc(r, 'SIGCONT');
    signalProc(r, 'SIGTERM');
  }
  const deadline = Date.now() + graceMs;
  while (live.some(running) && Date.now() < deadline) await sleep(50);
  for (const r of live) signalProc(r, 'SIGKILL');
  const killDeadline = Date.now() + 5000;
  while (live.some(running) && Date.now() < killDeadline) await sleep(20);
}
