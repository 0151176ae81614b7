// The route planner: Loc-RIB + the node's own prefixes + the site's membership -> the kernel routes the node
// should have, each with its transport. Pure.
//   - a learned prefix: one route whose next hops are the multipath set's next hops (ECMP across the ToRs);
//   - the node's own pod CIDRs (and VIPs): a blackhole route, so a packet for an absent pod never leaves the node
//     (the pods' own /32 and /128 routes, more specific, still win);
//   - another node's pod CIDR: native or through the tunnel to that node, as transport.ts decides from the mode
//     and the Loc-RIB. A move between the two is one route replace of the same prefix (make before break: the
//     reconciler sends RTM_NEWROUTE with NLM_F_REPLACE, never a delete then an add), reported once to `onMove`.
import { formatPrefix, LOCAL_PEER, type LocRibChange } from '../bgp/rib/index.js';
import {
  chooseTransport, familyOf, inSubnets, moveReason, type Choice, type ChoiceWhy, type Encapsulation, type Member,
  type Membership, type TunnelSpec,
} from './transport.js';

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

/** A destination that changed transport (native <-> tunnel, or tunnel kind). */
export interface TransportMove {
  readonly dst: string;
  readonly node: string;
  readonly from: Transport;
  readonly to: Transport;
  /** fabric-withdrew, fabric-routes-again, mode always, node-left... */
  readonly reason: string;
}

export interface PlannerOptions {
  /** Metric of our routes (FRR's zebra uses 20 for eBGP). */
  readonly metric?: number;
  /** Called once per transport move. */
  readonly onMove?: (m: TransportMove) => void;
  /**
   * auto: plan no tunnel route for lack of a BGP path until settle() (the sessions' End-of-RIB), so a starting
   * node does not tunnel everything for the seconds its sessions take and then move it all back.
   */
  readonly waitForFabric?: boolean;
}

export interface TransportSummary {
  readonly mode: Encapsulation | null;
  readonly tunnel: string | null;
  /** routes by transport */
  readonly routes: Readonly<Record<Transport, number>>;
  /** moves since start, and by reason */
  readonly moves: number;
  readonly movesByReason: Readonly<Record<string, number>>;
  /** per other node: the transport of its pod CIDRs (IPv4 first) and why */
  readonly nodes: readonly { readonly node: string; readonly address: string; readonly transport: string; readonly why: string }[];
}

const sameRoute = (a: PlannedRoute, b: PlannedRoute): boolean =>
  a.type === b.type && a.metric === b.metric && a.mtu === b.mtu && a.transport === b.transport &&
  JSON.stringify(a.nexthops ?? []) === JSON.stringify(b.nexthops ?? []);

const choiceOf = (t: Transport | undefined): Choice => (t === undefined || t === 'local' ? 'none' : t === 'native' ? 'native' : 'tunnel');

export class RoutePlanner {
  private readonly routes = new Map<string, PlannedRoute>();
  private own = new Set<string>();
  private readonly metric: number;
  private readonly onMove: (m: TransportMove) => void;
  /** what the Loc-RIB offers per prefix (next hops, sorted); absent: no BGP path */
  private readonly learned = new Map<string, readonly PlannedHop[]>();
  /** pod CIDR -> the node owning it */
  private owners = new Map<string, Member>();
  private membership: Membership | null = null;
  private tunnel: TunnelSpec | null = null;
  private nodeAddresses = new Set<string>();
  private readonly why = new Map<string, ChoiceWhy>();
  private moves = 0;
  private readonly movesByReason: Record<string, number> = {};
  private settled: boolean;

  constructor(opts: PlannerOptions = {}) {
    this.metric = opts.metric ?? 20;
    this.onMove = opts.onMove ?? (() => undefined);
    this.settled = opts.waitForFabric !== true;
  }

  /** The fabric had its chance (End-of-RIB from the peers, or a timeout): auto may now tunnel what it lacks. */
  settle(): PlanDelta {
    if (this.settled) return { upserts: [], removes: [] };
    this.settled = true;
    return this.replan(new Set([...this.routes.keys(), ...this.learned.keys(), ...this.owners.keys()]), false);
  }

  /** The node's own prefixes (blackholed). Returns what changed. */
  setOwn(prefixes: readonly string[]): PlanDelta {
    const touched = new Set([...this.own, ...prefixes]);
    this.own = new Set(prefixes);
    return this.replan(touched, false);
  }

  /**
   * The site's other nodes and this node's mode, and how tunnel routes look (null: no tunnel available). Called
   * at start and on every reload; replans every destination.
   */
  setMembership(m: Membership | null, tunnel: TunnelSpec | null): PlanDelta {
    const before = this.membership;
    const oldOwners = this.owners;
    this.membership = m;
    this.tunnel = tunnel;
    this.owners = new Map();
    for (const member of m?.members ?? []) for (const p of member.podCIDRs) this.owners.set(p, member);
    this.nodeAddresses = new Set((m?.members ?? []).map((x) => x.address));
    const touched = new Set([...this.routes.keys(), ...this.learned.keys(), ...this.owners.keys(), ...oldOwners.keys()]);
    return this.replan(touched, before !== null && m !== null && before.mode !== m.mode, oldOwners);
  }

