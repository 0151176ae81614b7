// The agent of one node: reads the site file, runs the BGP speaker, serves the admin API, reloads on SIGHUP or
// when the file changes (keeping the last good config when the new one is bad), and stops on SIGTERM.
import { watch, type FSWatcher } from 'node:fs';
import http from 'node:http';
import { basename, dirname, resolve } from 'node:path';
import { ApiError, ApiServer, DEFAULT_SOCKET } from '../api/server.js';
import { createMetrics } from '../api/metrics.js';
import { ConfigError, diffConfigs, formatIssue, loadSiteFile, peersOf, selectNode } from '../config/index.js';
import type { NodeConfig, SiteConfig } from '../config/types.js';
import { BgpSpeaker } from '../bgp/speaker/speaker.js';
import { createLogger, type Logger } from '../util/log.js';
import { KernelRoutes } from './kernel.js';
import { AgentDatapath } from './datapath.js';
import { ebpfIpipFactory } from '../dataplane/tunnel/ipip-ebpf.js';

export type ShutdownMode = 'restart' | 'withdraw';

export interface AgentOptions {
  readonly configPath: string;
  readonly nodeName?: string;
  /** Overrides the site file's api.socket. */
  readonly socketPath?: string;
  /** What SIGTERM does: restart (routes stay, no Cease) or withdraw (take the node out). */
  readonly shutdownMode: ShutdownMode;
  readonly logger?: Logger;
  /** Watch the site file and reload on change (besides SIGHUP). */
  readonly watch?: boolean;
}

export class Agent {
  private site!: SiteConfig;
  private node!: NodeConfig;
  private speaker!: BgpSpeaker;
  private kernel?: KernelRoutes;
  private datapath?: AgentDatapath; // the eBPF fast path (datapath.ts): after the kernel FIB at start, before it at stop
  private readonly api = new ApiServer();
  private metricsServer?: http.Server;
  private watcher?: FSWatcher;
  private reloadTimer?: NodeJS.Timeout;
  private readonly log: Logger;
  private stopping?: Promise<void>;
  readonly socketPath: string;
  private readonly signalHandlers: Array<[NodeJS.Signals, () => void]> = [];

  constructor(private readonly opts: AgentOptions) {
    this.log = opts.logger ?? createLogger();
    const { config } = loadSiteFile(opts.configPath); // throws ConfigError: the agent refuses to start on a bad file
    this.site = config;
    this.applyLogLevel();
    this.node = selectNode(config, opts.nodeName);
    this.socketPath = opts.socketPath ?? (config.api.socket || DEFAULT_SOCKET);
  }

