// Running commands for the lab: in the root namespace or inside a node's namespace.
import { spawnSync } from 'node:child_process';

export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    readonly command: string,
    readonly status: number | null,
    readonly stderr: string,
  ) {
    super(`\`${command}\` failed (exit ${status ?? 'signal'}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
}

export interface RunOptions {
  readonly ns?: string;
  /** With `ns`: run in a UTS namespace of its own with this hostname. */
  readonly hostname?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly input?: string;
  readonly allowFail?: boolean;
  readonly timeoutMs?: number;
}

/**
 * The argv that runs a command inside a named network namespace. Only the network namespace is entered (not
 * `ip netns exec`, which also gives the command a private mount namespace): namespaces the command creates with
 * `ip netns add` stay visible to everyone, and so does bpffs at /sys/fs/bpf. With `hostname`, the command also
 * gets its own UTS namespace with that name, as a container has.
 */
export function inNamespace(ns: string, argv: readonly string[], hostname?: string): string[] {
  const enter = ['nsenter', `--net=/run/netns/${ns}`];
  if (!hostname) return [...enter, ...argv];
  return [...enter, 'unshare', '--uts', 'sh', '-c', 'hostname "$0" && exec "$@"', hostname, ...argv];
}

/** Runs a command (inside `ns` when given) and returns its stdout; throws CommandError unless allowFail. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): string {
  const argv = opts.ns ? inNamespace(opts.ns, [cmd, ...args], opts.hostname) : [cmd, ...args];
  const r = spawnSync(argv[0], argv.slice(1), {
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
    input: opts.input,
    timeout: opts.timeoutMs ?? 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if ((r.status !== 0 || r.error) && !opts.allowFail) {
    throw new CommandError(argv.join(' '), r.status, r.stderr || String(r.error ?? ''));
  }
  return r.stdout ?? '';
}

/** Runs a shell command line (inside `ns` when given). */
export function sh(line: string, opts: RunOptions = {}): string {
  return run('sh', ['-c', line], opts);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => T | undefined, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}