  /** Applies a batch of Loc-RIB changes. */
  apply(changes: readonly LocRibChange[]): PlanDelta {
    const touched = new Set<string>();
    for (const c of changes) {
      const dst = formatPrefix(c.prefix);
      if (this.own.has(dst)) continue; // our own prefix: the blackhole stays whatever the fabric says
      const learned = c.best !== null && c.best.peer !== LOCAL_PEER ? c.multipath.filter((p) => p.peer !== LOCAL_PEER) : [];
      const hops = [...new Set(learned.map((p) => p.attrs.nextHop).filter((h) => h !== ''))].sort().map((gateway) => ({ gateway }));
      if (hops.length === 0) this.learned.delete(dst);
      else this.learned.set(dst, hops);
      touched.add(dst);
    }
    return this.replan(touched, false);
  }

  /**
   * A BGP path the fabric can carry. Not one whose next hops are all other nodes' underlay addresses outside this
   * node's rack subnets: that is an iBGP mesh path (the fabric does not route pod CIDRs there, and the kernel
   * cannot reach such a next hop directly).
   */
  private fabricHops(dst: string): readonly PlannedHop[] | undefined {
    const hops = this.learned.get(dst);
    if (!hops || !this.membership) return hops;
    const subnets = this.membership.localSubnets;
    const usable = hops.filter((h) => !(this.nodeAddresses.has(h.gateway) && !inSubnets(h.gateway, subnets)));
    return usable.length ? usable : undefined;
  }

  private plan(dst: string): { route?: PlannedRoute; why?: ChoiceWhy; node?: Member } {
    if (this.own.has(dst)) return { route: { dst, type: 'blackhole', metric: this.metric, transport: 'local' } };
    const owner = this.owners.get(dst);
    const m = this.membership;
    const native = (hops: readonly PlannedHop[] | undefined): PlannedRoute | undefined =>
      hops ? { dst, type: 'unicast', nexthops: hops, metric: this.metric, transport: 'native' } : undefined;
    if (!owner || !m) {
      const route = native(this.learned.get(dst));
      return route ? { route, why: 'not-a-node' } : {};
    }
    const fabric = this.fabricHops(dst);
    const hop = this.tunnel?.hop(owner, familyOf(dst));
    const { choice, why } = chooseTransport({
      mode: m.mode, sameSubnet: inSubnets(owner.address, m.localSubnets), fabricPath: fabric !== undefined, tunnel: hop !== undefined,
    });
    if (choice === 'native') return { route: native(fabric), why, node: owner };
    if (choice === 'none' || !hop || !this.tunnel) return { why, node: owner };
    if (why === 'fabric-no-path' && !this.settled) return { why: 'waiting-for-fabric', node: owner };
    const mtu = Math.min(m.mtu, owner.mtu) - this.tunnel.overhead;
    return {
      route: { dst, type: 'unicast', nexthops: [{ gateway: hop.gateway, dev: hop.dev, onlink: true }], metric: this.metric, mtu, transport: this.tunnel.kind },
      why, node: owner,
    };
  }

  private replan(dsts: Iterable<string>, modeChanged: boolean, oldOwners?: ReadonlyMap<string, Member>): PlanDelta {
    const upserts: PlannedRoute[] = [];
    const removes: PlannedRoute[] = [];
    for (const dst of dsts) {
      const old = this.routes.get(dst);
      const { route, why, node } = this.plan(dst);
      if (why) this.why.set(dst, why);
      else this.why.delete(dst);
      if (!route) {
        if (old) {
          this.routes.delete(dst);
          removes.push(old);
        }
        continue;
      }
      if (old && sameRoute(old, route)) continue;
      this.routes.set(dst, route);
      upserts.push(route);
      const from = choiceOf(old?.transport);
      const to = choiceOf(route.transport);
      if (old && from !== 'none' && to !== 'none' && old.transport !== route.transport) {
        let reason = moveReason(from, to, why ?? 'not-a-node', modeChanged, this.membership?.mode ?? 'never');
        if (!node && oldOwners?.has(dst)) reason = 'node-left';
        this.moves++;
        this.movesByReason[reason] = (this.movesByReason[reason] ?? 0) + 1;
        this.onMove({ dst, node: node?.name ?? oldOwners?.get(dst)?.name ?? '', from: old.transport, to: route.transport, reason });
      }
    }
    return { upserts, removes };
  }

  all(): PlannedRoute[] {
    return [...this.routes.values()];
  }

  transportOf(dst: string): Transport | undefined {
    return this.routes.get(dst)?.transport;
  }

  /** Why the destination uses its transport (or has no route). */
  whyOf(dst: string): string | undefined {
    return this.why.get(dst);
  }

  summary(): TransportSummary {
    const routes: Record<Transport, number> = { native: 0, vxlan: 0, ipip: 0, local: 0 };
    for (const r of this.routes.values()) routes[r.transport]++;
    const nodes = (this.membership?.members ?? []).map((n) => {
      const first = n.podCIDRs[0];
      const t = first === undefined ? undefined : this.routes.get(first)?.transport;
      return { node: n.name, address: n.address, transport: t ?? 'none', why: (first && this.why.get(first)) || '' };
    });
    return {
      mode: this.membership?.mode ?? null, tunnel: this.tunnel?.kind ?? null, routes, moves: this.moves,
      movesByReason: { ...this.movesByReason }, nodes,
    };
  }
}
