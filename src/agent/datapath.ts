// The agent's eBPF fast path (site file `datapath: { ebpf, uplinks }`): load the program set, keep the pod CIDR
// maps equal to the site's pod CIDRs, and keep rr_ingress attached at tc ingress of the uplinks and of the host
// side of every pod veth, level-triggered: one pass at start, then again on link events and every few seconds.
//
// - Pins: per network namespace (src/dataplane/ebpf/pins.ts explains the choice): /sys/fs/bpf/rackroute for a
//   node in the host's namespace, /sys/fs/bpf/rackroute/netns/<inode> for lab nodes sharing one machine.
// - Restart is not an outage: stopping in restart mode leaves the programs attached and the maps pinned; the next
//   agent reloads the program (maps reused) and swaps it in place on every attached device (tc filter replace:
//   no window without a program). Withdraw mode detaches everywhere and removes the pins.
// - Failures (a tool missing, a device gone between listing and attaching, a verifier refusal) are logged,
//   counted per stage and retried with backoff; a failure never stops the agent nor the kernel path, which
//   carries every packet the program does not.
// - datapath.ebpf false: nothing is loaded; what an earlier run left in this namespace is detached and unpinned.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { NodeConfig, SiteConfig } from '../config/types.js';
import { peersOf } from '../config/index.js';
import type { Logger } from '../util/log.js';
import { hostExec, type Exec } from '../dataplane/ebpf/exec.js';
import { DatapathLoader, onlyDefaultRules, type AttachRole, type TcAttachment } from '../dataplane/ebpf/loader.js';
import {
  CFG_F_FIB_DIRECT, CFG_F_REDIRECT_NEIGH, IFACE_F_ATTACHED, IFACE_F_POD, IFACE_F_UPLINK, POD_F_LOCAL, POD_F_REMOTE, POD_LENS_MAX, PROGRAM_INGRESS, parseCidr,
} from '../dataplane/ebpf/layout.js';
import { collectStalePins, pinDirForNamespace, removePins } from '../dataplane/ebpf/pins.js';
import { discoverEndpoints, discoverPodVeths, discoverUplinks, listLinks, type Device } from '../dataplane/ebpf/discover.js';
import { syncEndpoints, syncPodCidrs } from '../dataplane/ebpf/sync.js';
import { NexthopHolds, discoverNexthops, routeEventDsts } from '../dataplane/ebpf/nexthops.js';
import { readDatapathStatus, type DatapathAgentInfo, type DatapathApiStatus } from '../dataplane/ebpf/status.js';

export type DatapathStage = 'cleanup' | 'load' | 'maps' | 'discover' | 'attach' | 'detach';
const STAGES: readonly DatapathStage[] = ['cleanup', 'load', 'maps', 'discover', 'attach', 'detach'];

export interface AgentDatapathOptions {
  readonly site: SiteConfig;
  readonly node: NodeConfig;
  readonly logger: Logger;
  /** default: this namespace's pin directory (pinDirForNamespace) */
  readonly pinDir?: string;
  /** run ip/tc/bpftool in this named namespace (tests); the agent runs inside its node's namespace already */
  readonly netns?: string;
  readonly buildDir?: string;
  /** periodic pass; default 5 s */
  readonly intervalMs?: number;
  /** follow link events (`ip monitor link`) so a new pod veth is attached within a second; default true */
  readonly watchLinks?: boolean;
}

export class AgentDatapath {
  private site: SiteConfig;
  private node: NodeConfig;
  private readonly log: Logger;
  private readonly exec: Exec;
  readonly pinDir: string;
  private readonly loader: DatapathLoader;
  private readonly intervalMs: number;
  private loaded = false;
  private programId = 0;
  private state: DatapathAgentInfo['state'] = 'starting';
  private uplinks: Device[] = [];
  private pods: Device[] = [];
  private passes = 0;
  private lastPass: Date | null = null;
  private readonly errors = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<DatapathStage, number>;
  private readonly lastMessage = new Map<DatapathStage, string>();
  private lastError: DatapathAgentInfo['lastError'] = null;
  private timer?: NodeJS.Timeout;
  private eventTimer?: NodeJS.Timeout;
  private monitor?: ChildProcess;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private backoffMs = 1000;
  private unprobedWarned = '[]';
  /** ip rule holds the defaults alone (checked each pass): the FIB answers from the main table. */
  private rulesDefault = false;
  /** The next-hop cache's CIDRs, and those held out while the agent changes their routes. */
  private readonly nexthops = new NexthopHolds();
  private lastSkipped = '';
  /** started and enabled: passes run (until stop) */
  private passing = false;

