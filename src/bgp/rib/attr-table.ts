// Interned attribute sets (the model is BIRD's rta cache): every distinct PathAttributes value exists once, frozen,
// with a reference count; the last release frees it. Routes hold the numeric id, not a copy.
//
// Immutability: a set from intern() is a deep-frozen copy. A set from adopt() (the UPDATE hot path) is the caller's
// own draft, frozen at the top only: its nested lists were built fresh for it and are reachable from nowhere else, so
// nothing can mutate them (every reader sees them through readonly types, and edits go through withAttrs, which makes
// a new set). That keeps the same contract by construction without a copy and a freeze per nested list.

import type { AsPathSegment, AttrSet, LargeCommunity, PathAttributes, RawAttribute } from './attrs.js';
import { asPathEqual, emptyList } from './attrs.js';

// Hashing runs once per distinct set arriving (100,000s in a full table): indexed loops only (no iterator objects),
// small helpers the compiler inlines, and the next hop's text hashed once while it repeats.
function mix(h: number, v: number): number {
  h = Math.imul(h ^ (v | 0), 0x01000193);
  return h ^ (h >>> 15);
}
function mixNum(h: number, v: number | undefined): number {
  if (v === undefined) return mix(h, 0x7fffffff);
  return mix(mix(h, v >>> 0), Math.floor(v / 4294967296));
}
function mixNums(h: number, xs: readonly number[]): number {
  for (let i = 0; i < xs.length; i++) h = mixNum(h, xs[i]);
  return mix(h, xs.length);
}
let lastText: string | undefined;
let lastTextHash = 0;
function textHash(s: string): number {
  if (s === lastText) return lastTextHash;
  let h = 0x2545f491;
  for (let i = 0; i < s.length; i++) h = mix(h, s.charCodeAt(i));
  lastText = s;
  lastTextHash = mix(h, s.length);
  return lastTextHash;
}
function mixStr(h: number, s: string | undefined): number {
  return mix(h, s === undefined ? 0x5bd1e995 : textHash(s));
}
function mixBytes(h: number, b: Uint8Array): number {
  for (let i = 0; i < b.length; i++) h = mix(h, b[i]!);
  return mix(h, b.length);
}

export function hashAttrs(a: PathAttributes): number {
  let h = 0x811c9dc5;
  h = mix(h, a.origin);
  const path = a.asPath;
  for (let i = 0; i < path.length; i++) {
    const s = path[i]!;
    h = mixNums(mix(h, s.type + 1000), s.asns);
  }
  h = mix(h, path.length);
  h = mixStr(h, a.nextHop);
  h = mixStr(h, a.nextHopLinkLocal);
  h = mixNum(h, a.med);
  h = mixNum(h, a.localPref);
  h = mix(h, a.atomicAggregate ? 1 : 2);
  if (a.aggregator !== undefined) h = mixStr(mixNum(h, a.aggregator.asn), a.aggregator.address);
  h = mixNums(h, a.communities);
  const large = a.largeCommunities;
  for (let i = 0; i < large.length; i++) {
    const l = large[i]!;
    h = mixNum(mixNum(mixNum(h, l[0]), l[1]), l[2]);
  }
  h = mix(h, large.length);
  const ext = a.extendedCommunities;
  for (let i = 0; i < ext.length; i++) h = mixBytes(h, ext[i]!);
  h = mixNum(h, a.originatorId);
  h = mix(mixNums(h, a.clusterList), 77);
  h = mixNum(h, a.otc);
  const unknown = a.unknown;
  for (let i = 0; i < unknown.length; i++) {
    const u = unknown[i]!;
    h = mixBytes(mix(mix(h, u.code), u.flags), u.value);
  }
  return h | 0;
}

