// The desired routes, indexed twice: by key (for updates and views) and, for IPv4, by number in buckets of
// (table, metric, prefix length) so that a million-route dump is matched without building a string per route.
import type { ScannedRoute } from './port.js';
import type { NormRoute } from './route.js';

export interface DesiredEntry {
  norm: NormRoute;
  /** the pass that last saw a route of ours at this key */
  seen: number;
  /** the pass that last saw a foreign route at this key, and its protocol */
  foreignPass: number;
  foreignProtocol: number;
  /** known to be in the kernel as desired (after a successful install or a matching scan) */
  installed: boolean;
  /** `installed` when the current pass began */
  prev: boolean;
  /** the last failure installing it (errno name), if the last attempt failed */
  lastError: string | undefined;
}

export class DesiredIndex {
  readonly byKey = new Map<string, DesiredEntry>();
  private readonly v4 = new Map<string, Map<number, DesiredEntry>>();
  private lastT = -1;
  private lastM = -1;
  private lastL = -1;
  private lastBucket: Map<number, DesiredEntry> | undefined;

  get size(): number {
    return this.byKey.size;
  }

  private bucketKey(table: number, metric: number, len: number): string {
    return `${table} ${metric} ${len}`;
  }

  set(norm: NormRoute): DesiredEntry {
    const old = this.byKey.get(norm.key);
    if (old) {
      old.norm = norm;
      return old;
    }
    const e: DesiredEntry = { norm, seen: 0, foreignPass: 0, foreignProtocol: 0, installed: false, prev: false, lastError: undefined };
    this.byKey.set(norm.key, e);
    if (norm.family === 4) {
      const bk = this.bucketKey(norm.table, norm.metric, norm.dstLen);
      let b = this.v4.get(bk);
      if (!b) {
        this.v4.set(bk, (b = new Map()));
        this.lastT = -1;
      }
      b.set(norm.dstBytes.readInt32BE(0), e);
    }
    return e;
  }

  delete(key: string): boolean {
    const e = this.byKey.get(key);
    if (!e) return false;
    this.byKey.delete(key);
    const n = e.norm;
    if (n.family === 4) this.v4.get(this.bucketKey(n.table, n.metric, n.dstLen))?.delete(n.dstBytes.readInt32BE(0));
    return true;
  }

  /** The entry a scanned kernel route occupies, if any. Hot: called once per kernel route. */
  lookup(r: ScannedRoute): DesiredEntry | undefined {
    if (r.family === 6) return this.byKey.get(r.key());
    if (r.table !== this.lastT || r.metric !== this.lastM || r.dstLen !== this.lastL) {
      this.lastT = r.table;
      this.lastM = r.metric;
      this.lastL = r.dstLen;
      this.lastBucket = this.v4.get(this.bucketKey(r.table, r.metric, r.dstLen));
    }
    return this.lastBucket?.get(r.dst4());
  }
}
