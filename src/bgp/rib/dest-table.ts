// Loc-RIB destinations of one family: prefix key -> dest slot, and per slot the head of its candidate chain, the
// selected best route and the reason it won. Destinations whose selection changed are queued (dirty) until the
// next flush, which turns them into change events and frees the ones left without routes.
//
// IPv4 keys live in a Float64Array column and the index is an open-addressing table of slot numbers tagged with
// hash bits (4 bytes a bucket, no copy of the key): one probe sequence finds or creates a destination, reading the
// key column only where the tag matches. IPv6 keys (strings) use a Map.

import type { Family, PrefixKey, V4Key, V6Key } from './prefix.js';
import { hashNum } from './key-index.js';

export const DF_DIRTY = 1;

/*
 * An IPv4 bucket holds slot + 1 in its low 25 bits and the top 7 bits of the key's hash above them (0 = empty).
 * The probe compares the 7-bit tag before it reads the key column: a colliding bucket costs a key read (a cache
 * miss in a large table) only once in 128 times.
 */
const TAG_SHIFT = 25;
const SLOT_MASK = (1 << TAG_SHIFT) - 1;
const MAX_SLOTS = SLOT_MASK - 1;
const bucketOf = (d: number, tag: number): number => (tag << TAG_SHIFT) | (d + 1);

export class DestTable {
  head = new Int32Array(0);
  best = new Int32Array(0);
  /** Index into BEST_REASONS. */
  reason = new Uint8Array(0);
  dflags = new Uint8Array(0);
  dirty: number[] = [];
  /** Destinations with at least one route (empty ones linger in the index until the next flush). */
  live = 0;
  private readonly free: number[] = [];
  /** Slots handed out so far (free ones included). */
  private top = 0;
  /** IPv4: the key of each slot. */
  private keys4 = new Float64Array(0);
  /** IPv4: open addressing (linear probing) on slot + 1; 0 is an empty bucket. */
  private buckets = new Int32Array(0);
  private mask = -1;
  private count = 0;
  /** Sink of prefetch()'s reads (so they are not optimised away). */
  touched = 0;
  /** IPv6: the key of each slot, and key -> slot. */
  private readonly keys6: V6Key[] = [];
  private readonly map6: Map<V6Key, number> | undefined;

  constructor(readonly family: Family) {
    if (family === 'ipv6') this.map6 = new Map();
    else this.rehash(1024);
    this.resize(1024);
  }

  get size(): number {
    return this.live;
  }

  get capacityBytes(): number {
    return this.head.length * (4 + 4 + 1 + 1 + (this.map6 === undefined ? 8 : 0)) + this.buckets.length * 4;
  }

  /** The key of slot d. */
  keyOf(d: number): PrefixKey {
    return this.map6 === undefined ? this.keys4[d]! : this.keys6[d]!;
  }

