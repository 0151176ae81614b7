// Network namespaces, processes and clean-up for the netns benchmarks. Every namespace is named `rrbench-*`, every
// process is started by us (through `nsenter --net=/run/netns/NS`, which execs the command: the child's PID is the
// daemon's) and stopped by that PID; files live in one temp dir. cleanup() runs on normal exit, on SIGINT/SIGTERM
// and on an uncaught error.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { alive, procRef, running, signalProc, type ProcRef } from '../../src/util/proc.js';

export const NS_PREFIX = 'rrbench-';
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const wallMs = (): number => performance.timeOrigin + performance.now();
export const MiB = 1024 * 1024;

export function sh(cmd: string, args: readonly string[], opts: { allowFail?: boolean } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr || r.stdout || String(r.error)).trim()}`);
  return r.stdout;
}

/** /proc/PID/status fields in bytes (VmHWM: peak RSS; VmRSS: now). */
export function procStatus(pid: number): { hwm: number; rss: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024;
    return { hwm: kb('VmHWM'), rss: kb('VmRSS') };
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system, all threads) a process has used: /proc/PID/stat fields 14 and 15, in clock ticks (100/s). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

export { alive };

export interface Proc {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  readonly log: string;
  exited: boolean;
  /** The process as started (PID and start time): signals go to it only, never to a later owner of the PID. */
  readonly ref: ProcRef | undefined;
}

/** Lines of JSON from a child's stdout, kept in order, with promise-based waiting. */
export class JsonLines<T extends { event: string }> {
  private readonly seen: T[] = [];
  private waiters: Array<{ pred: (e: T) => boolean; from: number; resolve: (e: T) => void }> = [];
  private done = false;

  constructor(child: ChildProcess, private readonly onLine?: (e: T) => void) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let e: T;
      try {
        e = JSON.parse(line) as T;
      } catch {
        return;
      }
      this.seen.push(e);
      this.onLine?.(e);
      this.waiters = this.waiters.filter((w) => {
        if (this.seen.length - 1 >= w.from && w.pred(e)) {
          w.resolve(e);
          return false;
        }
        return true;
      });
    });
    child.on('exit', () => {
      this.done = true;
    });
  }

  /** Index of the next event: wait for events from here on with `since`. */
  get mark(): number {
    return this.seen.length;
  }

  all(): readonly T[] {
    return this.seen;
  }

  async wait(what: string, pred: (e: T) => boolean, timeoutMs: number, since = 0): Promise<T> {
    for (let i = since; i < this.seen.length; i++) if (pred(this.seen[i])) return this.seen[i];
    if (this.done) throw new Error(`${what}: the process has exited`);
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`));
      }, timeoutMs);
      const done = (e: T): void => {
        clearTimeout(t);
        resolve(e);
      };
      this.waiters.push({ pred, from: since, resolve: done });
    });
  }
}

export class Harness {
  readonly dir: string;
  private readonly procs: Proc[] = [];
  private readonly namespaces: string[] = [];
  private cleaning?: Promise<void>;

  constructor(readonly tag: string) {
    this.dir = mkdtempSync(join(tmpdir(), `rrbench-${tag}-`));
    chmodSync(this.dir, 0o711); // daemons that drop root (FRR as `frr`) reach their own subdirectory
    const bye = (sig: NodeJS.Signals): void => {
      console.error(`\n${sig}: cleaning up`);
      void this.cleanup().then(() => process.exit(130));
    };
    process.once('SIGINT', bye);
    process.once('SIGTERM', bye);
  }

  /** Deletes stale `rrbench-<tag>*` namespaces left by a run that was killed, then makes fresh ones. */
  netns(name: string): string {
    const ns = `${NS_PREFIX}${name}`;
    if (existsSync(`/run/netns/${ns}`)) sh('ip', ['netns', 'del', ns], { allowFail: true });
    sh('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /** A veth pair between two namespaces, with one IPv4 address (and more, optional) on each end. */
  veth(a: { ns: string; dev: string; addrs: readonly string[] }, b: { ns: string; dev: string; addrs: readonly string[] }): void {
    sh('ip', ['link', 'add', a.dev, 'netns', a.ns, 'type', 'veth', 'peer', 'name', b.dev, 'netns', b.ns]);
    for (const end of [a, b]) {
      const batch = end.addrs.map((x) => `address add ${x} dev ${end.dev}`).join('\n') + `\nlink set ${end.dev} up\n`;
      const r = spawnSync('ip', ['-n', end.ns, '-batch', '-'], { input: batch, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ip -batch in ${end.ns}: ${r.stderr}`);
    }
  }

  /** Starts argv inside ns (nsenter execs it: the PID is the command's). stdout is piped when `pipe`. */
  spawn(name: string, ns: string | null, argv: readonly string[], opts: { pipe?: boolean; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Proc {
    const log = join(this.dir, `${name}.log`);
    const out = createWriteStream(log);
    const full = ns ? ['nsenter', `--net=/run/netns/${ns}`, '--', ...argv] : [...argv];
    const child = spawn(full[0], full.slice(1), { stdio: ['ignore', opts.pipe ? 'pipe' : 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd });
    if (!opts.pipe) child.stdout!.pipe(out);
    child.stderr!.pipe(out);
    if (child.pid === undefined) throw new Error(`${name}: could not start ${full.join(' ')}`);
    const p: Proc = { name, pid: child.pid, child, log, exited: false, ref: procRef(child.pid) };
    child.on('exit', () => {
      p.exited = true;
    });
    this.procs.push(p);
    return p;
  }

  /** Registers a process that daemonized itself (known by its pid file). */
  adopt(name: string, pid: number, log: string): void {
    this.procs.push({ name, pid, child: undefined as unknown as ChildProcess, log, exited: false, ref: procRef(pid) });
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the PID is gone. */
  async stop(p: Proc, graceMs = 5000): Promise<void> {
    const live = (): boolean => !p.exited && p.ref !== undefined && running(p.ref);
    if (!live()) {
      p.exited = true;
      return;
    }
    signalProc(p.ref!, 'SIGTERM');
    const until = Date.now() + graceMs;
    while (Date.now() < until && live()) await sleep(50);
    if (live()) {
      signalProc(p.ref!, 'SIGKILL');
      while (live()) await sleep(20);
    }
    p.exited = true;
  }

  tail(p: Proc, lines = 15): string {
    try {
      return readFileSync(p.log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  cleanup(): Promise<void> {
    this.cleaning ??= (async () => {
      for (const p of [...this.procs].reverse()) await this.stop(p, 3000);
      for (const ns of this.namespaces) sh('ip', ['netns', 'del', ns], { allowFail: true });
      if (process.env.KEEP) console.error(`files kept in ${this.dir}`);
      else rmSync(this.dir, { recursive: true, force: true });
    })();
    return this.cleaning;
  }
}

/** Runs main() with the harness cleaned up whatever happens; exits non-zero on failure. */
export async function withHarness(tag: string, main: (h: Harness) => Promise<void>): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error('this benchmark needs root (network namespaces, daemons on port 179)');
    process.exit(1);
  }
  const h = new Harness(tag);
  let failed = false;
  try {
    await main(h);
  } catch (e) {
    failed = true;
    console.error(`\nFAILED: ${(e as Error).stack ?? e}`);
  } finally {
    await h.cleanup();
  }
  process.exit(failed ? 1 : 0);
}
