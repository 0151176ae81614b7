// The FibPort over rtnetlink: batched route requests (many per sendmsg, one acknowledged barrier per batch,
// errors matched to requests by sequence number), route dumps decoded in place, link names for `dev`.
import type { Family } from './address.js';
import * as C from './constants.js';
import type { ApplyResult, FibChange, FibFailure, FibPort, RouteEvent, ScanResult, ScannedRoute } from './port.js';
import type { NormRoute, Route } from './route.js';
import { normalizeRoute } from './route.js';
import { NetlinkError, RtnlSocket, errnoName } from './socket.js';
import type { SocketOptions } from './socket.js';
import { MessageWriter, RouteScratch, msgLen, msgPort, msgType, nextMsg, readLink } from './wire.js';

export interface NetlinkFibOptions extends SocketOptions {
  /**
   * Requests per sendmsg (default 1024). Only failures are answered (plus one ack per batch), so the receive
   * buffer must hold a whole batch of error replies: the size is capped to what the granted buffer can take.
   */
  readonly batchSize?: number;
}

/** Bytes of receive buffer one error reply may take (skb truesize of a small message, rounded up). */
const ERROR_REPLY_COST = 2048;

export class NetlinkFib implements FibPort {
  private readonly sock: RtnlSocket;
  private readonly writer = new MessageWriter();
  private readonly scratch = new RouteScratch();
  private readonly batchSize: number;
  private byName = new Map<string, number>();
  private byIndex = new Map<number, string>();

  constructor(opts: NetlinkFibOptions = {}) {
    this.sock = new RtnlSocket(opts);
    const cap = Math.max(16, Math.floor(this.sock.recvBufferSize() / ERROR_REPLY_COST));
    this.batchSize = Math.max(1, Math.min(opts.batchSize ?? 1024, cap));
  }

  static async open(opts: NetlinkFibOptions = {}): Promise<NetlinkFib> {
    const fib = new NetlinkFib(opts);
    await fib.refreshLinks();
    return fib;
  }

  get stats(): RtnlSocket['stats'] {
    return this.sock.stats;
  }

  prepare(route: Route): NormRoute {
    return normalizeRoute(route, this.resolveDev);
  }

  /** A new function per link table: normalised next hop lists are cached per resolver. */
  private resolveDev: (name: string) => number | undefined = () => undefined;

  /** Changes whenever the name -> ifindex table does. */
  linkSignature(): string {
    return [...this.byName].map(([n, i]) => `${n}=${i}`).sort().join(',');
  }

  devName(ifindex: number): string | undefined {
    return this.byIndex.get(ifindex);
  }

  async refreshLinks(): Promise<void> {
    const byName = new Map<string, number>();
    const byIndex = new Map<number, string>();
    const w = new MessageWriter(64);
    const seq = this.sock.reserve(1);
    w.dump(C.RTM_GETLINK, 0, seq);
    await this.sock.dump(w.bytes(), seq, (b, off, len, type) => {
      if (type !== C.RTM_NEWLINK) return;
      const l = readLink(b, off, len);
      if (l) {
        byName.set(l.name, l.ifindex);
        byIndex.set(l.ifindex, l.name);
      }
    });
    const changed = [...byName].some(([n, i]) => this.byName.get(n) !== i) || byName.size !== this.byName.size;
    this.byName = byName;
    this.byIndex = byIndex;
    if (changed) this.resolveDev = (name) => byName.get(name);
  }

  async apply(changes: readonly FibChange[], onProgress?: (done: number, total: number) => void): Promise<ApplyResult> {
    const failures: FibFailure[] = [];
    const w = this.writer;
    let ok = 0;
    let batches = 0;
    for (let start = 0; start < changes.length; start += this.batchSize) {
      const end = Math.min(changes.length, start + this.batchSize);
      const n = end - start;
      const first = this.sock.reserve(n);
      w.reset();
      for (let i = start; i < end; i++) {
        const c = changes[i];
        const seq = (first + (i - start)) >>> 0;
        const ack = i === end - 1;
        if (c.op === 'delete') w.delRoute(c.route, seq, ack);
        else w.newRoute(c.route, seq, ack, c.op === 'add' ? 'create' : 'replace');
      }
      batches++;
      let errors: Map<number, number>;
      try {
        errors = await this.sock.transact(w.bytes(), first, (first + n - 1) >>> 0);
      } catch (e) {
        // the socket failed (overrun, timeout): which requests of this batch took effect is unknown
        const err = e instanceof NetlinkError ? e : new NetlinkError(String(e), 0, 'EUNKNOWN', { cause: e });
        for (let i = start; i < end; i++) {
          const c = changes[i];
          failures.push({ index: i, op: c.op, key: c.route.key, errno: 0, code: err.code, message: `outcome unknown: ${err.message}` });
        }
        onProgress?.(end, changes.length);
        continue;
      }
      ok += n;
      for (const [seq, errno] of errors) {
        const i = start + ((seq - first) >>> 0);
        const c = changes[i];
        // deleting what is already gone is done
        if (c.op === 'delete' && errno === 3 /* ESRCH */) continue;
        ok--;
        const code = errnoName(errno);
        failures.push({ index: i, op: c.op, key: c.route.key, errno, code, message: `${c.op} ${c.route.dst} table ${c.route.table} metric ${c.route.metric}: ${code}` });
      }
      onProgress?.(end, changes.length);
    }
    failures.sort((a, b) => a.index - b.index);
    return { ok, failures, batchSize: this.batchSize, batches };
  }

  async scan(family: Family, visit: (r: ScannedRoute) => void): Promise<ScanResult> {
    const w = new MessageWriter(64);
    const seq = this.sock.reserve(1);
    w.dump(C.RTM_GETROUTE, family === 4 ? C.AF_INET : C.AF_INET6, seq);
    const s = this.scratch;
    let routes = 0;
    const { interrupted } = await this.sock.dump(w.bytes(), seq, (b, off, len, type) => {
      if (type !== C.RTM_NEWROUTE || !s.decode(b, off, len)) return;
      routes++;
      visit(s);
    });
    return { routes, interrupted };
  }

  watch(onEvent: (e: RouteEvent) => void): () => void {
    const ns = new RtnlSocket({ groups: [C.RTNLGRP_IPV4_ROUTE, C.RTNLGRP_IPV6_ROUTE], recvBufferSize: 1024 * 1024 });
    const s = new RouteScratch();
    const ours = this.sock.port;
    ns.onOverrun = () => onEvent({ kind: 'overrun' });
    ns.onNotification = (b) => {
      for (let off = 0; off + C.NLMSG_HDRLEN <= b.length; ) {
        const len = msgLen(b, off);
        if (len < C.NLMSG_HDRLEN || off + len > b.length) break;
        const type = msgType(b, off);
        // our own requests come back as notifications carrying our port: not drift
        if (msgPort(b, off) !== ours && (type === C.RTM_NEWROUTE || type === C.RTM_DELROUTE) && s.decode(b, off, len)) {
          onEvent({ kind: type === C.RTM_NEWROUTE ? 'new' : 'del', route: s });
        }
        off = nextMsg(off, len);
      }
    };
    return () => ns.close();
  }

  close(): void {
    this.sock.close();
  }
}
