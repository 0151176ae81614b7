// Adj-RIB-Out of one established peer: what we have advertised (prefix [+ path id] -> interned attribute set),
// and the prefixes whose advertisement may need to change. Level-triggered: take() recomputes what each dirty
// prefix should look like now (through the Exporter) and diffs it against what was sent, so a change that is
// undone before it goes out costs nothing on the wire. Announcements are packed by attribute set, so one UPDATE
// plan carries every prefix that shares it. MRAI delays announcements only, never withdrawals.

import type { AttrTable } from './attr-table.js';
import type { AttrSet } from './attrs.js';
import type { KeyIndex } from './key-index.js';
import { newKeyIndex } from './key-index.js';
import type { Family, PrefixKey } from './prefix.js';
import { FAMILIES, familyIndex } from './prefix.js';

export type UpdatePlan =
  | {
      readonly kind: 'announce';
      readonly family: Family;
      readonly attrs: AttrSet;
      readonly nlri: PrefixKey[];
      /** Parallel to nlri when ADD-PATH send is on for the family. */
      readonly pathIds?: number[];
    }
  | { readonly kind: 'withdraw'; readonly family: Family; readonly withdrawn: PrefixKey[]; readonly pathIds?: number[] }
  | { readonly kind: 'end-of-rib'; readonly family: Family };

export interface TakeResult {
  readonly plans: UpdatePlan[];
  /** Call take() again at this time (ms) for announcements held back by MRAI; undefined if none wait. */
  readonly nextAt: number | undefined;
}

/** Computes, at take() time, what should be advertised for a prefix. Results are owned by the exporter. */
export interface Exporter {
  /** The single path to advertise, or null (withdraw / do not announce). */
  best(family: Family, key: PrefixKey): AttrSet | null;
  /** Several paths (ADD-PATH send): parallel arrays of path ids and sets. */
  paths(family: Family, key: PrefixKey): { ids: number[]; sets: AttrSet[] };
  /** Releases what the exporter interned during this take. */
  done(): void;
}

export class AdjRibOut {
  private readonly sent: [KeyIndex<PrefixKey>, KeyIndex<PrefixKey>];
  private readonly sentPaths: [Map<PrefixKey, Map<number, number>>, Map<PrefixKey, Map<number, number>>];
  private dirty: [KeyIndex<PrefixKey>, KeyIndex<PrefixKey>] = [newKeyIndex('ipv4'), newKeyIndex('ipv6')];
  private readonly eorPending: [boolean, boolean];
  private readonly resend: [boolean, boolean] = [false, false];
  private nextAnnounceAt = 0;
  private count = 0;

  constructor(
    private readonly attrs: AttrTable,
    readonly families: readonly Family[],
    /** ADD-PATH send per family. */
    readonly addPath: readonly [boolean, boolean],
    readonly mraiMs: number,
  ) {
    this.sent = [newKeyIndex('ipv4'), newKeyIndex('ipv6')];
    this.sentPaths = [new Map(), new Map()];
    this.eorPending = [families.includes('ipv4'), families.includes('ipv6')];
  }

  /** Prefixes (and paths) currently advertised: O(1). */
  get advertised(): number {
    return this.count;
  }

  /** Prefixes waiting to be looked at. */
  get pending(): number {
    return this.dirty[0].size + this.dirty[1].size;
  }

  /** Nothing to look at and no End-of-RIB to send: take() would return no plans. */
  get idle(): boolean {
    return this.dirty[0].size + this.dirty[1].size === 0 && !this.eorPending[0] && !this.eorPending[1];
  }

  markDirty(family: Family, key: PrefixKey): void {
    this.dirty[familyIndex(family)].set(key, 0);
  }

  /** Whether anything is advertised for the prefix (any path id). */
  hasSent(family: Family, key: PrefixKey): boolean {
    const i = familyIndex(family);
    return this.addPath[i] ? this.sentPaths[i].has(key) : this.sent[i].get(key) >= 0;
  }

  /** Route refresh from the peer (RFC 2918): everything advertised is sent again. */
  refresh(family: Family): void {
    this.resend[familyIndex(family)] = true;
    this.markSent(family);
  }

  /** Queues every advertised prefix of a family for re-evaluation (export policy changed). */
  markSent(family: Family): void {
    const i = familyIndex(family);
    const dirty = this.dirty[i];
    if (this.addPath[i]) for (const k of this.sentPaths[i].keys()) dirty.set(k, 0);
    else this.sent[i].forEach((k) => dirty.set(k, 0));
  }

  /** Releases every set held (the session is gone). */
  dispose(): void {
    for (const i of [0, 1] as const) {
      this.sent[i].forEach((_k, id) => this.attrs.release(id));
      this.sent[i].clear();
      for (const m of this.sentPaths[i].values()) for (const id of m.values()) this.attrs.release(id);
      this.sentPaths[i].clear();
      this.dirty[i].clear();
    }
    this.count = 0;
  }

