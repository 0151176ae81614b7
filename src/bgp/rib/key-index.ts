// Prefix key -> int32 value maps. IPv4 keys (integers below 2^53) go into an open-addressing table on typed
// arrays: 12 bytes a slot, no per-entry heap object (a JS Map would box every key above 2^31). IPv6 string keys
// use a Map.

import type { PrefixKey, V4Key, V6Key } from './prefix.js';

export interface KeyIndex<K extends PrefixKey> {
  readonly size: number;
  /** The value, or -1 when absent. */
  get(key: K): number;
  set(key: K, value: number): void;
  delete(key: K): boolean;
  forEach(fn: (key: K, value: number) => void): void;
  clear(): void;
}

const EMPTY = -1;

export function hashNum(key: number): number {
  const lo = key >>> 0;
  const hi = Math.floor(key / 4294967296) >>> 0;
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** Linear probing with backward-shift deletion; keys must be non-negative integers below 2^53. */
export class NumKeyIndex implements KeyIndex<V4Key> {
  private keys: Float64Array;
  private vals: Int32Array;
  private mask: number;
  private count = 0;

  constructor(initialCapacity = 16) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.keys = new Float64Array(cap).fill(EMPTY);
    this.vals = new Int32Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  get(key: V4Key): number {
    const keys = this.keys;
    const mask = this.mask;
    let i = hashNum(key) & mask;
    for (;;) {
      const k = keys[i]!;
      if (k === key) return this.vals[i]!;
      if (k === EMPTY) return -1;
      i = (i + 1) & mask;
    }
  }

  set(key: V4Key, value: number): void {
    if ((this.count + 1) * 4 > (this.mask + 1) * 3) this.grow();
    const keys = this.keys;
    const mask = this.mask;
    let i = hashNum(key) & mask;
    for (;;) {
      const k = keys[i]!;
      if (k === key) { this.vals[i] = value; return; }
      if (k === EMPTY) {
        keys[i] = key;
        this.vals[i] = value;
        this.count++;
        return;
      }
      i = (i + 1) & mask;
    }
  }

  delete(key: V4Key): boolean {
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    let i = hashNum(key) & mask;
    for (;;) {
      const k = keys[i]!;
      if (k === EMPTY) return false;
      if (k === key) break;
      i = (i + 1) & mask;
    }
    // Backward shift: move later entries of the probe run into the hole when their home allows it.
    let hole = i;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const k = keys[j]!;
      if (k === EMPTY) break;
      const home = hashNum(k) & mask;
      const dist = (j - home) & mask;
      const holeDist = (j - hole) & mask;
      if (dist >= holeDist) {
        keys[hole] = k;
        vals[hole] = vals[j]!;
        hole = j;
      }
    }
    keys[hole] = EMPTY;
    this.count--;
    return true;
  }

  forEach(fn: (key: V4Key, value: number) => void): void {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (k !== EMPTY) fn(k, this.vals[i]!);
    }
  }

  clear(): void {
    this.keys = new Float64Array(16).fill(EMPTY);
    this.vals = new Int32Array(16);
    this.mask = 15;
    this.count = 0;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    const cap = oldKeys.length * 2;
    this.keys = new Float64Array(cap).fill(EMPTY);
    this.vals = new Int32Array(cap);
    this.mask = cap - 1;
    this.count = 0;
    for (let i = 0; i < oldKeys.length; i++) {
      const k = oldKeys[i]!;
      if (k !== EMPTY) this.set(k, oldVals[i]!);
    }
  }
}

export class StrKeyIndex implements KeyIndex<V6Key> {
  private readonly map = new Map<string, number>();
  get size(): number {
    return this.map.size;
  }
  get(key: V6Key): number {
    return this.map.get(key) ?? -1;
  }
  set(key: V6Key, value: number): void {
    this.map.set(key, value);
  }
  delete(key: V6Key): boolean {
    return this.map.delete(key);
  }
  forEach(fn: (key: V6Key, value: number) => void): void {
    this.map.forEach((v, k) => fn(k, v));
  }
  clear(): void {
    this.map.clear();
  }
}

/** The index for a family's keys: typed-array table for IPv4, Map for IPv6. */
export function newKeyIndex(family: 'ipv4' | 'ipv6'): KeyIndex<PrefixKey> {
  return (family === 'ipv4' ? new NumKeyIndex() : new StrKeyIndex()) as KeyIndex<PrefixKey>;
}
