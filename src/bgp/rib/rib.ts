// The RIB of one speaker: per-peer Adj-RIB-In (post-policy, optionally pre-policy), the Loc-RIB with best path and
// multipath per prefix, per-peer Adj-RIB-Out, graceful-restart helper state and max-prefix accounting.
// Pure: no I/O, no timers; time comes from the injected clock.
//
// How it is driven (see index.ts for the whole API):
//   session layer: addPeer, peerUp / peerDown, receive / withdraw / endOfRib per UPDATE, tick on a timer,
//                  takeUpdates(peer) after flush() (and again at TakeResult.nextAt for MRAI), routeRefresh.
//   agent:         originate / withdrawOriginated for the node's own prefixes.
//   route planner: the LocRibChange batch returned by flush(), and lookup() / forEachBest() for a full sync.

import { AttrTable } from './attr-table.js';
import type { AttrSet, PathAttributes } from './attrs.js';
import { asPathCount, emptyList, withAttrs } from './attrs.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import type { BestReason, Candidate, DecisionOptions, MultipathOptions } from './decision.js';
import { BEST_REASONS, selectBest } from './decision.js';
import { DF_DIRTY, DestTable } from './dest-table.js';
import type { ExportEnv } from './export-rules.js';
import { exportVerdict, rewriteForPeer } from './export-rules.js';
import type { Exporter, TakeResult } from './adj-rib-out.js';
import { AdjRibOut } from './adj-rib-out.js';
import { PathIndex } from './path-index.js';
import type { PeerConfig, PeerId, SessionInfo } from './peer.js';
import { LOCAL_PEER, Peer, routerIdNumber } from './peer.js';
import type { Family, PrefixKey } from './prefix.js';
import { FAMILIES, familyIndex } from './prefix.js';
import type { PolicyContext, RoutePolicy } from './route-policy.js';
import { RF_MULTIPATH, RF_SELECTED, RF_STALE, RF_V6, RouteStore } from './route-store.js';

export interface RibOptions {
  readonly localAsn: number;
  /** Our BGP Identifier (dotted quad or uint32). */
  readonly routerId: string | number;
  /** RFC 4456 CLUSTER_ID when reflecting; defaults to the router id. */
  readonly clusterId?: string | number;
  readonly clock?: Clock;
  readonly alwaysCompareMed?: boolean;
  readonly medMissingAsWorst?: boolean;
  readonly defaultLocalPref?: number;
  readonly igpMetric?: (nextHop: string) => number;
  /** Most paths installed together per prefix (ECMP). Default 1. */
  readonly maxPaths?: number;
  /** Multipath across different AS paths of equal length (different neighbouring ASes). */
  readonly multipathRelaxAsPath?: boolean;
  /** How long stale routes wait for End-of-RIB after the peer is back (ms). Default 360 s. */
  readonly stalePathTimeMs?: number;
}

export interface RibPath {
  /** LOCAL_PEER (0) for locally originated routes. */
  readonly peer: PeerId;
  /** '' for locally originated routes. */
  readonly peerAddress: string;
  readonly pathId: number;
  readonly attrs: AttrSet;
  readonly stale: boolean;
}

/** One prefix whose selection changed: new best and multipath set, or withdrawn (best null). */
export interface LocRibChange {
  readonly family: Family;
  readonly prefix: PrefixKey;
  readonly best: RibPath | null;
  readonly reason: BestReason | null;
  /** Best first; empty when withdrawn. Its next hops are the ECMP group. */
  readonly multipath: readonly RibPath[];
}

export interface RibEntry extends LocRibChange {
  /** Every candidate path, best first. */
  readonly paths: readonly RibPath[];
}

export interface ReceiveResult {
  readonly accepted: number;
  readonly rejected: number;
  /** The peer's accepted count is above its maxPrefix: the session should send Cease/1 (RFC 4486) and back off. */
  readonly maxPrefixExceeded: boolean;
}

export interface PeerStats {
  readonly up: boolean;
  /** Prefixes currently held from the peer before import policy. */
  readonly received: number;
  /** Prefixes currently held after import policy. */
  readonly accepted: number;
  /** Prefixes currently advertised to the peer. */
  readonly advertised: number;
  readonly stale: number;
  readonly maxPrefixExceeded: boolean;
  readonly byFamily: Readonly<Record<Family, { readonly received: number; readonly accepted: number }>>;
}

export class RibError extends Error {
  override readonly name = 'RibError';
  constructor(message: string, readonly peer?: PeerId) {
    super(message);
  }
}