  constructor(private readonly opts: AgentDatapathOptions) {
    this.site = opts.site;
    this.node = opts.node;
    this.log = opts.logger.child({ component: 'datapath' });
    this.exec = hostExec(opts.netns);
    this.pinDir = opts.pinDir ?? pinDirForNamespace(opts.netns ? `/run/netns/${opts.netns}` : undefined);
    this.loader = new DatapathLoader({ pinDir: this.pinDir, exec: this.exec, ...(opts.buildDir ? { buildDir: opts.buildDir } : {}) });
    this.intervalMs = opts.intervalMs ?? 5000;
    this.nexthops.setRemote(this.remoteCidrs());
  }

  get enabled(): boolean {
    return this.site.datapath.ebpf;
  }

  /** The first pass (awaited: the fast path is in place when the agent says it started), then the loop. Never throws. */
  async start(): Promise<void> {
    this.guard('cleanup', () => {
      const removed = collectStalePins();
      if (removed.length) this.log.info('removed the pins of namespaces that no longer exist', { event: 'datapath-gc', removed });
    });
    if (!this.enabled) {
      this.state = 'disabled';
      await this.guardAsync('cleanup', () => this.removeAll('datapath.ebpf is false'));
      return;
    }
    this.log.info('eBPF fast path starting', { event: 'datapath-start', pinDir: this.pinDir });
    this.passing = true;
    await this.requestPass();
    if (this.opts.watchLinks ?? true) this.watchLinks();
  }

  /** A reload: new pod CIDRs (of this node or others) reach the maps at once. datapath.ebpf itself needs a restart. */
  update(site: SiteConfig, node: NodeConfig): void {
    this.site = { ...site, datapath: { ...this.site.datapath, nexthopCache: site.datapath.nexthopCache } };
    this.node = node;
    this.nexthops.setRemote(this.remoteCidrs());
    if (this.state !== 'disabled') void this.requestPass();
  }

