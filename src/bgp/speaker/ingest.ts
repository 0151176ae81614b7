// UPDATE -> RIB on the hot path: the codec's scan hands prefixes over as numbers (IPv4) or byte ranges (IPv6), and
// the attribute block it already decoded to validate it. Its attributes are interned in the RIB's AttrTable (BIRD's
// rta cache): one shared set per distinct value, nothing kept here but the last block's bytes, so a run of UPDATEs
// with the same attributes (a large group split over several messages) maps them once. One RIB call per family
// per UPDATE, no object per prefix beyond the key the RIB stores.
import {
  attributeKeyBytes, BgpCodecError, scanUpdate, type AttributeBlockInfo, type CodecContext,
  type CodecErrorInfo, type UpdateHandler,
} from '../codec/index.js';
import { v4Key, v6Key, type AttrSet, type Family, type PeerId, type PrefixKey, type Rib } from '../rib/index.js';
import { toRibAttributes } from './attributes.js';

export interface IngestResult {
  readonly announced: number;
  readonly withdrawn: number;
  /** attribute-discard or treat-as-withdraw: the session stays up (RFC 7606). */
  readonly error?: CodecErrorInfo;
  readonly endOfRib?: Family;
  readonly maxPrefixExceeded: boolean;
}

/** Feeds one peer's UPDATEs into the RIB. One per session (its codec context is the session's). */
export class UpdateIngest implements UpdateHandler {
  private a4: PrefixKey[] = [];
  private a4ids: number[] = [];
  private w4: PrefixKey[] = [];
  private w4ids: number[] = [];
  private a6: PrefixKey[] = [];
  private a6ids: number[] = [];
  private w6: PrefixKey[] = [];
  private w6ids: number[] = [];
  /** The current UPDATE's interned sets per family (one reference each, released after the UPDATE). */
  private set4: AttrSet | undefined;
  private set6: AttrSet | undefined;
  /** The previous block's key bytes and its sets (no reference held: reused only while still interned). */
  private lastKey = new Uint8Array(256);
  private lastLen = -1;
  private last4: AttrSet | undefined;
  private last6: AttrSet | undefined;
  private key = new Uint8Array(256);
  /**
   * Entries in use in a4/a4ids, w4/w4ids, a6/a6ids, w6/w6ids. The lists are kept across UPDATEs and overwritten
   * (emptying one by setting its length drops its storage, and the next UPDATE would grow it again).
   */
  private na4 = 0;
  private nw4 = 0;
  private na6 = 0;
  private nw6 = 0;

  constructor(
    private readonly rib: Rib,
    private readonly peer: PeerId,
    private readonly ctx: CodecContext,
  ) {}

  announce4(addr: number, bits: number, pathId: number): void {
    // put() inlined by hand: the hot path, and its lists only ever hold numbers.
    const n = this.na4++;
    if (n < this.a4.length) {
      this.a4[n] = v4Key(addr, bits);
      this.a4ids[n] = pathId;
    } else {
      this.a4.push(v4Key(addr, bits));
      this.a4ids.push(pathId);
    }
  }

  withdraw4(addr: number, bits: number, pathId: number): void {
    this.nw4 = put(this.w4, this.w4ids, this.nw4, v4Key(addr, bits), pathId);
  }

  announce6(b: Uint8Array, off: number, bits: number, pathId: number): void {
    this.na6 = put(this.a6, this.a6ids, this.na6, v6Key(b.subarray(off, off + ((bits + 7) >> 3)), bits), pathId);
  }

  withdraw6(b: Uint8Array, off: number, bits: number, pathId: number): void {
    this.nw6 = put(this.w6, this.w6ids, this.nw6, v6Key(b.subarray(off, off + ((bits + 7) >> 3)), bits), pathId);
  }

