// The route planner: Loc-RIB + the node's own prefixes -> the kernel routes the node should have. Pure.
//   - a learned prefix: one route whose next hops are the multipath set's next hops (ECMP across the ToRs);
//   - the node's own pod CIDRs (and VIPs): a blackhole route, so a packet for an absent pod never leaves the node
//     (the pods' own /32 and /128 routes, more specific, still win);
//   - every route records its transport. Today that is `native`; the encapsulation fallback adds vxlan and ipip.
import { formatPrefix, LOCAL_PEER, type LocRibChange } from '../bgp/rib/index.js';

export type Transport = 'native' | 'vxlan' | 'ipip' | 'local';

export interface PlannedHop {
  readonly gateway: string;
  readonly dev?: string;
  readonly onlink?: boolean;
}

/** The planner's route: shaped like the FIB layer's Route (plain data), plus its transport. */
export interface PlannedRoute {
  readonly dst: string;
  readonly type: 'unicast' | 'blackhole';
  readonly nexthops?: readonly PlannedHop[];
  readonly metric: number;
  readonly mtu?: number;
  readonly transport: Transport;
}

export interface PlanDelta {
  readonly upserts: readonly PlannedRoute[];
  readonly removes: readonly PlannedRoute[];
}

export interface PlannerOptions {
  /** Metric of our routes (FRR's zebra uses 20 for eBGP). */
  readonly metric?: number;
}

const sameRoute = (a: PlannedRoute, b: PlannedRoute): boolean =>
  a.type === b.type && a.metric === b.metric && a.mtu === b.mtu && a.transport === b.transport &&
  JSON.stringify(a.nexthops ?? []) === JSON.stringify(b.nexthops ?? []);

export class RoutePlanner {
  private readonly routes = new Map<string, PlannedRoute>();
  private own = new Set<string>();
  private readonly metric: number;

  constructor(opts: PlannerOptions = {}) {
    this.metric = opts.metric ?? 20;
  }

  /** The node's own prefixes (blackholed). Returns what changed. */
  setOwn(prefixes: readonly string[]): PlanDelta {
    const upserts: PlannedRoute[] = [];
    const removes: PlannedRoute[] = [];
    const next = new Set(prefixes);
    for (const p of this.own) {
      if (next.has(p)) continue;
      const r = this.routes.get(p);
      if (r?.transport === 'local') {
        this.routes.delete(p);
        removes.push(r);
      }
    }
    for (const p of next) {
      const r: PlannedRoute = { dst: p, type: 'blackhole', metric: this.metric, transport: 'local' };
      const old = this.routes.get(p);
      if (old && sameRoute(old, r)) continue;
      this.routes.set(p, r);
      upserts.push(r);
    }
    this.own = next;
    return { upserts, removes };
  }

  /** Applies a batch of Loc-RIB changes. */
  apply(changes: readonly LocRibChange[]): PlanDelta {
    const upserts: PlannedRoute[] = [];
    const removes: PlannedRoute[] = [];
    for (const c of changes) {
      const dst = formatPrefix(c.prefix);
      if (this.own.has(dst)) continue; // our own prefix: the blackhole stays whatever the fabric says
      const old = this.routes.get(dst);
      const learned = c.best !== null && c.best.peer !== LOCAL_PEER ? c.multipath.filter((p) => p.peer !== LOCAL_PEER) : [];
      const hops = [...new Set(learned.map((p) => p.attrs.nextHop).filter((h) => h !== ''))].sort().map((gateway) => ({ gateway }));
      if (hops.length === 0) {
        if (old) {
          this.routes.delete(dst);
          removes.push(old);
        }
        continue;
      }
      const r: PlannedRoute = { dst, type: 'unicast', nexthops: hops, metric: this.metric, transport: 'native' };
      if (old && sameRoute(old, r)) continue;
      this.routes.set(dst, r);
      upserts.push(r);
    }
    return { upserts, removes };
  }

  all(): PlannedRoute[] {
    return [...this.routes.values()];
  }

  transportOf(dst: string): Transport | undefined {
    return this.routes.get(dst)?.transport;
  }
}
