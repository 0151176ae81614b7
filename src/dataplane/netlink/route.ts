// The route model the rest of rackroute speaks (plain JSON-able data), and its normalised form that the wire
// encoder and the reconciler's comparisons use (bytes parsed once, defaults filled in, a stable key).
import type { Family } from './address.js';
import { formatIP, parseIP, parsePrefix } from './address.js';
import { RT_TABLE_MAIN, RTN_BLACKHOLE, RTN_PROHIBIT, RTN_UNICAST, RTN_UNREACHABLE } from './constants.js';

export type RouteType = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit';

export interface NextHop {
  /** IPv4 or IPv6 address; an IPv6 gateway on an IPv4 route is sent as RTA_VIA. Absent: a device route. */
  readonly gateway?: string;
  /** the output device by index, or by name (`dev`); resolved to an index by the FIB port */
  readonly ifindex?: number;
  readonly dev?: string;
  /** RTNH_F_ONLINK: the gateway is on the link even if no address says so */
  readonly onlink?: boolean;
  /** ECMP weight 1..256 (default 1) */
  readonly weight?: number;
}

export interface Route {
  /** prefix, IPv4 or IPv6; host bits are cleared */
  readonly dst: string;
  /** routing table (default 254, main) */
  readonly table?: number;
  /** default unicast; blackhole/unreachable/prohibit take no next hops */
  readonly type?: RouteType;
  /** one = a plain route; several = ECMP (RTA_MULTIPATH) */
  readonly nexthops?: readonly NextHop[];
  /** RTAX_MTU */
  readonly mtu?: number;
  /** RTAX_ADVMSS */
  readonly advmss?: number;
  /** priority (metric); default 0 for IPv4 and 1024 for IPv6, as the kernel does */
  readonly metric?: number;
}

/** A route read from the kernel: the model plus what only the kernel knows. */
export interface KernelRoute extends Omit<Route, 'type'> {
  readonly family: Family;
  readonly table: number;
  readonly type: RouteType | `rtn-${number}`;
  readonly metric: number;
  readonly protocol: number;
  readonly nexthops: readonly NextHop[];
}

export interface NormHop {
  readonly gwFamily: Family | 0;
  /** gateway bytes (4 or 16), empty when none */
  readonly gw: Buffer;
  readonly gateway: string | undefined;
  /** 0: any (let the kernel resolve it) */
  readonly ifindex: number;
  readonly dev: string | undefined;
  readonly onlink: boolean;
  readonly weight: number;
}

export interface NormRoute {
  readonly family: Family;
  readonly dstBytes: Buffer;
  readonly dstLen: number;
  /** canonical prefix text */
  readonly dst: string;
  readonly table: number;
  readonly type: RouteType;
  readonly rtn: number;
  readonly metric: number;
  /** 0 = not set */
  readonly mtu: number;
  readonly advmss: number;
  readonly nexthops: readonly NormHop[];
  /** "table dst metric": what identifies a route in a kernel table (tos is always 0 here) */
  readonly key: string;
  /** the caller's route, kept for reports */
  readonly route: Route;
}

export class RouteError extends Error {
  override readonly name = 'RouteError';
  constructor(
    message: string,
    readonly dst: string,
  ) {
    super(`${dst}: ${message}`);
  }
}

export const RTN_OF: Readonly<Record<RouteType, number>> = {
  unicast: RTN_UNICAST,
  blackhole: RTN_BLACKHOLE,
  unreachable: RTN_UNREACHABLE,
  prohibit: RTN_PROHIBIT,
};

export function typeName(rtn: number): RouteType | `rtn-${number}` {
  switch (rtn) {
    case RTN_UNICAST: return 'unicast';
    case RTN_BLACKHOLE: return 'blackhole';
    case RTN_UNREACHABLE: return 'unreachable';
    case RTN_PROHIBIT: return 'prohibit';
    default: return `rtn-${rtn}`;
  }
}

export function defaultMetric(family: Family): number {
  return family === 6 ? 1024 : 0;
}

export function routeKey(table: number, dst: string, metric: number): string {
  return `${table} ${dst} ${metric}`;
}

const u32 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;

/**
 * Validates and normalises a route. `resolveDev` maps a device name to its ifindex (undefined: unknown device).
 * Throws RouteError.
 */
