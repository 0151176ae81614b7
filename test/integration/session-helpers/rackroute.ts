// The real agent (`rackroute agent`, from dist/: run `npm run build` first) in a Lab's `us` namespace, with its
// site file and admin socket in the lab's temp dir and its JSON log in a file there. The operator CLI runs from the
// test's own namespace (the admin socket is a file); polling goes to the API directly (no node start per poll).

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiRequest } from '../../../src/api/client.js';
import type { NeighborDetail, RoutesResponse, RouteView, StatusResponse } from '../../../src/api/types.js';
import { sleep, until, type Lab } from './lab.js';
import { running, stopProcs, type ProcRef } from '../../../src/util/proc.js';
import { AGENT_NODE_OPTIONS } from '../../../src/agent/node-options.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = path.join(REPO, 'bin/rackroute.js');

/** A site file for one node `us` in rack r1 (the lab's subnet), fib and eBPF off; `over` is merged at the top. */
export function siteFor(lab: Lab, o: {
  peers: readonly Record<string, unknown>[];
  podCIDRs: readonly string[];
  asn?: number;
  listen?: boolean;
  over?: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    site: `rrint-${lab.tag}`,
    defaults: {
      asn: o.asn ?? 65010, holdTime: 9, fib: { install: false },
      peer: { gracefulRestart: true, families: ['ipv4-unicast', 'ipv6-unicast'], connectRetry: 3 },
    },
    clusterCIDRs: ['10.244.0.0/16', 'fd00:244::/32'],
    racks: [{ name: 'r1', subnet: `${lab.usIp.replace(/\.\d+$/, '.0')}/24`, additionalSubnets: ['fd77::/64'], peers: o.peers }],
    nodes: [{ name: 'us', rack: 'r1', address: lab.usIp, podCIDRs: o.podCIDRs }],
    bgp: { listen: o.listen ?? false, gracefulRestart: { enabled: true, restartTime: 120, stalePathsTime: 360 } },
    datapath: { ebpf: false },
    metrics: { enabled: false },
    log: { level: 'info' },
    ...o.over,
  };
}

export class RealAgent {
  readonly socket: string;
  readonly logFile: string;
  readonly siteFile: string;
  pid = 0;
  private ref: ProcRef | undefined;

  constructor(readonly lab: Lab, site: Record<string, unknown>, readonly name = 'agent') {
    this.socket = path.join(lab.dir, `${name}.sock`);
    this.logFile = path.join(lab.dir, `${name}.log`);
    // JSON is YAML: the site file is written as JSON.
    this.siteFile = lab.file(`${name}-site.yaml`, JSON.stringify(site, null, 1));
  }

  /** Starts `rackroute agent` in the us namespace (nsenter execs node: the PID is the agent's). */
  async start(): Promise<void> {
    const log = openSync(this.logFile, 'a');
    const child = spawn('nsenter', [`--net=/run/netns/${this.lab.usNs}`, process.execPath, ...AGENT_NODE_OPTIONS, CLI, 'agent',
      '--config', this.siteFile, '--node', 'us', '--socket', this.socket, '--no-watch'],
    { cwd: REPO, stdio: ['ignore', log, log], detached: false });
    closeSync(log);
    if (child.pid === undefined) throw new Error('could not start rackroute agent');
    this.pid = child.pid;
    this.ref = this.lab.track(child.pid);
    await until('the admin socket', () => existsSync(this.socket) || (!this.alive() && 'dead'), 20000).then((v) => {
      if (v === 'dead') throw new Error(`rackroute agent exited at start:\n${this.logTail(20)}`);
    });
  }

  /** Still the process that start() started (not a later owner of its PID). */
  alive(): boolean {
    return this.ref !== undefined && running(this.ref);
  }

  /** Resident memory of the agent process, KiB (VmRSS). */
  rssKiB(): number {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  }

  api<T>(method: 'GET' | 'POST', p: string, body?: unknown): Promise<T> {
    return apiRequest<T>(this.socket, method, p, body);
  }

  /** `rackroute ARGS -o json --socket S`, parsed. */
  cli<T>(...args: string[]): T {
    const r = spawnSync(process.execPath, [CLI, ...args, '-o', 'json', '--socket', this.socket], { encoding: 'utf8', timeout: 20000 });
    if (r.status !== 0) throw new Error(`rackroute ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  status(): Promise<StatusResponse> {
    return this.api<StatusResponse>('GET', '/v1/status');
  }

  neighbor(peer: string): Promise<NeighborDetail> {
    return this.api<NeighborDetail>('GET', `/v1/neighbors/${encodeURIComponent(peer)}`);
  }

  async state(peer: string): Promise<string | undefined> {
    return (await this.status()).sessions.find((s) => s.peer === peer)?.state;
  }

  async routes(detail = false, peer?: string): Promise<readonly RouteView[]> {
    const q = new URLSearchParams();
    if (peer !== undefined) q.set('peer', peer);
    if (detail) q.set('detail', '1');
    return (await this.api<RoutesResponse>('GET', `/v1/routes?${q}`)).routes;
  }

  /** Polls an async predicate every `every` ms. */
  async waitFor<T>(what: string, f: () => Promise<T | undefined | false | null>, ms: number, every = 100): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = await f().catch(() => undefined);
      if (v !== undefined && v !== false && v !== null) return v;
      if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}\nagent log:\n${this.logTail(15)}`);
      await sleep(every);
    }
  }

  async established(peer: string, ms = 30000): Promise<void> {
    await this.waitFor(`${peer} Established`, async () => (await this.state(peer)) === 'Established', ms);
  }

  /** The agent's JSON log lines. */
  logLines(): Record<string, unknown>[] {
    if (!existsSync(this.logFile)) return [];
    return readFileSync(this.logFile, 'utf8').split('\n').filter(Boolean).flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [{ text: l }];
      }
    });
  }

  logTail(n: number): string {
    if (!existsSync(this.logFile)) return '';
    return readFileSync(this.logFile, 'utf8').split('\n').filter(Boolean).slice(-n).join('\n');
  }

  /** Rewrites the site file and reloads (POST /v1/reload). */
  async reload(site: Record<string, unknown>): Promise<void> {
    this.lab.file(path.basename(this.siteFile), JSON.stringify(site, null, 1));
    const r = await this.api<{ ok: boolean }>('POST', '/v1/reload');
    if (!r.ok) throw new Error(`reload refused:\n${this.logTail(10)}`);
  }

  /** SIGTERM (restart mode: no Cease), then SIGKILL if it lingers. */
  async stop(): Promise<void> {
    if (this.ref !== undefined) await stopProcs([this.ref], 5000);
  }
}

/** The paths of one prefix in a routes response. */
export function pathsOf(routes: readonly RouteView[], prefix: string): RouteView['paths'] {
  return routes.find((r) => r.prefix === prefix)?.paths ?? [];
}
