// The next-hop cache for other nodes' pod CIDRs (rr_nh_v1, lib/nexthop.h): traffic from a local pod to a remote pod
// CIDR skips bpf_fib_lookup when the agent has put the route's next hops (egress device, the gateway's MAC, the
// device's MAC) in the cache. The entries are derived from the kernel, never from the agent's intentions: a pod
// CIDR is cached only when the kernel's main table holds exactly one route inside it, that route is the CIDR itself,
// plain unicast via 1-4 gateways on uplinks, equal weights, no MTU of its own, and every gateway has a usable
// neighbour entry. Anything else (a more specific route, a blackhole, a tunnel device, an unresolved gateway, policy
// rules: the caller checks those) leaves the CIDR to the FIB path, which asks the kernel per packet.
//
// The queries are bounded by the cluster: one `ip route show root` per cluster CIDR (the routes inside it) and per
// remote pod CIDR no cluster CIDR covers, one `ip neigh show dev` per uplink used. Never a dump of the whole FIB.
import type { Exec } from './exec.js';
import { addressBytes, formatAddress, formatCidr, parseCidr, type Cidr } from './layout.js';
import { cidrContains, type Device } from './discover.js';

/** At most this many next hops per cached route (struct rr_nh_group). */
export const NEXTHOPS_MAX = 4;

export interface CachedNexthop {
  readonly ifindex: number;
  /** the gateway's MAC (destination written) */
  readonly dmac: string;
  /** the egress device's MAC (source written) */
  readonly smac: string;
}

export interface NexthopEntry {
  /** a remote pod CIDR, canonical */
  readonly cidr: string;
  readonly nexthops: readonly CachedNexthop[];
}

/** A route as `ip -j route show` prints it (the fields used here). */
export interface IpRouteJson {
  dst?: string;
  type?: string;
  dev?: string;
  gateway?: string;
  via?: { family?: string; host?: string };
  weight?: number;
  nexthops?: { dev?: string; gateway?: string; via?: { host?: string }; weight?: number; flags?: string[] }[];
  metrics?: unknown[];
  nhid?: number;
  flags?: string[];
}

export interface IpNeighJson { dst?: string; lladdr?: string; state?: string[] }

/** Neighbour states whose MAC the kernel itself would send to. */
const USABLE_NEIGH = new Set(['PERMANENT', 'REACHABLE', 'STALE', 'DELAY', 'PROBE', 'NOARP']);

/** Why a pod CIDR is not cached (for the log and the tests). */
export type SkipReason = 'no-route' | 'more-specific-route' | 'not-unicast' | 'no-gateway' | 'too-many-nexthops' | 'unequal-weights'
  | 'route-mtu' | 'not-an-uplink' | 'unresolved-gateway' | 'nexthop-object';

const canonical = (ip: string): string => formatAddress(addressBytes(ip));

function routeCidr(dst: string, family: 4 | 6): Cidr | undefined {
  if (dst === 'default') return parseCidr(family === 4 ? '0.0.0.0/0' : '::/0');
  try {
    return parseCidr(dst.includes('/') ? dst : `${dst}/${family === 4 ? 32 : 128}`);
  } catch {
    return undefined;
  }
}

/**
 * The cache entry for one remote pod CIDR from the routes inside it (`ip route show root CIDR`, or a wider query:
 * routes outside the CIDR are ignored), or why there is none. `neigh(dev, gateway)` gives the gateway's MAC.
 */
