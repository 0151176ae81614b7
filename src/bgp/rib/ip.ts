// IP address text <-> numbers/bytes. IPv4 is a uint32 number; IPv6 is 16 bytes.
// Text output is canonical (RFC 5952 for IPv6) so that equal addresses give equal strings.

import { formatIpv6 } from '../codec/address.js';

export class AddressError extends Error {
  override readonly name = 'AddressError';
  constructor(readonly text: string, reason: string) {
    super(`bad address "${text}": ${reason}`);
  }
}

/** Parses dotted-quad IPv4 text to a uint32. */
export function parseIPv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) throw new AddressError(text, 'expected 4 octets');
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) throw new AddressError(text, 'octet not a number');
    const n = Number(p);
    if (n > 255) throw new AddressError(text, 'octet above 255');
    v = v * 256 + n;
  }
  return v;
}

export function formatIPv4(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** Parses IPv6 text (with optional embedded IPv4 tail) to 16 bytes. */
export function parseIPv6(text: string): Uint8Array {
  const out = new Uint8Array(16);
  let s = text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const dbl = s.indexOf('::');
  if (dbl !== s.lastIndexOf('::')) throw new AddressError(text, 'more than one "::"');
  const parseGroups = (part: string): number[] => {
    if (part === '') return [];
    const groups: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (i === items.length - 1 && it.includes('.')) {
        const v4 = parseIPv4(it);
        groups.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(it)) throw new AddressError(text, `bad group "${it}"`);
        groups.push(parseInt(it, 16));
      }
    }
    return groups;
  };
  let groups: number[];
  if (dbl >= 0) {
    const head = parseGroups(s.slice(0, dbl));
    const tail = parseGroups(s.slice(dbl + 2));
    const fill = 8 - head.length - tail.length;
    if (fill < 1) throw new AddressError(text, 'too many groups');
    groups = [...head, ...new Array<number>(fill).fill(0), ...tail];
  } else {
    groups = parseGroups(s);
    if (groups.length !== 8) throw new AddressError(text, 'expected 8 groups');
  }
  for (let i = 0; i < 8; i++) {
    out[i * 2] = groups[i]! >>> 8;
    out[i * 2 + 1] = groups[i]! & 255;
  }
  return out;
}

/** RFC 5952 text, IPv4-mapped addresses in mixed notation (§5): the codec's formatter, so both print alike. */
export function formatIPv6(b: Uint8Array): string {
  return formatIpv6(b);
}

export function isIPv6Text(text: string): boolean {
  return text.includes(':');
}

/** Canonical text for an IPv4 or IPv6 address. */
export function normalizeIp(text: string): string {
  return isIPv6Text(text) ? formatIPv6(parseIPv6(text)) : formatIPv4(parseIPv4(text));
}

/**
 * A string that sorts like the address: IPv4 as 8 hex digits, IPv6 as 32 hex digits, so every IPv4 address
 * sorts before every IPv6 address. Used for the "lowest peer address" tie-break.
 */
export function addressSortKey(text: string): string {
  if (!isIPv6Text(text)) return parseIPv4(text).toString(16).padStart(8, '0');
  let s = '';
  for (const x of parseIPv6(text)) s += x.toString(16).padStart(2, '0');
  return `~${s}`;
}
