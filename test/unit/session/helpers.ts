// Test fixtures for the session layer: a fake clock, an in-memory TCP (socket pairs that deliver bytes on a later
// turn of the event loop, like a network), a hook recorder, and a factory for two PeerSessions of ours.

import { Duplex } from 'node:stream';
import { PeerSession } from '../../../src/bgp/session/session.js';
import type {
  Clock, DialOptions, Dialer, PeerSessionOptions, SessionHooks, SessionPeerConfig, SessionSocket,
} from '../../../src/bgp/session/types.js';

/** Lets pending I/O callbacks (setImmediate) run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

export class FakeClock implements Clock {
  private t = 1_000_000;
  private seq = 0;
  private timers = new Map<number, { at: number; cb: () => void }>();

  now(): number {
    return this.t;
  }

  setTimeout(cb: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), cb });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Moves time forward by `ms`, firing due timers in order and letting I/O settle after each. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    await settle();
    for (;;) {
      let next: [number, { at: number; cb: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= target && (next === undefined || e[1].at < next[1].at)) next = e;
      if (next === undefined) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].cb();
      await settle();
    }
    this.t = target;
    await settle();
  }
}

/** One end of an in-memory connection. */
export class MemSocket extends Duplex {
  peer: MemSocket | null = null;
  /** Bytes written here are lost (the far process is stopped). */
  blackhole = false;
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;

  constructor(local: string, localPort: number, remote: string, remotePort: number) {
    super({ allowHalfOpen: false });
    this.localAddress = local;
    this.localPort = localPort;
    this.remoteAddress = remote;
    this.remotePort = remotePort;
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    const peer = this.peer;
    const copy = Buffer.from(chunk);
    if (!this.blackhole) setImmediate(() => { if (peer !== null && !peer.destroyed) peer.push(copy); });
    cb();
  }

  override _final(cb: (e?: Error | null) => void): void {
    const peer = this.peer;
    setImmediate(() => { if (peer !== null && !peer.destroyed) peer.push(null); });
    cb();
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    const peer = this.peer;
    setImmediate(() => { if (peer !== null && !peer.destroyed) peer.destroy(); });
    cb(err);
  }
}

let ephemeral = 40000;

/** A tiny network of addresses; sessions registered as listening accept connections. */
export class MemNet {
  readonly listeners = new Map<string, PeerSession>();
  readonly sockets: MemSocket[] = [];
  /** Dials to these addresses fail with ECONNREFUSED. */
  readonly down = new Set<string>();
  /** Dials to these addresses hang (SYN unanswered) until release(). */
  readonly hold = new Set<string>();
  private held: (() => void)[] = [];

  /** Completes the dials held so far (and stops holding new ones). */
  release(): void {
    this.hold.clear();
    const held = this.held;
    this.held = [];
    for (const go of held) go();
  }

  dialer(from: string): Dialer {
    return (o: DialOptions): SessionSocket => {
      const port = ephemeral++;
      const a = new MemSocket(from, port, o.peer, o.port);
      const b = new MemSocket(o.peer, o.port, from, port);
      a.peer = b;
      b.peer = a;
      this.sockets.push(a, b);
      const go = (): void => {
        const target = this.listeners.get(o.peer);
        if (target === undefined || this.down.has(o.peer)) {
          a.destroy(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
          return;
        }
        a.emit('connect');
        target.accept(b);
      };
      setImmediate(() => (this.hold.has(o.peer) ? this.held.push(go) : go()));
      return a;
    };
  }

  /** Open connections (both ends alive) between two addresses. */
  open(): MemSocket[] {
    return this.sockets.filter((s) => !s.destroyed && s.peer !== null && !s.peer.destroyed);
  }
}

export type HookEvent =
  | { kind: 'established'; holdTime: number; peerAsn: number }
  | { kind: 'down'; reason: string; graceful: boolean }
  | { kind: 'update'; bytes: Uint8Array }
  | { kind: 'refresh'; afi: number; safi: number; subtype: number }
  | { kind: 'state'; from: string; to: string; reason: string };

export function recorder(): { hooks: SessionHooks; events: HookEvent[] } {
  const events: HookEvent[] = [];
  const hooks: SessionHooks = {
    established: (_s, n) => { events.push({ kind: 'established', holdTime: n.holdTime, peerAsn: n.peerAsn }); },
    down: (_s, i) => { events.push({ kind: 'down', reason: i.reason, graceful: i.graceful }); },
    update: (_s, m) => { events.push({ kind: 'update', bytes: m.slice() }); },
    routeRefresh: (_s, afi, safi, subtype) => { events.push({ kind: 'refresh', afi, safi, subtype }); },
    stateChange: (_s, from, to, reason) => { events.push({ kind: 'state', from, to, reason }); },
  };
  return { hooks, events };
}

export function peerConfig(over: Partial<SessionPeerConfig> & Pick<SessionPeerConfig, 'address' | 'asn'>): SessionPeerConfig {
  return {
    holdTime: 9, connectRetry: 5, port: 179, passive: false, multihop: 1, ttlSecurity: null, sourceAddress: null,
    passwordFile: null, gracefulRestart: false, families: ['ipv4-unicast', 'ipv6-unicast'], extendedNextHop: false,
    addPath: 'none', ...over,
  };
}

export interface Speaker {
  session: PeerSession;
  events: HookEvent[];
  address: string;
}

/** A speaker of ours at `address` (AS `asn`, router id `id`) peering with `peer`. */
export function speaker(net: MemNet, clock: FakeClock, o: {
  address: string; asn: number; id: string; peer: SessionPeerConfig;
  extra?: Partial<PeerSessionOptions>;
}): Speaker {
  const { hooks, events } = recorder();
  const session = new PeerSession({
    peer: o.peer,
    local: { asn: o.asn, routerId: o.id, hostname: `host-${o.id}` },
    hooks, clock, dial: net.dialer(o.address), seed: 7,
    timers: { jitter: 0, idleHoldTime: 1 },
    ...o.extra,
  });
  net.listeners.set(o.address, session);
  return { session, events, address: o.address };
}

export const states = (events: readonly HookEvent[]): string[] =>
  events.flatMap((e) => (e.kind === 'state' ? [e.to] : []));
