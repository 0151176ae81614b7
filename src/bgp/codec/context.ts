// Session facts negotiated in the OPEN exchange that change how bytes are read and written. They travel as an
// argument to decode/encode; the codec keeps no state of its own. A session uses one context per direction when
// ADD-PATH was negotiated asymmetrically (receive for decode, send for encode).

export interface AddPathFamilies {
  /** IPv4 unicast NLRI carry a 4-octet path identifier (RFC 7911). */
  readonly ipv4?: boolean;
  /** IPv6 unicast NLRI carry a 4-octet path identifier (RFC 7911). */
  readonly ipv6?: boolean;
}

export interface CodecContext {
  /** Both sides advertised the 4-octet AS capability (RFC 6793): AS_PATH and AGGREGATOR carry 4-octet ASNs. */
  readonly as4: boolean;
  readonly addPath: AddPathFamilies;
  /** RFC 8654 extended messages negotiated: UPDATE/NOTIFICATION/ROUTE-REFRESH may reach 65535 octets. */
  readonly extendedMessage: boolean;
  /** RFC 8950: IPv4 NLRI may carry an IPv6 next hop in MP_REACH_NLRI. */
  readonly extendedNextHop: boolean;
  /** The peer is external; RFC 7606 §7.5 then discards a malformed LOCAL_PREF instead of withdrawing. */
  readonly ebgp?: boolean;
}

export const DEFAULT_CONTEXT: CodecContext = Object.freeze({
  as4: true,
  addPath: Object.freeze({}),
  extendedMessage: false,
  extendedNextHop: false,
});

export function makeContext(partial: Partial<CodecContext> = {}): CodecContext {
  return { ...DEFAULT_CONTEXT, ...partial };
}

export function addPathFor(ctx: CodecContext, afi: number, safi: number): boolean {
  if (safi !== 1) return false;
  return afi === 1 ? ctx.addPath.ipv4 === true : afi === 2 ? ctx.addPath.ipv6 === true : false;
}