  take(now: number, exporter: Exporter): TakeResult {
    const plans: UpdatePlan[] = [];
    const mraiBlocked = now < this.nextAnnounceAt;
    let announced = false;
    try {
      for (const family of FAMILIES) {
        const i = familyIndex(family);
        if (!this.families.includes(family)) continue;
        const dirty = this.dirty[i];
        if (dirty.size > 0) {
          const r = this.addPath[i]
            ? this.diffPaths(family, i, dirty, mraiBlocked, exporter)
            : this.diffBest(family, i, dirty, mraiBlocked, exporter);
          if (r.withdrawn.length > 0) {
            plans.push(r.withdrawIds === undefined
              ? { kind: 'withdraw', family, withdrawn: r.withdrawn }
              : { kind: 'withdraw', family, withdrawn: r.withdrawn, pathIds: r.withdrawIds });
          }
          for (const g of r.groups.values()) {
            plans.push(g.ids === undefined
              ? { kind: 'announce', family, attrs: g.attrs, nlri: g.nlri }
              : { kind: 'announce', family, attrs: g.attrs, nlri: g.nlri, pathIds: g.ids });
            announced = true;
          }
          this.dirty[i] = r.held;
          if (r.held.size === 0) this.resend[i] = false;
        }
        if (this.eorPending[i] && this.dirty[i].size === 0) {
          plans.push({ kind: 'end-of-rib', family });
          this.eorPending[i] = false;
        }
      }
    } finally {
      exporter.done();
    }
    if (announced && this.mraiMs > 0) this.nextAnnounceAt = now + this.mraiMs;
    const waiting = this.dirty[0].size + this.dirty[1].size > 0;
    return { plans, nextAt: waiting ? this.nextAnnounceAt : undefined };
  }

  private diffBest(family: Family, i: 0 | 1, dirty: KeyIndex<PrefixKey>, blocked: boolean, ex: Exporter): Diff {
    const sent = this.sent[i];
    const d = new Diff(false, family);
    dirty.forEach((key) => {
      const want = ex.best(family, key);
      const had = sent.get(key);
      if (want === null) {
        if (had >= 0) {
          d.withdrawn.push(key);
          sent.delete(key);
          this.attrs.release(had);
          this.count--;
        }
        return;
      }
      if (want.id === had && !this.resend[i]) return;
      if (blocked) { d.held.set(key, 0); return; }
      this.attrs.ref(want.id);
      sent.set(key, want.id);
      if (had >= 0) this.attrs.release(had);
      else this.count++;
      d.add(want, key, 0);
    });
    return d;
  }

  private diffPaths(family: Family, i: 0 | 1, dirty: KeyIndex<PrefixKey>, blocked: boolean, ex: Exporter): Diff {
    const table = this.sentPaths[i];
    const d = new Diff(true, family);
    dirty.forEach((key) => {
      const want = ex.paths(family, key);
      let had = table.get(key);
      if (had !== undefined) {
        for (const [pid, id] of had) {
          if (want.ids.includes(pid)) continue;
          d.withdrawn.push(key);
          d.withdrawIds!.push(pid);
          had.delete(pid);
          this.attrs.release(id);
          this.count--;
        }
      }
      for (let k = 0; k < want.ids.length; k++) {
        const pid = want.ids[k]!;
        const set = want.sets[k]!;
        const prev = had?.get(pid);
        if (prev === set.id && !this.resend[i]) continue;
        if (blocked) { d.held.set(key, 0); continue; }
        if (had === undefined) { had = new Map(); table.set(key, had); }
        this.attrs.ref(set.id);
        had.set(pid, set.id);
        if (prev !== undefined) this.attrs.release(prev);
        else this.count++;
        d.add(set, key, pid);
      }
      if (had !== undefined && had.size === 0) table.delete(key);
    });
    return d;
  }
}

class Diff {
  readonly withdrawn: PrefixKey[] = [];
  readonly withdrawIds: number[] | undefined;
  readonly held: KeyIndex<PrefixKey>;
  readonly groups = new Map<number, { attrs: AttrSet; nlri: PrefixKey[]; ids: number[] | undefined }>();
  constructor(private readonly withIds: boolean, family: Family) {
    this.withdrawIds = withIds ? [] : undefined;
    this.held = newKeyIndex(family);
  }
  add(attrs: AttrSet, key: PrefixKey, pathId: number): void {
    let g = this.groups.get(attrs.id);
    if (g === undefined) {
      g = { attrs, nlri: [], ids: this.withIds ? [] : undefined };
      this.groups.set(attrs.id, g);
    }
    g.nlri.push(key);
    g.ids?.push(pathId);
  }
}