export function nexthopsFor(
  cidr: Cidr,
  routes: readonly IpRouteJson[],
  uplinks: ReadonlyMap<string, { ifindex: number; mac: string }>,
  neigh: (dev: string, gateway: string) => string | undefined,
): NexthopEntry | SkipReason {
  const inside = routes.filter((r) => {
    const d = r.dst !== undefined ? routeCidr(r.dst, cidr.family) : undefined;
    return d !== undefined && cidrContains(cidr, d);
  });
  const exact = inside.filter((r) => routeCidr(r.dst as string, cidr.family)?.prefixLen === cidr.prefixLen);
  if (exact.length === 0) return 'no-route';
  if (inside.length > 1) return 'more-specific-route';
  const r = exact[0]!;
  if (r.type !== undefined && r.type !== 'unicast') return 'not-unicast';
  if (r.nhid !== undefined) return 'nexthop-object';
  if (r.metrics?.some((m) => typeof m === 'object' && m !== null && 'mtu' in m)) return 'route-mtu';
  const legs = r.nexthops ?? [{ dev: r.dev, gateway: r.gateway, via: r.via, weight: 1 }];
  if (legs.length > NEXTHOPS_MAX) return 'too-many-nexthops';
  if (legs.some((l) => (l.weight ?? 1) !== (legs[0]!.weight ?? 1))) return 'unequal-weights';
  const out: CachedNexthop[] = [];
  for (const l of legs) {
    const gw = l.gateway ?? l.via?.host;
    if (!gw || !l.dev) return 'no-gateway';
    const up = uplinks.get(l.dev);
    if (!up) return 'not-an-uplink';
    const mac = neigh(l.dev, canonical(gw));
    if (!mac) return 'unresolved-gateway';
    out.push({ ifindex: up.ifindex, dmac: mac, smac: up.mac });
  }
  return { cidr: formatCidr(cidr), nexthops: out };
}

/** The queries that cover `remote`: the cluster CIDRs holding any of them, and the remote CIDRs none holds. */
export function routeQueries(remote: readonly Cidr[], cluster: readonly Cidr[]): Cidr[] {
  const used = cluster.filter((c) => remote.some((r) => cidrContains(c, r)));
  return [...used, ...remote.filter((r) => !used.some((c) => cidrContains(c, r)))];
}

export interface NexthopDiscovery {
  readonly entries: NexthopEntry[];
  readonly skipped: { cidr: string; reason: SkipReason }[];
}

/**
 * The cache as the kernel's routes and neighbours say it should be, for the `remote` pod CIDRs, with `uplinks` the
 * devices the fast path attaches to (the only egress the cache may name).
 */
export async function discoverNexthops(exec: Exec, remote: readonly string[], cluster: readonly string[],
  uplinks: readonly Device[]): Promise<NexthopDiscovery> {
  const entries: NexthopEntry[] = [];
  const skipped: { cidr: string; reason: SkipReason }[] = [];
  if (!remote.length || !uplinks.length) return { entries, skipped };
  const json = async <T>(argv: string[]): Promise<T> => {
    const out = await exec.run(argv);
    return (out.trim() ? JSON.parse(out) : []) as T;
  };
  const links = await json<{ ifname: string; ifindex: number; address?: string }[]>(['ip', '-j', 'link', 'show']);
  const upl = new Map<string, { ifindex: number; mac: string }>();
  for (const u of uplinks) {
    const l = links.find((x) => x.ifname === u.ifname && x.ifindex === u.ifindex);
    if (l?.address) upl.set(u.ifname, { ifindex: u.ifindex, mac: l.address.toLowerCase() });
  }
  const neighOf = new Map<string, Map<string, string>>();
  for (const dev of upl.keys()) {
    const m = new Map<string, string>();
    for (const n of await json<IpNeighJson[]>(['ip', '-j', 'neigh', 'show', 'dev', dev])) {
      if (!n.dst || !n.lladdr || !(n.state ?? []).some((s) => USABLE_NEIGH.has(s))) continue;
      try {
        m.set(canonical(n.dst), n.lladdr.toLowerCase());
      } catch {
        // not an address
      }
    }
    neighOf.set(dev, m);
  }
  const neigh = (dev: string, gw: string): string | undefined => neighOf.get(dev)?.get(gw);
  for (const family of [4, 6] as const) {
    const rem = remote.map(parseCidr).filter((c) => c.family === family);
    if (!rem.length) continue;
    const routes: IpRouteJson[] = [];
    for (const q of routeQueries(rem, cluster.map(parseCidr).filter((c) => c.family === family))) {
      routes.push(...await json<IpRouteJson[]>(['ip', family === 4 ? '-4' : '-6', '-j', 'route', 'show', 'root', formatCidr(q)]));
    }
    for (const c of rem) {
      const r = nexthopsFor(c, routes, upl, neigh);
      if (typeof r === 'string') skipped.push({ cidr: formatCidr(c), reason: r });
      else entries.push(r);
    }
  }
  return { entries, skipped };
}

