// IPv4/IPv6 addresses as canonical text (RFC 5952 for IPv6) and back, without node:net so the codec stays portable.
import { BgpEncodeError } from './errors.js';

export function formatIpv4(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

export function formatIpv4Bytes(b: Uint8Array, i: number): string {
  return `${b[i]}.${b[i + 1]}.${b[i + 2]}.${b[i + 3]}`;
}

const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIpv4(text: string): number {
  const m = IPV4_RE.exec(text);
  if (m === null) throw new BgpEncodeError(`not an IPv4 address: ${JSON.stringify(text)}`);
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255 || (m[i].length > 1 && m[i][0] === '0')) throw new BgpEncodeError(`not an IPv4 address: ${text}`);
    v = v * 256 + o;
  }
  return v;
}

/** RFC 5952 §4: lowercase, no leading zeros, the longest run (>1) of zero groups as "::", leftmost on ties. */
export function formatIpv6(b: Uint8Array, off = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[off + 2 * i] << 8) | b[off + 2 * i + 1]);
  // RFC 5952 §5: IPv4-mapped addresses in mixed notation.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return g.map((x) => x.toString(16)).join(':');
  const head = g.slice(0, bestStart).map((x) => x.toString(16)).join(':');
  const tail = g.slice(bestStart + bestLen).map((x) => x.toString(16)).join(':');
  return `${head}::${tail}`;
}

export function parseIpv6(text: string): Uint8Array {
  const bad = (): never => {
    throw new BgpEncodeError(`not an IPv6 address: ${JSON.stringify(text)}`);
  };
  let s = text;
  if (s.includes('.')) {
    const cut = s.lastIndexOf(':');
    if (cut < 0) bad();
    const v4 = parseIpv4(s.slice(cut + 1));
    s = `${s.slice(0, cut + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const parts = s.split('::');
  if (parts.length > 2) bad();
  const parse = (p: string): number[] => (p === '' ? [] : p.split(':').map((x) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(x)) bad();
    return parseInt(x, 16);
  }));
  const head = parse(parts[0]);
  const tail = parts.length === 2 ? parse(parts[1]) : [];
  let groups = head;
  if (parts.length === 2) {
    const fill = 8 - head.length - tail.length;
    if (fill < 1) bad();
    groups = [...head, ...new Array<number>(fill).fill(0), ...tail];
  }
  if (groups.length !== 8) bad();
  const out = new Uint8Array(16);
  groups.forEach((x, i) => {
    out[2 * i] = x >> 8;
    out[2 * i + 1] = x & 0xff;
  });
  return out;
}
