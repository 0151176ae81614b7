// IP-in-IP by eBPF as a TunnelPort: the planner's view of src/dataplane/ebpf/ipip.ts (rr_ipip.o at tc on the
// uplinks), for kernels without the `ipip` module. The TunnelManager picks it when the kernel driver is missing
// (ipip.implementation auto) or when asked (ebpf).
//
// Routes (the model at the top of src/dataplane/ebpf/ipip.ts): no tunnel device. A tunnelled remote pod CIDR is
//   IPv4  `10.244.1.0/24 via <underlay next hop towards the remote node> dev <uplink> onlink mtu <underlay - 20>`
//   IPv6  `fd00:244:1::/64 via fe80::72:ff:fe00:1 dev <uplink> onlink mtu <underlay - 20>` (6in4: the underlay is
//         IPv4, so a fixed link-local with a permanent neighbour on the uplink stands in for the gateway)
// and rr_ipip_egress encapsulates what leaves the uplink for a destination in rr_ipip_dst_v1 / dst6, rewriting
// the MACs for the outer next hop. The underlay next hop is what `ip route get <remote node>` says when the tunnel
// reconciles (the remote itself when on-link); a later change of it only matters for L2 resolution, which the
// egress program redoes for the outer packet anyway.
//
// The destination maps decide what is encapsulated, so they hold exactly the pod CIDRs the planner sends through
// the tunnel (setRoutes, called before the routes are written: make before break), never every member's; the
// peer map (whom we decapsulate for) holds every other node of the site.
import { isIPv4 } from 'node:net';
import { hostExec, type Exec } from '../ebpf/exec.js';
import { EbpfIpipTunnel, IPIP_OVERHEAD } from '../ebpf/ipip.js';
import { pinDirForNamespace } from '../ebpf/pins.js';
import { linkLocalOf, type Member, type TunnelSpec } from '../../routing/transport.js';
import type { TunnelEnv, TunnelFactory, TunnelPort, TunnelReport, TunnelStatus } from './port.js';
import type { TunnelLogger } from './vxlan.js';

/** The stand-in IPv6 gateway of 6in4 routes, and its neighbour's MAC (any: rr_ipip_egress rewrites it). */
export const IPIP6_GATEWAY_MAC = '02:72:00:00:00:01';
export const IPIP6_GATEWAY = linkLocalOf(IPIP6_GATEWAY_MAC);

interface Hop {
  readonly gateway: string;
  readonly dev: string;
}

export interface EbpfIpipPortOptions {
  readonly env: TunnelEnv;
  readonly log: TunnelLogger;
  /** the underlay devices (the site's datapath.uplinks); empty: those of the routes to the other nodes */
  readonly uplinks?: readonly string[];
  /** why this implementation (shown by status) */
  readonly why?: string;
  readonly exec?: Exec;
  /** default: this namespace's datapath pin directory, shared with the fast path */
  readonly pinDir?: string;
  readonly buildDir?: string;
}

export class EbpfIpipPort implements TunnelPort {
  readonly kind = 'ipip' as const;
  readonly implementation = 'ebpf' as const;
  readonly tunnel: EbpfIpipTunnel;
  private readonly exec: Exec;
  private members: readonly Member[] = [];
  private readonly hops = new Map<string, Hop>();
  private tunnelled: readonly string[] = [];
  private attached: readonly string[] = [];
  private started = false;
  private repairs = 0;
  private lastError: string | null = null;
  private destinations = 0;

  constructor(private readonly opts: EbpfIpipPortOptions) {
    this.exec = opts.exec ?? hostExec();
    this.tunnel = new EbpfIpipTunnel({ pinDir: opts.pinDir ?? pinDirForNamespace(), exec: this.exec, ...(opts.buildDir ? { buildDir: opts.buildDir } : {}) });
  }

  spec(): TunnelSpec {
    return {
      kind: 'ipip', overhead: IPIP_OVERHEAD,
      // live: reads the next hops the last reconcile resolved (the manager reconciles before handing the spec out)
      hop: (m, family) => {
        const h = isIPv4(m.address) ? this.hops.get(m.address) : undefined;
        if (!h) return undefined;
        return { gateway: family === 4 ? h.gateway : IPIP6_GATEWAY, dev: h.dev, onlink: true };
      },
    };
  }

  setPeers(members: readonly Member[]): void {
    this.members = members;
  }

  /** The pod CIDRs the planner routes through this tunnel now: written to the maps at once (before the routes). */
  setRoutes(dsts: readonly string[]): void {
    this.tunnelled = [...dsts];
    if (!this.started) return; // the first reconcile writes them
    try {
      this.syncMaps();
    } catch (e) {
      this.lastError = (e as Error).message;
      this.opts.log.error('ipip (ebpf): destination maps not written; the next pass retries', { event: 'tunnel-error', error: this.lastError });
    }
  }