/** family, length and the address bits under it, as text: equal for two CIDRs exactly when they are equal. */
function prefixKey(family: 4 | 6, addr: Buffer, len: number): string {
  let s = `${family}/${len}/`;
  const full = len >> 3, rest = len & 7;
  for (let i = 0; i < full; i++) s += addr[i]!.toString(16).padStart(2, '0');
  if (rest) s += (addr[full]! & (0xff << (8 - rest)) & 0xff).toString(16).padStart(2, '0');
  return s;
}

/**
 * A set of CIDRs that says, for a prefix, which of them lie inside it or hold it, with one hash lookup per distinct
 * length in the set: a route change is checked against every remote pod CIDR on the agent's route-change path,
 * which carries whole BGP tables.
 */
export class CidrIndex {
  /** the key of each CIDR cut to every length up to its own -> the CIDRs inside a prefix with that key */
  private readonly inside = new Map<string, string[]>();
  /** the key of each CIDR -> the CIDR (it holds every prefix that cut to its length gives this key) */
  private readonly exact = new Map<string, string>();
  private readonly lens: Record<4 | 6, number[]> = { 4: [], 6: [] };

  constructor(readonly cidrs: readonly string[]) {
    const lens: Record<4 | 6, Set<number>> = { 4: new Set(), 6: new Set() };
    for (const text of cidrs) {
      const c = parseCidr(text);
      lens[c.family].add(c.prefixLen);
      this.exact.set(prefixKey(c.family, c.addr, c.prefixLen), text);
      for (let l = 0; l <= c.prefixLen; l++) {
        const k = prefixKey(c.family, c.addr, l);
        const list = this.inside.get(k);
        if (list) list.push(text);
        else this.inside.set(k, [text]);
      }
    }
    this.lens = { 4: [...lens[4]], 6: [...lens[6]] };
  }

  /** The CIDRs of the set inside `d` or holding it (one inside the other, either way, equal included). */
  overlapping(d: Cidr): string[] {
    const out = new Set(this.inside.get(prefixKey(d.family, d.addr, d.prefixLen)));
    for (const l of this.lens[d.family]) {
      if (l > d.prefixLen) continue;
      const c = this.exact.get(prefixKey(d.family, d.addr, l));
      if (c !== undefined) out.add(c);
    }
    return [...out];
  }
}

/** The CIDRs of `index` a route change for any of `dsts` may affect (one inside the other, either way), in its order. */
function affected(index: CidrIndex, dsts: readonly string[]): string[] {
  const hit = new Set<string>();
  for (const text of dsts) {
    let d: Cidr;
    try {
      d = parseCidr(text);
    } catch {
      continue;
    }
    for (const c of index.overlapping(d)) hit.add(c);
  }
  return index.cidrs.filter((c) => hit.has(c));
}

/** The cached CIDRs a route change for any of `dsts` may affect (one inside the other, either way). */
export function affectedBy(cached: readonly string[], dsts: readonly string[]): string[] {
  return affected(new CidrIndex(cached), dsts);
}

const ROUTE_TYPES = new Set(['unicast', 'local', 'broadcast', 'multicast', 'anycast', 'unreachable', 'blackhole', 'prohibit', 'throw', 'nat']);

/**
 * The destination of a route as `ip -o monitor route` prints it ("Deleted " first when removed, a route type
 * before it unless unicast, "default" for /0 of either family, a bare address for a host route): the CIDRs it may
 * stand for, or [] when the line is not a route.
 */
