// FibPort: what rackroute needs from a kernel FIB, small on purpose. The real one (fib.ts) speaks rtnetlink in
// the current network namespace; anything else (a fake for agent tests) implements the same few calls.
import type { Family } from './address.js';
import type { KernelRoute, NormRoute, Route } from './route.js';

export type FibOp = 'add' | 'replace' | 'delete';

export interface FibChange {
  /**
   * add: create, failing with EEXIST if the table+prefix+metric slot is taken (by anyone: a foreign route is
   * never overwritten this way). replace: create or overwrite. delete: remove our route (protocol 199) at
   * that slot; a route already gone counts as removed.
   */
  readonly op: FibOp;
  readonly route: NormRoute;
}

export interface FibFailure {
  /** index into the changes passed to apply() */
  readonly index: number;
  readonly op: FibOp;
  readonly key: string;
  /** positive errno; 0 when the failure is not the kernel's (socket trouble: outcome unknown) */
  readonly errno: number;
  readonly code: string;
  readonly message: string;
}

export interface ApplyResult {
  readonly ok: number;
  readonly failures: readonly FibFailure[];
  /** requests sent in one sendmsg at most */
  readonly batchSize: number;
  readonly batches: number;
}

/** One kernel route seen during a scan; valid only during the visitor call. */
export interface ScannedRoute {
  readonly family: Family;
  readonly table: number;
  readonly protocol: number;
  readonly metric: number;
  readonly dstLen: number;
  /** the IPv4 destination as int32 bits (0 for a default route); meaningless for IPv6 */
  dst4(): number;
  /** "table dst metric", as NormRoute.key */
  key(): string;
  dst(): string;
  /** true when the kernel route carries exactly what `r` asks for */
  matches(r: NormRoute): boolean;
  toRoute(devName?: (ifindex: number) => string | undefined): KernelRoute;
}

export interface ScanResult {
  readonly routes: number;
  /** the kernel flagged the dump as inconsistent (the table changed under it): treat what was seen as partial */
  readonly interrupted: boolean;
}

export type RouteEvent = { readonly kind: 'new' | 'del'; readonly route: ScannedRoute } | { readonly kind: 'overrun' };

export interface FibPort {
  /** Validates a route and resolves device names: the form apply() takes. Throws RouteError. */
  prepare(route: Route): NormRoute;
  /** Re-reads the device names prepare() resolves. */
  refreshLinks(): Promise<void>;
  devName(ifindex: number): string | undefined;
  /** Changes whenever a device name maps to another index (routes prepared with `dev` must be prepared again). */
  linkSignature(): string;
  /** Batched changes; a failing request never loses the others. Rejects only if the socket itself fails. */
  apply(changes: readonly FibChange[], onProgress?: (done: number, total: number) => void): Promise<ApplyResult>;
  /** Dumps the kernel's routes of one family to `visit`, without building objects. */
  scan(family: Family, visit: (r: ScannedRoute) => void): Promise<ScanResult>;
  /** Route changes made by others (not through this port), for faster drift repair. Returns a stop function. */
  watch(onEvent: (e: RouteEvent) => void): () => void;
  close(): void;
}
