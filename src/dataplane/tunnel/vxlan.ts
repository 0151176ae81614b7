// The VXLAN tunnel over rtnetlink: one device (learning off, no multicast group, local = the node's underlay
// address, dev = the underlay interface holding it, MTU = underlay MTU - 50, MAC derived from the underlay address),
// and per remote node an FDB entry (its VTEP MAC -> its underlay address, NTF_SELF) and permanent neighbour entries
// (its IPv4 underlay address and its VTEP's IPv6 link-local -> its VTEP MAC). The device also holds the node's IPv4
// underlay address as a host-scoped /32, for reverse-path checks (sysctl.ts). Level-triggered like the FIB: each
// pass dumps the device and its entries and converges them (create what is missing, replace what differs, delete
// permanent entries of ours nobody needs any more); a link/neighbour notification about our device triggers a pass.
import * as C from '../netlink/constants.js';
import { NetlinkError, RtnlSocket } from '../netlink/socket.js';
import { linkLocalOf, vtepMac, vxlanHop, type Member, type TunnelSpec } from '../../routing/transport.js';
import type { TunnelPort, TunnelReport, TunnelStatus } from './port.js';
import {
  AF_BRIDGE, attr, be16, deviceOfAddress, devicesWithAddress4, IFF_UP, IFLA_ADDRESS, IFLA_INFO_DATA, IFLA_INFO_KIND, IFLA_LINKINFO, IFLA_MTU,
  IFLA_VXLAN_ID, IFLA_VXLAN_LEARNING, IFLA_VXLAN_LINK, IFLA_VXLAN_LOCAL, IFLA_VXLAN_LOCAL6, IFLA_VXLAN_PORT,
  ifinfomsg, ipBytes, links, macBytes, message, NDA_DST, NDA_LLADDR, ndmsg, neighbours, nest, newHostAddress4, NTF_SELF, NUD_PERMANENT,
  request, RTM_DELLINK, RTM_DELNEIGH, RTM_NEWNEIGH, str, u32, u8, type LinkInfo, type NeighInfo,
} from './rtnl.js';
import { makeLoose } from './sysctl.js';
import { parseIP } from '../netlink/address.js';

export const VXLAN_OVERHEAD = 50;

export interface TunnelLogger {
  info(msg: string, meta?: object): unknown;
  warn(msg: string, meta?: object): unknown;
  error(msg: string, meta?: object): unknown;
  debug(msg: string, meta?: object): unknown;
}

export interface VxlanOptions {
  readonly device: string;
  readonly vni: number;
  readonly port: number;
  /** this node's underlay address */
  readonly local: string;
  /** underlay MTU */
  readonly mtu: number;
  readonly log: TunnelLogger;
  /** the socket to use (default: a new one, closed by close()) */
  readonly sock?: RtnlSocket;
}

interface Desired {
  /** FDB: mac -> underlay */
  readonly fdb: Map<string, string>;
  /** neighbours: address -> mac, per family */
  readonly neigh4: Map<string, string>;
  readonly neigh6: Map<string, string>;
}

export class VxlanTunnel implements TunnelPort {
  readonly kind = 'vxlan' as const;
  readonly implementation = 'kernel' as const;
  private readonly sock: RtnlSocket;
  private readonly ownSock: boolean;
  private readonly mac: string;
  private readonly localFamily: 4 | 6;
  private peers: readonly Member[] = [];
  private ifindex = 0;
  private underlay = 0;
  private up = false;
  private repairs = 0;
  private lastError: string | null = null;
  private rp: { device?: number | undefined; underlay?: number | undefined } = {};

  constructor(private readonly opts: VxlanOptions) {
    this.ownSock = !opts.sock;
    this.sock = opts.sock ?? new RtnlSocket({ recvBufferSize: 1024 * 1024, sendBufferSize: 1024 * 1024, timeoutMs: 10_000 });
    this.mac = vtepMac(opts.local);
    const ip = parseIP(opts.local);
    if (!ip) throw new Error(`vxlan: bad local address ${opts.local}`);
    this.localFamily = ip.family;
  }

  get device(): string {
    return this.opts.device;
  }