  /** The destination slot for `key`, or -1. */
  find(key: PrefixKey): number {
    if (this.map6 !== undefined) return this.map6.get(key as V6Key) ?? -1;
    const k = key as V4Key;
    const buckets = this.buckets;
    const keys = this.keys4;
    const mask = this.mask;
    const h = hashNum(k);
    const tag = h >>> TAG_SHIFT;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = buckets[i]!;
      if (v === 0) return -1;
      if (v >>> TAG_SHIFT === tag && keys[(v & SLOT_MASK) - 1] === k) return (v & SLOT_MASK) - 1;
    }
  }

  /**
   * Reads the index buckets (and the keys they point at) of a batch of IPv4 keys before they are looked up one by
   * one: the loads are independent, so the CPU overlaps their cache misses instead of taking them one after the
   * other in find/findOrCreate (a 1M-entry index is far larger than the caches). No effect on the table; IPv6 and
   * single keys are skipped.
   */
  prefetch(keys: readonly PrefixKey[], count = keys.length): void {
    if (this.map6 !== undefined || count < 2) return;
    const buckets = this.buckets;
    const col = this.keys4;
    const mask = this.mask;
    let acc = 0;
    for (let j = 0; j < count; j++) {
      const h = hashNum(keys[j] as V4Key);
      const v = buckets[h & mask]!;
      if (v !== 0 && v >>> TAG_SHIFT === h >>> TAG_SHIFT) acc += col[(v & SLOT_MASK) - 1]!;
    }
    this.touched = acc;
  }

  findOrCreate(key: PrefixKey): number {
    if (this.map6 !== undefined) {
      const d = this.map6.get(key as V6Key);
      if (d !== undefined) return d;
      const n = this.alloc(key);
      this.map6.set(key as V6Key, n);
      return n;
    }
    const k = key as V4Key;
    if ((this.count + 1) * 4 > (this.mask + 1) * 3) this.rehash((this.mask + 1) * 2);
    const buckets = this.buckets;
    const keys = this.keys4;
    const mask = this.mask;
    const h = hashNum(k);
    const tag = h >>> TAG_SHIFT;
    let i = h & mask;
    for (; ; i = (i + 1) & mask) {
      const v = buckets[i]!;
      if (v === 0) break;
      if (v >>> TAG_SHIFT === tag && keys[(v & SLOT_MASK) - 1] === k) return (v & SLOT_MASK) - 1;
    }
    const d = this.alloc(key);
    this.buckets[i] = bucketOf(d, tag);
    this.count++;
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
    if (this.map6 !== undefined) {
      this.map6.delete(this.keys6[d]!);
      this.keys6[d] = '';
    } else {
      this.unlink4(d);
      this.keys4[d] = -1;
    }
    this.free.push(d);
  }

  /** Visits every destination in the index (with or without routes). */
  forEach(fn: (key: PrefixKey, d: number) => void): void {
    if (this.map6 !== undefined) {
      this.map6.forEach((d, k) => fn(k, d));
      return;
    }
    const buckets = this.buckets;
    for (let i = 0; i < buckets.length; i++) {
      const v = buckets[i]!;
      if (v !== 0) fn(this.keys4[(v & SLOT_MASK) - 1]!, (v & SLOT_MASK) - 1);
    }
  }

  private alloc(key: PrefixKey): number {
    const d = this.free.length > 0 ? this.free.pop()! : this.top++;
    if (d >= MAX_SLOTS) {
      this.top--;
      throw new RangeError(`more than ${MAX_SLOTS} ${this.family} destinations`);
    }
    if (d >= this.head.length) this.resize(this.head.length * 2);
    if (this.map6 === undefined) this.keys4[d] = key as V4Key;
    else this.keys6[d] = key as V6Key;
    this.head[d] = -1;
    this.best[d] = -1;
    this.reason[d] = 0;
    this.dflags[d] = 0;
    return d;
  }

  /** Removes slot d from the IPv4 index (backward-shift deletion keeps probe runs unbroken). */
  private unlink4(d: number): void {
    const buckets = this.buckets;
    const keys = this.keys4;
    const mask = this.mask;
    let i = hashNum(keys[d]!) & mask;
    while ((buckets[i]! & SLOT_MASK) !== d + 1) i = (i + 1) & mask;
    let hole = i;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const v = buckets[j]!;
      if (v === 0) break;
      const home = hashNum(keys[(v & SLOT_MASK) - 1]!) & mask;
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        buckets[hole] = v;
        hole = j;
      }
    }
    buckets[hole] = 0;
    this.count--;
  }

  /** n buckets (a power of two), filled from the key column in slot order (sequential reads; freed slots hold -1). */
  private rehash(n: number): void {
    const buckets = new Int32Array(n);
    const mask = n - 1;
    const keys = this.keys4;
    for (let d = 0; d < this.top; d++) {
      const k = keys[d]!;
      if (k < 0) continue;
      const h = hashNum(k);
      let j = h & mask;
      while (buckets[j] !== 0) j = (j + 1) & mask;
      buckets[j] = bucketOf(d, h >>> TAG_SHIFT);
    }
    this.buckets = buckets;
    this.mask = mask;
  }

  private resize(n: number): void {
    const h = new Int32Array(n); h.set(this.head); this.head = h;
    const b = new Int32Array(n); b.set(this.best); this.best = b;
    const r = new Uint8Array(n); r.set(this.reason); this.reason = r;
    const f = new Uint8Array(n); f.set(this.dflags); this.dflags = f;
    if (this.map6 === undefined) {
      const k = new Float64Array(n); k.set(this.keys4); this.keys4 = k;
    }
  }
}
