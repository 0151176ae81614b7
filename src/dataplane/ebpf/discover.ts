// Which devices of a node the fast path attaches to, found in the kernel (through `ip`, run by an Exec):
//   uplinks: the devices of the default routes (both families, every ECMP leg) and of the routes to the
//            BGP peers, unless the site file names them (datapath.uplinks);
//   pods:    the host side of pod veths: a veth whose peer sits in another namespace and that carries a
//            route into one of this node's pod CIDRs (what a routed CNI, and labs/scripts/pods.sh, sets up).
// Every query is bounded by what it asks for (`ip route show root CIDR` for the pod CIDRs): never a dump of
// the whole FIB, which may hold a million BGP routes.
import type { Exec } from './exec.js';
import { parseCidr, type Cidr } from './layout.js';

export interface Device {
  readonly ifname: string;
  readonly ifindex: number;
}

interface IpLink { ifindex: number; ifname: string; link_type?: string; link_netnsid?: number; operstate?: string }
interface IpRoute { dst?: string; dev?: string; type?: string; nexthops?: { dev?: string }[] }

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