  get mtu(): number {
    return this.opts.mtu - VXLAN_OVERHEAD;
  }

  spec(): TunnelSpec {
    const device = this.opts.device;
    const family = this.localFamily;
    return {
      kind: 'vxlan',
      overhead: VXLAN_OVERHEAD,
      // The outer header's family is the underlay's: a remote node in the other family is not reachable.
      hop: (m, f) => (parseIP(m.address)?.family === family ? vxlanHop(device, m, f) : undefined),
    };
  }

  setPeers(members: readonly Member[]): void {
    this.peers = members.filter((m) => parseIP(m.address)?.family === this.localFamily);
  }

  private desired(): Desired {
    const d: Desired = { fdb: new Map(), neigh4: new Map(), neigh6: new Map() };
    for (const m of this.peers) {
      const mac = vtepMac(m.address);
      d.fdb.set(mac, m.address);
      if (this.localFamily === 4) d.neigh4.set(m.address, mac);
      d.neigh6.set(linkLocalOf(mac), mac);
    }
    return d;
  }

  /** The RTM_NEWLINK that creates our device (NLM_F_CREATE|NLM_F_EXCL), up at once. */
  private createMessage(seq: number): Buffer {
    const o = this.opts;
    const data = [
      u32(IFLA_VXLAN_ID, o.vni),
      this.localFamily === 4 ? (ipAttr(IFLA_VXLAN_LOCAL, o.local)) : ipAttr(IFLA_VXLAN_LOCAL6, o.local),
      ...(this.underlay ? [u32(IFLA_VXLAN_LINK, this.underlay)] : []),
      u8(IFLA_VXLAN_LEARNING, 0),
      be16(IFLA_VXLAN_PORT, o.port),
    ];
    return message(C.RTM_NEWLINK, C.NLM_F_REQUEST | C.NLM_F_ACK | C.NLM_F_CREATE | C.NLM_F_EXCL, seq,
      ifinfomsg(0, IFF_UP, IFF_UP),
      str(C.IFLA_IFNAME, o.device), u32(IFLA_MTU, this.mtu), attr(IFLA_ADDRESS, macBytes(this.mac)),
      nest(IFLA_LINKINFO, str(IFLA_INFO_KIND, 'vxlan'), nest(IFLA_INFO_DATA, ...data)));
  }

  /** What in an existing device differs from what we want: identity (rebuild) or settings (set in place). */
  private compare(l: LinkInfo): { rebuild: string[]; set: string[] } {
    const rebuild: string[] = [];
    const set: string[] = [];
    if (l.kind !== 'vxlan') rebuild.push(`kind ${l.kind || 'none'}`);
    else {
      const vni = l.data.get(IFLA_VXLAN_ID);
      if (!vni || vni.readUInt32LE(0) !== this.opts.vni) rebuild.push('vni');
      const port = l.data.get(IFLA_VXLAN_PORT);
      if (!port || port.readUInt16BE(0) !== this.opts.port) rebuild.push('port');
      const local = l.data.get(this.localFamily === 4 ? IFLA_VXLAN_LOCAL : IFLA_VXLAN_LOCAL6);
      if (!local || !local.equals(ipBytes(this.opts.local))) rebuild.push('local');
      const learning = l.data.get(IFLA_VXLAN_LEARNING);
      if (!learning || learning[0] !== 0) rebuild.push('learning');
      const link = l.data.get(IFLA_VXLAN_LINK);
      if (this.underlay && (!link || link.readUInt32LE(0) !== this.underlay)) rebuild.push('underlay device');
    }
    if (l.mtu !== this.mtu) set.push('mtu');
    if (l.mac !== this.mac) set.push('mac');
    if (!(l.flags & IFF_UP)) set.push('down');
    return { rebuild, set };
  }