function numsEqual(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function attrsEqual(a: PathAttributes, b: PathAttributes): boolean {
  if (a === b) return true;
  if (a.origin !== b.origin || a.nextHop !== b.nextHop || a.med !== b.med || a.localPref !== b.localPref) return false;
  if (a.nextHopLinkLocal !== b.nextHopLinkLocal || a.atomicAggregate !== b.atomicAggregate) return false;
  if (a.originatorId !== b.originatorId || a.otc !== b.otc) return false;
  if (a.aggregator !== b.aggregator) {
    if (a.aggregator === undefined || b.aggregator === undefined) return false;
    if (a.aggregator.asn !== b.aggregator.asn || a.aggregator.address !== b.aggregator.address) return false;
  }
  if (!asPathEqual(a.asPath, b.asPath)) return false;
  if (!numsEqual(a.communities, b.communities) || !numsEqual(a.clusterList, b.clusterList)) return false;
  if (a.largeCommunities.length !== b.largeCommunities.length) return false;
  for (let i = 0; i < a.largeCommunities.length; i++) {
    if (!numsEqual(a.largeCommunities[i]!, b.largeCommunities[i]!)) return false;
  }
  if (a.extendedCommunities.length !== b.extendedCommunities.length) return false;
  for (let i = 0; i < a.extendedCommunities.length; i++) {
    if (!bytesEqual(a.extendedCommunities[i]!, b.extendedCommunities[i]!)) return false;
  }
  if (a.unknown.length !== b.unknown.length) return false;
  for (let i = 0; i < a.unknown.length; i++) {
    const x = a.unknown[i]!;
    const y = b.unknown[i]!;
    if (x.code !== y.code || x.flags !== y.flags || !bytesEqual(x.value, y.value)) return false;
  }
  return true;
}

function frozenList<T>(xs: readonly T[], copy: (x: T) => T = (x) => x): readonly T[] {
  if (xs.length === 0) return emptyList<T>();
  return Object.freeze(xs.map(copy));
}

/** A frozen, self-contained copy (byte arrays are copied so a decoder's receive buffer is never retained). */
function freezeSet(a: PathAttributes, id: number, nextHop: string): AttrSet {
  const set: AttrSet = {
    id,
    origin: a.origin,
    asPath: frozenList<AsPathSegment>(a.asPath, (s) => Object.freeze({ type: s.type, asns: frozenList(s.asns) })),
    nextHop,
    nextHopLinkLocal: a.nextHopLinkLocal,
    med: a.med,
    localPref: a.localPref,
    atomicAggregate: a.atomicAggregate,
    aggregator: a.aggregator === undefined ? undefined : Object.freeze({ ...a.aggregator }),
    communities: frozenList(a.communities),
    largeCommunities: frozenList<LargeCommunity>(a.largeCommunities, (l) => Object.freeze([l[0], l[1], l[2]] as const)),
    // Typed arrays cannot be frozen; copies keep the set independent of its source.
    extendedCommunities: frozenList(a.extendedCommunities, (e) => e.slice()),
    originatorId: a.originatorId,
    clusterList: frozenList(a.clusterList),
    otc: a.otc,
    unknown: frozenList<RawAttribute>(a.unknown, (u) => Object.freeze({ flags: u.flags, code: u.code, value: u.value.slice() })),
  };
  return Object.freeze(set);
}

/**
 * A set under construction for AttrTable.adopt: the fields of an AttrSet in its order (same shape as the sets
 * freezeSet makes), `id` still -1. Its nested lists must be fresh and unshared (or the frozen emptyList()).
 */
export type AttrDraft = { -readonly [K in keyof AttrSet]: AttrSet[K] };

const NEXT_HOPS_KEPT = 4096;

export class AttrTable {
  private sets: (AttrSet | undefined)[] = [];
  private refcnt = new Int32Array(1024);
  private hashes = new Int32Array(1024);
  private chain = new Int32Array(1024);
  /**
   * Chained hash table: bucket (hash & mask) -> first id + 1 of its chain (0: empty), linked through `chain`
   * (-1 ends it). Typed arrays rather than a Map: no entry objects, and the table doubles with the id space.
   */
  private buckets = new Int32Array(1024);
  private mask = 1023;
  private readonly free: number[] = [];
  private live = 0;
  /** One string per next hop shared by the sets (a node has few next hops, a full table 100,000s of sets). */
  private readonly nextHops = new Map<string, string>();

  /** Distinct attribute sets alive. */
  get size(): number {
    return this.live;
  }

  /** Returns the shared set equal to `a`, taking one reference to it. */
  intern(a: PathAttributes): AttrSet {
    const maybe = a as Partial<AttrSet>;
    if (maybe.id !== undefined && maybe.id >= 0 && this.sets[maybe.id] === a) {
      this.refcnt[maybe.id]!++;
      return a as AttrSet;
    }
    const h = hashAttrs(a);
    const found = this.lookup(a, h);
    if (found !== undefined) return found;
    const id = this.allocate();
    return this.insert(freezeSet(a, id, this.nextHop(a.nextHop)), id, h);
  }

  /**
   * intern() for a draft the table may keep as it is: if no equal set exists, the draft itself becomes the set (id
   * and shared next hop filled in, frozen at the top; see the note on immutability above). The caller gives the
   * draft up either way and uses only the returned set.
   */
  adopt(d: AttrDraft): AttrSet {
    const h = hashAttrs(d);
    const found = this.lookup(d, h);
    if (found !== undefined) return found;
    const id = this.allocate();
    d.id = id;
    d.nextHop = this.nextHop(d.nextHop);
    return this.insert(Object.freeze(d), id, h);
  }

  private lookup(a: PathAttributes, h: number): AttrSet | undefined {
    const hashes = this.hashes;
    let id = this.buckets[h & this.mask]! - 1;
    while (id >= 0) {
      const s = this.sets[id]!;
      if (hashes[id] === h && attrsEqual(s, a)) {
        this.refcnt[id]!++;
        return s;
      }
      id = this.chain[id]!;
    }
    return undefined;
  }

  private allocate(): number {
    const id = this.free.length > 0 ? this.free.pop()! : this.sets.length;
    if (id >= this.refcnt.length) this.grow();
    return id;
  }

  private nextHop(text: string): string {
    let nh = this.nextHops.get(text);
    if (nh === undefined) {
      if (this.nextHops.size >= NEXT_HOPS_KEPT) this.nextHops.clear();
      this.nextHops.set(text, (nh = text));
    }
    return nh;
  }

  private insert(set: AttrSet, id: number, h: number): AttrSet {
    this.sets[id] = set;
    this.refcnt[id] = 1;
    this.hashes[id] = h;
    const b = h & this.mask;
    this.chain[id] = this.buckets[b]! - 1;
    this.buckets[b] = id + 1;
    this.live++;
    return set;
  }

  /** Whether `set` is still interned here (a set whose last reference went is not, even if its id was reused). */
  holds(set: AttrSet): boolean {
    return this.sets[set.id] === set;
  }

  /** Takes another reference to an interned set (by id). */
  ref(id: number): void {
    this.refcnt[id]!++;
  }

  /** Drops a reference; the set is freed when none remain. */
  release(id: number): void {
    const n = --this.refcnt[id]!;
    if (n > 0) return;
    if (n < 0) throw new Error(`AttrTable: release of free set ${id}`);
    const h = this.hashes[id]!;
    const b = h & this.mask;
    let cur = this.buckets[b]! - 1;
    let prev = -1;
    while (cur !== id) {
      prev = cur;
      cur = this.chain[cur]!;
    }
    const next = this.chain[id]!;
    if (prev < 0) {
      this.buckets[b] = next + 1;
    } else {
      this.chain[prev] = next;
    }
    this.sets[id] = undefined;
    this.free.push(id);
    this.live--;
  }

  /** Upper bound of ids in use (for id-indexed side tables). */
  get capacity(): number {
    return this.sets.length;
  }

  get(id: number): AttrSet {
    const s = this.sets[id];
    if (s === undefined) throw new Error(`AttrTable: no set ${id}`);
    return s;
  }

  refs(id: number): number {
    return this.sets[id] === undefined ? 0 : this.refcnt[id]!;
  }

  private grow(): void {
    const n = this.refcnt.length * 2;
    const r = new Int32Array(n); r.set(this.refcnt); this.refcnt = r;
    const h = new Int32Array(n); h.set(this.hashes); this.hashes = h;
    const c = new Int32Array(n); c.set(this.chain); this.chain = c;
    // As many buckets as ids: relink every live set (chains keep no order that matters).
    const buckets = new Int32Array(n);
    const mask = n - 1;
    for (let id = 0; id < this.sets.length; id++) {
      if (this.sets[id] === undefined) continue;
      const b = this.hashes[id]! & mask;
      this.chain[id] = buckets[b]! - 1;
      buckets[b] = id + 1;
    }
    this.buckets = buckets;
    this.mask = mask;
  }
}
