// One rtnetlink socket on the `netlink` package's RawNetlinkSocket (a native addon we do not trust with
// sequencing: it neither checks sequence numbers nor the sender). Here every reply is checked: it must come from
// the kernel (port 0), be addressed to our port, and carry a sequence number of the operation in flight. One
// operation at a time; others queue.
import { constants as osConstants } from 'node:os';
import { RawNetlinkSocket } from 'netlink';
import type { ErrnoException, MessageInfo } from 'netlink';
import * as C from './constants.js';
import { msgFlags, msgLen, msgPort, msgSeq, msgType, nextMsg, readError } from './wire.js';

const ERRNO_NAMES = new Map<number, string>(Object.entries(osConstants.errno).map(([k, v]) => [v, k]));

/** "EEXIST" for 17 (a positive errno). */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(Math.abs(errno)) ?? `E${Math.abs(errno)}`;
}

export class NetlinkError extends Error {
  override readonly name = 'NetlinkError';
  constructor(
    message: string,
    /** positive errno, or 0 when not an errno */
    readonly errno: number,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface SocketOptions {
  /** SO_RCVBUF (the kernel doubles it; capped by net.core.rmem_max). Default 4 MiB. */
  readonly recvBufferSize?: number;
  readonly sendBufferSize?: number;
  /** per operation, default 60 s */
  readonly timeoutMs?: number;
  /** multicast groups to join (notifications); a notification socket runs no operations */
  readonly groups?: readonly number[];
}

interface Op {
  first: number;
  last: number;
  onMessage(b: Buffer, off: number, len: number, type: number, flags: number, seq: number): void;
  fail(e: Error): void;
}

export interface SocketStats {
  /** datagrams from something other than the kernel, or with a sequence number we did not send */
  stray: number;
  overruns: number;
  sent: number;
}

export class RtnlSocket {
  private readonly raw: RawNetlinkSocket;
  private readonly localPort: number;
  private seq: number;
  private op: Op | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly timeoutMs: number;
  readonly stats: SocketStats = { stray: 0, overruns: 0, sent: 0 };
  /** notifications (datagrams from the kernel while no operation claims them) */
  onNotification: ((b: Buffer) => void) | null = null;
  onOverrun: (() => void) | null = null;

  constructor(opts: SocketOptions = {}) {
    const rcv = opts.recvBufferSize ?? 4 * 1024 * 1024;
    const snd = opts.sendBufferSize ?? 4 * 1024 * 1024;
    // no peeking: one recvmsg per datagram into a 32 KiB buffer; the kernel then sizes dump datagrams to it
    this.raw = new RawNetlinkSocket(C.NETLINK_ROUTE, { recvBufferSize: rcv, sendBufferSize: snd, messagePeeking: false, msgBufferSize: 32768 });
    this.localPort = this.raw.address().port;
    this.seq = (Math.random() * 0x7fffffff) >>> 0;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    for (const g of opts.groups ?? []) this.raw.addMembership(g);
    this.raw.on('message', (b, rinfo) => this.receive(b, rinfo));
    this.raw.on('error', (e) => this.error(e));
    if (!opts.groups?.length) this.raw.unref();
  }

  get port(): number {
    return this.localPort;
  }

  /** The receive buffer the kernel actually granted (bytes). */
  recvBufferSize(): number {
    return this.raw.getRecvBufferSize();
  }

  /** Reserves `n` consecutive sequence numbers; returns the first. */
  reserve(n: number): number {
    const first = this.seq;
    this.seq = (this.seq + n) >>> 0;
    return first;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.op?.fail(new NetlinkError('socket closed', 0, 'ECLOSED'));
    this.raw.close();
  }

  private inRange(seq: number, op: Op): boolean {
    return ((seq - op.first) >>> 0) <= ((op.last - op.first) >>> 0);
  }

  private receive(b: Buffer, rinfo: MessageInfo): void {
    if (rinfo.port !== 0) {
      this.stats.stray++;
      return;
    }
    const op = this.op;
    if (!op) {
      if (this.onNotification) this.onNotification(b);
      else this.stats.stray++;
      return;
    }
    for (let off = 0; off + C.NLMSG_HDRLEN <= b.length; ) {
      const len = msgLen(b, off);
      if (len < C.NLMSG_HDRLEN || off + len > b.length) break;
      const seq = msgSeq(b, off);
      if (msgPort(b, off) !== this.localPort || !this.inRange(seq, op)) {
        // not ours to take: a late reply of an operation that failed, or somebody else's message
        this.stats.stray++;
      } else {
        op.onMessage(b, off, len, msgType(b, off), msgFlags(b, off), seq);
        if (this.op !== op) return; // finished
      }
      off = nextMsg(off, len);
    }
  }

  private error(e: ErrnoException): void {
    if (e.code === 'ENOBUFS') {
      this.stats.overruns++;
      this.onOverrun?.();
    }
    this.op?.fail(new NetlinkError(`netlink socket: ${e.message}`, e.errno, e.code, { cause: e }));
  }

  /** Runs `start` when the socket is free; `start` sets up the op and sends. */
  private run<T>(build: (resolve: (v: T) => void, reject: (e: Error) => void) => Op & { bytes: Buffer }): Promise<T> {
    const p = this.tail.then(
      () =>
        new Promise<T>((resolve, reject) => {
          if (this.closed) {
            reject(new NetlinkError('socket closed', 0, 'ECLOSED'));
            return;
          }
          const timer: { t?: NodeJS.Timeout } = {};
          const done = (): void => {
            clearTimeout(timer.t);
            this.op = null;
          };
          const op = build(
            (v) => {
              done();
              resolve(v);
            },
            (e) => {
              done();
              reject(e);
            },
          );
          timer.t = setTimeout(() => op.fail(new NetlinkError(`no reply within ${this.timeoutMs} ms`, 0, 'ETIMEDOUT')), this.timeoutMs);
          this.op = op;
          this.stats.sent++;
          this.raw.send(op.bytes, {}, (err) => {
            if (err) op.fail(new NetlinkError(`sendmsg: ${err.message}`, err.errno, err.code, { cause: err }));
          });
        }),
    );
    this.tail = p.catch(() => undefined);
    return p;
  }

  /**
   * Sends requests with sequence numbers first..last in one sendmsg; the message with `last` must carry
   * NLM_F_ACK (the kernel handles a datagram's messages in order, so its answer comes after all others').
   * Resolves with the errors by sequence number (positive errno); requests not listed succeeded.
   */
  transact(bytes: Buffer, first: number, last: number): Promise<Map<number, number>> {
    return this.run<Map<number, number>>((resolve, reject) => {
      const errors = new Map<number, number>();
      let failed = false;
      return {
        bytes, first, last,
        onMessage: (b, off, len, type) => {
          if (type !== C.NLMSG_ERROR) return;
          const { errno, origSeq } = readError(b, off, len);
          if (errno !== 0) errors.set(origSeq, -errno);
          if (origSeq === last) resolve(errors);
        },
        fail: (e) => {
          if (failed) return;
          failed = true;
          reject(e);
        },
      };
    });
  }

  /**
   * A dump: `onMessage` sees every message of the reply (in place, valid during the call). Resolves when DONE
   * arrives; `interrupted` is true when the kernel flagged the dump inconsistent (NLM_F_DUMP_INTR).
   */
  dump(bytes: Buffer, seq: number, onMessage: (b: Buffer, off: number, len: number, type: number) => void): Promise<{ interrupted: boolean }> {
    return this.run<{ interrupted: boolean }>((resolve, reject) => {
      let interrupted = false;
      return {
        bytes, first: seq, last: seq,
        onMessage: (b, off, len, type, flags) => {
          if (flags & C.NLM_F_DUMP_INTR) interrupted = true;
          if (type === C.NLMSG_DONE) resolve({ interrupted });
          else if (type === C.NLMSG_ERROR) {
            const { errno } = readError(b, off, len);
            if (errno !== 0) reject(new NetlinkError(`dump failed: ${errnoName(-errno)}`, -errno, errnoName(-errno)));
          } else onMessage(b, off, len, type);
        },
        fail: reject,
      };
    });
  }
}