export function routeEventDsts(line: string): string[] {
  const words = line.replace(/^Deleted /, '').trim().split(/\s+/);
  let dst = words[0] ?? '';
  if (ROUTE_TYPES.has(dst)) dst = words[1] ?? '';
  if (dst === 'default') return ['0.0.0.0/0', '::/0'];
  if (/^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(dst)) return [dst.includes('/') ? dst : `${dst}/32`];
  if (/^[0-9a-f:]+:[0-9a-f:.]*(\/\d+)?$/i.test(dst)) return [dst.includes('/') ? dst : `${dst}/128`];
  return [];
}

/**
 * What the next-hop cache holds and may hold while the agent changes kernel routes (the agent's bookkeeping, kept
 * pure for the tests): a CIDR whose route is being changed is dropped from the cache at once and held out until a
 * reconciler pass has written that change, so the cache never copies a route the kernel is about to replace.
 */
export class NexthopHolds {
  private cached: string[] = [];
  /** CIDR -> the change number a pass must have written before it may be cached again */
  private readonly held = new Map<string, number>();
  /** Releases so far, and when each CIDR was last released: a discovery begun before that read the old route. */
  private generation = 0;
  private readonly releasedAt = new Map<string, number>();
  private remote = new CidrIndex([]);

  /** The CIDRs the cache may hold (the other nodes' pod CIDRs): what changing() checks route changes against. */
  setRemote(cidrs: readonly string[]): void {
    this.remote = new CidrIndex(cidrs);
  }

  get remoteCidrs(): readonly string[] {
    return this.remote.cidrs;
  }

  get cidrs(): readonly string[] {
    return this.cached;
  }

  get heldCidrs(): readonly string[] {
    return [...this.held.keys()];
  }

  /** Routes to `dsts` are changing (change number `seq`): returns the cached CIDRs to clear from the maps now. */
  changing(dsts: readonly string[], seq: number): string[] {
    const hit = affected(this.remote, dsts);
    for (const c of hit) this.held.set(c, Math.max(seq, this.held.get(c) ?? 0));
    const drop = hit.filter((c) => this.cached.includes(c));
    this.cached = this.cached.filter((c) => !drop.includes(c));
    return drop;
  }

  /**
   * The kernel's routes to `dsts` changed (a route event: someone else's change, or the agent's own after the
   * fact): returns the cached CIDRs to clear from the maps now. A discovery begun before this may have read the old
   * route, so admit() leaves these CIDRs out of it; the next pass caches them again if they still qualify.
   */
  changed(dsts: readonly string[]): string[] {
    const hit = affected(this.remote, dsts);
    if (!hit.length) return [];
    this.generation++;
    for (const c of hit) this.releasedAt.set(c, this.generation);
    const drop = hit.filter((c) => this.cached.includes(c));
    this.cached = this.cached.filter((c) => !drop.includes(c));
    return drop;
  }

  /** A pass wrote every change up to `seq`: true when something was released (worth a datapath pass). */
  written(seq: number): boolean {
    let released = false;
    for (const [c, s] of this.held) {
      if (s <= seq) {
        if (!released) this.generation++;
        this.held.delete(c);
        this.releasedAt.set(c, this.generation);
        released = true;
      }
    }
    return released;
  }

  /** Call before reading the kernel; hand the result to admit(). */
  begin(): number {
    return this.generation;
  }

  /**
   * The entries a pass may write now, from a discovery begun at `since` (begin()): held CIDRs and CIDRs released
   * after the discovery began (it may have read the route before the kernel changed) are left out, for the next
   * pass. Records the result as cached.
   */
  admit(entries: readonly NexthopEntry[], since: number): NexthopEntry[] {
    const ok = entries.filter((e) => !this.held.has(e.cidr) && (this.releasedAt.get(e.cidr) ?? 0) <= since);
    for (const [c, g] of this.releasedAt) if (g <= since) this.releasedAt.delete(c);
    this.cached = ok.map((e) => e.cidr);
    return ok;
  }

  /** The cache was emptied. */
  clear(): void {
    this.cached = [];
  }
}