  attributes(b: Uint8Array, start: number, end: number, info: AttributeBlockInfo): void {
    let n = attributeKeyBytes(b, start, end, info, this.key);
    if (n > this.key.length) {
      this.key = new Uint8Array(n);
      n = attributeKeyBytes(b, start, end, info, this.key);
    }
    const table = this.rib.attrs;
    if (n === this.lastLen && sameBytes(this.key, this.lastKey, n)
      && (this.last4 === undefined || table.holds(this.last4)) && (this.last6 === undefined || table.holds(this.last6))) {
      this.set4 = this.last4 === undefined ? undefined : table.intern(this.last4);
      this.set6 = this.last6 === undefined ? undefined : table.intern(this.last6);
      return;
    }
    const attrs = info.attributes;
    let mp: (typeof attrs)[number] | undefined;
    let hasV4NextHop = false;
    for (const a of attrs) {
      if (a.type === 'mpReach') mp = a;
      else if (a.type === 'nextHop') hasV4NextHop = true;
    }
    const mpAfi = mp?.type === 'mpReach' ? mp.value.afi : 0;
    this.set4 = hasV4NextHop || mpAfi === 1
      ? table.adopt(toRibAttributes(attrs, 'ipv4', !hasV4NextHop && mpAfi === 1, this.ctx))
      : undefined;
    this.set6 = mpAfi === 2 ? table.adopt(toRibAttributes(attrs, 'ipv6', true, this.ctx)) : undefined;
    // The key becomes the last key by swapping buffers (no copy); a buffer too short for the next block is grown above.
    const k = this.lastKey;
    this.lastKey = this.key;
    this.key = k;
    this.lastLen = n;
    this.last4 = this.set4;
    this.last6 = this.set6;
  }

  /** The sets of the UPDATE being ingested (read through a method so the compiler does not narrow the fields). */
  private current(f: 4 | 6): AttrSet | undefined {
    return f === 4 ? this.set4 : this.set6;
  }

  /**
   * Scans one UPDATE into the RIB. Errors that reset the session (or disable a family) are thrown as BgpCodecError
   * before anything is applied; treat-as-withdraw arrives here as withdrawals, with `error` set.
   */
  ingest(message: Uint8Array): IngestResult {
    this.set4 = this.set6 = undefined;
    this.na4 = this.nw4 = this.na6 = this.nw6 = 0;
    try {
      const r = scanUpdate(message, this.ctx, this);
      const addPath4 = this.ctx.addPath.ipv4 === true;
      const addPath6 = this.ctx.addPath.ipv6 === true;
      const na4 = this.na4;
      const nw4 = this.nw4;
      const na6 = this.na6;
      const nw6 = this.nw6;
      if (nw4) this.rib.withdraw(this.peer, 'ipv4', this.w4, addPath4 ? this.w4ids : undefined, nw4);
      if (nw6) this.rib.withdraw(this.peer, 'ipv6', this.w6, addPath6 ? this.w6ids : undefined, nw6);
      let exceeded = false;
      if (na4) {
        const set = this.current(4);
        if (!set) throw missingNextHop();
        exceeded = this.rib.receive(this.peer, 'ipv4', set, this.a4, addPath4 ? this.a4ids : undefined, na4).maxPrefixExceeded || exceeded;
      }
      if (na6) {
        const set = this.current(6);
        if (!set) throw missingNextHop();
        exceeded = this.rib.receive(this.peer, 'ipv6', set, this.a6, addPath6 ? this.a6ids : undefined, na6).maxPrefixExceeded || exceeded;
      }
      let endOfRib: Family | undefined;
      if (r.endOfRib && r.endOfRib.safi === 1 && (r.endOfRib.afi === 1 || r.endOfRib.afi === 2)) {
        endOfRib = r.endOfRib.afi === 1 ? 'ipv4' : 'ipv6';
        this.rib.endOfRib(this.peer, endOfRib);
      }
      return {
        announced: na4 + na6,
        withdrawn: nw4 + nw6,
        error: r.error,
        endOfRib,
        maxPrefixExceeded: exceeded,
      };
    } finally {
      const s4 = this.current(4);
      const s6 = this.current(6);
      if (s4 !== undefined) this.rib.attrs.release(s4.id);
      if (s6 !== undefined) this.rib.attrs.release(s6.id);
      this.set4 = this.set6 = undefined;
    }
  }
}

/** Writes entry n of a key list and its path-id list (appending past their ends); returns n + 1. */
function put<K>(keys: K[], ids: number[], n: number, key: K, pathId: number): number {
  if (n < keys.length) {
    keys[n] = key;
    ids[n] = pathId;
  } else {
    keys.push(key);
    ids.push(pathId);
  }
  return n + 1;
}

function sameBytes(a: Uint8Array, b: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The codec checks for a missing NEXT_HOP; this is the guard should an UPDATE still arrive without one. */
function missingNextHop(): BgpCodecError {
  return new BgpCodecError('NLRI without a next hop for their family', { code: 3, subcode: 3, data: new Uint8Array([3]), action: 'treat-as-withdraw' });
}
