// Connection collision detection (RFC 4271 §6.8, RFC 6286 §2.3) as pure functions. The session
// layer runs one FSM per TCP connection; when an OPEN arrives on one of them it asks
// `resolveCollision` about the other, and delivers `open-collision-dump` to the loser.

import type { Direction, StateName } from './types.js';

export interface Speaker {
  readonly bgpId: number;
  readonly asn: number;
}

/**
 * Which connection survives, seen from this speaker: the one initiated by the speaker with the
 * higher BGP identifier (compared as unsigned 32-bit integers). With equal identifiers (possible
 * between ASes since RFC 6286), the one initiated by the speaker with the larger AS number.
 * Equal identifiers within one AS are refused at OPEN time, so the final fallback never decides
 * a real collision.
 */
export function collisionWinner(local: Speaker, remote: Speaker): Direction {
  const l = local.bgpId >>> 0;
  const r = remote.bgpId >>> 0;
  if (l !== r) return l > r ? 'outbound' : 'inbound';
  return local.asn > remote.asn ? 'outbound' : 'inbound';
}

export interface CollisionInput {
  readonly local: Speaker;
  /** From the OPEN that just arrived. */
  readonly remote: Speaker;
  /** The other connection to the same peer. */
  readonly existing: { readonly state: StateName; readonly direction: Direction };
  /** The connection on which the OPEN just arrived. */
  readonly arriving: { readonly direction: Direction };
  /** RFC 4271 CollisionDetectEstablishedState: also resolve against an Established session. */
  readonly collisionDetectEstablishedState?: boolean;
}

export interface CollisionDecision {
  /** Which connection gets `open-collision-dump`. */
  readonly dump: 'none' | 'existing' | 'arriving';
  readonly reason: string;
}

export function resolveCollision(input: CollisionInput): CollisionDecision {
  const { existing, arriving } = input;
  if (existing.direction === arriving.direction) {
    // Two connections opened the same way are not a collision (e.g. the peer reconnecting after
    // a restart); the session layer treats the old one as failed.
    return { dump: 'none', reason: 'same-direction' };
  }
  switch (existing.state) {
    case 'Idle':
    case 'Connect':
    case 'Active':
    case 'OpenSent':
      // No OPEN on the existing connection yet: nothing to compare. When its OPEN arrives the
      // roles swap and the decision is made then.
      return { dump: 'none', reason: `existing-in-${existing.state}` };
    case 'Established':
      if (input.collisionDetectEstablishedState !== true) {
        return { dump: 'arriving', reason: 'existing-established' };
      }
      break;
    case 'OpenConfirm':
      break;
  }
  const keep = collisionWinner(input.local, input.remote);
  const side = keep === 'outbound' ? 'local' : 'remote';
  return keep === existing.direction
    ? { dump: 'arriving', reason: `higher-bgp-id-${side}-keeps-${keep}` }
    : { dump: 'existing', reason: `higher-bgp-id-${side}-keeps-${keep}` };
}