export class Rib {
  readonly attrs = new AttrTable();
  readonly routes = new RouteStore();
  readonly dests: readonly [DestTable, DestTable] = [new DestTable('ipv4'), new DestTable('ipv6')];
  readonly clock: Clock;
  readonly decision: DecisionOptions;
  readonly multipath: MultipathOptions;
  private readonly peers: (Peer | undefined)[];
  private readonly upPeers: Peer[] = [];
  private readonly env: { -readonly [K in keyof ExportEnv]: ExportEnv[K] };
  private readonly stalePathTimeMs: number;
  /** receive()'s per-UPDATE memo of import results by policy term, reused (no allocation per UPDATE). */
  private readonly receiveMemo = new TermMemo();

  constructor(readonly options: RibOptions) {
    this.clock = options.clock ?? systemClock;
    this.decision = {
      localAsn: options.localAsn,
      defaultLocalPref: options.defaultLocalPref ?? 100,
      alwaysCompareMed: options.alwaysCompareMed ?? false,
      medMissingAsWorst: options.medMissingAsWorst ?? false,
      igpMetric: options.igpMetric,
    };
    this.multipath = { maxPaths: options.maxPaths ?? 1, relaxAsPath: options.multipathRelaxAsPath ?? false };
    const routerId = routerIdNumber(options.routerId);
    this.env = {
      localAsn: options.localAsn,
      routerId,
      clusterId: options.clusterId === undefined ? routerId : routerIdNumber(options.clusterId),
      defaultLocalPref: this.decision.defaultLocalPref,
      reflector: false,
    };
    this.stalePathTimeMs = options.stalePathTimeMs ?? 360_000;
    this.peers = [new Peer(LOCAL_PEER, { address: '', asn: options.localAsn }, options.localAsn, 'local')];
  }

  // ---------------------------------------------------------------- peers

  addPeer(config: PeerConfig): PeerId {
    const id = this.peers.length;
    const p = new Peer(id, config, this.options.localAsn);
    this.peers.push(p);
    if (p.rrClient) this.env.reflector = true;
    return id;
  }

  /** Removes a peer and everything learned from it. */
  removePeer(id: PeerId): void {
    const p = this.peer(id);
    this.peerDown(id, { graceful: false });
    this.sweep(p, undefined, false);
    this.peers[id] = undefined;
    this.env.reflector = this.peers.some((x) => x?.rrClient === true);
  }

  /** The session reached Established. The peer's Adj-RIB-Out is filled from the Loc-RIB. */
  peerUp(id: PeerId, session: SessionInfo): void {
    const p = this.peer(id);
    if (p.up) this.peerDown(id, { graceful: false });
    p.up = true;
    p.session = session;
    p.routerId = routerIdNumber(session.routerId);
    p.maxPrefixExceeded = false;
    p.addPathRecv = [session.addPathReceive?.includes('ipv4') ?? false, session.addPathReceive?.includes('ipv6') ?? false];
    p.inPre = [new PathIndex('ipv4', p.addPathRecv[0]), new PathIndex('ipv6', p.addPathRecv[1])];
    if (p.staleCount > 0) {
      // RFC 4724 §4.2: stale routes of families the peer did not preserve go now; the rest wait for End-of-RIB.
      const kept = session.gracefulRestart?.preserved ?? [];
      for (const f of FAMILIES) if (!kept.includes(f)) this.sweep(p, familyIndex(f), true);
      p.staleDeadline = p.staleCount > 0 ? this.clock.now() + this.stalePathTimeMs : undefined;
    }
    const families = session.families ?? FAMILIES;
    const sendMax = p.config.addPathSendMax ?? 1;
    const addPath: [boolean, boolean] = [
      sendMax > 1 && (session.addPathSend?.includes('ipv4') ?? false),
      sendMax > 1 && (session.addPathSend?.includes('ipv6') ?? false),
    ];
    p.out = new AdjRibOut(this.attrs, families, addPath, p.config.mraiMs ?? 0);
    this.upPeers.push(p);
    this.markAllFor(p);
  }

