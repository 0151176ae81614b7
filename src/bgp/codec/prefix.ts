// NLRI prefixes (RFC 4271 §4.3, RFC 4760 §5, RFC 7911 §3): length in bits, then the fewest octets that hold it,
// optionally preceded by a 4-octet path identifier. In objects a prefix is canonical text ("10.0.0.0/24",
// "2001:db8::/32") with bits past the length cleared; on the hot path it is numbers (see scan.ts).
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from './address.js';
import { ByteWriter, checkUint } from './bytes.js';
import { BgpEncodeError } from './errors.js';

export interface Nlri {
  readonly prefix: string;
  /** RFC 7911 path identifier, present exactly when ADD-PATH is in use for the family. */
  readonly pathId?: number;
}

/** Called with a description when the NLRI bytes are malformed; it must throw. */
export type NlriFault = (message: string) => never;

const MASKS = [0x00, 0x80, 0xc0, 0xe0, 0xf0, 0xf8, 0xfc, 0xfe];

export function maxPrefixBits(afi: number): number {
  return afi === 2 ? 128 : 32;
}

/** Formats the prefix whose length octet is at b[i] (bytes follow it). The caller has bounds-checked. */
function formatAt(afi: number, b: Uint8Array, i: number, bits: number): string {
  const n = (bits + 7) >> 3;
  if (afi === 1) {
    let a = 0;
    for (let k = 0; k < 4; k++) a = a * 256 + (k < n ? b[i + 1 + k] : 0);
    if (bits < 32) a = bits === 0 ? 0 : (a & (~0 << (32 - bits))) >>> 0;
    return `${formatIpv4(a)}/${bits}`;
  }
  const full = new Uint8Array(16);
  full.set(b.subarray(i + 1, i + 1 + n));
  if ((bits & 7) !== 0) full[n - 1] &= MASKS[bits & 7];
  return `${formatIpv6(full)}/${bits}`;
}

/** Decodes a run of NLRI for IPv4 (afi 1) or IPv6 (afi 2). */
export function decodeNlri(b: Uint8Array, start: number, end: number, afi: number, addPath: boolean,
  fault: NlriFault): Nlri[] {
  const out: Nlri[] = [];
  const maxBits = maxPrefixBits(afi);
  let i = start;
  while (i < end) {
    let pathId: number | undefined;
    if (addPath) {
      if (i + 4 > end) fault('NLRI path identifier truncated');
      pathId = ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
      i += 4;
      if (i >= end) fault('NLRI truncated after path identifier');
    }
    const bits = b[i];
    if (bits > maxBits) fault(`prefix length ${bits} exceeds ${maxBits}`);
    const n = (bits + 7) >> 3;
    if (i + 1 + n > end) fault(`prefix of length ${bits} overruns the NLRI field`);
    const prefix = formatAt(afi, b, i, bits);
    out.push(pathId === undefined ? { prefix } : { prefix, pathId });
    i += 1 + n;
  }
  return out;
}

export interface ParsedPrefix {
  readonly afi: 1 | 2;
  readonly bits: number;
  /** The ceil(bits/8) significant octets, host bits cleared. */
  readonly bytes: Uint8Array;
}

export function parsePrefix(text: string): ParsedPrefix {
  const slash = text.indexOf('/');
  if (slash < 0) throw new BgpEncodeError(`prefix without length: ${JSON.stringify(text)}`);
  const addr = text.slice(0, slash);
  const bitsText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText)) throw new BgpEncodeError(`bad prefix length: ${JSON.stringify(text)}`);
  const bits = Number(bitsText);
  let afi: 1 | 2;
  let full: Uint8Array;
  if (addr.includes(':')) {
    afi = 2;
    full = parseIpv6(addr);
  } else {
    afi = 1;
    const v = parseIpv4(addr);
    full = Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  }
  if (bits > maxPrefixBits(afi)) throw new BgpEncodeError(`prefix length too long: ${text}`);
  const n = (bits + 7) >> 3;
  const bytes = full.slice(0, n);
  if ((bits & 7) !== 0) bytes[n - 1] &= MASKS[bits & 7];
  return { afi, bits, bytes };
}

export function encodeNlri(w: ByteWriter, afi: number, nlri: Nlri, addPath: boolean): void {
  const p = parsePrefix(nlri.prefix);
  if (p.afi !== afi) throw new BgpEncodeError(`prefix ${nlri.prefix} is not of AFI ${afi}`);
  if (addPath) w.u32(checkUint(nlri.pathId ?? 0, 32, 'path identifier'));
  else if (nlri.pathId !== undefined) throw new BgpEncodeError(`path identifier on ${nlri.prefix} without ADD-PATH`);
  w.u8(p.bits).bytes(p.bytes);
}

/** Text of an IPv4 prefix given as numbers (the hot path's shape). */
export function formatIpv4Prefix(addr: number, bits: number): string {
  return `${formatIpv4(addr)}/${bits}`;
}
