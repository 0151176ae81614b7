// The encode hot path: UPDATE messages straight from numbers, for IPv4 unicast. Prefixes sharing a pre-encoded
// attribute block (encodeAttributes) are packed into as few messages as the maximum length allows.
import { HEADER_LENGTH, MAX_EXTENDED_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH } from './constants.js';
import type { CodecContext } from './context.js';
import { BgpEncodeError } from './errors.js';

export class Ipv4UpdateWriter {
  private buf: Uint8Array;
  private used = 0;
  private readonly max: number;
  private readonly addPath: boolean;
  private readonly initialCapacity: number;

  constructor(ctx: CodecContext, initialCapacity = 1 << 16) {
    this.initialCapacity = initialCapacity;
    this.buf = new Uint8Array(initialCapacity);
    this.max = ctx.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
    this.addPath = ctx.addPath.ipv4 === true;
  }

  /** Announces prefixes [from, to) of addrs/lens (and pathIds under ADD-PATH) with the attribute block `attrs`. */
  announce(attrs: Uint8Array, addrs: ArrayLike<number>, lens: ArrayLike<number>, from: number, to: number,
    pathIds?: ArrayLike<number>): void {
    this.write(attrs, addrs, lens, from, to, pathIds, false);
  }

  withdraw(addrs: ArrayLike<number>, lens: ArrayLike<number>, from: number, to: number, pathIds?: ArrayLike<number>): void {
    this.write(undefined, addrs, lens, from, to, pathIds, true);
  }

  /** The messages written so far, back to back, and a fresh start (a buffer grown by a large run is let go). */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.used);
    this.used = 0;
    if (this.buf.length > Math.max(this.initialCapacity, 4 * this.max)) this.buf = new Uint8Array(this.initialCapacity);
    return out;
  }

  private ensure(n: number): void {
    if (this.used + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.used + n));
    next.set(this.buf.subarray(0, this.used));
    this.buf = next;
  }

  private write(attrs: Uint8Array | undefined, addrs: ArrayLike<number>, lens: ArrayLike<number>, from: number,
    to: number, pathIds: ArrayLike<number> | undefined, withdraw: boolean): void {
    const attrLen = attrs === undefined ? 0 : attrs.length;
    const fixed = HEADER_LENGTH + 4 + attrLen;
    if (fixed + 5 + (this.addPath ? 4 : 0) > this.max) throw new BgpEncodeError('attribute block leaves no room for NLRI');
    const entryMax = 5 + (this.addPath ? 4 : 0);
    let k = from;
    while (k < to) {
      // Room for one message: the largest the remaining prefixes can make, up to the message size limit.
      this.ensure(Math.min(this.max, fixed + (to - k) * entryMax));
      const b = this.buf;
      const m = this.used;
      b.fill(0xff, m, m + 16);
      b[m + 18] = 2;
      let p = m + HEADER_LENGTH + 2;
      if (!withdraw) {
        b[m + 19] = 0;
        b[m + 20] = 0;
        b[p++] = attrLen >> 8;
        b[p++] = attrLen & 0xff;
        if (attrs !== undefined) b.set(attrs, p);
        p += attrLen;
      }
      const limit = m + this.max;
      for (; k < to; k++) {
        const bits = lens[k];
        const n = (bits + 7) >> 3;
        if (p + n + 1 + (this.addPath ? 4 : 0) > limit) break;
        if (this.addPath) {
          const id = pathIds === undefined ? 0 : pathIds[k];
          b[p] = id >>> 24;
          b[p + 1] = id >>> 16;
          b[p + 2] = id >>> 8;
          b[p + 3] = id;
          p += 4;
        }
        const a = bits === 0 ? 0 : addrs[k] & (-1 << (32 - bits));
        b[p++] = bits;
        if (n > 0) b[p++] = a >>> 24;
        if (n > 1) b[p++] = a >>> 16;
        if (n > 2) b[p++] = a >>> 8;
        if (n > 3) b[p++] = a;
      }
      if (withdraw) {
        const wl = p - (m + HEADER_LENGTH + 2);
        b[m + 19] = wl >> 8;
        b[m + 20] = wl & 0xff;
        b[p++] = 0;
        b[p++] = 0;
      }
      const len = p - m;
      b[m + 16] = len >> 8;
      b[m + 17] = len & 0xff;
      this.used = p;
    }
  }
}