  /**
   * The session is gone. graceful: it ended without a NOTIFICATION and the peer advertised Graceful Restart, so
   * its routes are kept, marked stale, until it comes back and sends End-of-RIB or the restart time runs out.
   */
  peerDown(id: PeerId, opts: { graceful: boolean }): void {
    const p = this.peer(id);
    if (!p.up) return;
    p.up = false;
    const i = this.upPeers.indexOf(p);
    if (i >= 0) this.upPeers.splice(i, 1);
    p.out?.dispose();
    p.out = undefined;
    for (const pre of p.inPre) {
      if (p.softReconfig) pre.forEach((_k, _p, attrId) => this.attrs.release(attrId));
      pre.clear();
    }
    const gr = p.session?.gracefulRestart;
    if (opts.graceful && p.config.gracefulRestartHelper !== false && gr !== undefined && gr.restartTimeSec > 0) {
      const s = this.routes;
      for (let r = p.routeHead; r >= 0; r = s.peerNext[r]!) {
        if ((s.flags[r]! & RF_STALE) === 0) {
          s.flags[r]! |= RF_STALE;
          p.staleCount++;
        }
      }
      p.staleDeadline = p.staleCount > 0 ? this.clock.now() + gr.restartTimeSec * 1000 : undefined;
    } else {
      this.sweep(p, undefined, false);
      p.staleDeadline = undefined;
    }
  }

  /** End-of-RIB from the peer for a family: its routes still stale there are gone (RFC 4724 §4.2). */
  endOfRib(id: PeerId, family: Family): number {
    const p = this.peer(id);
    const n = this.sweep(p, familyIndex(family), true);
    if (p.staleCount === 0) p.staleDeadline = undefined;
    return n;
  }

  /** Expires graceful-restart timers. Returns the peers whose stale routes were swept. */
  tick(now = this.clock.now()): PeerId[] {
    const swept: PeerId[] = [];
    for (const p of this.peers) {
      if (p?.staleDeadline !== undefined && p.staleDeadline <= now) {
        this.sweep(p, undefined, true);
        p.staleDeadline = undefined;
        swept.push(p.id);
      }
    }
    return swept;
  }

  /** The earliest time tick() has work to do (ms), or undefined. */
  nextDeadline(): number | undefined {
    let t: number | undefined;
    for (const p of this.peers) {
      if (p?.staleDeadline !== undefined && (t === undefined || p.staleDeadline < t)) t = p.staleDeadline;
    }
    return t;
  }

  peerStats(id: PeerId): PeerStats {
    const p = this.peer(id);
    const r4 = p.received('ipv4');
    const r6 = p.received('ipv6');
    return {
      up: p.up,
      received: r4 + r6,
      accepted: p.accepted[0] + p.accepted[1],
      advertised: p.out?.advertised ?? 0,
      stale: p.staleCount,
      maxPrefixExceeded: p.maxPrefixExceeded,
      byFamily: { ipv4: { received: r4, accepted: p.accepted[0] }, ipv6: { received: r6, accepted: p.accepted[1] } },
    };
  }

  // ---------------------------------------------------------------- Adj-RIB-In

  /**
   * An UPDATE's announced NLRI for one family, all sharing `attrs` (already decoded and mapped). pathIds is
   * parallel to nlri when ADD-PATH receive is negotiated for the family. `count`: only the first `count` entries
   * (a caller reusing its lists across UPDATEs).
   */
  receive(id: PeerId, family: Family, attrs: PathAttributes, nlri: readonly PrefixKey[], pathIds?: readonly number[],
    count = nlri.length): ReceiveResult {
    const p = this.upPeer(id);
    const fi = familyIndex(family);
    let input = attrs;
    // RFC 4271 §5.1.5 / RFC 4456 §8: LOCAL_PREF, ORIGINATOR_ID, CLUSTER_LIST from outside the AS are ignored.
    if (p.kind === 'ebgp' && (attrs.localPref !== undefined || attrs.originatorId !== undefined || attrs.clusterList.length > 0)) {
      input = withAttrs(attrs, { localPref: undefined, originatorId: undefined, clusterList: emptyList<number>() });
    }
    const loop = this.isLoop(p, input);
    const set = this.attrs.intern(input);
    const memo = this.receiveMemo;
    memo.clear();
    const ctx = this.policyContext(p, family);
    const pre = p.inPre[fi];
    const soft = p.softReconfig;
    const usePathIds = p.addPathRecv[fi] && pathIds !== undefined;
    let accepted = 0;
    let rejected = 0;
    if (!loop) this.dests[fi].prefetch(nlri, count);
    try {
      for (let k = 0; k < count; k++) {
        const key = nlri[k]!;
        const pid = usePathIds ? pathIds[k]! : 0;
        if (soft) {
          const old = pre.get(key, pid);
          if (old !== set.id) {
            this.attrs.ref(set.id);
            pre.set(key, pid, set.id);
            if (old >= 0) this.attrs.release(old);
          }
        }
        const out = loop ? null : this.importOne(p.importPolicy, key, set, ctx, memo);
        if (out === null) {
          rejected++;
          if (!soft) pre.set(key, pid, 0);
          this.removePath(p, fi, key, pid);
        } else {
          accepted++;
          if (!soft && pre.size > 0) pre.delete(key, pid);
          this.upsert(p, fi, key, pid, out);
        }
      }
    } finally {
      this.attrs.release(set.id);
      memo.releaseAll(this.attrs);
    }
    return { accepted, rejected, maxPrefixExceeded: this.checkMaxPrefix(p) };
  }

