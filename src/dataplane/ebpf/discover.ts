// Which devices of a node the fast path attaches to, found in the kernel (through `ip`, run by an Exec):
//   uplinks: the devices of the default routes (both families, every ECMP leg) and of the routes to the
//            BGP peers, unless the site file names them (datapath.uplinks);
//   pods:    the host side of pod veths: a veth whose peer sits in another namespace and that carries a
//            route into one of this node's pod CIDRs (what a routed CNI, and labs/scripts/pods.sh, sets up).
// Every query is bounded by what it asks for (`ip route show root CIDR` for the pod CIDRs): never a dump of
// the whole FIB, which may hold a million BGP routes.
import type { Exec } from './exec.js';
import { ENDPOINT_F_PEER, formatAddress, addressBytes, parseCidr, type Cidr, type Endpoint } from './layout.js';

export interface Device {
  readonly ifname: string;
  readonly ifindex: number;
}

interface IpLink { ifindex: number; ifname: string; link_type?: string; link_netnsid?: number; operstate?: string; address?: string }
interface IpRoute { dst?: string; dev?: string; type?: string; gateway?: string; nexthops?: { dev?: string }[] }
interface IpNeigh { dst?: string; lladdr?: string; state?: string[] }

async function json<T>(exec: Exec, argv: string[]): Promise<T> {
  const out = await exec.run(argv);
  return (out.trim() ? JSON.parse(out) : []) as T;
}

export async function listLinks(exec: Exec): Promise<Device[]> {
  const links = await json<IpLink[]>(exec, ['ip', '-j', 'link', 'show']);
  return links.map((l) => ({ ifname: l.ifname, ifindex: l.ifindex }));
}

function routeDevs(routes: readonly IpRoute[]): string[] {
  return routes.flatMap((r) => [r.dev, ...(r.nexthops ?? []).map((n) => n.dev)]).filter((d): d is string => Boolean(d));
}

/** The uplinks: named ones (that exist), else the devices towards the default routes and the peers. */
export async function discoverUplinks(exec: Exec, opts: { named: readonly string[]; peers: readonly string[] }): Promise<Device[]> {
  const links = await json<IpLink[]>(exec, ['ip', '-j', 'link', 'show']);
  const byName = new Map(links.map((l) => [l.ifname, l]));
  let names: string[];
  if (opts.named.length) {
    names = [...opts.named];
  } else {
    names = [];
    for (const fam of ['-4', '-6']) names.push(...routeDevs(await json<IpRoute[]>(exec, ['ip', fam, '-j', 'route', 'show', 'default'])));
    for (const peer of opts.peers) {
      // A peer without a route (yet) is simply not counted this time.
      const r = await json<IpRoute[]>(exec, ['ip', '-j', 'route', 'get', peer]).catch(() => []);
      names.push(...routeDevs(r));
    }
  }
  const out = new Map<string, Device>();
  for (const name of names) {
    const l = byName.get(name);
    if (l && l.link_type === 'ether') out.set(name, { ifname: name, ifindex: l.ifindex });
  }
  return [...out.values()];
}