  private syncMaps(): void {
    const owner = new Map<string, string>();
    for (const m of this.members) for (const c of m.podCIDRs) owner.set(c, m.address);
    const routes = this.tunnelled.flatMap((dst) => {
      const remote = owner.get(dst);
      return remote && isIPv4(remote) ? [{ podCidr: dst, remote }] : [];
    });
    const peers = this.members.map((m) => m.address).filter((a) => isIPv4(a));
    const r = this.tunnel.maps().sync(routes, peers);
    this.destinations = routes.length;
    if (r.added.length || r.updated.length || r.removed.length || r.peersAdded.length || r.peersRemoved.length) {
      this.opts.log.info('ipip (ebpf): destination maps updated', { event: 'tunnel-ipip-maps', ...r });
    }
  }

  private async json<T>(argv: string[]): Promise<T> {
    const out = await this.exec.run(argv);
    return (out.trim() ? JSON.parse(out) : []) as T;
  }

  private async resolveHops(): Promise<void> {
    for (const m of this.members) {
      if (!isIPv4(m.address)) continue;
      const [r] = await this.json<{ gateway?: string; dev?: string }[]>(['ip', '-4', '-j', 'route', 'get', m.address]).catch(() => []);
      if (!r?.dev || r.dev === 'lo') {
        this.hops.delete(m.address);
        continue;
      }
      this.hops.set(m.address, { gateway: r.gateway ?? m.address, dev: r.dev });
    }
    for (const a of [...this.hops.keys()]) if (!this.members.some((m) => m.address === a)) this.hops.delete(a);
  }

  private async uplinks(): Promise<string[]> {
    if (this.opts.uplinks?.length) return [...this.opts.uplinks].sort();
    const devs = new Set([...this.hops.values()].map((h) => h.dev));
    const defaults = await this.json<{ dev?: string }[]>(['ip', '-4', '-j', 'route', 'show', 'default']).catch(() => []);
    for (const d of defaults) if (d.dev) devs.add(d.dev);
    return [...devs].sort();
  }

  async reconcile(): Promise<TunnelReport> {
    try {
      await this.resolveHops();
      const want = await this.uplinks();
      let changed = false;
      const running = new Set((await this.tunnel.loader.attachments().catch(() => [])).map((a) => `${a.ifname}/${a.direction}`));
      const missing = want.some((d) => !running.has(`${d}/ingress`) || !running.has(`${d}/egress`));
      if (!this.started || missing || want.join() !== this.attached.join()) {
        if (this.started && missing && want.join() === this.attached.join()) this.repairs++;
        await this.tunnel.start({ uplinks: want, localAddress: this.opts.env.local });
        this.opts.log.info('ipip (ebpf): programs attached', { event: 'tunnel-ipip-attach', uplinks: want, pinDir: this.tunnel.loader.pinDir });
        this.attached = want;
        this.started = true;
        changed = true;
      }
      // 6in4 routes name a stand-in link-local gateway: its neighbour entry on every uplink
      if (this.members.some((m) => m.podCIDRs.some((c) => c.includes(':')))) {
        for (const dev of want) {
          await this.exec.run(['ip', '-6', 'neigh', 'replace', IPIP6_GATEWAY, 'lladdr', IPIP6_GATEWAY_MAC, 'dev', dev, 'nud', 'permanent']);
        }
      }
      const before = this.destinations;
      this.syncMaps();
      this.lastError = null;
      return { deviceChanged: changed, written: Math.max(0, this.destinations - before), removed: Math.max(0, before - this.destinations) };
    } catch (e) {
      this.lastError = (e as Error).message;
      throw e;
    }
  }

  status(): TunnelStatus {
    return {
      kind: 'ipip', implementation: 'ebpf', device: this.attached.join(',') || '-', mtu: this.opts.env.mtu - IPIP_OVERHEAD,
      up: this.started, peers: this.members.length, repairs: this.repairs, lastError: this.lastError,
      details: {
        local: this.opts.env.local, pinDir: this.tunnel.loader.pinDir, destinations: this.destinations, uplinks: this.attached.join(','),
        ...(this.opts.why ? { why: this.opts.why } : {}),
      },
    };
  }

  async close(mode: 'restart' | 'withdraw'): Promise<void> {
    await this.tunnel.stop({ detach: mode === 'withdraw' });
    if (mode === 'withdraw') {
      for (const dev of this.attached) await this.exec.run(['ip', '-6', 'neigh', 'del', IPIP6_GATEWAY, 'dev', dev]).catch(() => undefined);
    }
    this.started = false;
  }
}

/** The agent's factory: the eBPF IP-in-IP tunnel for this node (the TunnelManager says why it is the one). */
export function ebpfIpipFactory(opts: Omit<EbpfIpipPortOptions, 'env' | 'why'>): TunnelFactory {
  return async (env) => new EbpfIpipPort({ ...opts, env, ...(env.why ? { why: env.why } : {}) });
}