  /** Withdrawn NLRI of one family (the first `count`). */
  withdraw(id: PeerId, family: Family, nlri: readonly PrefixKey[], pathIds?: readonly number[], count = nlri.length): void {
    const p = this.upPeer(id);
    const fi = familyIndex(family);
    const pre = p.inPre[fi];
    const usePathIds = p.addPathRecv[fi] && pathIds !== undefined;
    for (let k = 0; k < count; k++) {
      const key = nlri[k]!;
      const pid = usePathIds ? pathIds[k]! : 0;
      if (pre.size > 0) {
        const old = pre.get(key, pid);
        if (old >= 0) {
          pre.delete(key, pid);
          if (p.softReconfig) this.attrs.release(old);
        }
      }
      this.removePath(p, fi, key, pid);
    }
  }

  /**
   * Replaces a peer's import policy. With soft reconfiguration the stored pre-policy routes are re-evaluated now
   * and true is returned; otherwise false: the session should send a ROUTE-REFRESH so the peer re-sends them.
   */
  setImportPolicy(id: PeerId, policy: RoutePolicy): boolean {
    const p = this.peer(id);
    p.importPolicy = policy;
    if (!p.softReconfig || !p.up) return false;
    for (const fi of [0, 1] as const) {
      const family = FAMILIES[fi]!;
      const ctx = this.policyContext(p, family);
      const memos = new Map<number, TermMemo>();
      const entries: [PrefixKey, number, number][] = [];
      p.inPre[fi].forEach((k, pid, attrId) => entries.push([k, pid, attrId]));
      try {
        for (const [key, pid, attrId] of entries) {
          const set = this.attrs.get(attrId);
          let memo = memos.get(attrId);
          if (memo === undefined) memos.set(attrId, (memo = new TermMemo()));
          const out = this.isLoop(p, set) ? null : this.importOne(policy, key, set, ctx, memo);
          if (out === null) this.removePath(p, fi, key, pid);
          else this.upsert(p, fi, key, pid, out);
        }
      } finally {
        for (const m of memos.values()) m.releaseAll(this.attrs);
      }
    }
    this.checkMaxPrefix(p);
    return true;
  }

  /** Replaces a peer's export policy; everything is re-evaluated at the next takeUpdates. */
  setExportPolicy(id: PeerId, policy: RoutePolicy): void {
    const p = this.peer(id);
    p.exportPolicy = policy;
    if (p.out !== undefined) {
      this.markAllFor(p);
      for (const f of FAMILIES) p.out.markSent(f);
    }
  }

  // ---------------------------------------------------------------- local routes

  /** Originates a prefix from this node (nextHop '' means "self" when sent). */
  originate(family: Family, prefix: PrefixKey, attrs: PathAttributes): void {
    const set = this.attrs.intern(attrs);
    this.upsert(this.peers[LOCAL_PEER]!, familyIndex(family), prefix, 0, set);
    this.attrs.release(set.id);
  }

  withdrawOriginated(family: Family, prefix: PrefixKey): void {
    this.removePath(this.peers[LOCAL_PEER]!, familyIndex(family), prefix, 0);
  }

  // ---------------------------------------------------------------- Loc-RIB output

