// The BGP speaker of one node: its sessions, the RIB and the policies between them, the node's own prefixes, and
// the views the admin API serves. Sessions hand UPDATEs in (ingest.ts), the RIB decides, and after each batch the
// speaker flushes the RIB once and sends every established peer what changed (emit.ts). Loc-RIB changes go to
// whoever listens (the route planner and the kernel FIB).
import { networkInterfaces } from 'node:os';
import { BgpCodecError, type CodecContext } from '../codec/index.js';
import { notificationName, type Negotiated } from '../fsm/index.js';
import {
  formatIPv4, formatPrefix, LOCAL_PEER, makeAttrs, parsePrefix, Rib, type Family, type LocRibChange, type PeerId, type RibPath,
} from '../rib/index.js';
import type { DynamicNeighborConfig, NodeConfig, PeerConfig, SiteConfig } from '../../config/types.js';
import type { Logger } from '../../util/log.js';
import { peerLogger } from '../../util/log.js';
import { PeerSession } from '../session/session.js';
import { BgpListener, type ListenRange } from '../session/listener.js';
import type { Clock, SessionHooks, StaleInfo } from '../session/types.js';
import type { NeighborDetail, PathView, RoutesResponse, RouteView, SessionStatus, StatusResponse } from '../../api/types.js';
import { UpdateIngest } from './ingest.js';
import { UpdateEmitter } from './emit.js';
import { exportPolicy, importPolicy, ownPrefixes } from './policies.js';

export interface SpeakerOptions {
  readonly site: SiteConfig;
  readonly node: NodeConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** The agent restarted with its routes still in the kernel: R and F bits in our graceful-restart capability. */
  readonly restarting?: boolean;
}

interface PeerEntry {
  readonly config: PeerConfig;
  readonly session: PeerSession;
  readonly id: PeerId;
  readonly log: Logger;
  ingest?: UpdateIngest;
  emitter?: UpdateEmitter;
  blocked: boolean;
  /** The session was shut down by the operator (`rackroute shutdown`). */
  adminDown: boolean;
  /** Families negotiated in the current session, and those whose End-of-RIB has arrived. */
  families: Family[];
  endOfRib: Set<Family>;
  /** Accepted from a listen range: gone (session and routes) once its connection ends. */
  readonly dynamic: boolean;
  /** Malformed UPDATEs handled without a reset: counted; each kind logged at most once per interval. */
  malformed: { total: number; kinds: Map<string, { suppressed: number; lastLogged: number }> };
}

/** A misbehaving peer must not flood the log: one line per peer and kind of malformation per interval. */
const MALFORMED_LOG_INTERVAL_MS = 10_000;
/** withdraw shutdown: the longest it waits for a peer whose socket is full to take our withdrawals before the Cease. */
const WITHDRAW_DRAIN_MS = 2_000;

export type ChangeListener = (changes: readonly LocRibChange[]) => void;

const familyOfAfi = (afi: number): Family | undefined => (afi === 1 ? 'ipv4' : afi === 2 ? 'ipv6' : undefined);

/** Our other-family address on the interface that carries a session's local address (next hop self per family). */
export function siblingAddresses(local: string | undefined): { ipv4?: string; ipv6?: string } {
  if (!local) return {};
  const addr = local.replace(/^::ffff:/, '');
  for (const list of Object.values(networkInterfaces())) {
    if (!list?.some((a) => a.address === addr)) continue;
    const v4 = list.find((a) => a.family === 'IPv4' && !a.internal)?.address;
    const v6 = list.find((a) => a.family === 'IPv6' && !a.internal && !a.address.startsWith('fe80'))?.address;
    return { ipv4: addr.includes(':') ? v4 : addr, ipv6: addr.includes(':') ? addr : v6 };
  }
  return addr.includes(':') ? { ipv6: addr } : { ipv4: addr };
}

export class BgpSpeaker {
  readonly rib: Rib;
  private readonly peers = new Map<string, PeerEntry>();
  private readonly listeners: ChangeListener[] = [];
  private site: SiteConfig;
  private node: NodeConfig;
  private readonly log: Logger;
  private readonly clock: Clock;
  private pumpScheduled = false;
  private mraiTimer: unknown;
  private grTimer: unknown;
  private restarting: boolean;
  private originated: string[] = [];
  private stopped = false;

