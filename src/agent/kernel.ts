// The agent's kernel side: the route planner's output kept in the kernel FIB by the reconciler (routes tagged with
// rackroute's protocol number, ECMP as multipath routes, drift repaired, foreign routes never touched), and the
// tunnel (VXLAN / IP-in-IP) that carries the destinations the fabric does not route, set up before the routes
// through it.
import { FibReconciler, NetlinkFib, RTPROT_RACKROUTE, type FibView, type Route } from '../dataplane/netlink/index.js';
import type { LocRibChange } from '../bgp/rib/index.js';
import { RoutePlanner, type PlanDelta, type PlannedRoute, type TransportMove, type TransportSummary } from '../routing/planner.js';
import { membershipOf } from '../routing/membership.js';
import { TunnelManager, type TunnelManagerStatus } from '../dataplane/tunnel/manager.js';
import type { TunnelFactory } from '../dataplane/tunnel/port.js';
import type { RouteView, RoutesResponse } from '../api/types.js';
import type { FibConfig, NodeConfig, SiteConfig } from '../config/types.js';
import type { Logger } from '../util/log.js';

export class KernelRoutes {
  readonly planner: RoutePlanner;
  private started = false;
  private readonly tunnels: TunnelManager;
  /** the destinations routed through IP-in-IP now */
  private readonly ipipDsts = new Set<string>();

  private constructor(
    private readonly fib: NetlinkFib,
    private readonly reconciler: FibReconciler,
    private readonly table: number,
    private readonly log: Logger,
    intervalMs: number,
    ebpfIpip?: TunnelFactory,
  ) {
    this.planner = new RoutePlanner({ onMove: (m) => this.moved(m), waitForFabric: true });
    this.tunnels = new TunnelManager({
      log: log.child({ component: 'tunnel' }), intervalMs, ...(ebpfIpip ? { ebpfIpip } : {}),
      // a (re)created device has a new ifindex: resolve the routes through it again, now
      onDeviceChanged: () => void this.fib.refreshLinks().then(() => this.reconciler.trigger(), () => this.reconciler.trigger()),
    });
  }

  private moved(m: TransportMove): void {
    this.log.info('route moved', { event: 'transport-move', dst: m.dst, node: m.node, from: m.from, to: m.to, reason: m.reason });
  }

  /**
   * The site's membership and modes (at start, before any route, and on every reload): the tunnel first (device,
   * FDB, neighbours), then the routes that use it.
   */
  async setSite(site: SiteConfig, node: NodeConfig): Promise<void> {
    const spec = await this.tunnels.configure(site, node);
    await this.fib.refreshLinks().catch(() => undefined);
    this.apply(this.planner.setMembership(membershipOf(site, node), spec));
  }

  /** The BGP sessions had their chance: auto may tunnel what the fabric does not route. */
  fabricSettled(why: string): void {
    const d = this.planner.settle();
    if (d.upserts.length) this.log.info('fabric settled: tunnel routes for the destinations it does not route', { event: 'fabric-settled', why, tunnelled: d.upserts.length });
    this.apply(d);
  }

  transportStatus(): TransportSummary & { readonly tunnels: TunnelManagerStatus } {
    return { ...this.planner.summary(), tunnels: this.tunnels.status() };
  }

  /** The Loc-RIB view plus the routes the Loc-RIB does not have (tunnel routes to pod CIDRs nobody announces). */
  decorateRoutes(r: RoutesResponse, peer: string | undefined): RoutesResponse {
    const listed = new Set(r.routes.map((x) => x.prefix));
    const extra: RouteView[] = peer ? [] : this.planner.all()
      .filter((p) => (p.transport === 'vxlan' || p.transport === 'ipip') && !listed.has(p.dst))
      .map((p) => ({ prefix: p.dst, family: p.dst.includes(':') ? 'ipv6' : 'ipv4', paths: [], transport: p.transport }));
    const routes = [...r.routes, ...extra].map((x) => {
      const w = this.planner.whyOf(x.prefix);
      return w ? { ...x, transportReason: w } : x;
    });
    return { ...r, routes, total: routes.length };
  }

