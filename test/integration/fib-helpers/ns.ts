// Network namespaces for the FIB tests: one per test (rrfib-<pid>-<n>), a veth pair with addresses, the FIB
// driver running inside it, `ip -j` to read what the kernel has. Teardown always deletes the namespace.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
let counter = 0;

export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  type?: string;
  metric?: number;
  metrics?: { mtu?: number; advmss?: number }[];
  nexthops?: { gateway?: string; dev?: string; weight?: number }[];
  via?: { family: string; host: string };
  flags?: string[];
}

export interface Lab {
  readonly ns: string;
  ip(...args: string[]): string;
  /** `ip -j [-6] route show table all ...` parsed */
  routes(family?: 4 | 6, ...filter: string[]): IpRoute[];
  call<T = unknown>(op: string, args?: Record<string, unknown>): Promise<T>;
}

/**
 * A namespace with `d0` (192.0.2.254/24 and 2001:db8::fe/64, so gateways 192.0.2.x and 2001:db8::x are on the
 * link) and the driver started in it.
 */
export async function lab(t: ExecutionContext): Promise<Lab> {
  const ns = `rrfib-${process.pid}-${++counter}`;
  let child: ChildProcessWithoutNullStreams | null = null;
  t.teardown(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    try {
      sh('ip', ['netns', 'del', ns]);
    } catch {
      /* already gone */
    }
  });
  sh('ip', ['netns', 'add', ns]);
  const ip = (...args: string[]): string => sh('ip', ['-n', ns, ...args]);
  ip('link', 'set', 'lo', 'up');
  ip('link', 'add', 'd0', 'type', 'veth', 'peer', 'name', 'd0p');
  ip('link', 'set', 'd0', 'up');
  ip('link', 'set', 'd0p', 'up');
  ip('addr', 'add', '192.0.2.254/24', 'dev', 'd0');
  ip('addr', 'add', '2001:db8::fe/64', 'dev', 'd0', 'nodad');
  child = spawn('nsenter', [`--net=/run/netns/${ns}`, process.execPath, '--import', 'tsx', join(here, 'driver.ts')], { cwd: root });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    pending.set(0, { resolve: () => resolve(), reject });
    child?.on('exit', (code) => {
      for (const p of pending.values()) p.reject(new Error(`driver exited ${code}: ${stderr}`));
      pending.clear();
    });
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const msg = JSON.parse(line) as { id: number; ok: boolean; result?: unknown; error?: string };
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (!p) return;
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new Error(msg.error));
  });
  await ready;
  let nextId = 1;
  const c = child;
  return {
    ns,
    ip,
    routes(family = 4, ...filter) {
      const out = sh('ip', ['-n', ns, '-j', family === 6 ? '-6' : '-4', 'route', 'show', ...filter]);
      return JSON.parse(out || '[]') as IpRoute[];
    },
    call<T>(op: string, args: Record<string, unknown> = {}): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        c.stdin.write(`${JSON.stringify({ id, op, ...args })}\n`);
      });
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until true or `ms` elapse. */
export async function eventually(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(50);
  }
  return check();
}
