// Real-peer test rig: two network namespaces (rrses-TAG-p for the daemon, rrses-TAG-u for us) joined by a veth,
// the four daemons started directly in the peer namespace with their files in a temp dir (PEERS.md), and our
// agent (agent.ts) as a child in the other namespace, printing JSON lines. Everything started here is
// stopped by PID and the namespaces are deleted in `close()`, which tests call in an always-run teardown.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AgentConfig } from './agent.js';
import type { SessionPeerConfig } from '../../../src/bgp/session/types.js';
import { procRef, running, signalProc, stopProcs, type ProcRef } from '../../../src/util/proc.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../../..');
/** Absolute: under npx, node_modules/.bin/nft (Vercel's file tracer) shadows nftables' nft. */
const NFT = '/usr/sbin/nft';

export function sh(cmd: string, args: readonly string[], opts: { allowFail?: boolean; timeout?: number } = {}): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: opts.timeout ?? 15000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    if (opts.allowFail === true) return '';
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${err.stderr ?? err.message}`);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until<T>(what: string, f: () => T | undefined | false | null, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false && v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}


export interface AgentEvent {
  readonly ev: string;
  readonly t: number;
  readonly peer?: string;
  readonly [k: string]: unknown;
}

/** Our agent in the `us` namespace. */
export class Agent {
  readonly events: AgentEvent[] = [];
  readonly stderr: string[] = [];
  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as AgentEvent);
      } catch {
        this.stderr.push(line);
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => this.stderr.push(line));
  }

  send(cmd: Record<string, unknown>): void {
    this.child.stdin?.write(`${JSON.stringify(cmd)}\n`);
  }

  find(pred: (e: AgentEvent) => boolean, from = 0): AgentEvent | undefined {
    return this.events.slice(from).find(pred);
  }

  wait(what: string, pred: (e: AgentEvent) => boolean, ms: number, from = 0): Promise<AgentEvent> {
    return until(what, () => this.find(pred, from), ms).catch((e: Error) => {
      throw new Error(`${e.message}\nagent events: ${this.events.map((x) => JSON.stringify(x)).slice(-15).join('\n')}\nstderr: ${this.stderr.slice(-10).join('\n')}`);
    });
  }

  async status(peer: string): Promise<Record<string, unknown>> {
    const from = this.events.length;
    this.send({ cmd: 'status', peer });
    const e = await this.wait('status', (x) => x.ev === 'status', 5000, from);
    return e['status'] as Record<string, unknown>;
  }

  async exit(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.send({ cmd: 'exit' });
    const exited = (): boolean => this.child.exitCode !== null || this.child.signalCode !== null;
    const gone = (ms: number): Promise<unknown> => Promise.race([new Promise((r) => this.child.once('exit', r)), sleep(ms)]);
    await gone(3000);
    // ChildProcess.kill() signals only a child that was not reaped yet: never a later owner of its PID.
    if (!exited()) this.child.kill('SIGTERM');
    if (!exited()) await gone(5000);
    if (!exited()) this.child.kill('SIGKILL');
  }
}

export class Lab {
  readonly peerNs: string;
  readonly usNs: string;
  readonly dir: string;
  readonly peerIp: string;
  readonly usIp: string;
  /** Every process started for the lab, stopped by close(): by reference, so a reused PID is never signalled. */
  readonly procs: ProcRef[] = [];
  readonly agents: Agent[] = [];
  private readonly vethP: string;
  private readonly vethU: string;

  /**
   * tag: a short unique word (namespace and veth names); net: third octet of 10.77.net.0/24; prefix: of the
   * namespaces and the temp dir (other suites use their own, e.g. the interop tests' `rrint`), veth: of the veths.
   */
  constructor(readonly tag: string, net: number, readonly names: { prefix: string; veth: string } = { prefix: 'rrses', veth: 'rs' }) {
    this.peerNs = `${names.prefix}-${tag}-p`;
    this.usNs = `${names.prefix}-${tag}-u`;
    this.vethP = `${names.veth}${tag}p`;
    this.vethU = `${names.veth}${tag}u`;
    this.peerIp = `10.77.${net}.1`;
    this.usIp = `10.77.${net}.2`;
    this.dir = mkdtempSync(path.join(tmpdir(), `${names.prefix}-${tag}-`));
  }

  up(): void {
    this.removeNetns();
    sh('ip', ['netns', 'add', this.peerNs]);
    sh('ip', ['netns', 'add', this.usNs]);
    sh('ip', ['link', 'add', this.vethP, 'type', 'veth', 'peer', 'name', this.vethU]);
    sh('ip', ['link', 'set', this.vethP, 'netns', this.peerNs]);
    sh('ip', ['link', 'set', this.vethU, 'netns', this.usNs]);
    for (const [ns, dev, ip, ip6, lo6] of [
      [this.peerNs, this.vethP, this.peerIp, 'fd77::1', 'fd77:ff::1'],
      [this.usNs, this.vethU, this.usIp, 'fd77::2', 'fd77:ff::2'],
    ] as const) {
      this.in(ns, 'ip', ['link', 'set', 'lo', 'up']);
      this.in(ns, 'ip', ['addr', 'add', `${ip}/24`, 'dev', dev]);
      this.in(ns, 'ip', ['addr', 'add', `${ip6}/64`, 'dev', dev, 'nodad']);
      // OpenBGPD takes its IPv6 next hop from lo (PEERS.md).
      this.in(ns, 'ip', ['addr', 'add', `${lo6}/128`, 'dev', 'lo']);
      this.in(ns, 'ip', ['link', 'set', dev, 'up']);
    }
    this.in(this.usNs, 'ping', ['-c1', '-W2', this.peerIp]);
  }

  /** One more IPv4 address on the daemon's end of the veth (a second peer in the same namespace). */
  addPeerAddress(ip: string): void {
    this.in(this.peerNs, 'ip', ['addr', 'add', `${ip}/24`, 'dev', this.vethP]);
  }

  in(ns: string, cmd: string, args: readonly string[], opts: { allowFail?: boolean; timeout?: number } = {}): string {
    return sh('ip', ['netns', 'exec', ns, cmd, ...args], opts);
  }

  /** Delay on both ends of the link (netem), so that connection attempts from both sides overlap. */
  delay(ms: number): void {
    this.in(this.peerNs, 'tc', ['qdisc', 'replace', 'dev', this.vethP, 'root', 'netem', 'delay', `${ms}ms`]);
    this.in(this.usNs, 'tc', ['qdisc', 'replace', 'dev', this.vethU, 'root', 'netem', 'delay', `${ms}ms`]);
  }

  noDelay(): void {
    this.in(this.peerNs, 'tc', ['qdisc', 'del', 'dev', this.vethP, 'root'], { allowFail: true });
    this.in(this.usNs, 'tc', ['qdisc', 'del', 'dev', this.vethU, 'root'], { allowFail: true });
  }

  /**
   * Drops BGP messages (TCP segments to or from port 179 longer than a bare ACK) in both namespaces while TCP
   * handshakes still complete: connections opened from both sides meanwhile all reach OpenSent together.
   */
  holdMessages(): void {
    for (const ns of [this.peerNs, this.usNs]) {
      this.in(ns, NFT, ['add', 'table', 'inet', 'rrses']);
      this.in(ns, NFT, ['add chain inet rrses in { type filter hook input priority 0; }']);
      this.in(ns, NFT, ['add rule inet rrses in tcp dport 179 ip length > 80 drop']);
      this.in(ns, NFT, ['add rule inet rrses in tcp sport 179 ip length > 80 drop']);
    }
  }

  /** Drops SYNs arriving at the daemon: our connection attempts wait in SYN-SENT. */
  holdOurSyns(): void {
    this.in(this.peerNs, NFT, ['add', 'table', 'inet', 'rrsyn']);
    this.in(this.peerNs, NFT, ['add chain inet rrsyn in { type filter hook input priority 0; }']);
    this.in(this.peerNs, NFT, ['add rule inet rrsyn in tcp dport 179 tcp flags syn drop']);
  }

  releaseOurSyns(): void {
    this.in(this.peerNs, NFT, ['delete', 'table', 'inet', 'rrsyn'], { allowFail: true });
  }

  releaseMessages(): void {
    for (const ns of [this.peerNs, this.usNs]) this.in(ns, NFT, ['delete', 'table', 'inet', 'rrses'], { allowFail: true });
  }

  /** Established TCP connections on port 179 in our namespace. */
  bgpConnections(): number {
    return this.in(this.usNs, 'ss', ['-Htn', 'state', 'established', '( sport = :179 or dport = :179 )']).split('\n').filter(Boolean).length;
  }

  /** Every process in the daemon's namespace (a daemon may fork: OpenBGPD's session engine does). */
  peerPids(): number[] {
    return sh('ip', ['netns', 'pids', this.peerNs], { allowFail: true }).split('\n').filter(Boolean).map(Number);
  }

  signalPeer(signal: NodeJS.Signals): void {
    for (const pid of this.peerPids()) {
      try { process.kill(pid, signal); } catch { /* gone */ }
    }
  }

  file(name: string, text: string, mode = 0o644): string {
    const p = path.join(this.dir, name);
    writeFileSync(p, text, { mode });
    return p;
  }

  /** A peer config for our side, towards the daemon. */
  peer(over: Partial<SessionPeerConfig> = {}): SessionPeerConfig {
    return {
      address: this.peerIp, asn: 65001, holdTime: 9, connectRetry: 3, port: 179, passive: false, multihop: 1,
      ttlSecurity: null, sourceAddress: null, passwordFile: null, gracefulRestart: true,
      families: ['ipv4-unicast', 'ipv6-unicast'], extendedNextHop: false, addPath: 'none', ...over,
    };
  }

  agent(config: Omit<AgentConfig, 'local'> & Partial<Pick<AgentConfig, 'local'>>): Agent {
    const full: AgentConfig = { local: { asn: 65010, routerId: this.usIp, hostname: `rrses-${this.tag}` }, timers: { idleHoldTime: 1, maxBackoffTime: 8 }, gracefulRestart: { restartTime: 120 }, ...config };
    const child = spawn('nsenter', [`--net=/run/netns/${this.usNs}`, process.execPath, '--import', 'tsx',
      path.join(HERE, 'agent.ts'), JSON.stringify(full)], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
    const a = new Agent(child);
    this.agents.push(a);
    return a;
  }

  // ---- daemons ------------------------------------------------------------------------------------

  /** Records a process of the lab (to be stopped by close()); throws when it is gone already. */
  track(pid: number): ProcRef {
    const ref = procRef(pid);
    if (ref === undefined) throw new Error(`process ${pid} exited at start`);
    this.procs.push(ref);
    return ref;
  }

  private async pidFile(file: string): Promise<ProcRef> {
    const text = await until(`pid file ${file}`, () => existsSync(file) && readFileSync(file, 'utf8').trim(), 15000);
    return this.track(Number(text));
  }

  /**
   * zebra + bgpd as user frr; returns bgpd's PID, a vtysh runner, `killBgpd` (SIGKILL, as a crash: no NOTIFICATION,
   * the TCP connection closes) and `startBgpd` (again, from the same file; returns the new PID).
   */
  async frr(bgpdConf: string): Promise<{
    pid: number; vtysh: (...lines: string[]) => string; conf: (...lines: string[]) => string;
    killBgpd: () => Promise<void>; startBgpd: () => Promise<number>;
  }> {
    const run = path.join(this.dir, 'frr');
    mkdirSync(run, { recursive: true });
    writeFileSync(path.join(run, 'zebra.conf'), `hostname rrses-frr\nlog file ${run}/zebra.log informational\n`);
    writeFileSync(path.join(run, 'bgpd.conf'), bgpdConf.replaceAll('@RUN@', run));
    sh('chown', ['-R', 'frr:frr', run]);
    chownSync(this.dir, 0, 0);
    sh('chmod', ['755', this.dir]);
    const common = ['-u', 'frr', '-g', 'frr', '--vty_socket', run, '-z', `${run}/zserv.api`, '-A', '127.0.0.1', '-P', '0', '-d'];
    this.in(this.peerNs, '/usr/lib/frr/zebra', [...common, '-f', `${run}/zebra.conf`, '-i', `${run}/zebra.pid`]);
    await this.pidFile(`${run}/zebra.pid`);
    const startBgpd = (): Promise<ProcRef> => {
      this.in(this.peerNs, '/usr/lib/frr/bgpd', [...common, '-f', `${run}/bgpd.conf`, '-i', `${run}/bgpd.pid`]);
      return this.pidFile(`${run}/bgpd.pid`);
    };
    let bgpd = await startBgpd();
    const vtysh = (...lines: string[]): string => this.in(this.peerNs, 'vtysh',
      ['--vty_socket', run, '-d', 'bgpd', ...lines.flatMap((l) => ['-c', l])]);
    const conf = (...lines: string[]): string => vtysh('configure terminal', ...lines);
    const killBgpd = async (): Promise<void> => {
      signalProc(bgpd, 'SIGKILL');
      await until('bgpd to exit', () => !running(bgpd), 10000);
      rmSync(`${run}/bgpd.pid`, { force: true });
    };
    const again = async (): Promise<number> => {
      bgpd = await startBgpd();
      return bgpd.pid;
    };
    return { pid: bgpd.pid, vtysh, conf, killBgpd, startBgpd: again };
  }

  /** `opts.recover`: start with -R (graceful restart recovery, after `birdc graceful restart` stopped the last one). */
  async bird(conf: string, opts: { recover?: boolean } = {}): Promise<{ pid: number; ref: ProcRef; birdc: (...args: string[]) => string }> {
    const run = path.join(this.dir, 'bird');
    mkdirSync(run, { recursive: true });
    writeFileSync(path.join(run, 'bird.conf'), conf.replaceAll('@RUN@', run));
    rmSync(`${run}/bird.pid`, { force: true });
    this.in(this.peerNs, 'bird', ['-c', `${run}/bird.conf`, '-s', `${run}/bird.ctl`, '-P', `${run}/bird.pid`, ...(opts.recover === true ? ['-R'] : [])]);
    const ref = await this.pidFile(`${run}/bird.pid`);
    return { pid: ref.pid, ref, birdc: (...args) => sh('birdc', ['-s', `${run}/bird.ctl`, ...args]) };
  }

  /** `opts.restarting`: start with -r (the restart state bit in its graceful-restart capability). */
  async gobgp(toml: string, opts: { restarting?: boolean } = {}): Promise<{ pid: number; ref: ProcRef; gobgp: (...args: string[]) => string }> {
    const run = path.join(this.dir, 'gobgp');
    mkdirSync(run, { recursive: true });
    writeFileSync(path.join(run, 'gobgpd.toml'), toml);
    const child = spawn('ip', ['netns', 'exec', this.peerNs, 'gobgpd', '-f', `${run}/gobgpd.toml`, '-t', 'toml', '-p',
      '--api-hosts', '127.0.0.1:50051', '--log-plain', ...(opts.restarting === true ? ['-r'] : [])], { stdio: ['ignore', 'ignore', 'ignore'], detached: false });
    const ref = this.track(child.pid as number);
    const gobgp = (...args: string[]): string => this.in(this.peerNs, 'gobgp', ['-u', '127.0.0.1', '-p', '50051', ...args]);
    await until('gobgpd API', () => { try { gobgp('global'); return true; } catch { return false; } }, 15000);
    return { pid: ref.pid, ref, gobgp };
  }

  async openbgpd(conf: string): Promise<{ pid: number; bgpctl: (...args: string[]) => string }> {
    const run = path.join(this.dir, 'openbgpd');
    mkdirSync(run, { recursive: true });
    mkdirSync('/run/openbgpd', { recursive: true });
    writeFileSync(path.join(run, 'bgpd.conf'), conf.replaceAll('@RUN@', run), { mode: 0o600 });
    // Its log (-d -v: stderr) goes to RUN/bgpd.log.
    const log = openSync(path.join(run, 'bgpd.log'), 'a');
    const child = spawn('ip', ['netns', 'exec', this.peerNs, 'bgpd', '-d', '-v', '-f', `${run}/bgpd.conf`],
      { stdio: ['ignore', log, log] });
    closeSync(log);
    const { pid } = this.track(child.pid as number);
    await until('openbgpd socket', () => existsSync(`${run}/bgpd.sock`), 15000);
    return { pid, bgpctl: (...args) => sh('timeout', ['5', 'bgpctl', '-s', `${run}/bgpd.sock`, ...args], { allowFail: true }) };
  }

  private removeNetns(): void {
    for (const ns of [this.peerNs, this.usNs]) {
      if (!existsSync(`/run/netns/${ns}`)) continue;
      for (const pid of sh('ip', ['netns', 'pids', ns], { allowFail: true }).split('\n').filter(Boolean)) {
        try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ }
      }
      sh('ip', ['netns', 'del', ns], { allowFail: true });
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.exit().catch(() => undefined)));
    await stopProcs([...this.procs].reverse(), 5000);
    for (const ns of [this.peerNs, this.usNs]) {
      if (!existsSync(`/run/netns/${ns}`)) continue;
      await stopProcs(sh('ip', ['netns', 'pids', ns], { allowFail: true }).split('\n').filter(Boolean).flatMap((pid) => procRef(Number(pid)) ?? []), 5000);
    }
    this.removeNetns();
    if (process.env['RRSES_KEEP'] !== '1') rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Prints the peer x feature matrix a test file verified. */
export function matrix(peer: string, rows: Readonly<Record<string, string>>): string {
  const lines = Object.entries(rows).map(([k, v]) => `  ${peer.padEnd(10)} ${k.padEnd(34)} ${v}`);
  return `session matrix (${peer}):\n${lines.join('\n')}`;
}

/** Short names of capabilities as JSON from the agent. */
export function capNames(caps: unknown): string[] {
  return (caps as { name: string }[]).map((c) => c.name);
}