  async start(): Promise<void> {
    const log = this.log;
    log.info('starting', { event: 'start', node: this.node.name, site: this.site.site, asn: this.node.asn, routerId: this.node.routerId });
    // Our routes already in the kernel mean a restart: keep them (and say so in the graceful-restart capability)
    // until every peer has sent End-of-RIB, then remove only what is stale.
    let restarting = false;
    // eBPF fast path: made now so that it hears of every kernel route change (its next-hop cache follows them);
    // started after the kernel FIB below (it forwards by the FIB).
    const datapath = new AgentDatapath({ site: this.site, node: this.node, logger: log });
    this.datapath = datapath;
    if (this.site.fib.install) {
      // IP-in-IP by eBPF where the kernel has no ipip driver (ipip.implementation auto|ebpf)
      const ebpfIpip = ebpfIpipFactory({ uplinks: this.site.datapath.uplinks, log: log.child({ component: 'tunnel' }) });
      this.kernel = await KernelRoutes.open(this.site.fib, log, ebpfIpip);
      this.kernel.onRoutesChanging((dsts, seq) => datapath.routesChanging(dsts, seq));
      this.kernel.onWritten((seq) => datapath.routesWritten(seq));
      const adopted = await this.kernel.ownRoutesInKernel();
      restarting = adopted > 0;
      if (restarting) log.info('restarting: kernel routes kept until End-of-RIB', { event: 'restart-adopt', routes: adopted });
      this.kernel.setOwn([...this.node.podCIDRs, ...this.node.serviceVIPs]);
      await this.kernel.setSite(this.site, this.node); // tunnels before the routes through them
    }
    this.speaker = new BgpSpeaker({ site: this.site, node: this.node, logger: log, restarting });
    const kernel = this.kernel;
    const peers = peersOf(this.site, this.node);
    if (kernel) this.speaker.onChanges((changes) => kernel.onChanges(changes));
    this.speaker.start(peers);
    if (kernel) {
      // auto: tunnel routes once the sessions had their chance (End-of-RIB, or 10 s), at once without BGP peers
      void (peers.length ? this.speaker.whenConverged(10_000) : Promise.resolve('no-peers' as const)).then((why) => kernel.fabricSettled(why));
      if (!restarting) kernel.start();
      else {
        void this.speaker.whenConverged(this.site.bgp.gracefulRestart.restartTime * 1000).then((why) => {
          log.info('restart: routing converged, kernel routes reconciled', { event: 'restart-converged', why });
          this.speaker.restartComplete();
          kernel.start();
        });
      }
    }
    try {
      const at = await this.speaker.listen();
      if (at) log.info('listening for BGP', { event: 'listen', ...at });
    } catch (e) {
      // The agent can run beside another BGP daemon: dialling out still works.
      log.error('not listening for BGP', { event: 'listen-failed', error: (e as Error).message });
    }
    // never throws: errors are retried in datapath.ts
    await datapath.start();
    this.routes();
    await this.api.listen(this.socketPath);
    log.info('admin API listening', { event: 'api', socket: this.socketPath });
    if (this.site.metrics.enabled && this.site.metrics.address) await this.startMetrics(this.site.metrics.address);
    const on = (sig: NodeJS.Signals, fn: () => void): void => {
      process.on(sig, fn);
      this.signalHandlers.push([sig, fn]);
    };
    on('SIGHUP', () => this.reload('SIGHUP'));
    on('SIGTERM', () => void this.stop(this.opts.shutdownMode).then(() => process.exit(0)));
    on('SIGINT', () => void this.stop(this.opts.shutdownMode).then(() => process.exit(0)));
    if (this.opts.watch ?? true) {
      // Watch the directory, not the file: editors replace files by rename, which a watch on the file would miss.
      const file = basename(this.opts.configPath);
      this.watcher = watch(dirname(resolve(this.opts.configPath)), (_event, name) => {
        if (name !== null && name !== file) return;
        clearTimeout(this.reloadTimer);
        this.reloadTimer = setTimeout(() => this.reload('file changed'), 300);
      });
    }
  }

  private routes(): void {
    const metrics = createMetrics(() => this.speaker);
    this.api
      .on('GET', '/v1/status', () => ({ ...this.speaker.status(), ...(this.kernel ? { transport: this.kernel.transportStatus() } : {}) }))
      .on('GET', '/v1/routes', (r) => {
        const peer = r.query.get('peer') ?? undefined;
        const view = this.speaker.routes({ peer, detail: r.query.has('detail'), transport: (_f, prefix) => this.kernel?.planner.transportOf(prefix) });
        return this.kernel ? this.kernel.decorateRoutes(view, peer) : view;
      })
      .on('GET', '/v1/fib', (r) => {
        if (!this.kernel) throw new ApiError(409, 'the kernel FIB is not managed here (fib.install is false)');
        return this.kernel.view(r.query.has('drift'));
      })
      .on('GET', '/v1/neighbors/:peer', (r) => this.call(() => this.speaker.neighbor(r.params.peer)))
      .on('POST', '/v1/neighbors/:peer/refresh', (r) => this.call(() => ({ ok: true, peer: r.params.peer, detail: this.speaker.refresh(r.params.peer) })))
      .on('POST', '/v1/neighbors/:peer/shutdown', async (r) => {
        const message = typeof (r.body as { message?: unknown } | undefined)?.message === 'string' ? (r.body as { message: string }).message : '';
        if (Buffer.byteLength(message) > 255) throw new ApiError(400, 'shutdown message: at most 255 bytes of UTF-8 (RFC 9003)');
        return { ok: true, peer: r.params.peer, detail: await this.call(() => this.speaker.shutdown(r.params.peer, message)) };
      })
      .on('POST', '/v1/neighbors/:peer/start', (r) => this.call(() => ({ ok: true, peer: r.params.peer, detail: this.speaker.startPeer(r.params.peer) })))
      .on('GET', '/v1/counts', () => this.speaker.counts())
      .on('POST', '/v1/reload', () => ({ ok: this.reload('API'), config: this.site.file }))
      .raw('/metrics', async () => ({ type: metrics.contentType, body: await metrics.metrics() }));
    this.metricsRegistry = metrics;
    this.api.on('GET', '/v1/datapath', () => this.datapath?.status() ?? Promise.reject(new ApiError(503, 'the datapath is not started yet')));
    this.datapath?.registerMetrics(metrics);
  }

  private metricsRegistry?: ReturnType<typeof createMetrics>;

