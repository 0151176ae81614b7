// The kernel FIB layer: routes tagged with rackroute's protocol (199), batched over rtnetlink, and a
// level-triggered reconciler that converges the kernel to the desired routes and shows the drift.
export * from './address.js';
export { RTPROT_RACKROUTE, RT_TABLE_MAIN } from './constants.js';
export * from './port.js';
export * from './route.js';
export { NetlinkFib } from './fib.js';
export type { NetlinkFibOptions } from './fib.js';
export { NetlinkError, errnoName } from './socket.js';
export { FibReconciler } from './reconciler.js';
export type { FibCounters, PassConflict, PassReport, ReconcilerLogger, ReconcilerOptions } from './reconciler.js';
export type { FibRowState, FibView, FibViewRow } from './view.js';