  /**
   * Reports every prefix whose selection changed since the last flush (coalesced), and queues those prefixes in
   * each established peer's Adj-RIB-Out. Call after each batch of receive/withdraw (e.g. per UPDATE or per read).
   * collect=false skips building the change objects (when the consumer reads state through lookup()).
   */
  flush(collect = true): LocRibChange[] {
    const changes: LocRibChange[] = [];
    for (const fi of [0, 1] as const) {
      const t = this.dests[fi];
      if (t.dirty.length === 0) continue;
      const family = FAMILIES[fi]!;
      const dirty = t.dirty;
      t.dirty = [];
      const outs = this.upPeers.filter((p) => p.hasFamily(family));
      for (const d of dirty) {
        t.dflags[d]! &= ~DF_DIRTY;
        const key = t.keyOf(d);
        if (collect) changes.push(this.describe(t, d, key, false));
        const b = t.best[d]!;
        const from = b >= 0 ? this.routes.peer[b]! : -1;
        for (const p of outs) {
          // Its own best path is never sent back to a peer: skip unless something is to be withdrawn.
          if (from === p.id && !p.out!.addPath[fi] && !p.out!.hasSent(family, key)) continue;
          // Nor a prefix its export policy rejects outright, unless something is to be withdrawn.
          if (this.exportRejects(p, family, key)) continue;
          p.out!.markDirty(family, key);
        }
        if (t.head[d]! < 0) t.release(d);
      }
    }
    return changes;
  }

  /** The Loc-RIB entry of one prefix (all candidates when detail is set), or undefined. */
  lookup(family: Family, prefix: PrefixKey): RibEntry | undefined {
    const t = this.dests[familyIndex(family)];
    const d = t.find(prefix);
    if (d < 0 || t.head[d]! < 0) return undefined;
    return this.describe(t, d, prefix, true);
  }

  /** Visits every prefix with a best path. */
  forEachBest(family: Family, fn: (entry: LocRibChange) => void): void {
    const t = this.dests[familyIndex(family)];
    t.forEach((key, d) => {
      if (t.best[d]! >= 0) fn(this.describe(t, d, key, false));
    });
  }

  /** Prefixes with at least one path (O(1)). */
  size(family: Family): number {
    return this.dests[familyIndex(family)].size;
  }

  // ---------------------------------------------------------------- Adj-RIB-Out

  /**
   * The UPDATE plans for a peer now: withdrawals at once, announcements subject to MRAI, packed by attribute set,
   * End-of-RIB after the initial table. Call flush() first.
   */
  takeUpdates(id: PeerId, now = this.clock.now()): TakeResult {
    const p = this.upPeer(id);
    if (p.out!.idle) return { plans: [], nextAt: undefined };
    return p.out!.take(now, this.exporterFor(p));
  }

  /** Nothing waits in the peer's Adj-RIB-Out (no prefix to look at, no End-of-RIB to send); true for a peer that is down. */
  outIdle(id: PeerId): boolean {
    const p = this.peer(id);
    return !p.up || p.out === undefined || p.out.idle;
  }

  /** The peer asked for a ROUTE-REFRESH (RFC 2918): re-advertise the family. */
  routeRefresh(id: PeerId, family: Family): void {
    this.upPeer(id).out!.refresh(family);
  }

  // ---------------------------------------------------------------- internals

  private peer(id: PeerId): Peer {
    const p = this.peers[id];
    if (p === undefined || id === LOCAL_PEER) throw new RibError(`no peer ${id}`, id);
    return p;
  }

  private upPeer(id: PeerId): Peer {
    const p = this.peer(id);
    if (!p.up) throw new RibError(`peer ${p.address} is not established`, id);
    return p;
  }

  private policyContext(p: Peer, family: Family): PolicyContext {
    return { family, localAsn: this.options.localAsn, peerAsn: p.asn, nextHopSelf: p.nextHopSelf(family) };
  }

  /** AS_PATH loop (RFC 4271 §9.1.2), ORIGINATOR_ID and CLUSTER_LIST loops (RFC 4456 §8). */
  private isLoop(p: Peer, a: PathAttributes): boolean {
    if (a.asPath.length > 0 && asPathCount(a.asPath, this.options.localAsn) > (p.config.allowOwnAsIn ?? 0)) return true;
    if (p.kind === 'ibgp') {
      if (a.originatorId !== undefined && a.originatorId === this.env.routerId) return true;
      if (a.clusterList.length > 0 && a.clusterList.includes(this.env.clusterId)) return true;
    }
    return false;
  }

  /** Import policy for one prefix; results are memoised per matched term (they hold one reference each). */
  private importOne(
    policy: RoutePolicy, key: PrefixKey, set: AttrSet, ctx: PolicyContext, memo: TermMemo,
  ): AttrSet | null {
    const term = policy.match(key, set);
    const hit = memo.get(term);
    if (hit !== undefined) return hit;
    const r = policy.apply(term, set, ctx);
    const res = r === null ? null : this.attrs.intern(r);
    memo.set(term, res);
    return res;
  }

