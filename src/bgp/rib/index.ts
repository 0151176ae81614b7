// Public surface of the RIB: see rib.ts for how the session layer, the agent and the route planner drive it.
export * from './attrs.js';
export { AttrTable, attrsEqual, hashAttrs } from './attr-table.js';
export type { AttrDraft } from './attr-table.js';
export * from './clock.js';
export * from './decision.js';
export { AdjRibOut } from './adj-rib-out.js';
export type { Exporter, TakeResult, UpdatePlan } from './adj-rib-out.js';
export { exportVerdict, rewriteForPeer } from './export-rules.js';
export type { ExportEnv, ExportVerdict } from './export-rules.js';
export * from './ip.js';
export { NumKeyIndex, StrKeyIndex, newKeyIndex } from './key-index.js';
export type { KeyIndex } from './key-index.js';
export { LOCAL_PEER, routerIdNumber } from './peer.js';
export type { PeerConfig, PeerId, SessionInfo } from './peer.js';
export * from './prefix.js';
export * from './route-policy.js';
export { Rib, RibError } from './rib.js';
export type { LocRibChange, PeerStats, ReceiveResult, RibEntry, RibOptions, RibPath } from './rib.js';
