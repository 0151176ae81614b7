// The site file: load and check it, find this node in it, and diff two versions of it on reload.
export type { ConfigIssue, Severity } from './errors.js';
export { ConfigError, NodeNotFoundError, formatIssue, formatPath } from './errors.js';
export type { CheckOptions, CheckResult } from './load.js';
export { checkSite, checkSiteFile, fsProbe, loadSiteFile, parseSite } from './load.js';
export type { FileProbe, FileStatus } from './semantic.js';
export { SchemaValidator, schemaUrl } from './schema.js';
export { meshPeersOf, peersOf, selectNode } from './select.js';
export type { ConfigDiff, PeerChange } from './diff.js';
export { diffConfigs } from './diff.js';
export type * from './types.js';
export type { SourcePosition } from './yaml-source.js';
