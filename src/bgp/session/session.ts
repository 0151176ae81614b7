// PeerSession: one neighbour. It owns one FSM per TCP connection (two while a collision is possible), the
// framing of each connection, one timer at the earliest FSM deadline, and the counters `rackroute neighbor`
// shows. It carries out the FSM's actions in order and talks to the rest of the agent only through
// SessionHooks.

import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  BgpCodecError, BgpFramer, decode, encode, formatIpv4, parseIpv4,
  type CodecContext, type OpenMessage as WireOpen,
} from '../codec/index.js';
import { checkTypeLength } from '../codec/header.js';
import {
  deadline, fsmConfig, initialState, nextDeadline, resolveCollision, step,
  type Direction, type FsmAction, type FsmConfig, type FsmEvent, type FsmState, type Negotiated, type Notification,
  type StateName, type StopSubcode, type EstablishedState, type OpenMessage as FsmOpen,
} from '../fsm/index.js';
import { peerLogger, type Logger } from '../../util/log.js';
import { systemClock } from './clock.js';
import { countMessage, emptyCounts, notificationRecord } from './counters.js';
import {
  capabilitiesJson, fsmOpen, localCapabilities, negotiatedContexts, wireOpen, type SessionContexts,
} from './open.js';
import { BGP_PORT, connectTcp } from './socket.js';
import type {
  Clock, DialOptions, Dialer, MessageCounts, NotificationRecord, PeerSessionOptions, SessionHooks,
  SessionPeerConfig, SessionSnapshot, SessionSocket, TimerSnapshot,
} from './types.js';

type Event = FsmEvent<Uint8Array>;
/** An event before the clock's `now` is stamped on it. */
type Input = Event extends infer E ? E extends Event ? Omit<E, 'now'> : never : never;

const KEEPALIVE = encode({ type: 'KEEPALIVE' });

/** Seconds a closing socket gets to flush its NOTIFICATION before it is destroyed. */
const CLOSE_GRACE_MS = 3000;

let nextConnectionId = 1;

/** See peerRestarted(): how long after Established a second OPEN with the R bit is taken for a collision. */
const RESTART_GUARD_MS = 10_000;

/** One TCP connection (or the lack of one) with its own FSM. */
interface Conn {
  readonly id: number;
  fsm: FsmState;
  socket: SessionSocket | null;
  direction: Direction | null;
  /** The TCP handshake completed. */
  connected: boolean;
  framer: BgpFramer;
  /** Error code seen before 'close', for the transition reason. */
  error: string | undefined;
  sentOpen: WireOpen | null;
  receivedOpen: WireOpen | null;
  /** Restored after a passive start made for an inbound connection: how the session restarts later. */
  passiveStart: boolean | undefined;
  /**
   * When the last UPDATE taken on the Established fast path arrived (see onMessage), or null. The FSM restarts
   * its hold timer from this time before it handles its next event (catchUp): the lazy hold timer.
   */
  heardAt: number | null;
}

const STOP_SUBCODES: Readonly<Record<number, StopSubcode>> = {
  1: 'maximum-prefixes-reached', 2: 'administrative-shutdown', 3: 'peer-deconfigured', 4: 'administrative-reset',
  6: 'other-configuration-change', 8: 'out-of-resources',
};

