// `rackroute fib`: desired vs kernel, one row per route slot (table, prefix, metric), drift marked. JSON-able data;
// the CLI prints it as a table or as JSON.
import type { FibCounters } from './reconciler.js';
import type { KernelRoute, Route } from './route.js';

/**
 * ok: ours, as desired. missing: desired, not in the kernel (drift if it had been installed). changed: ours
 * but different (drift). extra: ours, not desired (removed by the next pass). conflict: a foreign route holds
 * the slot; rackroute leaves it alone and does not install its own.
 */
export type FibRowState = 'ok' | 'missing' | 'changed' | 'extra' | 'conflict';

export interface FibViewRow {
  readonly key: string;
  readonly state: FibRowState;
  /** missing/changed after it had been installed: somebody touched it */
  readonly drift: boolean;
  readonly desired?: Route;
  readonly kernel?: KernelRoute;
  /** the last install failure for this route (errno name) */
  readonly error?: string;
}

export interface FibView {
  readonly generatedAt: string;
  readonly counters: FibCounters;
  readonly summary: Readonly<Record<FibRowState, number>> & { readonly foreign: number };
  /** sorted by table, family, prefix, metric; `onlyDrift` leaves the ok rows out */
  readonly rows: readonly FibViewRow[];
  /** the kernel dump was flagged inconsistent: run it again */
  readonly interrupted: boolean;
}

export function emptySummary(): Record<FibRowState, number> & { foreign: number } {
  return { ok: 0, missing: 0, changed: 0, extra: 0, conflict: 0, foreign: 0 };
}

const keyParts = (k: string): [number, string, number] => {
  const [t, d, m] = k.split(' ');
  return [Number(t), d, Number(m)];
};

/** Orders rows the way `ip route` people read them: table, family, prefix (numerically), metric. */
export function compareRows(a: FibViewRow, b: FibViewRow): number {
  const [ta, da, ma] = keyParts(a.key);
  const [tb, db, mb] = keyParts(b.key);
  if (ta !== tb) return ta - tb;
  const fa = da.includes(':') ? 6 : 4;
  const fb = db.includes(':') ? 6 : 4;
  if (fa !== fb) return fa - fb;
  if (da !== db) return prefixOrder(da) < prefixOrder(db) ? -1 : 1;
  return ma - mb;
}

function prefixOrder(p: string): string {
  const [addr, len] = p.split('/');
  if (!addr.includes(':')) return `${addr.split('.').map((o) => o.padStart(3, '0')).join('.')}/${len.padStart(3, '0')}`;
  return `${addr}/${len.padStart(3, '0')}`;
}
