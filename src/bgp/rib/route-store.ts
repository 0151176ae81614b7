// Every accepted path (post-policy Adj-RIB-In entry, also a Loc-RIB candidate) is a slot in these columns: no
// per-route object. A slot links into its destination's candidate chain and into its peer's route list.

export const RF_STALE = 1;
export const RF_BEST = 2;
export const RF_MULTIPATH = 4;
export const RF_V6 = 8;
export const RF_LIVE = 16;
export const RF_SELECTED = RF_BEST | RF_MULTIPATH;

export class RouteStore {
  attr = new Int32Array(0);
  peer = new Int32Array(0);
  /** ADD-PATH path ids: allocated with the first non-zero one (without ADD-PATH every id is 0). Use pathIdOf. */
  pathId = new Uint32Array(0);
  dest = new Int32Array(0);
  /** Next candidate of the same destination (or the next free slot). */
  next = new Int32Array(0);
  peerPrev = new Int32Array(0);
  peerNext = new Int32Array(0);
  flags = new Uint8Array(0);
  private freeHead = -1;
  private top = 0;
  private live = 0;

  constructor(initial = 1024) {
    this.resize(initial);
  }

  get size(): number {
    return this.live;
  }

  /** Bytes held by the columns (capacity, not just live slots). */
  get capacityBytes(): number {
    return this.flags.length * (4 * 6 + 1) + this.pathId.length * 4;
  }

  pathIdOf(r: number): number {
    return r < this.pathId.length ? this.pathId[r]! : 0;
  }

  setPathId(r: number, id: number): void {
    if (this.pathId.length === 0) {
      if (id === 0) return;
      this.pathId = new Uint32Array(this.flags.length);
    }
    this.pathId[r] = id;
  }

  alloc(): number {
    let r: number;
    if (this.freeHead >= 0) {
      r = this.freeHead;
      this.freeHead = this.next[r]!;
    } else {
      if (this.top === this.flags.length) this.resize(this.flags.length * 2);
      r = this.top++;
    }
    this.live++;
    this.flags[r] = RF_LIVE;
    return r;
  }

  free(r: number): void {
    this.flags[r] = 0;
    this.next[r] = this.freeHead;
    this.freeHead = r;
    this.live--;
  }

  private resize(n: number): void {
    const grow = <T extends Int32Array | Uint32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.attr = grow(this.attr, (k) => new Int32Array(k));
    this.peer = grow(this.peer, (k) => new Int32Array(k));
    if (this.pathId.length > 0) this.pathId = grow(this.pathId, (k) => new Uint32Array(k));
    this.dest = grow(this.dest, (k) => new Int32Array(k));
    this.next = grow(this.next, (k) => new Int32Array(k));
    this.peerPrev = grow(this.peerPrev, (k) => new Int32Array(k));
    this.peerNext = grow(this.peerNext, (k) => new Int32Array(k));
    this.flags = grow(this.flags, (k) => new Uint8Array(k));
  }
}