  /** Read-only Prometheus endpoint over TCP: GET /metrics and nothing else. */
  private async startMetrics(address: string): Promise<void> {
    const m = /^(.*):(\d+)$/.exec(address);
    if (!m) return;
    const server = http.createServer(async (req, res) => {
      if (req.method !== 'GET' || req.url !== '/metrics' || !this.metricsRegistry) {
        res.writeHead(req.method === 'GET' ? 404 : 405).end();
        return;
      }
      res.writeHead(200, { 'content-type': this.metricsRegistry.contentType }).end(await this.metricsRegistry.metrics());
    });
    await new Promise<void>((resolve) => {
      server.once('error', (e) => {
        this.log.error('metrics endpoint not started', { event: 'metrics', address, error: (e as Error).message });
        resolve();
      });
      server.listen(Number(m[2]), m[1].replace(/^\[|\]$/g, ''), () => resolve());
    });
    this.metricsServer = server;
  }

  private async call<T>(fn: () => T | Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status) throw new ApiError(status, (e as Error).message);
      throw e;
    }
  }

  /** The site file's `log.level`, unless RACKROUTE_LOG_LEVEL (set by whoever runs the agent) says otherwise. */
  private applyLogLevel(): void {
    if (!process.env.RACKROUTE_LOG_LEVEL) this.log.level = this.site.log.level;
  }

  /** Applies the site file again; a bad file is reported (file:line:column) and the running config kept. */
  reload(why: string): boolean {
    let next: SiteConfig;
    let node: NodeConfig;
    try {
      next = loadSiteFile(this.opts.configPath).config;
      node = selectNode(next, this.node.name);
    } catch (e) {
      const issues = e instanceof ConfigError ? e.errors.map(formatIssue) : [(e as Error).message];
      this.log.error('reload refused: keeping the running configuration', { event: 'reload-failed', why, errors: issues });
      return false;
    }
    const diff = diffConfigs(this.site, next, this.node.name);
    const before = new Map(peersOf(this.site, this.node).map((p) => [p.address, p]));
    const after = new Map(peersOf(next, node).map((p) => [p.address, p]));
    this.site = next;
    this.node = node;
    this.applyLogLevel();
    this.speaker.setConfig(next, node);
    void this.kernel?.setSite(next, node).catch((e: Error) => this.log.error('reload: tunnels and routes not updated', { event: 'reload-kernel', error: e.message }));
    this.datapath?.update(next, node);
    if (diff.empty) {
      this.log.info('reload: nothing changed', { event: 'reload', why });
      return true;
    }
    for (const a of diff.peers.removed) void this.speaker.removePeer(a.address);
    for (const c of diff.peers.changed) {
      const p = after.get(c.address);
      if (!p) continue;
      if (c.reset) {
        void this.speaker.removePeer(c.address, 'configuration changed').then(() => this.speaker.addPeer(p));
      } else {
        this.speaker.updatePolicies(p);
      }
    }
    for (const a of diff.peers.added) {
      const p = after.get(a.address);
      if (p && !before.has(a.address)) this.speaker.addPeer(p);
    }
    for (const address of diff.policyRefresh) {
      const p = after.get(address);
      if (p && !diff.peers.changed.some((c) => c.address === address)) this.speaker.updatePolicies(p);
    }
    if (diff.podCIDRs.added.length || diff.podCIDRs.removed.length || diff.serviceVIPs.added.length || diff.serviceVIPs.removed.length) {
      this.speaker.originate([...node.podCIDRs, ...node.serviceVIPs]);
      this.kernel?.setOwn([...node.podCIDRs, ...node.serviceVIPs]);
    }
    this.log.info('reloaded', {
      event: 'reload', why,
      peersAdded: diff.peers.added.map((p) => p.address), peersRemoved: diff.peers.removed.map((p) => p.address),
      peersChanged: diff.peers.changed.map((p) => p.address), podCIDRs: diff.podCIDRs,
      ...(diff.restartRequired.length ? { restartRequired: diff.restartRequired } : {}),
    });
    return true;
  }

  stop(mode: ShutdownMode): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info('stopping', { event: 'stop', mode });
      this.watcher?.close();
      clearTimeout(this.reloadTimer);
      for (const [sig, fn] of this.signalHandlers) process.off(sig, fn);
      await this.speaker.stop(mode);
      await this.datapath?.stop(mode);
      await this.kernel?.stop(mode);
      await this.api.close();
      this.metricsServer?.close();
      this.log.info('stopped', { event: 'stopped', mode });
    })();
    return this.stopping;
  }
}
