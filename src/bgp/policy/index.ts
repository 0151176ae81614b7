// Import/export policy: plain-data definitions (types.ts), compiled to RoutePolicy closures for the RIB.
export * from './types.js';
export { CompiledPolicy, compilePolicy } from './compile.js';
export { compilePrefixList } from './prefix-list.js';
export type { PrefixMatcher } from './prefix-list.js';
export { formatCommunity, parseCommunity, parseLargeCommunity } from './communities.js';
export * from './defaults.js';
