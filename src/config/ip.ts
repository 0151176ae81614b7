// IP addresses and prefixes as the site file writes them: strict parsing, canonical text (RFC 5952 for IPv6),
// containment and overlap. Addresses are bigints so both families share one code path.

export type Family = 4 | 6;

export interface IpAddress {
  readonly family: Family;
  readonly value: bigint;
}

export interface IpPrefix {
  readonly family: Family;
  /** The network address (host bits zero when the prefix is valid). */
  readonly value: bigint;
  readonly length: number;
}

export const familyBits = (f: Family): number => (f === 4 ? 32 : 128);

/** Parses a dotted quad; each octet decimal 0-255 without leading zeros. */
function parseV4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(text: string): bigint | undefined {
  if (text.length === 0 || text.length > 45) return undefined;
  let head = text;
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    tailV4 = parseV4(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = text.slice(0, lastColon + 1);
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const groupsWanted = tailV4 === undefined ? 8 : 6;
  const dbl = head.indexOf('::');
  if (dbl !== head.lastIndexOf('::') && dbl !== -1) return undefined;
  const parseGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  let groups: number[];
  if (dbl === -1) {
    const g = parseGroups(head);
    if (!g || g.length !== groupsWanted) return undefined;
    groups = g;
  } else {
    const left = parseGroups(head.slice(0, dbl));
    const right = parseGroups(head.slice(dbl + 2));
    if (!left || !right || left.length + right.length > groupsWanted - 1) return undefined;
    groups = [...left, ...new Array<number>(groupsWanted - left.length - right.length).fill(0), ...right];
  }
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  if (tailV4 !== undefined) v = (v << 32n) | tailV4;
  return v;
}

/** Parses an IPv4 or IPv6 address (no prefix length, no zone). */
export function parseAddress(text: string): IpAddress | undefined {
  if (text.includes(':')) {
    const v = parseV6(text);
    return v === undefined ? undefined : { family: 6, value: v };
  }
  const v = parseV4(text);
  return v === undefined ? undefined : { family: 4, value: v };
}

/** Formats an address: dotted quad, or RFC 5952 IPv6 (lowercase, longest zero run of 2+ groups as `::`). */
export function formatAddress(a: IpAddress): string {
  if (a.family === 4) {
    const v = a.value;
    return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((a.value >> BigInt(i * 16)) & 0xffffn));
  // IPv4-mapped addresses keep their dotted tail (RFC 5952 §5).
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${formatAddress({ family: 4, value: a.value & 0xffffffffn })}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export type PrefixProblem =
  | { readonly kind: 'syntax' }
  | { readonly kind: 'length'; readonly max: number }
  | { readonly kind: 'host-bits'; readonly network: string }
  | { readonly kind: 'not-canonical'; readonly canonical: string };

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: PrefixProblem };

const mask = (family: Family, length: number): bigint => {
  const bits = BigInt(familyBits(family));
  return ((1n << bits) - 1n) ^ ((1n << (bits - BigInt(length))) - 1n);
};

/** Parses `address/length` strictly: the address must be the network (no host bits) and in canonical form. */
export function parsePrefix(text: string): Parsed<IpPrefix> {
  const slash = text.indexOf('/');
  if (slash < 0 || !/^(0|[1-9][0-9]{0,2})$/.test(text.slice(slash + 1))) return { ok: false, problem: { kind: 'syntax' } };
  const addr = parseAddress(text.slice(0, slash));
  if (!addr) return { ok: false, problem: { kind: 'syntax' } };
  const length = Number(text.slice(slash + 1));
  const max = familyBits(addr.family);
  if (length > max) return { ok: false, problem: { kind: 'length', max } };
  const network = addr.value & mask(addr.family, length);
  const prefix: IpPrefix = { family: addr.family, value: network, length };
  if (network !== addr.value) return { ok: false, problem: { kind: 'host-bits', network: formatPrefix(prefix) } };
  const canonical = formatPrefix(prefix);
  if (canonical !== text) return { ok: false, problem: { kind: 'not-canonical', canonical } };
  return { ok: true, value: prefix };
}

/** Parses an address strictly: it must be written in canonical form. */
export function parseCanonicalAddress(text: string): Parsed<IpAddress> {
  const a = parseAddress(text);
  if (!a) return { ok: false, problem: { kind: 'syntax' } };
  const canonical = formatAddress(a);
  if (canonical !== text) return { ok: false, problem: { kind: 'not-canonical', canonical } };
  return { ok: true, value: a };
}

export const formatPrefix = (p: IpPrefix): string => `${formatAddress(p)}/${p.length}`;

export const hostPrefix = (a: IpAddress): IpPrefix => ({ family: a.family, value: a.value, length: familyBits(a.family) });

/** True when `outer` contains `inner` (a prefix or an address). */
export function prefixContains(outer: IpPrefix, inner: IpPrefix | IpAddress): boolean {
  const len = 'length' in inner ? inner.length : familyBits(inner.family);
  return outer.family === inner.family && len >= outer.length
    && (inner.value & mask(outer.family, outer.length)) === outer.value;
}

export const prefixesOverlap = (a: IpPrefix, b: IpPrefix): boolean => prefixContains(a, b) || prefixContains(b, a);

/** The network and broadcast-style last address are not usable as host addresses in IPv4 subnets up to /30. */
export function isHostAddressIn(subnet: IpPrefix, a: IpAddress): boolean {
  if (!prefixContains(subnet, a)) return false;
  if (subnet.family === 6 || subnet.length >= 31) return true;
  const last = subnet.value | ((1n << BigInt(32 - subnet.length)) - 1n);
  return a.value !== subnet.value && a.value !== last;
}