function errorCode(e: unknown): string {
  if (e !== null && typeof e === 'object') {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return String(e);
}

function defaultReadKey(file: string): Buffer {
  // A trailing newline is not part of the key (files written with echo).
  const raw = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  return Buffer.from(raw, 'utf8');
}

export class PeerSession {
  readonly address: string;
  readonly dynamic: boolean;
  private readonly peer: SessionPeerConfig;
  private readonly hooks: SessionHooks;
  private readonly clock: Clock;
  private readonly dialer: Dialer;
  private readonly options: PeerSessionOptions;
  private readonly baseLog: Logger | null;
  private log: Logger | null;
  private config: FsmConfig;
  private readonly localBgpId: number;
  /** conns[0] is the session's FSM; a second one exists while an inbound connection races ours. */
  private conns: Conn[];
  private queue: [Conn, Event][] = [];
  private draining = false;
  private timer: unknown = null;
  private timerAt: number | null = null;
  private readonly drainCallbacks: (() => void)[] = [];
  private readonly goneCallbacks: ((s: PeerSession) => void)[] = [];
  private goneReported = false;
  private everConnected = false;
  private started = false;
  private readonly sent: MessageCounts = emptyCounts();
  private readonly received: MessageCounts = emptyCounts();
  private lastSent: NotificationRecord | null = null;
  private lastReceived: NotificationRecord | null = null;
  private flaps = 0;
  private collisions = 0;
  private since: number;
  private establishedAt: number | null = null;
  private contexts: SessionContexts | null = null;
  private lastNegotiated: Negotiated | null = null;
  private lastOpens: { sent: WireOpen | null; received: WireOpen | null } = { sent: null, received: null };
  private lastAddresses = { localAddress: null as string | null, localPort: null as number | null, remotePort: null as number | null };

  constructor(options: PeerSessionOptions) {
    this.options = options;
    this.peer = options.peer;
    this.address = options.peer.address;
    this.dynamic = options.dynamic === true;
    this.hooks = options.hooks;
    this.clock = options.clock ?? systemClock;
    this.dialer = options.dial ?? ((o: DialOptions) => connectTcp(o));
    this.localBgpId = parseIpv4(options.local.routerId) >>> 0;
    this.baseLog = options.logger === undefined ? null : peerLogger(options.logger, this.address, options.peer.asn);
    this.log = this.baseLog?.child({ state: 'Idle' }) ?? null;
    this.config = this.buildConfig();
    this.since = this.clock.now();
    this.conns = [this.newConn(this.clock.now())];
  }

  // ---- the interface the speaker uses ------------------------------------------------------------

  /** The configured AS, or the one learned from the peer's OPEN (dynamic neighbours); 0 before that. */
  get asn(): number {
    if (typeof this.peer.asn === 'number') return this.peer.asn;
    return this.lastNegotiated?.peerAsn ?? 0;
  }

  get state(): StateName {
    return this.main.fsm.name;
  }

  /** Contexts for decoding what the peer sends and encoding what we send (they differ with one-way ADD-PATH). */
  get codecContexts(): SessionContexts | null {
    return this.main.fsm.name === 'Established' ? this.contexts : null;
  }

  /** ManualStart, or ManualStart with passive TCP establishment for passive and dynamic peers. */
  start(): void {
    this.started = true;
    this.config = this.buildConfig();
    const passive = this.peer.passive || this.dynamic;
    this.enqueue(this.main, { kind: passive ? 'manual-start-passive' : 'manual-start' });
  }

  /**
   * Administrative stop: Cease (subcode 2 by default) with the RFC 9003 message, or with `silent` a close
   * without NOTIFICATION (our own restart under GR). Resolves once every connection is closed.
   */
  stop(opts: { message?: string; silent?: boolean; subcode?: number } = {}): Promise<void> {
    const sockets = this.conns.map((c) => c.socket).filter((s): s is SessionSocket => s !== null);
    const closed = Promise.all(sockets.map((s) => new Promise<void>((resolve) => {
      if (s.destroyed) resolve();
      else s.once('close', () => resolve());
    })));
    const subcode = opts.subcode === undefined ? undefined : STOP_SUBCODES[opts.subcode];
    for (const c of [...this.conns]) {
      this.enqueue(c, {
        kind: 'manual-stop',
        ...(subcode !== undefined ? { subcode } : {}),
        ...(opts.message !== undefined ? { message: opts.message } : {}),
        ...(opts.silent === true ? { silent: true } : {}),
      });
    }
    return closed.then(() => undefined);
  }

  /** Writes pre-encoded messages (UPDATEs) on the Established connection; false when the socket buffer is full. */
  send(messages: readonly Uint8Array[]): boolean {
    const c = this.main;
    const socket = c.socket;
    if (c.fsm.name !== 'Established' || socket === null || messages.length === 0) return false;
    let ok = true;
    for (const m of messages) {
      ok = socket.write(m);
      countMessage(this.sent, m[18] ?? 0);
    }
    this.enqueue(c, { kind: 'update-sent' });
    return ok;
  }

  onDrain(cb: () => void): void {
    this.drainCallbacks.push(cb);
  }

  /** Called once a dynamic session is over (its connection ended): the listener forgets it. */
  onGone(cb: (s: PeerSession) => void): void {
    this.goneCallbacks.push(cb);
  }

  /** The speaker found a session-reset UPDATE error: NOTIFICATION 3/subcode, then the FSM's UpdateMsgErr. */
  updateError(subcode: number, data: Uint8Array): void {
    this.enqueue(this.main, { kind: 'update-error', subcode, data });
  }

  /** Cease 1 (RFC 4486) with `data` (AFI, SAFI, limit), then restart after the timer or never. */
  maxPrefixExceeded(restartAfterSeconds: number | 'never', data?: Uint8Array): void {
    this.enqueue(this.main, {
      kind: 'automatic-stop', subcode: 'maximum-prefixes-reached', restartAfter: restartAfterSeconds,
      ...(data !== undefined ? { data } : {}),
    });
  }

  /** Sends a ROUTE-REFRESH (RFC 2918) for the family if the capability was negotiated. */
  refresh(afi: number, safi: number): boolean {
    const c = this.main;
    if (c.fsm.name !== 'Established' || !c.fsm.negotiated.routeRefresh || c.socket === null) return false;
    if (!c.fsm.negotiated.families.some((f) => f.afi === afi && f.safi === safi)) return false;
    this.write(c, encode({ type: 'ROUTE-REFRESH', afi, safi, subtype: 0 }));
    return true;
  }

  /**
   * An inbound TCP connection from this peer (from the listener, or a test). It goes to the session's FSM when
   * that has no connection, else to a second FSM; collisions are resolved when the OPENs arrive. Returns false
   * when refused (the socket is then destroyed).
   */
  accept(socket: SessionSocket): boolean {
    const main = this.main;
    if (!this.started) return this.refuse(socket, 'not started');
    if (main.fsm.name === 'Idle') {
      if (main.fsm.adminDown || (this.dynamic && this.everConnected)) return this.refuse(socket, 'administratively down');
      // Waiting for an automatic restart: the peer's connection is a fine reason to start now.
      const next = this.newConn(this.clock.now());
      next.passiveStart = main.fsm.passiveStart;
      this.conns = [next, ...this.conns.slice(1)];
      this.config = this.buildConfig();
      this.attach(next, socket, 'inbound');
      this.enqueue(next, { kind: 'manual-start-passive' });
      this.enqueue(next, { kind: 'tcp-connection-confirmed' });
      return true;
    }
    if (main.socket === null && (main.fsm.name === 'Active' || main.fsm.name === 'Connect')) {
      this.config = this.buildConfig();
      this.attach(main, socket, 'inbound');
      this.enqueue(main, { kind: 'tcp-connection-confirmed' });
      return true;
    }
    if (this.conns.length >= 2) return this.refuse(socket, 'a collision is already being resolved');
    const second = this.newConn(this.clock.now());
    second.passiveStart = main.fsm.passiveStart;
    this.conns.push(second);
    this.config = this.buildConfig();
    this.attach(second, socket, 'inbound');
    this.enqueue(second, { kind: 'manual-start-passive' });
    this.enqueue(second, { kind: 'tcp-connection-confirmed' });
    return true;
  }

  status(): SessionSnapshot {
    const now = this.clock.now();
    const c = this.main;
    const s = c.fsm;
    const negotiated = s.name === 'OpenConfirm' || s.name === 'Established' ? s.negotiated : null;
    const remaining = (d: number | null): number | null => d === null ? null : Math.max(0, (d - now) / 1000);
    const timer = (configured: number, neg: number | null, d: number | null): TimerSnapshot =>
      ({ configured, negotiated: neg, remaining: remaining(d) });
    const sentOpen = c.sentOpen ?? this.lastOpens.sent;
    const receivedOpen = c.receivedOpen ?? this.lastOpens.received;
    const socket = c.socket;
    return {
      peer: this.address,
      asn: typeof this.peer.asn === 'number' ? this.peer.asn : (this.lastNegotiated?.peerAsn ?? this.peer.asn),
      localAsn: this.options.local.asn,
      dynamic: this.dynamic,
      state: s.name,
      since: now - this.since,
      info: s.lastTransition?.reason ?? '',
      lastError: s.lastError?.reason ?? null,
      capabilities: {
        sent: sentOpen === null ? [] : capabilitiesJson(sentOpen.capabilities),
        received: receivedOpen === null ? [] : capabilitiesJson(receivedOpen.capabilities),
        negotiated: negotiated ?? this.lastNegotiated,
      },
      timers: {
        hold: timer(this.peer.holdTime, negotiated?.holdTime ?? null, this.holdDeadline(c)),
        keepalive: timer(Math.floor(this.peer.holdTime / 3), negotiated?.keepaliveTime ?? null, s.timers.keepalive),
        connectRetry: timer(this.peer.connectRetry, null, s.timers.connectRetry),
      },
      messages: { sent: { ...this.sent }, received: { ...this.received } },
      lastNotification: { sent: this.lastSent, received: this.lastReceived },
      flaps: this.flaps,
      collisions: this.collisions,
      establishedAt: s.name === 'Established' ? this.establishedAt : null,
      local: {
        address: socket?.localAddress ?? this.lastAddresses.localAddress,
        port: socket?.localPort ?? this.lastAddresses.localPort,
      },
      remote: { address: this.address, port: socket?.remotePort ?? this.lastAddresses.remotePort },
      peerRouterId: receivedOpen?.bgpId ?? null,
      direction: socket === null ? null : c.direction,
      connections: this.conns.filter((x) => x.socket !== null).length,
    };
  }

  // ---- configuration ------------------------------------------------------------------------------

  private get main(): Conn {
    return this.conns[0] as Conn;
  }

  private seed(): number {
    return this.options.seed ?? randomInt(2 ** 31);
  }

  private buildConfig(): FsmConfig {
    const t = this.options.timers ?? {};
    return fsmConfig({
      localAsn: this.options.local.asn,
      localBgpId: this.localBgpId,
      peerAsn: this.peer.asn,
      holdTime: this.peer.holdTime,
      connectRetryTime: this.peer.connectRetry,
      passive: this.peer.passive || this.dynamic,
      automaticRestart: !this.dynamic,
      capabilities: localCapabilities(this.options.local, this.peer, this.options.gracefulRestart),
      idleHoldTime: t.idleHoldTime,
      maxBackoffTime: t.maxBackoffTime,
      jitter: t.jitter,
      stableTime: t.stableTime,
      openHoldTime: t.openHoldTime,
      delayOpenTime: t.delayOpenTime,
    });
  }

  private ebgp(): boolean {
    return this.peer.asn !== this.options.local.asn && this.peer.asn !== 'internal';
  }

  /** TTL and GTSM for our packets: GTSM sends 255 and accepts 256 - hops; eBGP sends `multihop` (1 direct). */
  socketTtl(): { ttl?: number; minTtl?: number } {
    if (this.peer.ttlSecurity !== null) return { ttl: 255, minTtl: 256 - this.peer.ttlSecurity };
    if (this.ebgp()) return { ttl: this.peer.multihop };
    return this.peer.multihop > 1 ? { ttl: this.peer.multihop } : {};
  }

  /** The MD5 key from the password file, or undefined when none is configured. */
  md5Key(): Buffer | undefined {
    if (this.peer.passwordFile === null) return undefined;
    return (this.options.readKey ?? defaultReadKey)(this.peer.passwordFile);
  }

  // ---- connections ----------------------------------------------------------------------------------

  private newConn(now: number, from?: FsmState): Conn {
    const fsm = from === undefined ? initialState({ seed: this.seed(), now }) : { ...from, now };
    return {
      id: nextConnectionId++, fsm, socket: null, direction: null, connected: false,
      framer: new BgpFramer(), error: undefined, sentOpen: null, receivedOpen: null, passiveStart: undefined,
      heardAt: null,
    };
  }

  private refuse(socket: SessionSocket, why: string): boolean {
    this.log?.info('inbound connection refused', { reason: why, remotePort: socket.remotePort });
    socket.on('error', () => undefined);
    socket.destroy();
    return false;
  }

  private attach(c: Conn, socket: SessionSocket, direction: Direction): void {
    c.socket = socket;
    c.direction = direction;
    c.connected = direction === 'inbound';
    c.framer = new BgpFramer();
    c.error = undefined;
    c.sentOpen = null;
    c.receivedOpen = null;
    c.heardAt = null;
    if (c.connected) this.everConnected = true;
    socket.on('error', (e: unknown) => {
      if (c.socket === socket) c.error = errorCode(e);
    });
    socket.on('close', () => {
      if (c.socket !== socket) return;
      const detail = c.error ?? (c.connected ? 'closed by peer' : 'connection failed');
      this.enqueue(c, { kind: 'tcp-connection-fails', detail });
    });
    socket.on('drain', () => {
      if (c.socket === socket && c === this.main) for (const cb of this.drainCallbacks) cb();
    });
    if (direction === 'outbound') {
      socket.once('connect', () => {
        if (c.socket !== socket) return;
        c.connected = true;
        this.everConnected = true;
        this.config = this.buildConfig();
        this.enqueue(c, { kind: 'tcp-cr-acked' });
      });
    }
    socket.on('data', (chunk: Uint8Array) => this.onData(c, socket, chunk));
  }

  private onData(c: Conn, socket: SessionSocket, chunk: Uint8Array): void {
    if (c.socket !== socket) return;
    try {
      c.framer.push(chunk, (m) => {
        if (c.socket === socket) this.onMessage(c, m);
      });
    } catch (e) {
      if (c.socket !== socket) return;
      if (e instanceof BgpCodecError) this.enqueue(c, { kind: 'header-error', subcode: e.subcode, data: e.data });
      else throw e;
    }
  }

  private onMessage(c: Conn, m: Uint8Array): void {
    const type = m[18] ?? 0;
    countMessage(this.received, type);
    try {
      if (type === 2) {
        checkTypeLength(type, m.length);
        if (c === this.main && c.fsm.name === 'Established' && !this.draining && this.queue.length === 0) {
          // The Established fast path: in Established an UPDATE only restarts the hold timer and is delivered
          // (RFC 4271 §8.2.2 event 27), so it skips the reducer (a new state, timers and actions per message) and
          // the timer re-arm. Its arrival time is noted; the FSM restarts the hold timer from it before its next
          // event (catchUp), so the hold timer still fires only HoldTime after the last message heard. The hook
          // reads the framer's view synchronously (no copy).
          c.heardAt = this.clock.now();
          this.hooks.update(this, m);
          return;
        }
        // Queued behind other events: the framer's view is reused on the next chunk, so the FSM gets a copy.
        this.enqueue(c, { kind: 'update', update: m.slice() });
        return;
      }
      const msg = decode(m, this.decodeContext());
      switch (msg.type) {
        case 'OPEN':
          c.receivedOpen = msg;
          this.lastOpens.received = msg;
          this.enqueue(c, { kind: 'open', ...fsmOpen(msg) });
          return;
        case 'NOTIFICATION': {
          const n: Notification = { code: msg.code, subcode: msg.subcode, data: msg.data };
          this.lastReceived = notificationRecord(n, this.clock.now());
          this.log?.warn('notification received', { code: n.code, subcode: n.subcode, name: this.lastReceived.name,
            message: this.lastReceived.message });
          this.enqueue(c, { kind: 'notification', code: n.code, subcode: n.subcode, data: n.data });
          return;
        }
        case 'KEEPALIVE':
          this.enqueue(c, { kind: 'keepalive' });
          return;
        case 'ROUTE-REFRESH':
          // RFC 7313 §5: subtypes other than 0-2 are ignored.
          if (msg.subtype <= 2) this.enqueue(c, { kind: 'route-refresh', afi: msg.afi, safi: msg.safi, subtype: msg.subtype });
          return;
        case 'UPDATE':
          return;
      }
    } catch (e) {
      if (!(e instanceof BgpCodecError)) throw e;
      this.log?.warn('malformed message', { error: e.message, code: e.code, subcode: e.subcode });
      if (e.code === 1) this.enqueue(c, { kind: 'header-error', subcode: e.subcode, data: e.data });
      else if (e.code === 2) this.enqueue(c, { kind: 'open-error', subcode: e.subcode, data: e.data });
      else if (e.code === 3) this.enqueue(c, { kind: 'update-error', subcode: e.subcode, data: e.data });
      // A malformed ROUTE-REFRESH (code 7) is dropped: the FSM has no event for it.
    }
  }

  private decodeContext(): CodecContext | undefined {
    return this.main.fsm.name === 'Established' ? this.contexts?.decode : undefined;
  }

  private write(c: Conn, bytes: Uint8Array): boolean {
    if (c.socket === null || c.socket.destroyed) return false;
    countMessage(this.sent, bytes[18] ?? 0);
    return c.socket.write(bytes);
  }

  private dial(c: Conn): void {
    let socket: SessionSocket;
    try {
      const ttl = this.socketTtl();
      const key = this.md5Key();
      socket = this.dialer({
        peer: this.address,
        port: this.peer.port || BGP_PORT,
        ...(this.peer.sourceAddress !== null ? { localAddress: this.peer.sourceAddress } : {}),
        ...ttl,
        ...(key !== undefined ? { md5Key: key } : {}),
      });
    } catch (e) {
      this.log?.warn('dial failed', { error: errorCode(e) });
      this.enqueue(c, { kind: 'tcp-connection-fails', detail: errorCode(e) });
      return;
    }
    this.attach(c, socket, 'outbound');
  }

  private close(c: Conn, n: Notification | null): void {
    const socket = c.socket;
    if (socket === null) return;
    if (c.connected && socket.localAddress !== undefined) {
      this.lastAddresses = {
        localAddress: socket.localAddress ?? null, localPort: socket.localPort ?? null, remotePort: socket.remotePort ?? null,
      };
    }
    const connected = c.connected;
    c.socket = null;
    c.connected = false;
    if (!connected) {
      socket.destroy();
      return;
    }
    if (n !== null && !socket.destroyed && socket.writable) {
      this.lastSent = notificationRecord(n, this.clock.now());
      countMessage(this.sent, 3);
      this.log?.warn('notification sent', { code: n.code, subcode: n.subcode, name: this.lastSent.name,
        message: this.lastSent.message });
      socket.write(encode({ type: 'NOTIFICATION', code: n.code, subcode: n.subcode, data: n.data }));
    }
    if (socket.destroyed) return;
    const grace = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    grace.unref?.();
    socket.once('close', () => clearTimeout(grace));
    socket.once('finish', () => socket.destroy());
    socket.end();
  }

  // ---- the FSM loop -----------------------------------------------------------------------------------

  private enqueue(c: Conn, input: Input): void {
    this.queue.push([c, { ...input, now: this.clock.now() } as Event]);
    if (!this.draining) this.drain();
  }

  private drain(): void {
    this.draining = true;
    try {
      let item: [Conn, Event] | undefined;
      while ((item = this.queue.shift()) !== undefined) {
        const [c, ev] = item;
        if (!this.conns.includes(c)) continue;
        this.process(c, ev);
      }
    } finally {
      this.draining = false;
    }
    this.schedule();
  }

  /**
   * The lazy hold timer: UPDATEs taken on the fast path since the FSM last ran restart its hold timer now, stamped
   * with the last one's arrival (what stepping each of them would have left). KEEPALIVE is the Established event
   * whose whole effect is that restart (event 26; an UPDATE, event 27, adds only the delivery, already done).
   */
  private catchUp(c: Conn): void {
    const at = c.heardAt;
    if (at === null) return;
    c.heardAt = null;
    if (c.fsm.name !== 'Established') return;
    c.fsm = step(c.fsm, { kind: 'keepalive', now: at }, this.config).state;
  }

  /** The hold deadline the FSM will have once it catches up (for status). */
  private holdDeadline(c: Conn): number | null {
    const d = c.fsm.timers.hold;
    if (d === null || c.heardAt === null || c.fsm.name !== 'Established') return d;
    return Math.max(d, deadline(c.heardAt, c.fsm.negotiated.holdTime));
  }

  private process(c: Conn, ev: Event): void {
    this.catchUp(c);
    const mainBefore = this.main;
    const stateBefore = mainBefore.fsm.name;
    const connBefore = c.fsm.name;
    const r = step(c.fsm, ev, this.config);
    c.fsm = r.state;
    if (c.passiveStart !== undefined && c.fsm.name !== 'Idle') {
      c.fsm = { ...c.fsm, passiveStart: c.passiveStart };
      c.passiveStart = undefined;
    }
    for (const a of r.actions) this.act(c, a);
    if (c.fsm.name === 'OpenConfirm' && connBefore !== 'OpenConfirm') this.checkCollision(c);
    this.reconcile();
    const main = this.main;
    if (main !== mainBefore || main.fsm.name !== stateBefore) {
      // A connection that was not the session's took over: it just came up (promote), or the other one was dumped.
      const reason = main === mainBefore || main === c ? (main.fsm.lastTransition?.reason ?? '') : 'collision-resolved';
      this.changed(stateBefore, main.fsm.name, reason);
    }
  }

  private changed(from: StateName, to: StateName, reason: string): void {
    this.since = this.clock.now();
    this.log = this.baseLog?.child({ state: to }) ?? null;
    this.log?.info('state change', { from, to, reason });
    this.hooks.stateChange(this, from, to, reason);
  }

  private act(c: Conn, a: FsmAction<Uint8Array>): void {
    switch (a.type) {
      case 'state-change':
        if (c !== this.main) this.log?.debug('connection state change', { connection: c.id, from: a.from, to: a.to, reason: a.reason });
        return;
      case 'connect':
        if (c === this.main && c.socket === null) this.dial(c);
        return;
      case 'close':
        this.close(c, a.notification);
        return;
      case 'send-open': {
        const open = wireOpen(a.open, this.options.local);
        c.sentOpen = open;
        this.lastOpens.sent = open;
        this.write(c, encode(open));
        return;
      }
      case 'send-keepalive':
        this.write(c, KEEPALIVE);
        return;
      case 'deliver-update':
        this.hooks.update(this, a.update);
        return;
      case 'deliver-route-refresh':
        this.hooks.routeRefresh(this, a.afi, a.safi, a.subtype);
        return;
      case 'session-up': {
        if (c !== this.main) this.promote(c);
        this.contexts = negotiatedContexts(a.negotiated);
        this.lastNegotiated = a.negotiated;
        c.framer.extendedMessage = a.negotiated.extendedMessage;
        this.establishedAt = this.clock.now();
        if (c.receivedOpen !== null) this.lastOpens.received = c.receivedOpen;
        if (c.sentOpen !== null) this.lastOpens.sent = c.sentOpen;
        if (this.baseLog !== null && typeof this.peer.asn !== 'number') {
          this.log = peerLogger(this.options.logger as Logger, this.address, a.negotiated.peerAsn).child({ state: 'Established' });
        }
        this.hooks.established(this, a.negotiated, this.contexts.decode);
        return;
      }
      case 'session-down':
        this.flaps++;
        this.hooks.down(this, { reason: a.reason, graceful: a.graceful, stale: a.stale });
        return;
      case 'release-resources':
      case 'timer-start':
      case 'timer-stop':
        return;
    }
  }

  /** An FSM just accepted the peer's OPEN: resolve against the other connection (RFC 4271 §6.8). */
  private checkCollision(c: Conn): void {
    const s = c.fsm;
    if (s.name !== 'OpenConfirm' || c.direction === null) return;
    for (const other of this.conns) {
      if (other === c || other.fsm.name === 'Idle' || other.direction === null) continue;
      if (other.fsm.name === 'Established' && this.peerRestarted(s.peerOpen, other.fsm)) {
        // RFC 4724 §4.2: the peer restarted; the old connection is gone even if TCP has not noticed.
        this.enqueue(other, { kind: 'tcp-connection-fails', detail: 'peer restarted' });
        continue;
      }
      const d = resolveCollision({
        local: { bgpId: this.localBgpId, asn: this.options.local.asn },
        remote: { bgpId: s.peerOpen.bgpId, asn: s.negotiated.peerAsn },
        existing: { state: other.fsm.name, direction: other.direction },
        arriving: { direction: c.direction },
      });
      if (d.dump === 'none') {
        if (d.reason === 'same-direction') this.enqueue(other, { kind: 'tcp-connection-fails', detail: 'replaced by a new connection' });
        continue;
      }
      this.collisions++;
      const loser = d.dump === 'existing' ? other : c;
      this.log?.info('connection collision', { decision: d.reason, dumped: loser.direction });
      this.enqueue(loser, { kind: 'open-collision-dump' });
    }
  }

  /**
   * A new OPEN with the R bit while a session is Established means the peer restarted, unless the Established
   * session itself came up moments ago from an OPEN with the R bit: FRR sets R on every OPEN for a while after
   * it starts, and a collision race must not tear down the session that just won.
   */
  private peerRestarted(arriving: FsmOpen, existing: EstablishedState): boolean {
    if (arriving.capabilities.gracefulRestart?.restarting !== true) return false;
    const sameEpoch = existing.peerOpen.capabilities.gracefulRestart?.restarting === true;
    return !(sameEpoch && this.clock.now() - existing.establishedAt < RESTART_GUARD_MS);
  }

  /**
   * Another connection reached Established while the session's own was still connecting (the peer's SYN won the
   * race; no collision was possible yet: ours had no OPEN). It is the session from now on: sends go out on it, and
   * status reports it. The one it replaces carries on if it has a socket, to be dumped as a collision with this
   * Established one when its OPEN arrives (RFC 4271 §6.8); without a socket it has nothing left to do.
   */
  private promote(c: Conn): void {
    const old = this.main;
    this.conns = [c, ...this.conns.filter((x) => x !== c)];
    this.log?.info('connection took over', { event: 'connection-promoted', direction: c.direction, replaced: old.fsm.name });
    // Idle from any state (Active would keep its ConnectRetry timer running for nothing): reconcile() drops it.
    if (old.socket === null && old.fsm.name !== 'Idle') this.enqueue(old, { kind: 'manual-stop', silent: true });
  }

  /** Drop finished extra connections; when the session's FSM is down and another connection lives, it takes over. */
  private reconcile(): void {
    const [main, ...rest] = this.conns as [Conn, ...Conn[]];
    const live = rest.filter((x) => x.fsm.name !== 'Idle');
    for (const x of rest) if (x.fsm.name === 'Idle' && x.socket !== null) this.close(x, null);
    if (main.fsm.name === 'Idle' && live.length > 0 && !main.fsm.adminDown) {
      const next = live[0] as Conn;
      if (main.socket !== null) this.close(main, null);
      this.conns = [next, ...live.slice(1)];
    } else {
      this.conns = [main, ...live];
    }
    if (this.dynamic && !this.goneReported && this.everConnected && this.conns.length === 1 && this.main.fsm.name === 'Idle') {
      this.goneReported = true;
      for (const cb of this.goneCallbacks) cb(this);
    }
  }

  /** One timer at the earliest deadline of all FSMs, feeding `tick`. */
  private schedule(): void {
    let at: number | null = null;
    for (const c of this.conns) {
      const d = nextDeadline(c.fsm.timers);
      if (d !== null && (at === null || d < at)) at = d;
    }
    if (at === this.timerAt) return;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = at;
    if (at === null) return;
    const delay = Math.max(0, at - this.clock.now());
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.timerAt = null;
      for (const c of [...this.conns]) this.enqueue(c, { kind: 'tick' });
      this.schedule();
    }, delay);
  }

  /** For logs and tests: the dotted identifier we send. */
  get routerId(): string {
    return formatIpv4(this.localBgpId);
  }
}