  private async ensureDevice(): Promise<boolean> {
    const o = this.opts;
    const all = await links(this.sock);
    let l = all.find((x) => x.name === o.device);
    // our device holds the address too (below): it is not the underlay
    this.underlay = (await deviceOfAddress(this.sock, o.local, l?.ifindex)) ?? 0;
    if (!this.underlay) this.opts.log.warn('vxlan: no device holds the node\'s underlay address; the tunnel has no underlay device', { event: 'tunnel-underlay-missing', local: o.local });
    let changed = false;
    if (l) {
      const { rebuild, set } = this.compare(l);
      if (rebuild.length) {
        this.opts.log.warn('vxlan device differs from the site file: rebuilding it', { event: 'tunnel-rebuild', device: o.device, differs: rebuild });
        await request(this.sock, (seq) => message(RTM_DELLINK, C.NLM_F_REQUEST | C.NLM_F_ACK, seq, ifinfomsg(l!.ifindex)), `delete ${o.device}`);
        l = undefined;
      } else if (set.length) {
        await request(this.sock, (seq) => message(C.RTM_NEWLINK, C.NLM_F_REQUEST | C.NLM_F_ACK, seq, ifinfomsg(l!.ifindex, IFF_UP, IFF_UP),
          u32(IFLA_MTU, this.mtu), attr(IFLA_ADDRESS, macBytes(this.mac))), `set ${o.device}`);
        this.opts.log.info('vxlan device repaired', { event: 'tunnel-repair', device: o.device, fixed: set });
        this.repairs++;
      }
    }
    if (!l) {
      await request(this.sock, (seq) => this.createMessage(seq), `create ${o.device}`);
      const created = (await links(this.sock)).find((x) => x.name === o.device);
      if (!created) throw new NetlinkError(`${o.device} missing right after creation`, 0, 'ENODEV');
      if (this.ifindex !== 0) this.repairs++;
      this.opts.log.info('vxlan device created', {
        event: 'tunnel-device', device: o.device, vni: o.vni, port: o.port, local: o.local, mtu: this.mtu, mac: this.mac, ifindex: created.ifindex,
      });
      l = created;
      changed = true;
    }
    if (l.ifindex !== this.ifindex) changed = true;
    this.ifindex = l.ifindex;
    this.up = true;
    // Return traffic: see sysctl.ts. The node's IPv4 underlay address as a host-scoped /32 on the device (loose
    // rp_filter drops everything arriving on a device without an IPv4 address whose source is routed elsewhere),
    // then the tunnel device loose always, the underlay device when it is strict.
    if (this.localFamily === 4 && !(await devicesWithAddress4(this.sock, o.local)).includes(l.ifindex)) {
      await request(this.sock, (seq) => newHostAddress4(seq, l!.ifindex, o.local), `address ${o.local}/32 on ${o.device}`);
      if (!changed) this.repairs++;
    }
    const dev = makeLoose(o.device);
    const under = this.underlay ? all.find((x) => x.ifindex === this.underlay)?.name : undefined;
    const und = under ? makeLoose(under) : undefined;
    if ((dev.before === 1 || und?.before === 1) && (this.rp.device !== dev.after || this.rp.underlay !== und?.after)) {
      this.opts.log.warn('rp_filter was strict: set loose so tunnelled and native return traffic is accepted', {
        event: 'rp-filter', device: o.device, deviceBefore: dev.before, underlay: under, underlayBefore: und?.before,
      });
    }
    this.rp = { device: dev.after, underlay: und?.after };
    return changed;
  }