  private checkMaxPrefix(p: Peer): boolean {
    const max = p.config.maxPrefix;
    if (max !== undefined && p.accepted[0] + p.accepted[1] > max) p.maxPrefixExceeded = true;
    return p.maxPrefixExceeded;
  }

  private findRoute(t: DestTable, d: number, peer: PeerId, pid: number): number {
    const s = this.routes;
    for (let r = t.head[d]!; r >= 0; r = s.next[r]!) if (s.peer[r] === peer && s.pathIdOf(r) === pid) return r;
    return -1;
  }

  /** Adds or replaces the path (peer, pathId) of a prefix; takes its own reference to `set`. */
  private upsert(p: Peer, fi: 0 | 1, key: PrefixKey, pid: number, set: AttrSet): void {
    const t = this.dests[fi];
    const s = this.routes;
    const d = t.findOrCreate(key);
    let r = this.findRoute(t, d, p.id, pid);
    if (r >= 0) {
      const stale = (s.flags[r]! & RF_STALE) !== 0;
      if (s.attr[r] === set.id && !stale) return;
      if (stale) {
        s.flags[r]! &= ~RF_STALE;
        p.staleCount--;
      }
      if (s.attr[r] !== set.id) {
        this.attrs.ref(set.id);
        this.attrs.release(s.attr[r]!);
        s.attr[r] = set.id;
      }
      this.recompute(t, d, r, false);
      return;
    }
    r = s.alloc();
    if (fi === 1) s.flags[r]! |= RF_V6;
    s.attr[r] = set.id;
    this.attrs.ref(set.id);
    s.peer[r] = p.id;
    s.setPathId(r, pid);
    s.dest[r] = d;
    if (t.head[d]! < 0) t.live++;
    s.next[r] = t.head[d]!;
    t.head[d] = r;
    s.peerPrev[r] = -1;
    s.peerNext[r] = p.routeHead;
    if (p.routeHead >= 0) s.peerPrev[p.routeHead] = r;
    p.routeHead = r;
    p.accepted[fi]++;
    this.recompute(t, d, r, false);
  }

  private removePath(p: Peer, fi: 0 | 1, key: PrefixKey, pid: number): void {
    const t = this.dests[fi];
    const d = t.find(key);
    if (d < 0) return;
    const r = this.findRoute(t, d, p.id, pid);
    if (r >= 0) this.removeRoute(r);
  }

  private removeRoute(r: number): void {
    const s = this.routes;
    const fi = (s.flags[r]! & RF_V6) !== 0 ? 1 : 0;
    const t = this.dests[fi];
    const d = s.dest[r]!;
    const p = this.peers[s.peer[r]!]!;
    let prev = -1;
    for (let x = t.head[d]!; x !== r; x = s.next[x]!) prev = x;
    if (prev < 0) {
      t.head[d] = s.next[r]!;
      if (t.head[d]! < 0) t.live--;
    } else {
      s.next[prev] = s.next[r]!;
    }
    const pp = s.peerPrev[r]!;
    const pn = s.peerNext[r]!;
    if (pp < 0) p.routeHead = pn;
    else s.peerNext[pp] = pn;
    if (pn >= 0) s.peerPrev[pn] = pp;
    const selected = (s.flags[r]! & RF_SELECTED) !== 0;
    if ((s.flags[r]! & RF_STALE) !== 0) p.staleCount--;
    p.accepted[fi]--;
    this.attrs.release(s.attr[r]!);
    s.free(r);
    if (t.best[d] === r) t.best[d] = -1;
    this.recompute(t, d, -1, selected);
  }

  /** Removes a peer's routes (all families, or one), only the stale ones if staleOnly. */
  private sweep(p: Peer, fi: 0 | 1 | undefined, staleOnly: boolean): number {
    if (staleOnly && p.staleCount === 0) return 0;
    const s = this.routes;
    let n = 0;
    for (let r = p.routeHead; r >= 0;) {
      const next = s.peerNext[r]!;
      const f = s.flags[r]!;
      const famOk = fi === undefined || ((f & RF_V6) !== 0) === (fi === 1);
      if (famOk && (!staleOnly || (f & RF_STALE) !== 0)) {
        this.removeRoute(r);
        n++;
      }
      r = next;
    }
    return n;
  }