  constructor(opts: SpeakerOptions) {
    this.site = opts.site;
    this.node = opts.node;
    this.log = opts.logger;
    this.clock = opts.clock ?? { now: () => Date.now(), setTimeout: (cb, ms) => setTimeout(cb, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
    this.restarting = opts.restarting ?? false;
    const mp = this.site.bgp.multipath;
    this.rib = new Rib({
      localAsn: this.node.asn,
      routerId: this.node.routerId,
      clock: { now: () => this.clock.now() },
      maxPaths: mp.enabled ? mp.maxPaths : 1,
      multipathRelaxAsPath: mp.relaxAsPath,
      alwaysCompareMed: this.site.bgp.alwaysCompareMed,
      stalePathTimeMs: this.site.bgp.gracefulRestart.stalePathsTime * 1000,
    });
  }

  /** Loc-RIB changes after each batch (best path or multipath set changed, or withdrawn). */
  onChanges(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  start(peers: readonly PeerConfig[]): void {
    this.originate(ownPrefixes(this.node));
    for (const p of peers) this.addPeer(p);
    this.schedule();
  }

  /** The node's own prefixes (pod CIDRs, service VIPs): originated with next hop self. */
  originate(prefixes: readonly string[]): void {
    const want = new Set(prefixes);
    for (const p of this.originated) if (!want.has(p)) this.rib.withdrawOriginated(p.includes(':') ? 'ipv6' : 'ipv4', parsePrefix(p));
    for (const p of prefixes) if (!this.originated.includes(p)) this.rib.originate(p.includes(':') ? 'ipv6' : 'ipv4', parsePrefix(p), makeAttrs({}));
    this.originated = [...prefixes];
    this.schedule();
  }

  /**
   * Listens for BGP (site file `bgp.listen`): inbound connections of configured peers, and dynamic neighbours from
   * `bgp.dynamicNeighbors` ranges. A busy port or a missing permission is reported (ListenError), not fatal.
   */
  async listen(): Promise<{ address: string; port: number } | undefined> {
    const cfg = this.site.bgp.listen;
    if (!cfg) return undefined;
    this.listener = new BgpListener({
      address: cfg.address,
      port: cfg.port,
      logger: this.log,
      sessionFor: (address) => {
        const e = this.peers.get(address);
        return e && !e.dynamic ? e.session : undefined;
      },
      sessions: () => [...this.peers.values()].filter((e) => !e.dynamic).map((e) => e.session),
      ranges: this.site.bgp.dynamicNeighbors,
      createDynamic: (address, range) => this.addDynamic(address, range),
    });
    return this.listener.listen();
  }

  private listener?: BgpListener;

  private addDynamic(address: string, range: ListenRange): PeerSession | null {
    if (this.stopped || this.peers.has(address)) return null;
    const r = range as DynamicNeighborConfig;
    const config: PeerConfig = { ...r, address, family: r.family, asn: r.asn, origin: 'rack' };
    const session = this.addPeer(config, true);
    session.onGone(() => {
      const e = this.peers.get(address);
      if (e?.session !== session) return;
      this.peers.delete(address);
      this.rib.removePeer(e.id);
      this.schedule();
    });
    return session;
  }

  addPeer(config: PeerConfig, dynamic = false): PeerSession {
    if (this.peers.has(config.address)) throw new Error(`peer ${config.address} exists`);
    const log = peerLogger(this.log, config.address, config.asn);
    const id = this.rib.addPeer({
      address: config.address,
      asn: config.asn,
      importPolicy: importPolicy(config.import, this.site, this.node),
      exportPolicy: exportPolicy(config.export, this.site, this.node, config),
      routeReflectorClient: config.routeReflectorClient,
      maxPrefix: config.maxPrefix?.limit,
      mraiMs: config.advertisementInterval * 1000,
      gracefulRestartHelper: config.gracefulRestart,
    });
    const gr = this.site.bgp.gracefulRestart;
    const session = new PeerSession({
      peer: config,
      dynamic,
      local: { asn: this.node.asn, routerId: this.node.routerId, hostname: this.node.name },
      hooks: this.hooks,
      clock: this.clock,
      logger: log,
      gracefulRestart: gr.enabled ? {
        restartTime: gr.restartTime,
        restarting: () => this.restarting,
        forwardingPreserved: () => this.restarting,
      } : undefined,
    });
    const entry: PeerEntry = {
      config, session, id, log, blocked: false, adminDown: config.shutdown, families: [], endOfRib: new Set(), dynamic,
      malformed: { total: 0, kinds: new Map() },
    };
    this.peers.set(config.address, entry);
    session.onDrain(() => {
      entry.blocked = false;
      this.schedule();
    });
    // A dynamic session is started by the listener when it hands over the connection.
    if (!config.shutdown && !dynamic) session.start();
    return session;
  }

  async removePeer(address: string, message = 'peer removed from the site file'): Promise<void> {
    const e = this.peers.get(address);
    if (!e) return;
    this.peers.delete(address);
    await e.session.stop({ message });
    this.rib.removePeer(e.id);
    this.schedule();
  }

  /** Applies new policies to a peer without resetting its session (ROUTE-REFRESH when there is no soft reconfig). */
  updatePolicies(config: PeerConfig): void {
    const e = this.peers.get(config.address);
    if (!e) return;
    if (!this.rib.setImportPolicy(e.id, importPolicy(config.import, this.site, this.node))) {
      for (const afi of [1, 2]) e.session.refresh(afi, 1);
    }
    this.rib.setExportPolicy(e.id, exportPolicy(config.export, this.site, this.node, config));
    this.schedule();
  }

  setConfig(site: SiteConfig, node: NodeConfig): void {
    this.site = site;
    this.node = node;
  }

  /** A restart finished (End-of-RIB from everyone, or the deferral ran out): clear R and F for later OPENs. */
  restartComplete(): void {
    this.restarting = false;
  }

  private readonly hooks: SessionHooks = {
    established: (session, negotiated: Negotiated, context: CodecContext) => {
      const e = this.peers.get(session.address);
      if (!e) return;
      const snap = session.status();
      const fam = (f: { afi: number; safi: number }): Family | undefined => (f.safi === 1 ? familyOfAfi(f.afi) : undefined);
      const families = negotiated.families.map(fam).filter((f): f is Family => f !== undefined);
      this.rib.peerUp(e.id, {
        routerId: negotiated.peerBgpId,
        localAddress: siblingAddresses(snap.local.address ?? undefined),
        families,
        addPathReceive: negotiated.addPath.filter((a) => a.receive).map(fam).filter((f): f is Family => f !== undefined),
        addPathSend: negotiated.addPath.filter((a) => a.send).map(fam).filter((f): f is Family => f !== undefined),
        gracefulRestart: negotiated.gracefulRestart ? {
          restartTimeSec: negotiated.gracefulRestart.peerRestartTime,
          preserved: negotiated.gracefulRestart.families.filter((f) => f.forwarding).map(fam).filter((f): f is Family => f !== undefined),
        } : undefined,
      });
      const receiveCtx: CodecContext = { ...context, addPath: { ipv4: negotiated.addPath.some((a) => a.afi === 1 && a.receive), ipv6: negotiated.addPath.some((a) => a.afi === 2 && a.receive) }, ebgp: !negotiated.ibgp };
      const sendCtx: CodecContext = { ...context, addPath: { ipv4: negotiated.addPath.some((a) => a.afi === 1 && a.send), ipv6: negotiated.addPath.some((a) => a.afi === 2 && a.send) } };
      e.families = families;
      e.endOfRib = new Set();
      e.ingest = new UpdateIngest(this.rib, e.id, receiveCtx);
      e.emitter = new UpdateEmitter(sendCtx);
      e.log.info('session established', { event: 'established', families, holdTime: negotiated.holdTime });
      this.schedule();
    },
    down: (session, info: { reason: string; graceful: boolean; stale: StaleInfo | null }) => {
      const e = this.peers.get(session.address);
      if (!e) return;
      e.ingest = undefined;
      e.emitter = undefined;
      e.blocked = false;
      this.rib.peerDown(e.id, { graceful: info.graceful });
      e.log.info('session down', { event: 'down', reason: info.reason, graceful: info.graceful });
      this.scheduleGr();
      this.schedule();
    },
    update: (session, message: Uint8Array) => {
      const e = this.peers.get(session.address);
      if (!e?.ingest) return;
      try {
        const r = e.ingest.ingest(message);
        if (r.error) this.noteMalformed(e, r.error);
        if (r.maxPrefixExceeded && e.config.maxPrefix && !e.config.maxPrefix.warningOnly) {
          e.log.warn('maximum prefixes exceeded', { event: 'max-prefix', limit: e.config.maxPrefix.limit });
          session.maxPrefixExceeded(e.config.maxPrefix.restartTime > 0 ? e.config.maxPrefix.restartTime : 'never');
        }
        if (r.endOfRib) {
          e.endOfRib.add(r.endOfRib);
          this.scheduleGr();
          this.checkConverged();
        }
      } catch (err) {
        if (!(err instanceof BgpCodecError)) throw err;
        e.log.warn('malformed UPDATE: session reset', { event: 'update-error', action: err.action, code: err.code, subcode: err.subcode, error: err.message });
        session.updateError(err.subcode, err.data);
      }
      this.schedule();
    },
    routeRefresh: (session, afi: number, safi: number) => {
      const e = this.peers.get(session.address);
      const family = safi === 1 ? familyOfAfi(afi) : undefined;
      if (!e || !family || !e.emitter) return;
      this.rib.routeRefresh(e.id, family);
      this.schedule();
    },
    // The session logs its own transitions (with peer, asn, state and reason).
    stateChange: () => undefined,
  };

  private convergeWaiters: Array<() => void> = [];

  /**
   * True when every peer that should be up is Established and has sent End-of-RIB for each negotiated family: the
   * RIB holds what the fabric has (what a restarted node waits for before removing stale kernel routes).
   */
  converged(): boolean {
    const live = [...this.peers.values()].filter((e) => !e.adminDown && !e.dynamic);
    return live.length > 0 && live.every((e) => e.session.state === 'Established' && e.families.length > 0 && e.families.every((f) => e.endOfRib.has(f)));
  }

  private checkConverged(): void {
    if (!this.converged()) return;
    // Let the RIB flush what the last End-of-RIB swept before anyone acts on it.
    setImmediate(() => {
      const waiters = this.convergeWaiters;
      this.convergeWaiters = [];
      for (const w of waiters) w();
    });
  }

  /** Resolves 'end-of-rib' once converged(), or 'timeout' (RFC 4724's selection deferral) after timeoutMs. */
  whenConverged(timeoutMs: number): Promise<'end-of-rib' | 'timeout'> {
    if (this.converged()) return Promise.resolve('end-of-rib');
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), timeoutMs);
      this.convergeWaiters.push(() => {
        clearTimeout(timer);
        resolve('end-of-rib');
      });
    });
  }

  private noteMalformed(e: PeerEntry, err: { action: string; code: number; subcode: number; data?: Uint8Array }): void {
    const m = e.malformed;
    m.total++;
    // The kind: the action and the error, with the attribute type code when the data names one.
    const kind = `${err.action} ${err.code}/${err.subcode} ${err.data?.[1] ?? ''}`;
    let k = m.kinds.get(kind);
    if (!k) m.kinds.set(kind, (k = { suppressed: 0, lastLogged: -Infinity }));
    const now = this.clock.now();
    if (now - k.lastLogged < MALFORMED_LOG_INTERVAL_MS) {
      k.suppressed++;
      return;
    }
    e.log.warn('malformed UPDATE handled without a reset (RFC 7606)', {
      event: 'update-error', action: err.action, code: err.code, subcode: err.subcode, total: m.total, suppressedSinceLast: k.suppressed,
    });
    k.lastLogged = now;
    k.suppressed = 0;
  }

  /** Flush once per batch of socket reads: one RIB flush, then one take per peer. */
  private schedule(): void {
    if (this.pumpScheduled || this.stopped) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    const changes = this.rib.flush(this.listeners.length > 0);
    if (changes.length) for (const l of this.listeners) l(changes);
    let next: number | undefined;
    for (const e of this.peers.values()) {
      if (!e.emitter || e.blocked) continue;
      const { plans, nextAt } = this.rib.takeUpdates(e.id, this.clock.now());
      if (nextAt !== undefined) next = next === undefined ? nextAt : Math.min(next, nextAt);
      if (plans.length === 0) continue;
      const messages = e.emitter.encode(plans);
      if (!e.session.send(messages)) e.blocked = true;
    }
    if (next !== undefined) {
      if (this.mraiTimer) this.clock.clearTimeout(this.mraiTimer);
      this.mraiTimer = this.clock.setTimeout(() => {
        this.mraiTimer = undefined;
        this.schedule();
      }, Math.max(0, next - this.clock.now()));
    }
  }

  private scheduleGr(): void {
    const at = this.rib.nextDeadline();
    if (this.grTimer) this.clock.clearTimeout(this.grTimer);
    this.grTimer = undefined;
    if (at === undefined) return;
    this.grTimer = this.clock.setTimeout(() => {
      this.grTimer = undefined;
      this.rib.tick(this.clock.now());
      this.scheduleGr();
      this.schedule();
    }, Math.max(0, at - this.clock.now()));
  }

  /**
   * Stops every session. restart: close without NOTIFICATION, so the peers keep our routes under graceful restart
   * and the kernel keeps theirs; withdraw: withdraw our prefixes, let the UPDATEs drain, then Cease.
   */
  async stop(mode: 'restart' | 'withdraw', message?: string): Promise<void> {
    if (mode === 'withdraw') {
      this.originate([]);
      this.pump();
      await this.outputWritten(WITHDRAW_DRAIN_MS);
    }
    this.stopped = true;
    for (const t of [this.mraiTimer, this.grTimer]) if (t) this.clock.clearTimeout(t);
    await this.listener?.close();
    await Promise.all([...this.peers.values()].map((e) => e.session.stop(mode === 'restart' ? { silent: true } : { message: message ?? 'node leaving' })));
  }

  /**
   * Resolves once every Established peer's withdrawals are in its socket (the Cease written after them then
   * arrives after them: one TCP stream, and close() ends the socket only when it has flushed), or after limitMs
   * when a peer's socket stays full. Only a blocked peer (socket buffer full) makes this wait at all.
   */
  private async outputWritten(limitMs: number): Promise<void> {
    const deadline = Date.now() + limitMs;
    const waiting = (): boolean => [...this.peers.values()].some((e) => e.emitter !== undefined
      && e.session.status().state === 'Established' && (e.blocked || !this.rib.outIdle(e.id)));
    while (waiting() && Date.now() < deadline) {
      this.schedule();
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  // ---- operator views -------------------------------------------------------------------------------------

  private sessionStatus(e: PeerEntry): SessionStatus {
    const s = e.session.status();
    const stats = this.rib.peerStats(e.id);
    return {
      peer: e.config.address,
      asn: e.config.asn,
      localAsn: this.node.asn,
      state: s.state,
      since: new Date(Date.now() - s.since).toISOString(),
      upDownSeconds: s.since / 1000,
      received: stats.received,
      accepted: stats.accepted,
      advertised: stats.advertised,
      info: e.adminDown ? 'administratively down' : s.info,
      dynamic: e.dynamic,
      origin: e.dynamic ? 'dynamic' : e.config.origin,
    };
  }

  status(): StatusResponse {
    return {
      node: this.node.name,
      site: this.site.site,
      asn: this.node.asn,
      routerId: this.node.routerId,
      sessions: [...this.peers.values()].map((e) => this.sessionStatus(e)),
    };
  }

  private entry(address: string): PeerEntry {
    const e = this.peers.get(address);
    if (!e) throw Object.assign(new Error(`no such neighbor: ${address}`), { status: 404 });
    return e;
  }

  neighbor(address: string): NeighborDetail {
    const e = this.entry(address);
    const s = e.session.status();
    const note = (n: { code: number; subcode: number; name?: string; message: string | null } | null) =>
      n ? { code: n.code, subcode: n.subcode, name: n.name ?? notificationName(n.code, n.subcode), ...(n.message ? { message: n.message } : {}) } : null;
    return {
      ...this.sessionStatus(e),
      localAddress: s.local.address,
      remotePort: s.remote.port,
      routerId: s.peerRouterId ?? null,
      capabilities: { sent: s.capabilities.sent, received: s.capabilities.received, negotiated: s.capabilities.negotiated },
      timers: { holdTime: s.timers.hold, keepalive: s.timers.keepalive, connectRetry: s.timers.connectRetry },
      messages: { sent: s.messages.sent, received: s.messages.received },
      lastError: s.lastError ? { reason: s.lastError, at: null } : null,
      lastNotificationSent: note(s.lastNotification.sent),
      lastNotificationReceived: note(s.lastNotification.received),
      flaps: s.flaps,
    };
  }

  refresh(address: string): string {
    const e = this.entry(address);
    const sent = [1, 2].filter((afi) => e.session.refresh(afi, 1));
    if (sent.length === 0) throw Object.assign(new Error(`${address}: route refresh not possible (session not Established, or not negotiated)`), { status: 409 });
    return `ROUTE-REFRESH sent to ${address} for ${sent.map((a) => (a === 1 ? 'IPv4' : 'IPv6')).join(' and ')} unicast`;
  }

  async shutdown(address: string, message: string): Promise<string> {
    const e = this.entry(address);
    e.adminDown = true;
    await e.session.stop({ message });
    return `session with ${address} shut down${message ? ` (message: "${message}")` : ''}`;
  }

  startPeer(address: string): string {
    const e = this.entry(address);
    e.adminDown = false;
    e.session.start();
    return `session with ${address} started`;
  }

  routes(opts: { peer?: string; detail?: boolean; transport?: (family: Family, prefix: string) => string | undefined } = {}): RoutesResponse {
    const routes: RouteView[] = [];
    const same = (x: RibPath, y: RibPath | null): boolean => y !== null && x.peer === y.peer && x.pathId === y.pathId;
    const view = (p: RibPath, best: RibPath | null, multipath: readonly RibPath[], reason: string | null): PathView => {
      const a = p.attrs;
      const isBest = same(p, best);
      return {
        peer: p.peer === LOCAL_PEER ? 'local' : p.peerAddress,
        ...(p.pathId ? { pathId: p.pathId } : {}),
        nextHop: a.nextHop || 'self',
        asPath: a.asPath.map((s) => (s.type === 1 || s.type === 4 ? `{${s.asns.join(',')}}` : s.asns.join(' '))).join(' '),
        origin: ['igp', 'egp', 'incomplete'][a.origin],
        ...(a.localPref !== undefined ? { localPref: a.localPref } : {}),
        ...(a.med !== undefined ? { med: a.med } : {}),
        ...(opts.detail && a.communities.length ? { communities: a.communities.map((c) => `${Math.floor(c / 65536)}:${c % 65536}`) } : {}),
        ...(opts.detail && a.largeCommunities.length ? { largeCommunities: a.largeCommunities.map((c) => c.join(':')) } : {}),
        ...(opts.detail && a.originatorId !== undefined ? { originatorId: formatIPv4(a.originatorId) } : {}),
        ...(opts.detail && a.clusterList.length ? { clusterList: a.clusterList.map((c) => formatIPv4(c)) } : {}),
        best: isBest,
        multipath: multipath.some((m) => same(p, m)),
        stale: p.stale,
        ...(isBest && reason ? { reason } : {}),
      };
    };
    for (const family of ['ipv4', 'ipv6'] as const) {
      this.rib.forEachBest(family, (c) => {
        const entry = opts.detail ? this.rib.lookup(family, c.prefix) : undefined;
        const paths = (entry?.paths ?? c.multipath).filter((p) => !opts.peer || p.peerAddress === opts.peer);
        if (paths.length === 0) return;
        const prefix = formatPrefix(c.prefix);
        const transport = opts.transport?.(family, prefix);
        routes.push({ prefix, family, paths: paths.map((p) => view(p, c.best, c.multipath, c.reason)), ...(transport ? { transport } : {}) });
      });
    }
    return { routes, total: routes.length };
  }

  /** O(1) counts for polling (benchmarks, metrics). */
  counts(): { prefixes: { ipv4: number; ipv6: number }; sessions: number; established: number } {
    let established = 0;
    for (const e of this.peers.values()) if (e.session.state === 'Established') established++;
    return { prefixes: { ipv4: this.rib.size('ipv4'), ipv6: this.rib.size('ipv6') }, sessions: this.peers.size, established };
  }
}
