// The BGP finite state machine (RFC 4271 §8) as a pure reducer. See reducer.ts for how a session
// layer drives it: feed events with the clock's `now`, execute the actions in order, and schedule
// the next `tick` at `nextDeadline(state.timers)`.

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
export { backoffDelay, keepaliveInterval, nextDeadline, nextRandom, type Backoff } from './timers.js';
export {
  CeaseSubcode, ErrorCode, FsmSubcode, OpenSubcode, decodeShutdownMessage, encodeShutdownMessage,
  hardReset, isHardReset, notification, notificationName, unwrapHardReset,
} from './codes.js';
export { Reasons, notificationReason } from './reasons.js';