export function normalizeRoute(route: Route, resolveDev?: (name: string) => number | undefined): NormRoute {
  const p = parsePrefix(route.dst);
  if (!p) throw new RouteError('not a prefix', route.dst);
  const table = route.table ?? RT_TABLE_MAIN;
  if (!u32(table) || table === 0) throw new RouteError(`bad table ${table}`, route.dst);
  const type = route.type ?? 'unicast';
  const rtn = RTN_OF[type];
  if (rtn === undefined) throw new RouteError(`unknown type ${String(type)}`, route.dst);
  // the kernel stores IPv6 metric 0 as 1024 (IP6_RT_PRIO_USER): normalise so comparisons hold
  let metric = route.metric ?? defaultMetric(p.family);
  if (!u32(metric)) throw new RouteError(`bad metric ${metric}`, route.dst);
  if (p.family === 6 && metric === 0) metric = 1024;
  const mtu = route.mtu ?? 0;
  const advmss = route.advmss ?? 0;
  if (!u32(mtu) || !u32(advmss)) throw new RouteError('bad mtu/advmss', route.dst);
  const hops = route.nexthops ?? [];
  if (type !== 'unicast' && hops.length > 0) throw new RouteError(`a ${type} route takes no next hops`, route.dst);
  if (type === 'unicast' && hops.length === 0) throw new RouteError('a unicast route needs a next hop', route.dst);
  const nexthops = hops.length === 0 ? NO_HOPS : normalizeHops(route, p.family, hops, resolveDev);
  return {
    family: p.family, dstBytes: p.bytes, dstLen: p.len, dst: p.text, table, type, rtn, metric, mtu, advmss, nexthops,
    key: routeKey(table, p.text, metric), route,
  };
}

const NO_HOPS: readonly NormHop[] = [];

/**
 * Next hop lists are usually shared by many routes (the planner interns them): normalise each list object once.
 * The cache is per resolver, so a device renamed after refreshLinks() is looked up again.
 */
const hopCache = new WeakMap<object, WeakMap<readonly NextHop[], { family: Family; hops: readonly NormHop[] }>>();
const NO_RESOLVER = {};

function normalizeHops(route: Route, family: Family, hops: readonly NextHop[], resolveDev?: (name: string) => number | undefined): readonly NormHop[] {
  const owner = resolveDev ?? NO_RESOLVER;
  let cache = hopCache.get(owner);
  if (!cache) hopCache.set(owner, (cache = new WeakMap()));
  const hit = cache.get(hops);
  if (hit && hit.family === family) return hit.hops;
  const out = hops.map((h): NormHop => {
    let gw: Buffer = Buffer.alloc(0);
    let gwFamily: Family | 0 = 0;
    let gateway: string | undefined;
    if (h.gateway !== undefined) {
      const ip = parseIP(h.gateway);
      if (!ip) throw new RouteError(`bad gateway ${h.gateway}`, route.dst);
      if (ip.family === 4 && family === 6) throw new RouteError('an IPv6 route cannot use an IPv4 gateway', route.dst);
      gw = ip.bytes;
      gwFamily = ip.family;
      gateway = formatIP(ip.family, ip.bytes);
    }
    let ifindex = h.ifindex ?? 0;
    if (h.dev !== undefined && h.ifindex === undefined) {
      const idx = resolveDev?.(h.dev);
      if (idx === undefined) throw new RouteError(`no such device ${h.dev}`, route.dst);
      ifindex = idx;
    }
    if (!u32(ifindex)) throw new RouteError(`bad ifindex ${ifindex}`, route.dst);
    if (gwFamily === 0 && ifindex === 0) throw new RouteError('a next hop needs a gateway or a device', route.dst);
    const weight = h.weight ?? 1;
    if (!Number.isInteger(weight) || weight < 1 || weight > 256) throw new RouteError(`bad weight ${weight}`, route.dst);
    return { gwFamily, gw, gateway, ifindex, dev: h.dev, onlink: h.onlink === true, weight };
  });
  // only cache a list that normalised without an unknown device (a device may appear later)
  cache.set(hops, { family, hops: out });
  return out;
}

/** The JSON form of a normalised route (what views and reports show). */
export function routeJson(r: NormRoute): Route {
  const out: { -readonly [K in keyof Route]: Route[K] } = { dst: r.dst, table: r.table, type: r.type, metric: r.metric };
  if (r.nexthops.length > 0) {
    out.nexthops = r.nexthops.map((h) => {
      const o: { -readonly [K in keyof NextHop]: NextHop[K] } = {};
      if (h.gateway !== undefined) o.gateway = h.gateway;
      if (h.ifindex !== 0) o.ifindex = h.ifindex;
      if (h.dev !== undefined) o.dev = h.dev;
      if (h.onlink) o.onlink = true;
      if (h.weight !== 1) o.weight = h.weight;
      return o;
    });
  }
  if (r.mtu) out.mtu = r.mtu;
  if (r.advmss) out.advmss = r.advmss;
  return out;
}
