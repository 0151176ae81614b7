// The writer's side of the next-hop cache (rr_nh_v1, bpf/lib/nexthop.h; rules in bpf/lib/maps.h), shared by the
// pinned maps (maps.ts) and the in-memory fake (memory.ts), which give it their pod entries and group slots as a
// NexthopStore: the same allocation, the same order of writes, the same answers.
//
// The rules, for a reader (rr_ingress) that loads nh from a pod entry and then the group, without a lock:
//   - a group is never rewritten while a pod entry may name it: new next hops go into a free index, then the pod
//     entry is switched, and only then is the old index released;
//   - a released index becomes free at the start of the next syncNexthops call, never earlier; and free indexes
//     are taken oldest-released first, so an index is written again as late as the table allows;
//   - pod entries with the same next hops share one group (it never changes while named), so the 4096 groups are
//     plenty for 16384 pod CIDRs behind a handful of ToRs.
// The state lives here, in the one writer; opening the maps rebuilds it: an index named by a pod entry is in use.
import {
  NH_GROUPS, NH_MAX, POD_F_REMOTE, type Nexthop, type PodInfo, decodeNexthopGroup, encodeNexthopGroup, formatCidr, formatMac, macBytes,
  parseCidr,
} from './layout.js';
import type { CachedNexthops, NexthopCacheEntry, NexthopSyncResult } from './port.js';

/** What the writer needs from the maps: pod entries by canonical CIDR, and group slots by index (0-based). */
export interface NexthopStore {
  pods(): Iterable<[cidr: string, info: PodInfo]>;
  getPod(cidr: string): PodInfo | undefined;
  setPod(cidr: string, info: PodInfo): void;
  deletePod(cidr: string): boolean;
  readGroup(index: number): Buffer | undefined;
  writeGroup(index: number, group: Buffer): void;
}

const FREE = 0, LIVE = 1, RELEASED = 2;

/** Next hops in one canonical order (ifindex, then MACs), MACs lower-case: the same set is the same group. */
export function canonicalNexthops(nexthops: readonly Nexthop[]): Nexthop[] {
  return nexthops.map((n) => ({ ifindex: n.ifindex, dmac: formatMac(macBytes(n.dmac)), smac: formatMac(macBytes(n.smac)) }))
    .sort((a, b) => a.ifindex - b.ifindex || a.dmac.localeCompare(b.dmac) || a.smac.localeCompare(b.smac));
}

function canonicalCidr(text: string): string | undefined {
  try {
    return formatCidr(parseCidr(text));
  } catch {
    return undefined;
  }
}

export class NexthopGroups {
  private readonly state: Uint8Array;
  /** pod entries naming each live index */
  private readonly refs = new Map<number, number>();
  /** a live index's bytes (hex), and a live index per content (for sharing) */
  private readonly contentOf = new Map<number, string>();
  private readonly byContent = new Map<string, number>();
  /** free indexes, oldest released first (a queue: read from head) */
  private free: number[] = [];
  private head = 0;
  /** released since the last syncNexthops began: free from the next one on */
  private released: number[] = [];

  constructor(private readonly store: NexthopStore, readonly capacity = NH_GROUPS) {
    this.state = new Uint8Array(capacity);
    this.rebuild();
  }

  /** The state from the maps: every index a pod entry names is live (shared if several do), every other is free. */
  rebuild(): void {
    this.state.fill(FREE);
    this.refs.clear();
    this.contentOf.clear();
    this.byContent.clear();
    this.released = [];
    for (const [, info] of this.store.pods()) {
      const i = this.index(info.nh);
      if (i === undefined) continue;
      this.refs.set(i, (this.refs.get(i) ?? 0) + 1);
      if (this.state[i] === LIVE) continue;
      this.state[i] = LIVE;
      const key = (this.store.readGroup(i) ?? Buffer.alloc(0)).toString('hex');
      this.contentOf.set(i, key);
      if (!this.byContent.has(key)) this.byContent.set(key, i);
    }
    this.free = [];
    this.head = 0;
    for (let i = 0; i < this.capacity; i++) if (this.state[i] === FREE) this.free.push(i);
  }

  /** nh (1 + index) as an index of this table, undefined for 0 or out of range. */
  private index(nh: number): number | undefined {
    return nh >= 1 && nh <= this.capacity ? nh - 1 : undefined;
  }

  /** A live index holding `group`: an existing one with the same bytes, or a free one written now. */
  private acquire(group: Buffer): number | undefined {
    const key = group.toString('hex');
    const shared = this.byContent.get(key);
    if (shared !== undefined) {
      this.refs.set(shared, (this.refs.get(shared) ?? 0) + 1);
      return shared;
    }
    if (this.head >= this.free.length) return undefined;
    const i = this.free[this.head++];
    if (this.head > 1024 && this.head * 2 > this.free.length) {
      this.free = this.free.slice(this.head);
      this.head = 0;
    }
    if (this.state[i] !== FREE) throw new Error(`next-hop group ${i} is not free (${this.state[i]}): the writer's state is wrong`);
    this.store.writeGroup(i, group);
    this.state[i] = LIVE;
    this.refs.set(i, 1);
    this.contentOf.set(i, key);
    this.byContent.set(key, i);
    return i;
  }

