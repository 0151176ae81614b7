// The benchmarks' BGP route generator: a small BGP speaker built on our codec that sends a PRE-ENCODED table.
//
// buildFeed() encodes the whole table once (UPDATEs back to back, then End-of-RIB), deterministically from a seed,
// so every daemon in a run receives the same bytes. The mix: ~88% /24, the rest /23, /22, /20 and /18 (each length
// from its own address region, so every prefix is distinct); one attribute set per ~10 prefixes (groups of 5-15,
// each its own UPDATE); AS paths of 2-6 hops starting with the generator's AS; origin mostly IGP; MED on ~30% and
// 1-3 communities on ~40% of the sets.
//
// GeneratorSession runs one BGP session on a connected socket (either side may have dialled): OPEN with IPv4
// unicast, route refresh and 4-octet AS; KEEPALIVEs at a third of the negotiated hold time; once Established it
// writes the feed and End-of-RIB in one go and then only keeps the session alive. What the peer sends is framed
// and dropped (an OPEN, KEEPALIVE or NOTIFICATION is decoded). Times are `performance.timeOrigin + now()` (ms), so
// the orchestrating process can compare them with its own.
import type net from 'node:net';
import {
  BgpFramer, decode, encode, encodeAttributes, endOfRibMessage, Ipv4UpdateWriter, makeContext,
  type CodecContext, type PathAttribute,
} from '../../src/bgp/codec/index.js';

export const wallMs = (): number => performance.timeOrigin + performance.now();

export interface FeedOptions {
  readonly prefixes: number;
  readonly asn: number;
  readonly nextHop: string;
  readonly seed?: number;
  /** Mean prefixes per attribute set (groups are mean/2 .. 3*mean/2). Default 10. */
  readonly perSet?: number;
  /**
   * Where the prefixes start. Default: the regions below (/24s from 11.0.0.0, /23s from 40.0.0.0, /22s from
   * 60.0.0.0, /20s from 100.0.0.0, /18s from 140.0.0.0). Set: all prefixes are /24s from this address on.
   */
  readonly base24?: number;
}

export interface Feed {
  /** UPDATE messages back to back. */
  readonly updates: Uint8Array;
  /** The IPv4 unicast End-of-RIB. */
  readonly endOfRib: Uint8Array;
  readonly prefixes: number;
  readonly messages: number;
  readonly attributeSets: number;
  /** Prefix length -> count. */
  readonly lengths: Readonly<Record<number, number>>;
}

export const SESSION_CONTEXT: CodecContext = makeContext({ as4: true });

/** xorshift32: deterministic across runs and daemons. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 0x2545f491;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

const REGIONS: ReadonlyArray<{ len: number; share: number; base: number }> = [
  { len: 24, share: 0.88, base: 0x0b000000 }, // 11.0.0.0 .. (1M /24s end at 26.255.255.0)
  { len: 23, share: 0.04, base: 0x28000000 }, // 40.0.0.0
  { len: 22, share: 0.04, base: 0x3c000000 }, // 60.0.0.0
  { len: 20, share: 0.03, base: 0x64000000 }, // 100.0.0.0
  { len: 18, share: 0.01, base: 0x8c000000 }, // 140.0.0.0
];

/** Random ASNs for the path: never ours, never AS_TRANS, never the private range the receivers use. */
function randomAsn(r: () => number): number {
  for (;;) {
    const x = r() < 0.1 ? 196608 + Math.floor(r() * 200000) : 1 + Math.floor(r() * 63999);
    if (x !== 23456) return x;
  }
}

export function buildFeed(o: FeedOptions): Feed {
  const n = o.prefixes;
  const r = rng(o.seed ?? 0x5eed);
  const addrs = new Uint32Array(n);
  const lens = new Uint8Array(n);
  const counters = REGIONS.map(() => 0);
  const lengths: Record<number, number> = {};
  for (let i = 0; i < n; i++) {
    let k = 0;
    if (o.base24 === undefined) {
      const x = r();
      let acc = 0;
      for (k = 0; k < REGIONS.length - 1; k++) {
        acc += REGIONS[k].share;
        if (x < acc) break;
      }
    }
    const reg = REGIONS[k];
    const base = o.base24 ?? reg.base;
    addrs[i] = (base + counters[k]++ * 2 ** (32 - reg.len)) >>> 0;
    lens[i] = reg.len;
    lengths[reg.len] = (lengths[reg.len] ?? 0) + 1;
  }
  const mean = o.perSet ?? 10;
  const w = new Ipv4UpdateWriter(SESSION_CONTEXT, Math.max(1 << 16, n * 8));
  let sets = 0;
  for (let i = 0; i < n;) {
    const group = Math.max(1, Math.round(mean / 2 + r() * mean));
    const hops = 2 + Math.floor(r() * 5);
    const asns = [o.asn];
    for (let h = 1; h < hops; h++) asns.push(randomAsn(r));
    const attrs: PathAttribute[] = [
      { type: 'origin', flags: 0x40, value: r() < 0.95 ? 'igp' : 'incomplete' },
      { type: 'asPath', flags: 0x40, value: [{ type: 'sequence', asns }] },
      { type: 'nextHop', flags: 0x40, value: o.nextHop },
    ];
    if (r() < 0.3) attrs.push({ type: 'med', flags: 0x80, value: Math.floor(r() * 1000) });
    if (r() < 0.4) {
      const c: number[] = [];
      const k = 1 + Math.floor(r() * 3);
      for (let j = 0; j < k; j++) c.push(((o.asn & 0xffff) * 65536 + Math.floor(r() * 1000)) >>> 0);
      attrs.push({ type: 'communities', flags: 0xc0, value: c });
    }
    const to = Math.min(n, i + group);
    w.announce(encodeAttributes(attrs, SESSION_CONTEXT), addrs, lens, i, to);
    sets++;
    i = to;
  }
  const updates = w.take();
  let messages = 0;
  for (let p = 0; p < updates.length; p += (updates[p + 16] << 8) | updates[p + 17]) messages++;
  return { updates, endOfRib: encode(endOfRibMessage(1, 1), SESSION_CONTEXT), prefixes: n, messages, attributeSets: sets, lengths };
}

