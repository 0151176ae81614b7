// Keeps this node's tunnel: opens the implementation the site file asks for (VXLAN; IP-in-IP by the kernel driver
// where it exists, else by eBPF when that implementation is registered), tells it the remote nodes, and
// reconciles it on a timer and when a link or neighbour of its device is deleted (drift). When the device is
// (re)created, `onDeviceChanged` lets the FIB re-resolve the routes through it.
import type { NodeConfig, SiteConfig } from '../../config/types.js';
import { membershipOf, tunnelOf } from '../../routing/membership.js';
import type { TunnelKind, TunnelSpec } from '../../routing/transport.js';
import { RtnlSocket } from '../netlink/socket.js';
import { KernelIpipTunnel } from './ipip-kernel.js';
import { TunnelUnavailableError, type TunnelFactory, type TunnelPort, type TunnelStatus } from './port.js';
import { notifications, RTM_DELLINK, RTM_DELNEIGH, RTNLGRP_LINK, RTNLGRP_NEIGH } from './rtnl.js';
import { VxlanTunnel, type TunnelLogger } from './vxlan.js';

export interface TunnelManagerOptions {
  readonly log: TunnelLogger;
  /** periodic pass, ms */
  readonly intervalMs: number;
  /** the eBPF IP-in-IP implementation, when the data path provides one */
  readonly ebpfIpip?: TunnelFactory;
  readonly onDeviceChanged: () => void;
}

export interface TunnelManagerStatus {
  /** the tunnel kind the site file asks for here, or null (no rack encapsulates) */
  readonly wanted: TunnelKind | null;
  readonly tunnel: TunnelStatus | null;
  /** why the wanted tunnel is not there */
  readonly unavailable: string | null;
  /** which implementation carries the tunnel and why (ipip: kernel driver or eBPF), e.g. "ebpf: ..." */
  readonly implementation: string | null;
  readonly passes: number;
  readonly failedPasses: number;
}

export class TunnelManager {
  private port: TunnelPort | null = null;
  private key = '';
  private wanted: TunnelKind | null = null;
  private unavailable: string | null = null;
  private chosen: string | null = null;
  private routed: readonly string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private watchSock: RtnlSocket | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private passes = 0;
  private failedPasses = 0;

  constructor(private readonly opts: TunnelManagerOptions) {}

  /** Applies the site file (at start and on reload). Resolves when the tunnel is there (or known unavailable). */
  async configure(site: SiteConfig, node: NodeConfig): Promise<TunnelSpec | null> {
    const kind = tunnelOf(site, node);
    const m = membershipOf(site, node);
    const settings = kind === 'vxlan' ? site.vxlan : site.ipip;
    const key = JSON.stringify([kind, settings, node.address, m.mtu]);
    if (key !== this.key) {
      if (this.port) {
        this.opts.log.info('tunnel settings changed: replacing the tunnel', { event: 'tunnel-replace', from: this.port.kind, to: kind });
        await this.port.close('withdraw').catch(() => undefined);
        this.port = null;
      }
      this.key = key;
      this.wanted = kind;
      this.unavailable = null;
      this.chosen = null;
      if (kind) {
        try {
          this.port = await this.open(kind, site, node, m.mtu);
        } catch (e) {
          this.unavailable = e instanceof TunnelUnavailableError ? e.why : (e as Error).message;
          this.opts.log.error('no tunnel: destinations that need one get no route', { event: 'tunnel-unavailable', tunnel: kind, why: this.unavailable });
        }
      }
    }
    if (!this.port) return null;
    this.port.setPeers(m.members);
    this.port.setRoutes?.(this.routed);
    await this.pass();
    this.start();
    return this.port.spec();
  }

  private async open(kind: TunnelKind, site: SiteConfig, node: NodeConfig, mtu: number): Promise<TunnelPort> {
    const log = this.opts.log;
    if (kind === 'vxlan') {
      this.chosen = 'kernel: the vxlan driver';
      return new VxlanTunnel({ device: site.vxlan.device, vni: site.vxlan.vni, port: site.vxlan.port, local: node.address, mtu, log });
    }
    const env = { local: node.address, mtu, device: site.ipip.device };
    const impl = site.ipip.implementation;
    let kernelWhy = '';
    if (impl === 'kernel' || impl === 'auto') {
      try {
        const t = await KernelIpipTunnel.open({ ...env, log });
        log.info('ipip: kernel driver', { event: 'tunnel-ipip', implementation: 'kernel' });
        this.chosen = `kernel: the kernel has the ipip driver (ipip.implementation ${impl})`;
        return t;
      } catch (e) {
        if (!(e instanceof TunnelUnavailableError) || impl === 'kernel') throw e;
        kernelWhy = e.why;
      }
    }
    if (!this.opts.ebpfIpip) {
      throw new TunnelUnavailableError('ipip', 'ebpf', `${kernelWhy ? `${kernelWhy}; ` : ''}no eBPF IP-in-IP implementation is available in this build`);
    }
    const why = kernelWhy || `ipip.implementation ${impl}`;
    const t = await this.opts.ebpfIpip({ ...env, why });
    log.info('ipip: eBPF implementation', { event: 'tunnel-ipip', implementation: 'ebpf', why });
    this.chosen = `ebpf: ${why}`;
    return t;
  }

  private start(): void {
    if (!this.timer && this.opts.intervalMs > 0) this.timer = setInterval(() => this.trigger(), this.opts.intervalMs);
    if (!this.watchSock) {
      try {
        const sock = new RtnlSocket({ groups: [RTNLGRP_LINK, RTNLGRP_NEIGH], recvBufferSize: 1024 * 1024 });
        sock.onNotification = (b) => {
          const idx = Number(this.port?.status().details.ifindex ?? 0);
          if (notifications(b).some((n) => (n.type === RTM_DELLINK || n.type === RTM_DELNEIGH) && (n.ifindex === idx || n.type === RTM_DELLINK))) {
            this.trigger(200);
          }
        };
        sock.onOverrun = () => this.trigger(200);
        this.watchSock = sock;
      } catch (e) {
        this.opts.log.warn('tunnel drift watch not started (the timer still repairs)', { error: (e as Error).message });
      }
    }
  }

  /** A pass soon (debounced), or now. */
  trigger(delayMs = 0): void {
    if (this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.pass();
    }, delayMs);
  }

  private pass(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const p = (async () => {
      const port = this.port;
      if (!port) return;
      try {
        const r = await port.reconcile();
        this.passes++;
        if (r.deviceChanged) this.opts.onDeviceChanged();
      } catch (e) {
        this.failedPasses++;
        this.opts.log.error('tunnel reconcile failed', { event: 'tunnel-error', error: (e as Error).message });
      }
    })().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.trigger(100);
      }
    });
    this.running = p;
    return p;
  }

  /** The pod CIDRs routed through the tunnel now (the planner's choice), before the routes are written. */
  setRoutes(dsts: readonly string[]): void {
    this.routed = dsts;
    this.port?.setRoutes?.(dsts);
  }

  status(): TunnelManagerStatus {
    return {
      wanted: this.wanted, tunnel: this.port?.status() ?? null, unavailable: this.unavailable, implementation: this.port ? this.chosen : null,
      passes: this.passes, failedPasses: this.failedPasses,
    };
  }

  async stop(mode: 'restart' | 'withdraw'): Promise<void> {
    for (const t of [this.timer, this.debounce]) if (t) clearTimeout(t);
    this.timer = this.debounce = null;
    this.watchSock?.close();
    this.watchSock = null;
    await this.running?.catch(() => undefined);
    await this.port?.close(mode);
    this.port = null;
  }
}
