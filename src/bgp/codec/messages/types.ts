// BGP messages as a discriminated union of readonly plain data.
import type { PathAttribute } from '../attributes/types.js';
import type { Capability } from '../capabilities.js';
import type { CodecErrorInfo } from '../errors.js';
import type { Nlri } from '../prefix.js';

export interface OpenMessage {
  readonly type: 'OPEN';
  readonly version: number;
  /** The 2-octet My Autonomous System field (AS_TRANS when the true AS needs 4 octets). */
  readonly asn: number;
  readonly holdTime: number;
  readonly bgpId: string;
  readonly capabilities: readonly Capability[];
  /**
   * How many capabilities each Capabilities optional parameter held, in order (FRR and GoBGP send one per
   * parameter, BIRD all in one). Absent: all in one parameter.
   */
  readonly capabilityGroups?: readonly number[];
  /** RFC 9072 extended optional parameters encoding (set on decode when the peer used it; forced when needed). */
  readonly extendedParams?: boolean;
}

export interface UpdateMessage {
  readonly type: 'UPDATE';
  readonly withdrawn: readonly Nlri[];
  readonly attributes: readonly PathAttribute[];
  readonly nlri: readonly Nlri[];
  /**
   * The strongest RFC 7606 error found when it is attribute-discard (the attribute is gone from `attributes`) or
   * treat-as-withdraw (every prefix of this UPDATE must be handled as withdrawn). Stronger errors are thrown.
   */
  readonly error?: CodecErrorInfo;
}

export interface NotificationMessage {
  readonly type: 'NOTIFICATION';
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
}

export interface KeepaliveMessage {
  readonly type: 'KEEPALIVE';
}

export interface RouteRefreshMessage {
  readonly type: 'ROUTE-REFRESH';
  readonly afi: number;
  readonly safi: number;
  /** RFC 7313: 0 normal request, 1 Beginning of Route Refresh, 2 End of Route Refresh; others are ignored. */
  readonly subtype: number;
}

export type BgpMessage = OpenMessage | UpdateMessage | NotificationMessage | KeepaliveMessage | RouteRefreshMessage;
