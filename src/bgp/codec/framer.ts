// Cuts a TCP byte stream into whole BGP messages, whatever the segmentation. Checks the marker and length as soon as
// a header is complete (RFC 4271 §6.1), so a desynchronised stream fails fast instead of waiting for 64 KiB.
import { HEADER_LENGTH } from './constants.js';
import { checkHeader } from './header.js';

export class BgpFramer {
  private pending: Uint8Array = new Uint8Array(0);
  private used = 0;
  /** Set once both sides sent the RFC 8654 capability; messages may then reach 65535 octets. */
  extendedMessage: boolean;

  constructor(options: { extendedMessage?: boolean } = {}) {
    this.extendedMessage = options.extendedMessage ?? false;
  }

  /**
   * Feeds bytes; calls `onMessage` with each complete message (a view valid until the next push: copy it to
   * keep it). Throws BgpCodecError on a bad marker or length; the stream is then unusable.
   */
  push(chunk: Uint8Array, onMessage: (message: Uint8Array) => void): void {
    let buf: Uint8Array;
    let start: number;
    if (this.used === 0) {
      buf = chunk;
      start = 0;
    } else {
      buf = this.grow(chunk);
      start = 0;
    }
    const end = this.used === 0 ? chunk.length : this.used;
    let i = start;
    while (end - i >= HEADER_LENGTH) {
      const length = checkHeader(buf, i, this.extendedMessage);
      if (end - i < length) break;
      onMessage(buf.subarray(i, i + length));
      i += length;
    }
    const rest = end - i;
    if (rest === 0) {
      this.used = 0;
      return;
    }
    if (buf === this.pending) {
      buf.copyWithin(0, i, end);
    } else {
      if (this.pending.length < rest) this.pending = new Uint8Array(Math.max(rest, 4096));
      this.pending.set(buf.subarray(i, end));
    }
    this.used = rest;
  }

  /** Convenience for tests and the CLI: every complete message, copied. */
  pushAll(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.push(chunk, (m) => out.push(m.slice()));
    return out;
  }

  /** Octets held back waiting for the rest of a message. */
  get buffered(): number {
    return this.used;
  }

  private grow(chunk: Uint8Array): Uint8Array {
    const need = this.used + chunk.length;
    if (this.pending.length < need) {
      const next = new Uint8Array(Math.max(need, this.pending.length * 2));
      next.set(this.pending.subarray(0, this.used));
      this.pending = next;
    }
    this.pending.set(chunk, this.used);
    this.used = need;
    return this.pending;
  }
}
