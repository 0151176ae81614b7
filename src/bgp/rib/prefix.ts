// Prefix keys: compact, hashable identities for unicast prefixes.
//   IPv4: a number, addr * 256 + len (< 2^40, exact in a double, no allocation when stored in typed arrays).
//   IPv6: a 17-character one-byte string: 16 address bytes (host bits zeroed) then the length.
// The family follows from the key's type, but APIs still pass it explicitly for clarity.

import { AddressError, formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './ip.js';

export type Family = 'ipv4' | 'ipv6';
export const FAMILIES: readonly Family[] = ['ipv4', 'ipv6'];
export type V4Key = number;
export type V6Key = string;
export type PrefixKey = V4Key | V6Key;

export function familyOf(key: PrefixKey): Family {
  return typeof key === 'number' ? 'ipv4' : 'ipv6';
}

export function familyIndex(f: Family): 0 | 1 {
  return f === 'ipv4' ? 0 : 1;
}


/** Mask a uint32 address to len bits. */
export function maskV4(addr: number, len: number): number {
  if (len <= 0) return 0;
  if (len >= 32) return addr >>> 0;
  return (addr & (~0 << (32 - len))) >>> 0;
}

export function v4Key(addr: number, len: number): V4Key {
  if (len < 0 || len > 32 || !Number.isInteger(len)) throw new RangeError(`bad IPv4 prefix length ${len}`);
  return maskV4(addr, len) * 256 + len;
}
export function v4Addr(key: V4Key): number {
  return Math.floor(key / 256);
}
export function v4Len(key: V4Key): number {
  return key % 256;
}

export function v6Key(bytes: Uint8Array, len: number): V6Key {
  if (len < 0 || len > 128 || !Number.isInteger(len)) throw new RangeError(`bad IPv6 prefix length ${len}`);
  let s = '';
  for (let i = 0; i < 16; i++) {
    const bitsLeft = len - i * 8;
    const b = bitsLeft >= 8 ? bytes[i] ?? 0 : bitsLeft <= 0 ? 0 : (bytes[i] ?? 0) & (0xff << (8 - bitsLeft)) & 0xff;
    s += String.fromCharCode(b);
  }
  return s + String.fromCharCode(len);
}
export function v6Bytes(key: V6Key): Uint8Array {
  const b = new Uint8Array(16);
  for (let i = 0; i < 16; i++) b[i] = key.charCodeAt(i);
  return b;
}
export function v6Len(key: V6Key): number {
  return key.charCodeAt(16);
}

export function prefixLen(key: PrefixKey): number {
  return typeof key === 'number' ? v4Len(key) : v6Len(key);
}

/** Parses "a.b.c.d/len" or "x::/len" (host bits are cleared). */
export function parsePrefix(text: string): PrefixKey {
  const slash = text.indexOf('/');
  if (slash < 0) throw new AddressError(text, 'missing /length');
  const addr = text.slice(0, slash);
  const lenText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) throw new AddressError(text, 'bad prefix length');
  const len = Number(lenText);
  if (addr.includes(':')) {
    if (len > 128) throw new AddressError(text, 'prefix length above 128');
    return v6Key(parseIPv6(addr), len);
  }
  if (len > 32) throw new AddressError(text, 'prefix length above 32');
  return v4Key(parseIPv4(addr), len);
}

export function formatPrefix(key: PrefixKey): string {
  if (typeof key === 'number') return `${formatIPv4(v4Addr(key))}/${v4Len(key)}`;
  return `${formatIPv6(v6Bytes(key))}/${v6Len(key)}`;
}

/**
 * True if `inner` lies inside `outer` (same family, inner length >= outer length, leading bits equal).
 */
export function prefixCovers(outer: PrefixKey, inner: PrefixKey): boolean {
  if (typeof outer === 'number') {
    if (typeof inner !== 'number') return false;
    const ol = v4Len(outer);
    const il = v4Len(inner);
    return il >= ol && maskV4(v4Addr(inner), ol) === v4Addr(outer);
  }
  if (typeof inner !== 'string') return false;
  const ol = v6Len(outer);
  const il = v6Len(inner);
  if (il < ol) return false;
  const whole = ol >> 3;
  for (let i = 0; i < whole; i++) if (outer.charCodeAt(i) !== inner.charCodeAt(i)) return false;
  const rem = ol & 7;
  if (rem === 0) return true;
  const mask = (0xff << (8 - rem)) & 0xff;
  return (inner.charCodeAt(whole) & mask) === outer.charCodeAt(whole);
}

