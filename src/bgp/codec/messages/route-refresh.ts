// ROUTE-REFRESH (RFC 2918 §3) with the RFC 7313 §3 message subtypes in the former reserved octet.
import { ByteWriter, checkUint, u16 } from '../bytes.js';
import type { RouteRefreshMessage } from './types.js';

/** The caller checked the body is exactly 4 octets. */
export function decodeRouteRefresh(b: Uint8Array, s: number): RouteRefreshMessage {
  return { type: 'ROUTE-REFRESH', afi: u16(b, s), subtype: b[s + 2], safi: b[s + 3] };
}

export function encodeRouteRefresh(m: RouteRefreshMessage, w: ByteWriter): void {
  w.u16(checkUint(m.afi, 16, 'AFI')).u8(checkUint(m.subtype, 8, 'subtype')).u8(checkUint(m.safi, 8, 'SAFI'));
}

export const RouteRefreshSubtype = { REQUEST: 0, BEGIN: 1, END: 2 } as const;
