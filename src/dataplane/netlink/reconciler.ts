// The level-triggered FIB reconciler. Each pass dumps the kernel's routes (per family), sorts them into ours
// (protocol 199) and foreign ones, and converges ours to the desired set: add what is missing, replace what
// differs, delete what is ours and not desired. It never touches a foreign route. When a foreign route holds a
// desired slot (same table, prefix, metric) that route stays and ours is not installed: the slot is reported as
// a conflict until one of them goes away. Passes run on a timer, on demand (debounced) when the desired set
// changes, and (optionally) when a route notification from somebody else hints at drift.
import type { Family } from './address.js';
import { RTPROT_RACKROUTE, RT_TABLE_MAIN } from './constants.js';
import { DesiredIndex } from './desired.js';
import type { DesiredEntry } from './desired.js';
import type { FibChange, FibFailure, FibPort, ScannedRoute } from './port.js';
import type { NormRoute, Route } from './route.js';
import { RouteError, normalizeRoute, routeJson } from './route.js';
import type { FibView, FibViewRow } from './view.js';
import { compareRows, emptySummary } from './view.js';

export interface ReconcilerLogger {
  info(msg: string, meta?: object): unknown;
  warn(msg: string, meta?: object): unknown;
  error(msg: string, meta?: object): unknown;
  debug(msg: string, meta?: object): unknown;
}

export interface ReconcilerOptions {
  readonly fib: FibPort;
  /** periodic pass, ms (config `fib.reconcileInterval`); default 30 s; 0 disables the timer */
  readonly intervalMs?: number;
  /** a change of the desired set triggers a pass after this quiet time, ms; default 200 */
  readonly debounceMs?: number;
  /** tables whose routes of ours are managed even when no desired route is in them (default: main) */
  readonly tables?: readonly number[];
  /** families scanned (default both) */
  readonly families?: readonly Family[];
  /** repair faster by listening to route notifications (default false) */
  readonly watch?: boolean;
  readonly logger?: ReconcilerLogger;
  /** after a failed pass, retry after this long (doubling up to the interval); default 1 s */
  readonly retryMs?: number;
}

export interface FibCounters {
  readonly routesDesired: number;
  /** desired routes known to be in the kernel as desired after the last pass */
  readonly routesInstalled: number;
  /** desired slots held by a foreign route after the last pass */
  readonly conflicts: number;
  /** totals since start */
  readonly driftRepaired: number;
  readonly added: number;
  readonly replaced: number;
  readonly deleted: number;
  readonly errors: number;
  readonly passes: number;
  readonly failedPasses: number;
  readonly lastPassMs: number;
  /** of which dumping and matching the kernel's routes */
  readonly lastScanMs: number;
  readonly lastPassAt: string | null;
  readonly lastError: string | null;
}

export interface PassConflict {
  readonly key: string;
  readonly foreignProtocol: number;
}

export interface PassReport {
  readonly desired: number;
  readonly installed: number;
  readonly added: number;
  readonly replaced: number;
  readonly deleted: number;
  readonly driftRepaired: number;
  readonly conflicts: readonly PassConflict[];
  readonly failures: readonly FibFailure[];
  /** kernel routes seen, ours and foreign */
  readonly scanned: { readonly ours: number; readonly foreign: number };
  readonly scanMs: number;
  readonly durationMs: number;
}

