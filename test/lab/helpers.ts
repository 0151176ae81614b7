// Helpers for tests that run labs for real (root, network namespaces, FRR). Each test names its lab uniquely
// (--name) so it never meets a developer's `npm run lab`, and tears it down even when it fails.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = fileURLToPath(new URL('../../bin/rackroute.js', import.meta.url));
export const lab = (name: string): string => fileURLToPath(new URL(`../../labs/${name}.clab.yml`, import.meta.url));

export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('lab tests need root (network namespaces, veths, FRR); run `npm test` as root');
}

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function rackroute(args: readonly string[], timeoutMs = 120_000): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function namespacesWithPrefix(prefix: string): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return r.stdout.split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(prefix));
}

/** PIDs of processes whose command line mentions `needle` (e.g. a lab's state directory). */
export function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(needle)) pids.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