  /** Re-runs the decision for a destination after `touched` changed (or a selected route was removed). */
  private recompute(t: DestTable, d: number, touched: number, removedWasSelected: boolean): void {
    const s = this.routes;
    const flags = s.flags;
    const head = t.head[d]!;
    let changed = removedWasSelected;
    if (head < 0) {
      t.best[d] = -1;
      t.reason[d] = 0;
      if (changed) t.markDirty(d);
      return;
    }
    if (s.next[head]! < 0) {
      if ((flags[head]! & RF_SELECTED) !== RF_SELECTED || head === touched || t.best[d] !== head) changed = true;
      flags[head]! |= RF_SELECTED;
      t.best[d] = head;
      t.reason[d] = 0;
      if (changed) t.markDirty(d);
      return;
    }
    const ids: number[] = [];
    const cands: Candidate[] = [];
    for (let r = head; r >= 0; r = s.next[r]!) {
      ids.push(r);
      cands.push({ attrs: this.attrs.get(s.attr[r]!), src: this.peers[s.peer[r]!]!, pathId: s.pathIdOf(r) });
    }
    const sel = selectBest(cands, this.decision, this.multipath);
    const bestR = ids[sel.best]!;
    for (let k = 0; k < ids.length; k++) {
      const r = ids[k]!;
      const before = flags[r]! & RF_SELECTED;
      const after = r === bestR ? RF_SELECTED : sel.multipath.includes(k) ? RF_MULTIPATH : 0;
      if (before !== after || (r === touched && (before | after) !== 0)) changed = true;
      flags[r] = (flags[r]! & ~RF_SELECTED) | after;
    }
    if (t.best[d] !== bestR) changed = true;
    t.best[d] = bestR;
    t.reason[d] = BEST_REASONS.indexOf(sel.reason);
    if (changed) t.markDirty(d);
  }

  private pathOf(r: number): RibPath {
    const s = this.routes;
    const p = this.peers[s.peer[r]!];
    return {
      peer: s.peer[r]!,
      peerAddress: p?.address ?? '',
      pathId: s.pathIdOf(r),
      attrs: this.attrs.get(s.attr[r]!),
      stale: (s.flags[r]! & RF_STALE) !== 0,
    };
  }

  private describe(t: DestTable, d: number, key: PrefixKey, all: true): RibEntry;
  private describe(t: DestTable, d: number, key: PrefixKey, all: false): LocRibChange;
  private describe(t: DestTable, d: number, key: PrefixKey, all: boolean): LocRibChange | RibEntry {
    const family = t.family;
    const b = t.best[d]!;
    if (b < 0) return { family, prefix: key, best: null, reason: null, multipath: [] };
    const s = this.routes;
    const best = this.pathOf(b);
    const multipath: RibPath[] = [best];
    const paths: RibPath[] = [best];
    for (let r = t.head[d]!; r >= 0; r = s.next[r]!) {
      if (r === b) continue;
      if ((s.flags[r]! & RF_MULTIPATH) !== 0) {
        const rp = this.pathOf(r);
        multipath.push(rp);
        if (all) paths.push(rp);
      } else if (all) paths.push(this.pathOf(r));
    }
    const reason = BEST_REASONS[t.reason[d]!]!;
    return all ? { family, prefix: key, best, reason, multipath, paths } : { family, prefix: key, best, reason, multipath };
  }

  private markAllFor(p: Peer): void {
    const out = p.out;
    if (out === undefined) return;
    for (const fi of [0, 1] as const) {
      const family = FAMILIES[fi]!;
      if (!p.hasFamily(family)) continue;
      const t = this.dests[fi];
      t.forEach((key, d) => {
        if (t.best[d]! >= 0 && !this.exportRejects(p, family, key)) out.markDirty(family, key);
      });
    }
  }

  /**
   * The peer's export policy rejects every route for the prefix (RoutePolicy.rejectsPrefix) and nothing is
   * advertised for it: there is nothing to compute or send, so the prefix need not be queued for the peer.
   */
  private exportRejects(p: Peer, family: Family, key: PrefixKey): boolean {
    const policy = p.exportPolicy;
    return policy.rejectsPrefix !== undefined && policy.rejectsPrefix(key) && !p.out!.hasSent(family, key);
  }

