// Loc-RIB destinations of one family: prefix key -> dest slot, and per slot the head of its candidate chain, the
// selected best route and the reason it won. Destinations whose selection changed are queued (dirty) until the
// next flush, which turns them into change events and frees the ones left without routes.

import type { KeyIndex } from './key-index.js';
import { newKeyIndex } from './key-index.js';
import type { Family, PrefixKey } from './prefix.js';

export const DF_DIRTY = 1;

export class DestTable {
  readonly index: KeyIndex<PrefixKey>;
  keys: PrefixKey[] = [];
  head = new Int32Array(0);
  best = new Int32Array(0);
  /** Index into BEST_REASONS. */
  reason = new Uint8Array(0);
  dflags = new Uint8Array(0);
  dirty: number[] = [];
  /** Destinations with at least one route (empty ones linger in the index until the next flush). */
  live = 0;
  private readonly free: number[] = [];

  constructor(readonly family: Family) {
    this.index = newKeyIndex(family);
    this.resize(1024);
  }

  get size(): number {
    return this.live;
  }

  get capacityBytes(): number {
    return this.head.length * (4 + 4 + 1 + 1 + 8);
  }

  /** The destination slot for `key`, or -1. */
  find(key: PrefixKey): number {
    return this.index.get(key);
  }

  findOrCreate(key: PrefixKey): number {
    let d = this.index.get(key);
    if (d >= 0) return d;
    d = this.free.length > 0 ? this.free.pop()! : this.keys.length;
    if (d >= this.head.length) this.resize(this.head.length * 2);
    this.keys[d] = key;
    this.head[d] = -1;
    this.best[d] = -1;
    this.reason[d] = 0;
    this.dflags[d] = 0;
    this.index.set(key, d);
    return d;
  }

  markDirty(d: number): void {
    if ((this.dflags[d]! & DF_DIRTY) === 0) {
      this.dflags[d]! |= DF_DIRTY;
      this.dirty.push(d);
    }
  }

  /** Frees an empty destination (after its withdrawal has been reported). */
  release(d: number): void {
    this.index.delete(this.keys[d]!);
    this.keys[d] = this.family === 'ipv4' ? 0 : '';
    this.free.push(d);
  }

  private resize(n: number): void {
    const h = new Int32Array(n); h.set(this.head); this.head = h;
    const b = new Int32Array(n); b.set(this.best); this.best = b;
    const r = new Uint8Array(n); r.set(this.reason); this.reason = r;
    const f = new Uint8Array(n); f.set(this.dflags); this.dflags = f;
  }
}