  /** One pod entry names `nh` no more (its entry was switched or deleted already). */
  private release(nh: number): void {
    const i = this.index(nh);
    if (i === undefined || this.state[i] !== LIVE) return;
    const left = (this.refs.get(i) ?? 1) - 1;
    if (left > 0) {
      this.refs.set(i, left);
      return;
    }
    this.refs.delete(i);
    const key = this.contentOf.get(i);
    if (key !== undefined && this.byContent.get(key) === i) this.byContent.delete(key);
    this.contentOf.delete(i);
    this.state[i] = RELEASED;
    this.released.push(i);
  }

  /** Switch one pod entry to `nh` (its flags kept), then release what it named. */
  private switchPod(cidr: string, info: PodInfo, nh: number): void {
    this.store.setPod(cidr, { flags: info.flags, nh });
    if (info.nh !== nh) this.release(info.nh);
  }

  /** BpfMapPort.syncNexthops: exactly these next hops for these remote pod CIDRs, none for any other pod entry. */
  sync(entries: readonly NexthopCacheEntry[]): NexthopSyncResult {
    // What was released before this call may be written again from now on (oldest first, after what is free).
    for (const i of this.released) {
      this.state[i] = FREE;
      this.free.push(i);
    }
    this.released = [];

    // In CIDR order: the same maps give the same indexes, whatever order the kernel's hash iterates in.
    const pods = new Map(this.sortedPods());
    const want = new Map<string, Buffer>();
    const skipped = new Set<string>();
    for (const e of entries) {
      const cidr = canonicalCidr(e.cidr);
      const pod = cidr === undefined ? undefined : pods.get(cidr);
      if (cidr === undefined || !pod || !(pod.flags & POD_F_REMOTE)) {
        skipped.add(cidr ?? e.cidr);
        continue;
      }
      let group: Buffer | undefined;
      try {
        group = e.nexthops.length >= 1 && e.nexthops.length <= NH_MAX ? encodeNexthopGroup(canonicalNexthops(e.nexthops)) : undefined;
      } catch {
        group = undefined; // a bad MAC or ifindex: not cached
      }
      if (group) {
        want.set(cidr, group);
        skipped.delete(cidr);
      } else {
        want.delete(cidr);
        skipped.add(cidr);
      }
    }

    const added: string[] = [], updated: string[] = [], removed: string[] = [];
    for (const [cidr, info] of pods) {
      const group = want.get(cidr);
      const cur = this.index(info.nh);
      if (group) {
        if (cur !== undefined && this.contentOf.get(cur) === group.toString('hex')) continue;
        const i = this.acquire(group);
        if (i === undefined) {
          // Every group in use or released in this pass: this CIDR goes to the FIB path until the next one.
          skipped.add(cidr);
          if (info.nh) {
            this.switchPod(cidr, info, 0);
            removed.push(cidr);
          }
          continue;
        }
        this.switchPod(cidr, info, i + 1);
        (info.nh ? updated : added).push(cidr);
      } else if (info.nh) {
        this.switchPod(cidr, info, 0);
        removed.push(cidr);
      }
    }
    const result: NexthopSyncResult = { added: added.sort(), updated: updated.sort(), removed: removed.sort() };
    return skipped.size ? { ...result, skipped: [...skipped].sort() } : result;
  }

  /** BpfMapPort.clearNexthops: nh = 0 on these pod entries (every one when omitted); how many had next hops. */
  clear(cidrs?: readonly string[]): number {
    const targets: [string, PodInfo][] = [];
    if (cidrs) {
      for (const text of new Set(cidrs)) {
        const cidr = canonicalCidr(text);
        const info = cidr === undefined ? undefined : this.store.getPod(cidr);
        if (cidr !== undefined && info) targets.push([cidr, info]);
      }
    } else {
      targets.push(...this.sortedPods());
    }
    let n = 0;
    for (const [cidr, info] of targets) {
      if (!info.nh) continue;
      this.switchPod(cidr, info, 0);
      n++;
    }
    return n;
  }

  private sortedPods(): [string, PodInfo][] {
    return [...this.store.pods()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /** BpfMapPort.listNexthops: the REMOTE pod entries whose group the program would use, by CIDR. */
  list(): CachedNexthops[] {
    const out: CachedNexthops[] = [];
    for (const [cidr, info] of this.store.pods()) {
      const i = this.index(info.nh);
      if (i === undefined || !(info.flags & POD_F_REMOTE)) continue;
      const g = this.store.readGroup(i);
      const nexthops = g ? decodeNexthopGroup(g) : null;
      if (nexthops) out.push({ cidr, nexthops });
    }
    return out.sort((a, b) => (a.cidr < b.cidr ? -1 : a.cidr > b.cidr ? 1 : 0));
  }

  /** BpfMapPort.upsertPodCidr: the entry with its next hops kept while it stays REMOTE (cleared otherwise). */
  upsertPod(cidr: string, flags: number): void {
    const cur = this.store.getPod(cidr);
    const nh = cur?.nh && flags & POD_F_REMOTE ? cur.nh : 0;
    this.store.setPod(cidr, { flags, nh });
    if (cur?.nh && cur.nh !== nh) this.release(cur.nh);
  }

  /** BpfMapPort.deletePodCidr: the entry, then its group released. */
  deletePod(cidr: string): boolean {
    const cur = this.store.getPod(cidr);
    const had = this.store.deletePod(cidr);
    if (cur?.nh) this.release(cur.nh);
    return had;
  }

  /** For tests and status: indexes live, released (waiting for the next sync) and free. */
  usage(): { live: number; released: number; free: number } {
    return { live: this.refs.size, released: this.released.length, free: this.free.length - this.head };
  }
}