  private exporterFor(target: Peer): Exporter {
    // Memo tables indexed by attribute-set id (no per-prefix allocation): -2 unknown, -1 not exported, else set id.
    const rewritten = new Map<number, IdMemo>();
    const final = new Map<number, IdMemo>();
    const held: number[] = [];
    const env = this.env;
    const s = this.routes;
    const policy = target.exportPolicy;
    // Prefixes the policy rejects whatever their attributes: no rewrite, no interning (RoutePolicy.rejectsPrefix).
    const rejects = (key: PrefixKey): boolean => policy.rejectsPrefix !== undefined && policy.rejectsPrefix(key);
    const memoFor = (m: Map<number, IdMemo>, k: number): IdMemo => {
      let x = m.get(k);
      if (x === undefined) m.set(k, (x = new IdMemo()));
      return x;
    };
    const exportRoute = (family: Family, key: PrefixKey, r: number): AttrSet | null => {
      const src = this.peers[s.peer[r]!]!;
      const attrId = s.attr[r]!;
      // The rewrite depends on the family (next hop self is per family): memo per source peer and family.
      const fi = familyIndex(family);
      const m1 = memoFor(rewritten, src.id * 2 + fi);
      let w = m1.get(attrId);
      if (w === -2) {
        const a = this.attrs.get(attrId);
        if (exportVerdict(src, target, a, env) === 'ok') {
          w = this.attrs.intern(rewriteForPeer(src, target, a, family, env)).id;
          held.push(w);
        } else {
          w = -1;
        }
        m1.set(attrId, w);
      }
      if (w < 0) return null;
      const ws = this.attrs.get(w);
      const term = policy.match(key, ws);
      const m2 = memoFor(final, term * 2 + fi);
      let out = m2.get(w);
      if (out === -2) {
        const res = policy.apply(term, ws, this.policyContext(target, family));
        out = res === null ? -1 : this.attrs.intern(res).id;
        if (out >= 0) held.push(out);
        m2.set(w, out);
      }
      return out < 0 ? null : this.attrs.get(out);
    };
    return {
      best: (family, key) => {
        const t = this.dests[familyIndex(family)];
        const d = t.find(key);
        if (d < 0 || rejects(key)) return null;
        const b = t.best[d]!;
        return b < 0 ? null : exportRoute(family, key, b);
      },
      paths: (family, key) => {
        const ids: number[] = [];
        const sets: AttrSet[] = [];
        const t = this.dests[familyIndex(family)];
        const d = t.find(key);
        if (d < 0 || t.best[d]! < 0 || rejects(key)) return { ids, sets };
        const max = target.config.addPathSendMax ?? 1;
        const order = [t.best[d]!];
        for (let r = t.head[d]!; r >= 0; r = s.next[r]!) if (r !== order[0] && (s.flags[r]! & RF_MULTIPATH) !== 0) order.push(r);
        for (const r of order) {
          if (ids.length >= max) break;
          const a = exportRoute(family, key, r);
          if (a !== null) { ids.push(r + 1); sets.push(a); }
        }
        return { ids, sets };
      },
      done: () => {
        for (const id of held) this.attrs.release(id);
      },
    };
  }
}


/** Import results by policy term for one attribute set: a short list (an UPDATE meets one or two terms). */
class TermMemo {
  // Filled up to n and reused (emptying a list by setting its length would drop its storage every UPDATE).
  private readonly terms: number[] = [];
  private readonly sets: (AttrSet | null)[] = [];
  private n = 0;

  get(term: number): AttrSet | null | undefined {
    const terms = this.terms;
    for (let i = 0; i < this.n; i++) if (terms[i] === term) return this.sets[i];
    return undefined;
  }

  set(term: number, result: AttrSet | null): void {
    const i = this.n++;
    if (i < this.terms.length) {
      this.terms[i] = term;
      this.sets[i] = result;
    } else {
      this.terms.push(term);
      this.sets.push(result);
    }
  }

  clear(): void {
    for (let i = 0; i < this.n; i++) this.sets[i] = null;
    this.n = 0;
  }

  /** Drops the reference each interned result holds. */
  releaseAll(attrs: AttrTable): void {
    for (let i = 0; i < this.n; i++) {
      const v = this.sets[i];
      if (v !== null && v !== undefined) attrs.release(v.id);
    }
    this.clear();
  }
}

/** attr id -> int memo, -2 when unset; grows as needed (to the highest id used, not the table's capacity). */
class IdMemo {
  private v: Int32Array;
  constructor(size = 16) {
    this.v = new Int32Array(size).fill(-2);
  }
  get(id: number): number {
    return id < this.v.length ? this.v[id]! : -2;
  }
  set(id: number, value: number): void {
    if (id >= this.v.length) {
      const n = new Int32Array(Math.max(id + 1, this.v.length * 2)).fill(-2);
      n.set(this.v);
      this.v = n;
    }
    this.v[id] = value;
  }
}
