// Canonical wire bytes written out by hand from the RFCs (not produced by our encoder), shared by tests.
export const M = 'ffffffffffffffffffffffffffffffff';
const clean = (s: string): string => s.replace(/\s+/g, '');

export const VECTORS: Record<string, string> = {
  keepalive: clean(`${M} 0013 04`),
  // The capabilities FRR 8/9 puts in its OPEN by default, each in its own optional parameter: MP IPv4 unicast,
  // route refresh (Cisco 128 and RFC 2918), enhanced route refresh, 4-octet AS, ADD-PATH receive, hostname (73),
  // graceful restart with the N bit and 120 s, extended message, long-lived GR with no families.
  openFrr: clean(`${M} 0059 01  04 fde9 00b4 0a000001 3c
    02 06 01 04 0001 0001
    02 02 80 00
    02 02 02 00
    02 02 46 00
    02 06 41 04 0000fde9
    02 06 45 04 0001 01 01
    02 08 49 06 04 746f7231 00
    02 04 40 02 4078
    02 02 06 00
    02 02 47 00`),
  updateIpv4: clean(`${M} 004f 02  0000 0031
    40 01 01 00
    40 02 06 02 01 0000fde9
    40 03 04 0a000001
    80 04 04 00000064
    c0 08 04 fde80001
    c0 20 0c 00000001 00000002 00000003
    18 0a0001  10 0a02`),
  updateIpv6: clean(`${M} 0054 02  0000 003d
    40 01 01 00
    40 02 06 02 01 0000fde9
    90 0e 002c 0002 01 20 20010db8000000000000000000000001 fe800000000000000000000000000001 00 30 20010db80001`),
  notificationShutdown: clean(`${M} 0021 03 06 02 0b 6d61696e74656e616e6365`),
  routeRefreshBorr: clean(`${M} 0017 05 0001 01 01`),
  eorIpv4: clean(`${M} 0017 02 0000 0000`),
  eorIpv6: clean(`${M} 001d 02 0000 0006 80 0f 03 0002 01`),
};

export function hex(s: string): Uint8Array {
  const t = clean(s);
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(t.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A header for a body of n octets of the given type. */
export function header(type: number, bodyLength: number): string {
  return `${M}${(19 + bodyLength).toString(16).padStart(4, '0')}${type.toString(16).padStart(2, '0')}`;
}
