// IpipTunnel over the kernel's own `ipip` device, where the kernel has the module (kernelHasIpip() says). A small
// reference implementation with `ip`: the test runs it on kernels that have the module, and the tunnel
// engineer's rtnetlink implementation (src/dataplane/tunnel) may replace it.
//
// Routes with this implementation go through the device: `10.244.2.0/24 via <remote underlay> dev rr.ipip onlink`
// (the device's MTU is the underlay's - 20). The device is NBMA (`local` set, no `remote`): it accepts IP-in-IP
// from any source, unlike the eBPF path's peer map.
import { hostExec, type Exec } from './exec.js';
import { IPIP_OVERHEAD, IpipError, type IpipTunnel } from './ipip.js';

export const KERNEL_IPIP_DEVICE = 'rr.ipip';

export interface KernelIpipOptions {
  readonly exec?: Exec;
  readonly device?: string;
  /** underlay MTU; the device gets this - 20. Default 1500. */
  readonly underlayMtu?: number;
}

export class KernelIpipTunnel implements IpipTunnel {
  readonly kind = 'kernel' as const;
  readonly device: string;
  private readonly exec: Exec;
  private readonly mtu: number;
  private destinations: { podCidr: string; remote: string }[] = [];

  constructor(opts: KernelIpipOptions = {}) {
    this.exec = opts.exec ?? hostExec();
    this.device = opts.device ?? KERNEL_IPIP_DEVICE;
    this.mtu = (opts.underlayMtu ?? 1500) - IPIP_OVERHEAD;
  }

  async start(opts: { uplinks: readonly string[]; localAddress: string }): Promise<void> {
    const links = JSON.parse(await this.exec.run(['ip', '-j', '-d', 'link', 'show'])) as
      { ifname: string; linkinfo?: { info_kind?: string; info_data?: { local?: string } } }[];
    const cur = links.find((l) => l.ifname === this.device);
    if (cur && (cur.linkinfo?.info_kind !== 'ipip' || cur.linkinfo.info_data?.local !== opts.localAddress)) {
      await this.exec.run(['ip', 'link', 'del', this.device]);
    }
    if (!cur || cur.linkinfo?.info_data?.local !== opts.localAddress) {
      try {
        await this.exec.run(['ip', 'link', 'add', this.device, 'type', 'ipip', 'local', opts.localAddress, 'ttl', '64', 'pmtudisc']);
      } catch (cause) {
        throw new IpipError(`cannot create the ipip device ${this.device}`, this.device, { cause });
      }
    }
    await this.exec.run(['ip', 'link', 'set', this.device, 'mtu', String(this.mtu), 'up']);
  }

  /** The device needs no per-destination state (routes name the remote as on-link gateway): kept for status. */
  async setDestinations(routes: ReadonlyArray<{ podCidr: string; remote: string }>): Promise<void> {
    this.destinations = routes.map((r) => ({ ...r }));
  }

  get currentDestinations(): readonly { podCidr: string; remote: string }[] {
    return this.destinations;
  }

  async stop(opts: { detach: boolean }): Promise<void> {
    if (opts.detach) await this.exec.run(['ip', 'link', 'del', this.device]).catch(() => undefined);
  }
}