export type GeneratorEvent =
  | { event: 'open'; at: number; peer: string; peerAsn: number; holdTime: number }
  | { event: 'established'; at: number; peer: string }
  | { event: 'sent'; at: number; peer: string; bytes: number }
  | { event: 'notification'; at: number; peer: string; code: number; subcode: number; direction: 'received' }
  | { event: 'hold-expired'; at: number; peer: string; silentMs: number }
  | { event: 'closed'; at: number; peer: string; reason: string };

export interface SessionOptions {
  readonly asn: number;
  readonly routerId: string;
  /** Offered hold time (s). Default 90. */
  readonly holdTime?: number;
  readonly feed?: Feed;
  readonly onEvent: (e: GeneratorEvent) => void;
}

const KEEPALIVE = encode({ type: 'KEEPALIVE' }, SESSION_CONTEXT);

export class GeneratorSession {
  private readonly framer = new BgpFramer();
  private state: 'OpenSent' | 'OpenConfirm' | 'Established' | 'Closed' = 'OpenSent';
  private keepalive?: NodeJS.Timeout;
  private lastHeard = wallMs();
  readonly peer: string;
  updatesReceived = 0;

  constructor(private readonly socket: net.Socket, private readonly o: SessionOptions) {
    this.peer = socket.remoteAddress?.replace(/^::ffff:/, '') ?? '?';
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => this.close('socket closed'));
    const asn = o.asn;
    socket.write(encode({
      type: 'OPEN', version: 4, asn: asn > 65535 ? 23456 : asn, holdTime: o.holdTime ?? 90, bgpId: o.routerId,
      capabilities: [
        { type: 'multiprotocol', afi: 1, safi: 1 },
        { type: 'route-refresh' },
        { type: 'four-octet-as', asn },
      ],
    }, SESSION_CONTEXT));
  }

  get established(): boolean {
    return this.state === 'Established';
  }

  private emit(e: GeneratorEvent): void {
    this.o.onEvent(e);
  }

  private onData(chunk: Uint8Array): void {
    this.lastHeard = wallMs();
    try {
      this.framer.push(chunk, (m) => this.onMessage(m));
    } catch (e) {
      this.emit({ event: 'closed', at: wallMs(), peer: this.peer, reason: `bad stream from peer: ${(e as Error).message}` });
      this.socket.destroy();
    }
  }

  private onMessage(m: Uint8Array): void {
    const type = m[18];
    if (type === 2) {
      this.updatesReceived++;
      return;
    }
    const msg = decode(m, SESSION_CONTEXT);
    if (msg.type === 'OPEN') {
      const hold = Math.min(this.o.holdTime ?? 90, msg.holdTime);
      const as4 = msg.capabilities.find((c) => c.type === 'four-octet-as');
      this.emit({ event: 'open', at: wallMs(), peer: this.peer, peerAsn: as4?.type === 'four-octet-as' ? as4.asn : msg.asn, holdTime: hold });
      this.socket.write(KEEPALIVE);
      this.state = 'OpenConfirm';
      if (hold > 0) {
        this.keepalive = setInterval(() => {
          if (this.state === 'Closed') return;
          this.socket.write(KEEPALIVE);
          const silent = wallMs() - this.lastHeard;
          if (silent > hold * 1000) this.emit({ event: 'hold-expired', at: wallMs(), peer: this.peer, silentMs: Math.round(silent) });
        }, (hold * 1000) / 3);
        this.keepalive.unref();
      }
    } else if (msg.type === 'KEEPALIVE' && this.state === 'OpenConfirm') {
      this.state = 'Established';
      this.emit({ event: 'established', at: wallMs(), peer: this.peer });
      const feed = this.o.feed;
      if (feed) {
        this.socket.write(feed.updates);
        this.socket.write(feed.endOfRib, () => this.emit({ event: 'sent', at: wallMs(), peer: this.peer, bytes: feed.updates.length + feed.endOfRib.length }));
      }
    } else if (msg.type === 'NOTIFICATION') {
      this.emit({ event: 'notification', at: wallMs(), peer: this.peer, code: msg.code, subcode: msg.subcode, direction: 'received' });
    }
  }

  private close(reason: string): void {
    if (this.state === 'Closed') return;
    this.state = 'Closed';
    clearInterval(this.keepalive);
    this.emit({ event: 'closed', at: wallMs(), peer: this.peer, reason });
  }

  end(): void {
    this.close('closed by the generator');
    this.socket.destroy();
  }
}
