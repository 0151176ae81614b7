// The session layer: the FSM wired to TCP. PeerSession (one neighbour), BgpListener (the passive side), the TCP
// edge (socket options before the SYN), and the OPEN building the sessions share.
export { PeerSession } from './session.js';
export { BgpListener, ListenError, type BgpListenerOptions, type ListenRange, type ListenerCounters } from './listener.js';
export { systemClock } from './clock.js';
export {
  capabilitiesJson, familiesOf, fsmOpen, localCapabilities, negotiatedContexts, wireOpen, type SessionContexts,
} from './open.js';
export { BGP_PORT, connectTcp, setAcceptedOptions, setListenerMd5, setMinTtl } from './socket.js';
export type * from './types.js';