  private async converge(want: Desired): Promise<{ written: number; removed: number }> {
    let written = 0;
    let removed = 0;
    const idx = this.ifindex;
    const fdb = (await neighbours(this.sock, AF_BRIDGE)).filter((n) => n.ifindex === idx && (n.flags & NTF_SELF) !== 0 && n.mac !== null);
    const have = new Map<string, NeighInfo>();
    for (const n of fdb) if (n.mac !== '00:00:00:00:00:00') have.set(n.mac!, n);
    for (const [mac, dst] of want.fdb) {
      const h = have.get(mac);
      if (h && h.dst === dst && (h.state & NUD_PERMANENT)) continue;
      await request(this.sock, (seq) => message(RTM_NEWNEIGH, C.NLM_F_REQUEST | C.NLM_F_ACK | C.NLM_F_CREATE | C.NLM_F_REPLACE, seq,
        ndmsg(AF_BRIDGE, idx, NUD_PERMANENT, NTF_SELF), attr(NDA_LLADDR, macBytes(mac)), ipAttr(NDA_DST, dst)), `fdb ${mac} dst ${dst}`);
      written++;
    }
    for (const [mac, h] of have) {
      if (want.fdb.has(mac) || !(h.state & NUD_PERMANENT)) continue;
      await request(this.sock, (seq) => message(RTM_DELNEIGH, C.NLM_F_REQUEST | C.NLM_F_ACK, seq,
        ndmsg(AF_BRIDGE, idx, 0, NTF_SELF), attr(NDA_LLADDR, macBytes(mac))), `delete fdb ${mac}`).catch(ignoreGone);
      removed++;
    }
    for (const [family, map] of [[C.AF_INET, want.neigh4], [C.AF_INET6, want.neigh6]] as const) {
      const cur = new Map<string, NeighInfo>();
      for (const n of await neighbours(this.sock, family)) if (n.ifindex === idx && n.dst) cur.set(n.dst, n);
      for (const [ip, mac] of map) {
        const h = cur.get(ip);
        if (h && h.mac === mac && (h.state & NUD_PERMANENT)) continue;
        await request(this.sock, (seq) => message(RTM_NEWNEIGH, C.NLM_F_REQUEST | C.NLM_F_ACK | C.NLM_F_CREATE | C.NLM_F_REPLACE, seq,
          ndmsg(family, idx, NUD_PERMANENT, 0), ipAttr(NDA_DST, ip), attr(NDA_LLADDR, macBytes(mac))), `neighbour ${ip} lladdr ${mac}`);
        written++;
      }
      for (const [ip, h] of cur) {
        if (map.has(ip) || !(h.state & NUD_PERMANENT)) continue;
        await request(this.sock, (seq) => message(RTM_DELNEIGH, C.NLM_F_REQUEST | C.NLM_F_ACK, seq,
          ndmsg(family, idx, 0, 0), ipAttr(NDA_DST, ip)), `delete neighbour ${ip}`).catch(ignoreGone);
        removed++;
      }
    }
    return { written, removed };
  }

  async reconcile(): Promise<TunnelReport> {
    try {
      const deviceChanged = await this.ensureDevice();
      const { written, removed } = await this.converge(this.desired());
      if (written || removed) {
        this.opts.log.info('vxlan peers reconciled', { event: 'tunnel-peers', device: this.opts.device, peers: this.peers.length, written, removed });
      }
      this.lastError = null;
      return { deviceChanged, written, removed };
    } catch (e) {
      this.lastError = (e as Error).message;
      this.up = false;
      throw e;
    }
  }

  /** The device's ifindex (0 before the first pass). */
  get index(): number {
    return this.ifindex;
  }

  status(): TunnelStatus {
    return {
      kind: 'vxlan', implementation: 'kernel', device: this.opts.device, mtu: this.mtu, up: this.up, peers: this.peers.length,
      repairs: this.repairs, lastError: this.lastError,
      details: {
        vni: this.opts.vni, port: this.opts.port, local: this.opts.local, mac: this.mac, ifindex: this.ifindex, underlayIfindex: this.underlay,
        ...(this.rp.device !== undefined ? { rpFilter: this.rp.device } : {}),
      },
    };
  }

  async close(mode: 'restart' | 'withdraw'): Promise<void> {
    if (mode === 'withdraw' && this.ifindex) {
      // Deleting the device takes its FDB and neighbour entries, and the kernel drops the routes through it.
      await request(this.sock, (seq) => message(RTM_DELLINK, C.NLM_F_REQUEST | C.NLM_F_ACK, seq, ifinfomsg(this.ifindex)), `delete ${this.opts.device}`)
        .catch((e: Error) => this.opts.log.warn('vxlan device not removed', { error: e.message }));
    }
    if (this.ownSock) this.sock.close();
  }
}

const ipAttr = (type: number, ip: string): Buffer => attr(type, ipBytes(ip));

function ignoreGone(e: unknown): void {
  if (e instanceof NetlinkError && (e.code === 'ENOENT' || e.code === 'ESRCH')) return;
  throw e;
}

