// The BGP finite state machine (RFC 4271 §8) as a pure reducer.
//
// How a session layer drives it (one FSM per TCP connection):
//   config = fsmConfig({ localAsn, localBgpId, peerAsn, holdTime, ... });
//   state  = initialState({ seed: crypto.randomInt(2 ** 31) });
//   for each event: ({ state, actions } = step(state, { ...event, now: clock() }, config)), then do the
//   actions in order:
//     state-change          log once with its reason; it is `status` Info (state.lastError keeps the last failure)
//     connect               dial; success -> 'tcp-cr-acked', failure -> 'tcp-connection-fails' { detail: err.code }
//     close                 write the NOTIFICATION if there is one, then end the socket (or abort the dial)
//     send-open / -keepalive encode and write (the OPEN's bgpId is a number; add capabilities the FSM does not model)
//     deliver-update        hand to the RIB; after writing an UPDATE, feed 'update-sent'
//     session-up            the Negotiated facts go into the codec context (4-octet AS, ADD-PATH, ...) and the RIB
//     session-down          graceful: mark the peer's routes stale for stale.restartTime; else flush them
//     release-resources     drop buffers and per-session state
//     timer-start/-stop     informational: keep one timer at nextDeadline(state.timers) and feed 'tick' when it fires
// Codec results map onto events: header error -> 'header-error', OPEN error -> 'open-error', session-reset
// UPDATE error -> 'update-error', NOTIFICATION -> 'notification' (2/1 is NotifMsgVerErr), OPEN -> 'open'.
// Collisions: after an FSM reaches OpenConfirm, call resolveCollision() against the peer's other connection
// and feed 'open-collision-dump' to the loser. A peer reconnecting while Established (a GR restart) is
// a 'tcp-connection-fails' for the old connection.

export type * from './types.js';
export { step, run } from './reducer.js';
export { fsmConfig, initialState, FsmConfigError, FSM_DEFAULTS, type FsmConfigInput } from './config.js';
export {
  AS_TRANS, BGP_VERSION, IPV4_UNICAST, IPV6_UNICAST, announcedAsn, buildOpen, checkOpen, familyKey,
  negotiate, peerAsnAccepted, sameFamily, type OpenCheck,
} from './negotiate.js';
export {
  collisionWinner, resolveCollision, type CollisionDecision, type CollisionInput, type Speaker,
} from './collision.js';
export { isGracefulDown, staleInfo, type DownCause } from './graceful.js';
export { backoffDelay, deadline, keepaliveInterval, nextDeadline, nextRandom, type Backoff } from './timers.js';
export {
  CeaseSubcode, ErrorCode, FsmSubcode, OpenSubcode, decodeShutdownMessage, encodeShutdownMessage,
  hardReset, isHardReset, notification, notificationName, unwrapHardReset,
} from './codes.js';
export { Reasons, notificationReason } from './reasons.js';
