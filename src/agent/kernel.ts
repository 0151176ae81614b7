// The agent's kernel side: the route planner's output kept in the kernel FIB by the reconciler (routes tagged with
// rackroute's protocol number, ECMP as multipath routes, drift repaired, foreign routes never touched).
import { FibReconciler, NetlinkFib, RTPROT_RACKROUTE, type FibView, type Route } from '../dataplane/netlink/index.js';
import type { LocRibChange } from '../bgp/rib/index.js';
import { RoutePlanner, type PlanDelta, type PlannedRoute } from '../routing/planner.js';
import type { FibConfig } from '../config/types.js';
import type { Logger } from '../util/log.js';

export class KernelRoutes {
  readonly planner = new RoutePlanner();
  private started = false;

  private constructor(
    private readonly fib: NetlinkFib,
    private readonly reconciler: FibReconciler,
    private readonly table: number,
    private readonly log: Logger,
  ) {}

  static async open(config: FibConfig, log: Logger): Promise<KernelRoutes> {
    const fib = await NetlinkFib.open();
    const reconciler = new FibReconciler({
      fib,
      intervalMs: config.reconcileInterval * 1000,
      tables: [config.table],
      watch: true,
      logger: log.child({ component: 'fib' }),
    });
    return new KernelRoutes(fib, reconciler, config.table, log);
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
    for (const r of d.removes) this.reconciler.remove(this.toRoute(r));
    for (const r of d.upserts) this.reconciler.upsert(this.toRoute(r));
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

  counters(): ReturnType<FibReconciler['counters']> {
    return this.reconciler.counters();
  }

  /** restart: routes stay in the kernel. withdraw: the node leaves, its routes go. */
  async stop(mode: 'restart' | 'withdraw'): Promise<void> {
    if (mode === 'withdraw' && this.started) {
      this.reconciler.setDesired([]);
      await this.reconciler.reconcile().catch(() => undefined);
    }
    await this.reconciler.stop();
    this.fib.close();
  }
}