  /** restart: everything stays attached and pinned. withdraw: detached everywhere and unpinned. */
  async stop(mode: 'restart' | 'withdraw'): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.eventTimer);
    this.monitor?.kill();
    this.monitor = undefined;
    await this.running;
    if (mode === 'withdraw' && this.enabled) await this.guardAsync('detach', () => this.removeAll('withdraw'));
    this.loader.close();
    this.state = this.enabled ? 'stopped' : 'disabled';
    this.log.info(mode === 'withdraw' ? 'fast path detached and unpinned' : 'fast path left attached and pinned for the next agent',
      { event: 'datapath-stop', mode });
  }

  info(): DatapathAgentInfo {
    return {
      state: this.state,
      uplinksFrom: this.site.datapath.uplinks.length ? 'site' : 'routes',
      uplinks: this.uplinks.map((d) => d.ifname),
      pods: this.pods.map((d) => d.ifname),
      passes: this.passes,
      lastPass: this.lastPass?.toISOString() ?? null,
      errors: { ...this.errors },
      lastError: this.lastError,
    };
  }

  /** GET /v1/datapath. */
  async status(): Promise<DatapathApiStatus> {
    const empty = { pinDir: this.pinDir, loaded: false, program: null, attachments: [], maps: [], podCidrs: [], redirectNeigh: false, fibDirect: false, summary: null, nexthops: [], counters: [] };
    const kernel = await readDatapathStatus({ pinDir: this.pinDir, exec: this.exec }).catch((e: unknown) => {
      this.log.debug('datapath status unreadable', { error: (e as Error).message });
      return empty;
    });
    return { enabled: this.enabled, ...kernel, agent: this.info() };
  }

  /** Prometheus: counters by reason (read from the per-CPU map at scrape time), errors by stage, attached devices. */
  registerMetrics(registry: Registry): void {
    const counters = () => {
      if (!this.loaded) return [];
      try {
        return this.loader.maps().readCounters();
      } catch {
        return [];
      }
    };
    new Counter({
      name: 'rackroute_datapath_packets_total', help: 'Packets seen by the eBPF fast path, by reason (pass to the stack, redirect, drop)',
      labelNames: ['reason', 'kind'], registers: [registry],
      collect() {
        this.reset();
        for (const c of counters()) if (c.packets) this.inc({ reason: c.label, kind: c.kind }, c.packets);
      },
    });
    new Counter({
      name: 'rackroute_datapath_drops_total', help: 'Packets dropped by the eBPF fast path, by reason',
      labelNames: ['reason'], registers: [registry],
      collect() {
        this.reset();
        for (const c of counters()) if (c.kind === 'drop' && c.packets) this.inc({ reason: c.label }, c.packets);
      },
    });
    const errors = this.errors;
    new Counter({
      name: 'rackroute_datapath_errors_total', help: 'Failures of the agent\'s datapath passes, by stage (each is retried)',
      labelNames: ['stage'], registers: [registry],
      collect() {
        this.reset();
        for (const s of STAGES) this.inc({ stage: s }, errors[s]);
      },
    });
    const attached = () => ({ uplink: this.uplinks.length, pod: this.pods.length });
    new Gauge({
      name: 'rackroute_datapath_attached_devices', help: 'Devices with the fast path attached at tc ingress, by role',
      labelNames: ['role'], registers: [registry],
      collect() {
        const a = attached();
        this.set({ role: 'uplink' }, a.uplink);
        this.set({ role: 'pod' }, a.pod);
      },
    });
  }

  // ---- the loop -------------------------------------------------------------------------------------------

  /** Runs a pass now, or right after the one running; resolves when that pass is done. */
  private requestPass(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    clearTimeout(this.timer);
    this.running = (async () => {
      let ok = false;
      try {
        do {
          this.again = false;
          ok = await this.pass();
        } while (this.again && !this.stopped);
      } finally {
        this.running = undefined;
      }
      if (this.stopped) return;
      this.backoffMs = ok ? 1000 : Math.min(this.backoffMs * 2, 30_000);
      this.timer = setTimeout(() => void this.requestPass(), ok ? this.intervalMs : Math.min(this.backoffMs, this.intervalMs));
      this.timer.unref();
    })();
    return this.running;
  }

  /**
   * Link added / removed / up: look again shortly (the pod's route follows its veth by a few milliseconds). And
   * neighbour changes on the uplinks (a gateway's MAC or state is in the next-hop cache); the pods' own neighbour
   * churn is ignored. And route changes in the tables the kernel consults with the default rules (local, main,
   * default) that touch a remote pod CIDR: its cached next hops go at once (the kernel has changed already: until
   * the pass, its traffic takes bpf_fib_lookup), whoever made the change.
   */
  private watchLinks(): void {
    const argv = [...(this.opts.netns ? ['nsenter', `--net=/run/netns/${this.opts.netns}`, '--'] : []), 'ip', '-o', 'monitor', 'label', 'link', 'neigh', 'route'];
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
    child.on('error', (e) => this.log.warn('no link events (periodic passes only)', { event: 'datapath-monitor', error: e.message }));
    let partial = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      const routeDsts: string[] = [];
      let relevant = false;
      for (const line of lines) {
        const m = /^\[(LINK|NEIGH|ROUTE)\](.*)$/.exec(line);
        if (!m) continue;
        const [, kind, rest] = m as unknown as [string, string, string];
        if (kind === 'LINK') relevant = true;
        else if (kind === 'NEIGH') {
          const dev = /^(?:Deleted |Miss )?\S+ dev (\S+) /.exec(rest);
          if (dev && this.uplinks.some((u) => u.ifname === dev[1])) relevant = true;
        } else {
          const table = / table (\S+)/.exec(rest)?.[1];
          if (table === undefined || table === 'local' || table === 'main' || table === 'default') routeDsts.push(...routeEventDsts(rest));
        }
      }
      if (routeDsts.length && this.routesChanged(routeDsts)) relevant = true;
      if (!relevant) return;
      this.eventTimer ??= setTimeout(() => {
        this.eventTimer = undefined;
        void this.requestPass();
      }, 300);
    });
    child.on('exit', () => {
      if (this.monitor === child && !this.stopped) {
        this.monitor = undefined;
        setTimeout(() => !this.stopped && this.watchLinks(), 5000).unref();
      }
    });
    this.monitor = child;
  }

  /** One level-triggered pass; true when every stage succeeded. */
  private async pass(): Promise<boolean> {
    let ok = true;
    if (!this.loaded) {
      ok = await this.guardAsync('load', () => this.load());
      if (!ok) return this.finish(false);
    }
    ok = (await this.guardAsync('maps', () => this.syncMaps())) && ok;
    let uplinks: Device[], pods: Device[];
    try {
      uplinks = await discoverUplinks(this.exec, { named: this.site.datapath.uplinks, peers: peersOf(this.site, this.node).map((p) => p.address) });
      pods = await discoverPodVeths(this.exec, this.node.podCIDRs, new Set(uplinks.map((u) => u.ifname)));
    } catch (e) {
      this.fail('discover', e);
      return this.finish(false);
    }
    ok = (await this.attachAll(uplinks, pods)) && ok;
    ok = (await this.guardAsync('maps', () => this.syncEndpoints())) && ok;
    ok = (await this.guardAsync('maps', () => this.syncNexthops(uplinks))) && ok;
    return this.finish(ok);
  }

  private finish(ok: boolean): boolean {
    this.passes++;
    this.lastPass = new Date();
    this.state = ok ? 'running' : 'degraded';
    return ok;
  }

  private async load(): Promise<void> {
    await this.ensureBpffs();
    mkdirSync(dirname(this.pinDir), { recursive: true });
    if (existsSync(this.loader.programPin) && (await this.loader.attachments()).length === 0) {
      // Pinned, but running nowhere in this namespace: a deleted namespace's pins under a reused inode, or a run
      // that never attached. Its ifaces map would name devices that are not ours: start from empty maps.
      this.log.info('pins found but attached nowhere here: starting afresh', { event: 'datapath-stale-pins', pinDir: this.pinDir });
      removePins(this.pinDir);
    }
    const restart = existsSync(this.loader.programPin);
    const loaded = await this.loader.load();
    this.programId = loaded.programs.find((p) => p.name === PROGRAM_INGRESS)?.id ?? 0;
    this.loaded = true;
    this.log.info(restart ? 'program reloaded in place, pinned maps reused' : 'program loaded, maps created',
      { event: 'datapath-load', programId: this.programId, pinDir: this.pinDir, maps: loaded.maps.map((m) => m.name) });
  }

  private async ensureBpffs(): Promise<void> {
    const mounts = await this.exec.run(['cat', '/proc/self/mounts']);
    if (!/^\S+ \/sys\/fs\/bpf bpf /m.test(mounts)) await this.exec.run(['mount', '-t', 'bpf', 'bpf', '/sys/fs/bpf']);
  }

  /** Pod CIDRs: this node's as local, the other nodes' and the cluster CIDRs as remote. Switches in the config map. */
  private async syncMaps(): Promise<void> {
    const desired = new Map<string, number>();
    for (const c of this.site.clusterCIDRs) desired.set(c, POD_F_REMOTE);
    for (const n of this.site.nodes) if (n.name !== this.node.name) for (const c of n.podCIDRs) desired.set(c, POD_F_REMOTE);
    for (const c of this.node.podCIDRs) desired.set(c, POD_F_LOCAL);
    const maps = this.loader.maps();
    const r = syncPodCidrs(maps, desired);
    if (r.added.length || r.updated.length || r.removed.length) this.log.info('pod CIDR maps updated', { event: 'datapath-pods', ...r });
    this.warnUnprobedLengths(desired.keys());
    // fib-direct only while `ip rule` holds the defaults alone (checked every pass).
    this.rulesDefault = await onlyDefaultRules(this.exec);
    const flags = CFG_F_REDIRECT_NEIGH | (this.rulesDefault ? CFG_F_FIB_DIRECT : 0);
    if (maps.getConfigFlags() !== flags) {
      maps.setConfigFlags(flags);
      this.log.info('datapath switches set', { event: 'datapath-config', redirectNeigh: true, fibDirect: (flags & CFG_F_FIB_DIRECT) !== 0 });
    }
  }

  /** The other nodes' pod CIDRs (not this node's): what the next-hop cache may hold. */
  private remoteCidrs(): string[] {
    const own = new Set(this.node.podCIDRs);
    const out = new Set<string>();
    for (const n of this.site.nodes) if (n.name !== this.node.name) for (const c of n.podCIDRs) if (!own.has(c)) out.add(c);
    return [...out];
  }

  /**
   * The next-hop cache (lib/nexthop.h): the remote pod CIDRs whose kernel route the program can follow without
   * bpf_fib_lookup (nexthops.ts says which), minus those whose route the agent is changing right now. Only while the
   * policy rules are the defaults (the main table decides) and datapath.nexthopCache is on; else emptied.
   */
  private async syncNexthops(uplinks: readonly Device[]): Promise<void> {
    const maps = this.loader.maps();
    if (!this.site.datapath.nexthopCache || !this.rulesDefault) {
      if (this.nexthops.cidrs.length || maps.listNexthops().length) {
        maps.clearNexthops();
        this.log.info('next-hop cache emptied', { event: 'datapath-nexthops',
          why: this.site.datapath.nexthopCache ? 'policy routing rules present' : 'datapath.nexthopCache is false' });
      }
      this.nexthops.clear();
      return;
    }
    const since = this.nexthops.begin();
    const found = await discoverNexthops(this.exec, this.nexthops.remoteCidrs, this.site.clusterCIDRs, uplinks);
    // held-down CIDRs are left out at the moment of writing: a route change may have begun during discovery
    const r = maps.syncNexthops(this.nexthops.admit(found.entries, since));
    if (r.added.length || r.updated.length || r.removed.length) this.log.info('next-hop cache updated', { event: 'datapath-nexthops', ...r });
    const skipped = JSON.stringify(found.skipped);
    if (skipped !== this.lastSkipped) {
      this.lastSkipped = skipped;
      if (found.skipped.length) this.log.info('pod CIDRs left to bpf_fib_lookup', { event: 'datapath-nexthops-skipped', skipped: found.skipped });
    }
  }

  /**
   * The agent is about to change the kernel routes to `dsts` (KernelRoutes.onRoutesChanging): the cached next hops
   * of every remote pod CIDR inside or around them go now, before the kernel changes (their traffic takes
   * bpf_fib_lookup meanwhile), and stay out until a reconciler pass has written change `seq`.
   */
  routesChanging(dsts: readonly string[], seq: number): void {
    if (this.enabled) this.uncache(this.nexthops.changing(dsts, seq), 'debug', 'next hops uncached for a route change');
  }

  /** The kernel's routes to `dsts` changed (a route event): true when cached next hops were dropped for it. */
  private routesChanged(dsts: readonly string[]): boolean {
    return this.enabled && this.uncache(this.nexthops.changed(dsts), 'info', 'next hops uncached: their route changed');
  }

  /** Clears `cidrs` (NexthopHolds has already forgotten them) from the next-hop map; true when there were any. */
  private uncache(cidrs: readonly string[], level: 'debug' | 'info', message: string): boolean {
    if (!cidrs.length || !this.loaded) return false;
    this.guard('maps', () => {
      this.loader.maps().clearNexthops(cidrs);
      this.log[level](message, { event: 'datapath-nexthops-drop', cidrs });
    });
    return true;
  }

  /** A reconciler pass has written every route change up to `seq`: what was held for them may be cached again. */
  routesWritten(seq: number): void {
    if (this.nexthops.written(seq) && this.passing) void this.requestPass();
  }

  /**
   * rr_ingress probes at most POD_LENS_MAX prefix lengths per family (the longest): pod CIDRs of other lengths are
   * still routed, by the kernel. Said once per set of left-out lengths.
   */
  private warnUnprobedLengths(cidrs: Iterable<string>): void {
    const lens: Record<4 | 6, Set<number>> = { 4: new Set(), 6: new Set() };
    for (const text of cidrs) {
      const c = parseCidr(text);
      lens[c.family].add(c.prefixLen);
    }
    const left = ([4, 6] as const).map((f) => [f, [...lens[f]].sort((a, b) => b - a).slice(POD_LENS_MAX)] as const).filter(([, l]) => l.length > 0);
    const key = JSON.stringify(left);
    if (key === this.unprobedWarned) return;
    this.unprobedWarned = key;
    if (left.length > 0) {
      this.log.warn('more pod CIDR prefix lengths than the fast path probes: traffic of the left-out lengths takes the kernel path', {
        event: 'datapath-pod-lengths', limit: POD_LENS_MAX, leftOut: Object.fromEntries(left.map(([f, l]) => [`ipv${f}`, l])),
      });
    }
  }

  /**
   * The endpoint maps: the local pods behind the attached pod veths (traffic to them skips the FIB). An entry
   * whose veth is gone is harmless until removed here (the program checks the device and takes the FIB path).
   */
  private async syncEndpoints(): Promise<void> {
    const endpoints = await discoverEndpoints(this.exec, this.node.podCIDRs, this.pods);
    const r = syncEndpoints(this.loader.maps(), endpoints);
    if (r.added.length || r.updated.length || r.removed.length) this.log.info('endpoint maps updated', { event: 'datapath-endpoints', ...r });
  }

  private async attachAll(uplinks: Device[], pods: Device[]): Promise<boolean> {
    let ok = true;
    const maps = this.loader.maps();
    const want = new Map<number, { dev: Device; role: AttachRole }>();
    for (const d of uplinks) want.set(d.ifindex, { dev: d, role: 'uplink' });
    for (const d of pods) if (!want.has(d.ifindex)) want.set(d.ifindex, { dev: d, role: 'pod' });
    let tc: TcAttachment[];
    try {
      tc = await this.loader.attachments();
    } catch (e) {
      this.fail('attach', e);
      return false;
    }
    // What runs on each device: "id/hook" (two entries while a device moves from tc to tcx).
    const running = new Map<number, Set<string>>();
    for (const a of tc) running.set(a.ifindex, (running.get(a.ifindex) ?? new Set()).add(`${a.programId}/${a.hook}`));
    const flagsOf = new Map(maps.listIfaces().map((i) => [i.ifindex, i.flags]));
    const attachedUplinks: Device[] = [], attachedPods: Device[] = [];
    for (const { dev, role } of want.values()) {
      const flags = IFACE_F_ATTACHED | (role === 'pod' ? IFACE_F_POD : IFACE_F_UPLINK);
      const hook = await this.loader.hookFor(role);
      const now = running.get(dev.ifindex);
      if (now?.size !== 1 || !now.has(`${this.programId}/${hook}`) || flagsOf.get(dev.ifindex) !== flags) {
        try {
          await this.loader.attach(dev.ifname, role);
          this.log.info(`attached at ${hook} ingress`, { event: 'datapath-attach', device: dev.ifname, ifindex: dev.ifindex, role, hook });
        } catch (e) {
          this.fail('attach', e, dev.ifname);
          ok = false;
          continue;
        }
      }
      (role === 'pod' ? attachedPods : attachedUplinks).push(dev);
    }
    this.uplinks = attachedUplinks;
    this.pods = attachedPods;

    // What is attached (or remembered) but no longer wanted: a pod veth gone, an uplink no longer one.
    const stale = new Set<number>([...flagsOf.keys(), ...running.keys()].filter((i) => !want.has(i)));
    if (!stale.size) return ok;
    let names: Map<number, string>;
    try {
      names = new Map((await listLinks(this.exec)).map((l) => [l.ifindex, l.ifname]));
    } catch (e) {
      this.fail('detach', e);
      return false;
    }
    for (const ifindex of stale) {
      const name = names.get(ifindex);
      try {
        if (name) await this.loader.detach(name);
        else maps.deleteIface(ifindex);
        this.log.info(name ? 'detached: no longer an uplink or a pod veth' : 'forgot a device that is gone',
          { event: 'datapath-detach', device: name ?? null, ifindex });
      } catch (e) {
        this.fail('detach', e, name);
        ok = false;
      }
    }
    return ok;
  }

  /** Detach our filter everywhere in this namespace and remove the pins (withdraw, or the fast path turned off). */
  private async removeAll(why: string): Promise<void> {
    const tc = await this.loader.attachments();
    for (const ifname of new Set(tc.map((a) => a.ifname))) await this.loader.unhook(ifname);
    const pinned = existsSync(join(this.pinDir, 'progs'));
    this.loader.close();
    this.loaded = false;
    removePins(this.pinDir);
    this.uplinks = [];
    this.pods = [];
    if (tc.length || pinned) {
      this.log.info('fast path removed from this node', { event: 'datapath-remove', why, detached: tc.map((a) => a.ifname), pinDir: this.pinDir });
    }
  }

  // ---- errors: logged (once per new message), counted, and the pass retried --------------------------------

  private fail(stage: DatapathStage, e: unknown, device?: string): void {
    const message = e instanceof Error ? e.message : String(e);
    this.errors[stage]++;
    this.lastError = { stage, message: device ? `${device}: ${message}` : message, at: new Date().toISOString() };
    const fields = { event: 'datapath-error', stage, ...(device ? { device } : {}), error: message, count: this.errors[stage] };
    if (this.lastMessage.get(stage) !== message) this.log.warn('datapath: will retry', fields);
    else this.log.debug('datapath: will retry', fields);
    this.lastMessage.set(stage, message);
  }

  private guard(stage: DatapathStage, fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (e) {
      this.fail(stage, e);
      return false;
    }
  }

  private async guardAsync(stage: DatapathStage, fn: () => Promise<void>): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (e) {
      this.fail(stage, e);
      return false;
    }
  }
}