/** True when `inner` lies inside `outer` (same family, at least as long, same leading bits). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.prefixLen < outer.prefixLen) return false;
  const full = outer.prefixLen >> 3, rest = outer.prefixLen & 7;
  for (let i = 0; i < full; i++) if (outer.addr[i] !== inner.addr[i]) return false;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (outer.addr[full] & mask) === (inner.addr[full] & mask);
}

function routeCidr(dst: string, family: 4 | 6): Cidr | undefined {
  if (dst === 'default') return undefined;
  try {
    return parseCidr(dst.includes('/') ? dst : `${dst}/${family === 4 ? 32 : 128}`);
  } catch {
    return undefined;
  }
}

/** Host sides of pod veths: veths with their peer in another namespace and a unicast route into `podCidrs`. */
export async function discoverPodVeths(exec: Exec, podCidrs: readonly string[], exclude: ReadonlySet<string>): Promise<Device[]> {
  const veths = (await json<IpLink[]>(exec, ['ip', '-j', 'link', 'show', 'type', 'veth']))
    .filter((l) => l.link_netnsid !== undefined && l.link_type === 'ether' && !exclude.has(l.ifname));
  if (!veths.length) return [];
  const candidates = new Map(veths.map((l) => [l.ifname, l]));
  const found = new Map<string, Device>();
  for (const text of podCidrs) {
    const pod = parseCidr(text);
    const routes = await json<IpRoute[]>(exec, ['ip', pod.family === 4 ? '-4' : '-6', '-j', 'route', 'show', 'root', text]);
    for (const r of routes) {
      if (r.type && r.type !== 'unicast') continue;
      const dst = r.dst ? routeCidr(r.dst, pod.family) : undefined;
      if (!dst || !cidrContains(pod, dst)) continue;
      for (const dev of routeDevs([r])) {
        const l = candidates.get(dev);
        if (l) found.set(dev, { ifname: dev, ifindex: l.ifindex });
      }
    }
  }
  return [...found.values()];
}

/** Neighbour states whose MAC the kernel itself would send to (STALE and the probing states re-check it later). */
const USABLE_NEIGH = new Set(['PERMANENT', 'REACHABLE', 'STALE', 'DELAY', 'PROBE', 'NOARP']);

/**
 * The local pods by address, for the endpoint maps: every direct host route (/32, /128, no gateway, one device)
 * inside this node's pod CIDRs whose device is one of `pods` (the attached pod veths), with the pod's MAC from
 * the neighbour table and the veth's own. A pod without a usable neighbour entry yet is left out (the FIB path
 * with redirect_neigh carries it until the next pass).
 */
export async function discoverEndpoints(exec: Exec, podCidrs: readonly string[], pods: readonly Device[]): Promise<Endpoint[]> {
  if (!pods.length) return [];
  const byName = new Map(pods.map((d) => [d.ifname, d]));
  const links = new Map((await json<IpLink[]>(exec, ['ip', '-j', 'link', 'show', 'type', 'veth'])).map((l) => [l.ifname, l]));
  const routes: { ip: string; dev: string }[] = [];
  for (const text of podCidrs) {
    const pod = parseCidr(text);
    for (const r of await json<IpRoute[]>(exec, ['ip', pod.family === 4 ? '-4' : '-6', '-j', 'route', 'show', 'root', text])) {
      if ((r.type && r.type !== 'unicast') || r.gateway || r.nexthops || !r.dev || !r.dst || !byName.has(r.dev)) continue;
      const dst = routeCidr(r.dst, pod.family);
      if (!dst || dst.prefixLen !== dst.addr.length * 8 || !cidrContains(pod, dst)) continue;
      routes.push({ ip: formatAddress(dst.addr), dev: r.dev });
    }
  }
  const neigh = new Map<string, Map<string, string>>();
  const out: Endpoint[] = [];
  for (const { ip, dev } of routes) {
    const link = links.get(dev);
    if (!link?.address || link.link_netnsid === undefined || link.ifindex !== byName.get(dev)?.ifindex) continue;
    let macs = neigh.get(dev);
    if (!macs) {
      macs = new Map();
      for (const n of await json<IpNeigh[]>(exec, ['ip', '-j', 'neigh', 'show', 'dev', dev])) {
        if (!n.dst || !n.lladdr || !(n.state ?? []).some((st) => USABLE_NEIGH.has(st))) continue;
        try {
          macs.set(formatAddress(addressBytes(n.dst)), n.lladdr.toLowerCase());
        } catch {
          // not an address we know how to key
        }
      }
      neigh.set(dev, macs);
    }
    const podMac = macs.get(ip);
    if (!podMac) continue;
    out.push({ ip, ifindex: link.ifindex, flags: ENDPOINT_F_PEER, podMac, hostMac: link.address.toLowerCase() });
  }
  return out;
}
