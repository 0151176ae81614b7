// Helpers for tests that run labs for real (root, network namespaces, FRR). Each test names its lab uniquely
// (--name) so it never meets a developer's `npm run lab`, and tears it down even when it fails.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readState as readLabState, type LabState } from '../../src/lab/state.js';
import { apiRequest } from '../../src/api/client.js';
import type { RoutesResponse, StatusResponse } from '../../src/api/types.js';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = fileURLToPath(new URL('../../bin/rackroute.js', import.meta.url));
export const lab = (name: string): string => fileURLToPath(new URL(`../../labs/${name}.clab.yml`, import.meta.url));

/**
 * A copy of the leaf-spine lab under another name, in a scratch directory, with `siteExtra` appended to its site
 * file (e.g. a nodeMesh section). The other bound files stay the repository's. remove() deletes the directory.
 */
export function leafSpineWith(name: string, siteExtra: string): { topo: string; siteFile: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `rr-${name}-`));
  const labs = lab('leaf-spine').replace(/leaf-spine\.clab\.yml$/, '');
  const siteFile = join(dir, 'site.yaml');
  const topo = join(dir, 'leaf-spine.clab.yml');
  writeFileSync(siteFile, `${readFileSync(join(labs, 'leaf-spine/site.yaml'), 'utf8')}\n${siteExtra}`);
  writeFileSync(topo, readFileSync(lab('leaf-spine'), 'utf8')
    .replace(/^name: leaf-spine$/m, `name: ${name}`)
    .replaceAll('leaf-spine/site.yaml:', `${siteFile}:`)
    .replace(/- (frr\/daemons|leaf-spine\/\w+\.conf|scripts\/pods\.sh):/g, (_m, p: string) => `- ${labs}${p}:`));
  return { topo, siteFile, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The leaf-spine lab's nodes (their addresses) and each one's leaf. */
export const LEAF_SPINE = {
  nodes: { node1: '10.0.1.10', node2: '10.0.1.11', node3: '10.0.2.10', node4: '10.0.2.11' },
  leaf: { node1: '10.0.1.1', node2: '10.0.1.1', node3: '10.0.2.1', node4: '10.0.2.1' },
} as const;

export type LeafSpineNode = keyof typeof LEAF_SPINE.nodes;

/**
 * The leaf-spine lab with a node mesh (`siteExtra`: its nodeMesh section). `meshPeer(n, m)`: the address node `n`
 * learns node `m`'s pod CIDRs from over the mesh. up() returns once every node has converged.
 */
export class LeafSpineMesh {
  readonly nodes = Object.keys(LEAF_SPINE.nodes) as LeafSpineNode[];
  private readonly files: ReturnType<typeof leafSpineWith>;
  private labState: LabState | undefined;

  constructor(readonly name: string, siteExtra: string, private readonly meshPeer: (n: LeafSpineNode, m: LeafSpineNode) => string) {
    this.files = leafSpineWith(name, siteExtra);
  }

  get state(): LabState {
    if (!this.labState) throw new Error(`lab ${this.name} is not up`);
    return this.labState;
  }

  sock(n: LeafSpineNode): string {
    return this.state.nodes[n].control as string;
  }

  status(n: LeafSpineNode): Promise<StatusResponse> {
    return apiRequest<StatusResponse>(this.sock(n), 'GET', '/v1/status');
  }

  routes(n: LeafSpineNode): Promise<RoutesResponse> {
    return apiRequest<RoutesResponse>(this.sock(n), 'GET', '/v1/routes?detail=1');
  }

  async up(): Promise<void> {
    this.labState = labUp(this.name, this.files.topo);
    await waitUntil('every node converged (sessions, leaf and mesh paths, kernel routes)', 90_000, async () => {
      for (const n of this.nodes) if (!(await this.converged(n))) return undefined;
      return true;
    });
  }

  down(): void {
    labDownQuietly(this.name, this.files.topo);
    this.files.remove();
  }

  /**
   * Converged at `n`: every session Established; for each other node's pod CIDRs (IPv4 and IPv6) a path from the leaf
   * and one over the mesh; the kernel route to each other node's IPv4 pod CIDR via that node.
   */
  private async converged(n: LeafSpineNode): Promise<boolean> {
    const s = await this.status(n).catch(() => undefined);
    if (!s || s.sessions.length === 0 || s.sessions.some((x) => x.state !== 'Established')) return false;
    const r = await this.routes(n).catch(() => undefined);
    if (!r) return false;
    const kernel = kernelRoutes(this.state.nodes[n].ns, 'rackroute');
    for (const m of this.nodes.filter((x) => x !== n)) {
      const i = m.slice(4);
      for (const prefix of [`10.244.${i}.0/24`, `fd00:244:${i}::/64`]) {
        const paths = r.routes.find((x) => x.prefix === prefix)?.paths ?? [];
        if (!paths.some((p) => p.peer === LEAF_SPINE.leaf[n]) || !paths.some((p) => p.peer === this.meshPeer(n, m))) return false;
      }
      if (kernel.find((k) => k.dst === `10.244.${i}.0/24`)?.gateway !== LEAF_SPINE.nodes[m]) return false;
    }
    return true;
  }
}

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

/** Polls fn until it returns a value other than undefined (or throws after timeoutMs). */
export async function waitUntil<T>(what: string, timeoutMs: number, fn: () => T | undefined | Promise<T | undefined>, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface KernelRoute {
  readonly dst: string;
  readonly gateway?: string;
  readonly type?: string;
  readonly dev?: string;
  readonly protocol?: string;
  readonly metric?: number;
  readonly nexthops?: ReadonlyArray<{ gateway: string; dev: string }>;
}

/** `ip -j route` of a namespace (both families), optionally only one protocol. */
export function kernelRoutes(ns: string, proto?: string): KernelRoute[] {
  const out: KernelRoute[] = [];
  for (const fam of ['-4', '-6']) {
    const args = [fam, '-j', '-n', ns, 'route', 'show', ...(proto ? ['proto', proto] : [])];
    const r = spawnSync('ip', args, { encoding: 'utf8' });
    out.push(...(JSON.parse(r.stdout || '[]') as KernelRoute[]));
  }
  return out;
}

/** Runs a command inside a namespace (network only, like the lab does). */
export function inNs(ns: string, cmd: string, args: readonly string[], timeoutMs = 30_000): CliResult {
  const r = spawnSync('nsenter', [`--net=/run/netns/${ns}`, cmd, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** The BPF programs attached in a namespace, as text: tc filters and XDP (`bpftool net show`) and tcx (`rr_tcx show`). */
export function attachedPrograms(ns: string): string {
  const tcx = fileURLToPath(new URL('../../bpf/build/rr_tcx', import.meta.url));
  return `${inNs(ns, 'bpftool', ['-j', 'net', 'show']).stdout}\n${inNs(ns, tcx, ['show']).stdout}`;
}

/** Packets sent and received by `ping -c N -i I` (with -q); lost = sent - received. */
export function pingStats(output: string): { sent: number; received: number; lost: number } {
  const m = /(\d+) packets transmitted, (\d+) received/.exec(output);
  const sent = m ? Number(m[1]) : 0;
  const received = m ? Number(m[2]) : 0;
  return { sent, received, lost: sent - received };
}

/**
 * Brings a lab up under a test's own name (tearing down leftovers of an earlier failed run first) and returns its
 * state. Pair it with `labDownQuietly` in test.after.always.
 */
export function labUp(name: string, file: string): import('../../src/lab/state.js').LabState {
  requireRoot();
  labDownQuietly(name, file);
  const up = rackroute(['lab', 'up', '--name', name, file]);
  if (up.status !== 0) throw new Error(`lab up ${name}: ${up.stderr}`);
  const state = readLabState(name);
  if (!state) throw new Error(`lab up ${name}: no state file`);
  return state;
}

export function labDownQuietly(name: string, file: string): void {
  rackroute(['lab', 'down', '--name', name, file]);
}

/** PIDs of the rackroute agents running inside one namespace (pgrep alone would see every lab's agents). */
export function agentPids(ns: string): number[] {
  const r = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number).filter((pid) => {
    try {
      return / agent /.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '));
    } catch {
      return false;
    }
  });
}

/**
 * Captures `count` packets matching `filter` on an interface of a namespace while `traffic` runs (tcpdump text;
 * `verbose` adds -v, which prints an outer header's protocol with the inner packet below it).
 */
export async function capture(ns: string, iface: string, filter: string, count: number, traffic: () => void, verbose = false): Promise<string> {
  const cap = spawn('nsenter', [`--net=/run/netns/${ns}`, 'tcpdump', '-n', '-l', ...(verbose ? ['-v'] : []), '-i', iface, '-c', String(count), filter],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  cap.stdout.on('data', (b: Buffer) => { text += b.toString(); });
  await sleep(1000);
  traffic();
  await waitUntil(`tcpdump on ${ns}:${iface}`, 10_000, () => (text.split('\n').filter((l) => /^\d/.test(l)).length >= count ? true : undefined)).catch(() => undefined);
  cap.kill();
  return text;
}

/**
 * Each (namespace, address) pair answers 3 pings of 3. Routes can be in place a moment before the far side's are
 * (a loaded machine, a node still converging): each pair first gets up to 20 s to answer one ping.
 */
export async function expectReachable(t: import('ava').ExecutionContext, pairs: ReadonlyArray<readonly [string, string]>): Promise<void> {
  for (const [ns, addr] of pairs) {
    await waitUntil(`a first reply ${ns} -> ${addr}`, 20_000,
      () => (pingStats(inNs(ns, 'ping', ['-c', '1', '-W', '1', '-q', addr]).stdout).received === 1 ? true : undefined), 250).catch(() => undefined);
  }
  for (const [ns, addr] of pairs) {
    const r = inNs(ns, 'ping', ['-c', '3', '-i', '0.2', '-W', '2', '-q', addr]);
    t.is(pingStats(r.stdout).received, 3, `${ns} -> ${addr}: ${r.stdout}${r.stderr}`);
  }
}
