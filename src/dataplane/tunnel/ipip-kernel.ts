// IP-in-IP through the kernel's `ipip` driver, where the kernel has it: one device without a fixed remote (NBMA:
// the route's on-link gateway is the outer destination), local = the node's underlay address, MTU = underlay - 20.
// Nothing per peer: the routes say where to send. IPv4 only (IPv6 pod CIDRs stay native or go without a route).
// Where the driver is missing (this machine's kernel: `ip link add type ipip` says "Unknown device type"), creating
// the device fails with EOPNOTSUPP and open() throws TunnelUnavailableError saying so; the agent then uses the eBPF
// implementation if one is registered.
import * as C from '../netlink/constants.js';
import { NetlinkError, RtnlSocket } from '../netlink/socket.js';
import type { Member, TunnelSpec } from '../../routing/transport.js';
import { TunnelUnavailableError, type TunnelPort, type TunnelReport, type TunnelStatus } from './port.js';
import {
  attr, deviceOfAddress, IFF_UP, IFLA_INFO_DATA, IFLA_INFO_KIND, IFLA_IPTUN_LINK, IFLA_IPTUN_LOCAL, IFLA_IPTUN_PMTUDISC,
  IFLA_LINKINFO, IFLA_MTU, ifinfomsg, ipBytes, links, message, nest, request, RTM_DELLINK, str, u32, u8,
} from './rtnl.js';
import { makeLoose } from './sysctl.js';
import type { TunnelLogger } from './vxlan.js';

export const IPIP_OVERHEAD = 20;

export interface KernelIpipOptions {
  readonly device: string;
  readonly local: string;
  readonly mtu: number;
  readonly log: TunnelLogger;
}

export class KernelIpipTunnel implements TunnelPort {
  readonly kind = 'ipip' as const;
  readonly implementation = 'kernel' as const;
  private readonly sock = new RtnlSocket({ timeoutMs: 10_000 });
  private peers = 0;
  private ifindex = 0;
  private repairs = 0;
  private lastError: string | null = null;

  private constructor(private readonly opts: KernelIpipOptions) {}

  /** Creates (or adopts) the device; throws TunnelUnavailableError when the kernel has no ipip driver. */
  static async open(opts: KernelIpipOptions): Promise<KernelIpipTunnel> {
    const t = new KernelIpipTunnel(opts);
    try {
      await t.reconcile();
    } catch (e) {
      t.sock.close();
      if (e instanceof NetlinkError && e.code === 'EOPNOTSUPP') {
        throw new TunnelUnavailableError('ipip', 'kernel', 'the kernel has no ipip driver (RTM_NEWLINK kind ipip: EOPNOTSUPP, "Unknown device type")', { cause: e });
      }
      throw e;
    }
    return t;
  }

  spec(): TunnelSpec {
    const dev = this.opts.device;
    return { kind: 'ipip', overhead: IPIP_OVERHEAD, hop: (m, f) => (f === 4 && !m.address.includes(':') ? { gateway: m.address, dev, onlink: true } : undefined) };
  }

  setPeers(members: readonly Member[]): void {
    this.peers = members.length;
  }

  async reconcile(): Promise<TunnelReport> {
    const o = this.opts;
    try {
      const existing = (await links(this.sock)).find((l) => l.name === o.device);
      let changed = false;
      if (existing && existing.kind !== 'ipip') {
        await request(this.sock, (seq) => message(RTM_DELLINK, C.NLM_F_REQUEST | C.NLM_F_ACK, seq, ifinfomsg(existing.ifindex)), `delete ${o.device}`);
      }
      if (!existing || existing.kind !== 'ipip') {
        const underlay = (await deviceOfAddress(this.sock, o.local)) ?? 0;
        await request(this.sock, (seq) => message(C.RTM_NEWLINK, C.NLM_F_REQUEST | C.NLM_F_ACK | C.NLM_F_CREATE | C.NLM_F_EXCL, seq,
          ifinfomsg(0, IFF_UP, IFF_UP), str(C.IFLA_IFNAME, o.device), u32(IFLA_MTU, o.mtu - IPIP_OVERHEAD),
          nest(IFLA_LINKINFO, str(IFLA_INFO_KIND, 'ipip'), nest(IFLA_INFO_DATA,
            attr(IFLA_IPTUN_LOCAL, ipBytes(o.local)), ...(underlay ? [u32(IFLA_IPTUN_LINK, underlay)] : []), u8(IFLA_IPTUN_PMTUDISC, 1)))), `create ${o.device} (ipip)`);
        changed = true;
        if (this.ifindex) this.repairs++;
      }
      const l = (await links(this.sock)).find((x) => x.name === o.device);
      this.ifindex = l?.ifindex ?? 0;
      makeLoose(o.device);
      this.lastError = null;
      return { deviceChanged: changed, written: 0, removed: 0 };
    } catch (e) {
      this.lastError = (e as Error).message;
      throw e;
    }
  }

  status(): TunnelStatus {
    return {
      kind: 'ipip', implementation: 'kernel', device: this.opts.device, mtu: this.opts.mtu - IPIP_OVERHEAD, up: this.ifindex !== 0,
      peers: this.peers, repairs: this.repairs, lastError: this.lastError, details: { local: this.opts.local, ifindex: this.ifindex },
    };
  }

  async close(mode: 'restart' | 'withdraw'): Promise<void> {
    if (mode === 'withdraw' && this.ifindex) {
      await request(this.sock, (seq) => message(RTM_DELLINK, C.NLM_F_REQUEST | C.NLM_F_ACK, seq, ifinfomsg(this.ifindex)), `delete ${this.opts.device}`).catch(() => undefined);
    }
    this.sock.close();
  }
}