const noop = (): void => undefined;
const NOLOG: ReconcilerLogger = { info: noop, warn: noop, error: noop, debug: noop };

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class FibReconciler {
  private readonly fib: FibPort;
  private readonly desired = new DesiredIndex();
  private readonly intervalMs: number;
  private readonly debounceMs: number;
  private readonly baseTables: readonly number[];
  private readonly families: readonly Family[];
  private readonly log: ReconcilerLogger;
  private readonly retryMs: number;
  private readonly watchEnabled: boolean;
  private readonly c: Mutable<FibCounters> = {
    routesDesired: 0, routesInstalled: 0, conflicts: 0, driftRepaired: 0, added: 0, replaced: 0, deleted: 0, errors: 0,
    passes: 0, failedPasses: 0, lastPassMs: 0, lastScanMs: 0, lastPassAt: null, lastError: null,
  };
  private passId = 0;
  private linkSig = '';
  private running: Promise<PassReport> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private retryDelay: number;
  private unwatch: (() => void) | null = null;
  private started = false;
  /** desired routes that failed to prepare (unknown device...), retried at each pass */
  private readonly unprepared = new Map<string, Route>();
  /** Counts changes of the desired set (upsert, remove, setDesired): onPass says up to which one a pass applied. */
  changeSeq = 0;
  private readonly passListeners: ((desiredSeq: number) => void)[] = [];

  constructor(opts: ReconcilerOptions) {
    this.fib = opts.fib;
    this.intervalMs = opts.intervalMs ?? 30_000;
    this.debounceMs = opts.debounceMs ?? 200;
    this.baseTables = opts.tables ?? [RT_TABLE_MAIN];
    this.families = opts.families ?? [4, 6];
    this.log = opts.logger ?? NOLOG;
    this.retryMs = opts.retryMs ?? 1000;
    this.retryDelay = this.retryMs;
    this.watchEnabled = opts.watch === true;
  }

  /**
   * After each pass that read the kernel: `desiredSeq` is changeSeq as the pass began, so every change of the desired
   * set up to it has been written (or has failed and been reported) when the listener is called.
   */
  onPass(l: (desiredSeq: number) => void): void {
    this.passListeners.push(l);
  }

  // ---- the desired set -------------------------------------------------------------------------------------

  /** Replaces the whole desired set. Routes that do not validate are returned (and left out). */
  setDesired(routes: Iterable<Route>): RouteError[] {
    const errors: RouteError[] = [];
    const keep = new Set<string>();
    this.unprepared.clear();
    for (const r of routes) {
      const n = this.tryPrepare(r, errors);
      if (n) {
        keep.add(n.key);
        this.desired.set(n);
      }
    }
    for (const key of [...this.desired.byKey.keys()]) if (!keep.has(key)) this.desired.delete(key);
    this.changed();
    return errors;
  }

  /** Adds or changes one desired route (by its table+prefix+metric). */
  upsert(route: Route): void {
    const errors: RouteError[] = [];
    const n = this.tryPrepare(route, errors);
    if (n) this.desired.set(n);
    if (errors.length) throw errors[0];
    this.changed();
  }

  /** Withdraws one desired route; the next pass deletes it from the kernel. */
  remove(route: Route): boolean {
    const n = normalizeRoute({ ...route, type: 'blackhole', nexthops: [] });
    this.unprepared.delete(n.key);
    const had = this.desired.delete(n.key);
    if (had) this.changed();
    return had;
  }

  private tryPrepare(r: Route, errors: RouteError[]): NormRoute | undefined {
    try {
      return this.fib.prepare(r);
    } catch (e) {
      if (!(e instanceof RouteError)) throw e;
      // a device that does not exist yet may appear: keep the route and try again at each pass
      if (/no such device/.test(e.message)) {
        try {
          this.unprepared.set(normalizeRoute({ ...r, type: 'blackhole', nexthops: [] }).key, r);
        } catch {
          /* reported below */
        }
      }
      errors.push(e);
      return undefined;
    }
  }

  private changed(): void {
    this.changeSeq++;
    this.c.routesDesired = this.desired.size;
    if (!this.started) return;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = null;
      this.trigger();
    }, this.debounceMs);
  }

  // ---- running ---------------------------------------------------------------------------------------------

  /** Starts the timer (and the watch); the first pass runs at once. */
  start(): void {
    if (this.started) return;
    this.started = true;
    if (this.intervalMs > 0) this.timer = setInterval(() => this.trigger(), this.intervalMs);
    if (this.watchEnabled) {
      this.unwatch = this.fib.watch((e) => {
        if (e.kind === 'overrun' || e.route.protocol === RTPROT_RACKROUTE || this.desired.lookup(e.route)) this.changed();
      });
    }
    this.trigger();
  }

  /** Stops timers and waits for a pass in progress. Routes stay in the kernel (a restart is not an outage). */
  async stop(): Promise<void> {
    this.started = false;
    for (const t of [this.timer, this.debounce, this.retry]) if (t) clearTimeout(t);
    this.timer = this.debounce = this.retry = null;
    this.unwatch?.();
    this.unwatch = null;
    await this.running?.catch(() => undefined);
  }

  /** Runs a pass now, or once more after the one in progress; failures are logged and retried, never thrown. */
  trigger(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.reconcile().catch(() => undefined);
  }

  /** One pass (serialised with any other). Rejects only when the kernel could not be read at all. */
  reconcile(): Promise<PassReport> {
    if (this.running) {
      const after = this.running.catch(() => undefined).then(() => this.reconcile());
      return after;
    }
    const seq = this.changeSeq;
    const p = this.pass();
    this.running = p;
    p.then(
      () => {
        this.retryDelay = this.retryMs;
        for (const l of this.passListeners) {
          try {
            l(seq);
          } catch (e) {
            this.log.error('onPass listener failed', { error: e instanceof Error ? e.message : String(e) });
          }
        }
      },
      (e: unknown) => {
        this.c.failedPasses++;
        this.c.errors++;
        this.c.lastError = e instanceof Error ? e.message : String(e);
        this.log.error('fib reconcile pass failed', { error: this.c.lastError, retryMs: this.retryDelay });
        if (this.started && !this.retry) {
          this.retry = setTimeout(() => {
            this.retry = null;
            this.trigger();
          }, this.retryDelay);
          this.retryDelay = Math.min(this.retryDelay * 2, Math.max(this.retryMs, this.intervalMs || this.retryMs));
        }
      },
    ).finally(() => {
      this.running = null;
      if (this.again && this.started) {
        this.again = false;
        this.trigger();
      }
    });
    return p;
  }

  counters(): FibCounters {
    return { ...this.c };
  }

  private tables(): Set<number> {
    const t = new Set(this.baseTables);
    for (const e of this.desired.byKey.values()) t.add(e.norm.table);
    return t;
  }

  private async refreshLinks(): Promise<void> {
    await this.fib.refreshLinks();
    const sig = this.fib.linkSignature();
    if (sig !== this.linkSig) {
      const first = this.linkSig === '';
      this.linkSig = sig;
      if (!first) {
        // device indexes moved: prepare the routes that name devices again
        for (const e of this.desired.byKey.values()) {
          if (e.norm.nexthops.some((h) => h.dev !== undefined)) {
            const errors: RouteError[] = [];
            const n = this.tryPrepare(e.norm.route, errors);
            if (n) this.desired.set(n);
            else this.desired.delete(e.norm.key);
          }
        }
      }
    }
    for (const [key, r] of [...this.unprepared]) {
      const errors: RouteError[] = [];
      const n = this.tryPrepare(r, errors);
      if (n) {
        this.unprepared.delete(key);
        this.desired.set(n);
      }
    }
    this.c.routesDesired = this.desired.size;
  }

  /** Dumps both families, classifying every kernel route in the managed tables. */
  private async scanOnce(tables: Set<number>, pass: number, onExtra: (r: ScannedRoute) => void): Promise<{ ours: number; foreign: number; interrupted: boolean }> {
    let ours = 0;
    let foreign = 0;
    let interrupted = false;
    const single = tables.size === 1 ? [...tables][0] : -1;
    for (const fam of this.families) {
      const res = await this.fib.scan(fam, (r) => {
        if (single >= 0 ? r.table !== single : !tables.has(r.table)) return;
        const e = this.desired.lookup(r);
        if (r.protocol === RTPROT_RACKROUTE) {
          ours++;
          if (!e) onExtra(r);
          else {
            e.seen = pass;
            // installed now means "as desired in the kernel"; a mismatch is marked by seen without installed
            e.installed = r.matches(e.norm);
            if (e.installed) e.lastError = undefined;
          }
        } else {
          foreign++;
          if (e) {
            e.foreignPass = pass;
            e.foreignProtocol = r.protocol;
          }
        }
      });
      interrupted ||= res.interrupted;
    }
    return { ours, foreign, interrupted };
  }

  private async pass(): Promise<PassReport> {
    const t0 = performance.now();
    await this.refreshLinks();
    const tables = this.tables();
    let pass = 0;
    let extras: NormRoute[] = [];
    let scan = { ours: 0, foreign: 0, interrupted: true };
    // what was installed before this pass: a route found missing or changed now is drift
    for (const e of this.desired.byKey.values()) e.prev = e.installed;
    for (let attempt = 0; attempt < 3 && scan.interrupted; attempt++) {
      pass = ++this.passId;
      extras = [];
      if (attempt > 0) for (const e of this.desired.byKey.values()) e.installed = e.prev;
      scan = await this.scanOnce(tables, pass, (r) => extras.push(normalizeRoute({ dst: r.dst(), table: r.table, metric: r.metric, type: 'blackhole' })));
    }
    const scanMs = performance.now() - t0;

    const changes: FibChange[] = [];
    const entries: DesiredEntry[] = [];
    const conflicts: PassConflict[] = [];
    // an interrupted dump may have missed routes of ours: do not delete on its word
    if (!scan.interrupted) for (const n of extras) changes.push({ op: 'delete', route: n });
    const nDeletes = changes.length;
    for (const e of this.desired.byKey.values()) {
      if (e.seen === pass) {
        if (!e.installed) {
          changes.push({ op: 'replace', route: e.norm });
          entries.push(e);
        }
      } else if (e.foreignPass === pass) {
        e.installed = false;
        conflicts.push({ key: e.norm.key, foreignProtocol: e.foreignProtocol });
      } else {
        e.installed = false;
        changes.push({ op: 'add', route: e.norm });
        entries.push(e);
      }
    }

    let added = 0;
    let replaced = 0;
    let deleted = 0;
    let drift = 0;
    const failures: FibFailure[] = [];
    if (changes.length > 0) {
      const res = await this.fib.apply(changes);
      const failed = new Set<number>();
      for (const f of res.failures) {
        failed.add(f.index);
        if (f.index < nDeletes) {
          failures.push(f);
          continue;
        }
        const e = entries[f.index - nDeletes];
        e.lastError = f.code;
        if (f.op === 'add' && f.code === 'EEXIST') {
          // something took the slot after the dump: the next pass sorts out whose it is
          conflicts.push({ key: e.norm.key, foreignProtocol: -1 });
        } else failures.push(f);
      }
      for (let i = 0; i < changes.length; i++) {
        if (failed.has(i)) continue;
        if (i < nDeletes) {
          deleted++;
          continue;
        }
        const e = entries[i - nDeletes];
        if (changes[i].op === 'add') added++;
        else replaced++;
        if (e.prev) drift++;
        e.installed = true;
        e.lastError = undefined;
      }
    }

    let installed = 0;
    for (const e of this.desired.byKey.values()) if (e.installed) installed++;
    const durationMs = performance.now() - t0;
    const c = this.c;
    c.routesDesired = this.desired.size;
    c.routesInstalled = installed;
    c.conflicts = conflicts.length;
    c.added += added;
    c.replaced += replaced;
    c.deleted += deleted;
    c.driftRepaired += drift;
    c.errors += failures.length;
    c.passes++;
    c.lastPassMs = Math.round(durationMs);
    c.lastScanMs = Math.round(scanMs);
    c.lastPassAt = new Date().toISOString();
    if (failures.length) c.lastError = failures[0].message;
    const report: PassReport = {
      desired: this.desired.size, installed, added, replaced, deleted, driftRepaired: drift, conflicts, failures,
      scanned: { ours: scan.ours, foreign: scan.foreign }, scanMs, durationMs,
    };
    if (added || replaced || deleted || failures.length || drift) {
      this.log.info('fib reconciled', { added, replaced, deleted, drift, conflicts: conflicts.length, errors: failures.length, ms: c.lastPassMs });
    }
    for (const f of failures.slice(0, 10)) this.log.warn('fib route failed', { key: f.key, op: f.op, code: f.code });
    return report;
  }

  // ---- the view --------------------------------------------------------------------------------------------

  /**
   * Desired vs kernel for `rackroute fib`: dumps the kernel now (does not change anything). `onlyDrift` leaves
   * out the rows that are ok (at a million routes the full view is big).
   */
  async view(opts: { onlyDrift?: boolean } = {}): Promise<FibView> {
    await this.fib.refreshLinks();
    const tables = this.tables();
    const rows: FibViewRow[] = [];
    const summary = emptySummary();
    const seen = new Set<string>();
    const foreignAt = new Map<string, FibViewRow['kernel']>();
    const devName = (i: number): string | undefined => this.fib.devName(i);
    let interrupted = false;
    for (const fam of this.families) {
      const res = await this.fib.scan(fam, (r) => {
        if (!tables.has(r.table)) return;
        const e = this.desired.lookup(r);
        if (r.protocol !== RTPROT_RACKROUTE) {
          summary.foreign++;
          if (e) foreignAt.set(e.norm.key, r.toRoute(devName));
          return;
        }
        if (!e) {
          summary.extra++;
          rows.push({ key: r.key(), state: 'extra', drift: false, kernel: r.toRoute(devName) });
          return;
        }
        seen.add(e.norm.key);
        const ok = r.matches(e.norm);
        summary[ok ? 'ok' : 'changed']++;
        if (ok && opts.onlyDrift) return;
        rows.push({
          key: e.norm.key, state: ok ? 'ok' : 'changed', drift: !ok && e.installed,
          desired: routeJson(e.norm), kernel: r.toRoute(devName), ...(e.lastError ? { error: e.lastError } : {}),
        });
      });
      interrupted ||= res.interrupted;
    }
    for (const e of this.desired.byKey.values()) {
      if (seen.has(e.norm.key)) continue;
      const foreign = foreignAt.get(e.norm.key);
      const state = foreign ? 'conflict' : 'missing';
      summary[state]++;
      rows.push({
        key: e.norm.key, state, drift: !foreign && e.installed, desired: routeJson(e.norm),
        ...(foreign ? { kernel: foreign } : {}), ...(e.lastError ? { error: e.lastError } : {}),
      });
    }
    rows.sort(compareRows);
    return { generatedAt: new Date().toISOString(), counters: this.counters(), summary, rows, interrupted };
  }
}