  static async open(config: FibConfig, log: Logger, ebpfIpip?: TunnelFactory): Promise<KernelRoutes> {
    const fib = await NetlinkFib.open();
    const reconciler = new FibReconciler({
      fib,
      intervalMs: config.reconcileInterval * 1000,
      // a Loc-RIB change reaches the kernel this soon (a move to the tunnel is a loss window while it waits)
      debounceMs: 50,
      tables: [config.table],
      watch: true,
      logger: log.child({ component: 'fib' }),
    });
    return new KernelRoutes(fib, reconciler, config.table, log, config.reconcileInterval * 1000, ebpfIpip);
  }

  private readonly changingListeners: ((dsts: readonly string[], seq: number) => void)[] = [];

  /**
   * Routes to `dsts` are about to change in the kernel: called before any reconciler pass can write them, with the
   * change number that onWritten reports once a pass has. The eBPF next-hop cache drops its copies here.
   */
  onRoutesChanging(l: (dsts: readonly string[], seq: number) => void): void {
    this.changingListeners.push(l);
  }

  /** A reconciler pass has written every change up to `seq` (see onRoutesChanging). */
  onWritten(l: (seq: number) => void): void {
    this.reconciler.onPass(l);
  }

  /** Routes of ours already in the kernel: the agent is restarting, and must not flush them before End-of-RIB. */
  async ownRoutesInKernel(): Promise<number> {
    let n = 0;
    for (const family of [4, 6] as const) {
      await this.fib.scan(family, (r) => {
        if (r.protocol === RTPROT_RACKROUTE && r.table === this.table) n++;
      });
    }
    return n;
  }

  private toRoute(r: PlannedRoute): Route {
    return { dst: r.dst, table: this.table, type: r.type, metric: r.metric, ...(r.nexthops ? { nexthops: r.nexthops } : {}), ...(r.mtu ? { mtu: r.mtu } : {}) };
  }

  private apply(d: PlanDelta): void {
    // eBPF IP-in-IP encapsulates by destination (its maps), not by route: tell it before the routes change
    let changed = false;
    const mark = (dst: string, ipip: boolean): void => {
      if (ipip === this.ipipDsts.has(dst)) return;
      if (ipip) this.ipipDsts.add(dst);
      else this.ipipDsts.delete(dst);
      changed = true;
    };
    for (const r of d.removes) mark(r.dst, false);
    for (const r of d.upserts) mark(r.dst, r.transport === 'ipip');
    if (changed) this.tunnels.setRoutes([...this.ipipDsts]);
    for (const r of d.removes) this.reconciler.remove(this.toRoute(r));
    let pending = false;
    for (const r of d.upserts) {
      try {
        this.reconciler.upsert(this.toRoute(r));
      } catch (e) {
        // a tunnel device not there yet: the reconciler keeps the route and retries it at each pass
        pending = true;
        this.log.debug('route waits for its device', { dst: r.dst, error: (e as Error).message });
      }
    }
    // Before any pass can write them (the reconciler writes only in a pass, after an await): the listeners drop
    // what they derived from the routes being replaced, and learn the change number onWritten will report.
    if (this.changingListeners.length && (d.removes.length || d.upserts.length)) {
      const dsts = [...d.removes, ...d.upserts].map((r) => r.dst);
      for (const l of this.changingListeners) l(dsts, this.reconciler.changeSeq);
    }
    if (pending && this.started) this.reconciler.trigger();
  }

  setOwn(prefixes: readonly string[]): void {
    this.apply(this.planner.setOwn(prefixes));
  }

  onChanges(changes: readonly LocRibChange[]): void {
    this.apply(this.planner.apply(changes));
  }

  /** Starts converging the kernel (at once, or after End-of-RIB on a restart). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.reconciler.start();
    this.log.info('kernel FIB reconciler started', { event: 'fib-start', desired: this.planner.all().length });
  }

  view(onlyDrift: boolean): Promise<FibView> {
    return this.reconciler.view({ onlyDrift });
  }

  /** restart: routes stay in the kernel. withdraw: the node leaves, its routes go. */
  async stop(mode: 'restart' | 'withdraw'): Promise<void> {
    if (mode === 'withdraw' && this.started) {
      this.reconciler.setDesired([]);
      await this.reconciler.reconcile().catch(() => undefined);
    }
    await this.reconciler.stop();
    await this.tunnels.stop(mode);
    this.fib.close();
  }
}
