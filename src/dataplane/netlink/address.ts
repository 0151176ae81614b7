// IP addresses and prefixes as bytes (network order) and back to canonical text (RFC 5952 for IPv6), with no
// per-call regex or library: the dump path formats a million of these.

import { formatIpv4Bytes, formatIpv6 } from '../../bgp/codec/address.js';

export type Family = 4 | 6;

export interface Prefix {
  readonly family: Family;
  /** network order, host bits cleared; 4 or 16 bytes */
  readonly bytes: Buffer;
  readonly len: number;
  /** canonical text, e.g. "10.1.0.0/16", "fd00:1::/64" */
  readonly text: string;
}

export function parseIPv4(text: string): Buffer | null {
  const n = parseIPv4Number(text, 0, text.length);
  if (n < 0) return null;
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(n, 0);
  return out;
}

/** Dotted quad in text[from, to) as an unsigned number, or -1. No allocation. */
export function parseIPv4Number(text: string, from: number, to: number): number {
  let acc = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      acc = acc * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return acc * 256 + part;
}

export function parseIPv6(text: string): Buffer | null {
  if (text.length === 0 || text.length > 45) return null;
  const out = Buffer.alloc(16);
  let head = text;
  let tail = '';
  const dbl = text.indexOf('::');
  if (dbl >= 0) {
    if (text.indexOf('::', dbl + 1) >= 0) return null;
    head = text.slice(0, dbl);
    tail = text.slice(dbl + 2);
  }
  const groups = (s: string): number[] | null => {
    if (s === '') return [];
    const g: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (!v4) return null;
        g.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        g.push(parseInt(p, 16));
      }
    }
    return g;
  };
  const h = groups(head);
  const t = groups(tail);
  if (!h || !t) return null;
  if (dbl < 0 ? h.length !== 8 : h.length + t.length > 7) return null;
  h.forEach((v, i) => out.writeUInt16BE(v, i * 2));
  t.forEach((v, i) => out.writeUInt16BE(v, (8 - t.length + i) * 2));
  return out;
}

/** Parses either family. */
export function parseIP(text: string): { family: Family; bytes: Buffer } | null {
  if (text.includes(':')) {
    const b = parseIPv6(text);
    return b ? { family: 6, bytes: b } : null;
  }
  const b = parseIPv4(text);
  return b ? { family: 4, bytes: b } : null;
}

// Canonical text (RFC 5952 for IPv6): the codec's formatters, under this module's names.
export const formatIPv4: (buf: Uint8Array, off: number) => string = formatIpv4Bytes;
export const formatIPv6: (buf: Uint8Array, off: number) => string = formatIpv6;

export function formatIP(family: Family, buf: Uint8Array, off = 0): string {
  return family === 4 ? formatIPv4(buf, off) : formatIPv6(buf, off);
}

/** "10.1.2.3/16" -> 10.1.0.0/16 (host bits cleared); a bare address is a host prefix. Null when malformed. */
export function parsePrefix(text: string): Prefix | null {
  const slash = text.indexOf('/');
  let len = -1;
  if (slash >= 0) {
    len = 0;
    const n = text.length - slash - 1;
    if (n < 1 || n > 3) return null;
    for (let i = slash + 1; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) return null;
      len = len * 10 + (c - 48);
    }
  }
  const end = slash < 0 ? text.length : slash;
  const v4 = parseIPv4Number(text, 0, end);
  if (v4 >= 0) {
    if (len < 0) len = 32;
    if (len > 32) return null;
    const masked = len === 0 ? 0 : (v4 & (0xffffffff << (32 - len))) >>> 0;
    const bytes = Buffer.allocUnsafe(4);
    bytes.writeUInt32BE(masked, 0);
    return { family: 4, bytes, len, text: `${formatIPv4(bytes, 0)}/${len}` };
  }
  const bytes = parseIPv6(text.slice(0, end));
  if (!bytes) return null;
  if (len < 0) len = 128;
  if (len > 128) return null;
  for (let bit = len; bit < 128; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
  return { family: 6, bytes, len, text: `${formatIPv6(bytes, 0)}/${len}` };
}
