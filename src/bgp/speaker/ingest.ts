// UPDATE -> RIB on the hot path: the codec's scan hands prefixes over as numbers (IPv4) or byte ranges (IPv6); the
// attribute block is decoded only the first time its bytes are seen (BIRD's rta cache, by bytes). One RIB call per
// family per UPDATE, no object per prefix beyond the key the RIB stores.
import {
  attributeKey, BgpCodecError, decodeAttributeBlock, scanUpdate, type AttributeBlockInfo, type CodecContext,
  type CodecErrorInfo, type UpdateHandler,
} from '../codec/index.js';
import { v4Key, v6Key, type Family, type PathAttributes, type PeerId, type PrefixKey, type Rib } from '../rib/index.js';
import { toRibAttributes } from './attributes.js';

/** The per-family attributes of one attribute block. */
interface CachedBlock {
  readonly v4?: PathAttributes;
  readonly v6?: PathAttributes;
}

export interface IngestResult {
  readonly announced: number;
  readonly withdrawn: number;
  /** attribute-discard or treat-as-withdraw: the session stays up (RFC 7606). */
  readonly error?: CodecErrorInfo;
  readonly endOfRib?: Family;
  readonly maxPrefixExceeded: boolean;
}

const CACHE_LIMIT = 65_536;

/** Feeds one peer's UPDATEs into the RIB. One per session (its codec context is the session's). */
export class UpdateIngest implements UpdateHandler {
  private readonly cache = new Map<string, CachedBlock>();
  private a4: PrefixKey[] = [];
  private a4ids: number[] = [];
  private w4: PrefixKey[] = [];
  private w4ids: number[] = [];
  private a6: PrefixKey[] = [];
  private a6ids: number[] = [];
  private w6: PrefixKey[] = [];
  private w6ids: number[] = [];
  private block: CachedBlock | undefined;

  constructor(
    private readonly rib: Rib,
    private readonly peer: PeerId,
    private readonly ctx: CodecContext,
  ) {}

  announce4(addr: number, bits: number, pathId: number): void {
    this.a4.push(v4Key(addr, bits));
    this.a4ids.push(pathId);
  }

  withdraw4(addr: number, bits: number, pathId: number): void {
    this.w4.push(v4Key(addr, bits));
    this.w4ids.push(pathId);
  }

  announce6(b: Uint8Array, off: number, bits: number, pathId: number): void {
    this.a6.push(v6Key(b.subarray(off, off + ((bits + 7) >> 3)), bits));
    this.a6ids.push(pathId);
  }

  withdraw6(b: Uint8Array, off: number, bits: number, pathId: number): void {
    this.w6.push(v6Key(b.subarray(off, off + ((bits + 7) >> 3)), bits));
    this.w6ids.push(pathId);
  }

  attributes(b: Uint8Array, start: number, end: number, info: AttributeBlockInfo): void {
    const key = attributeKey(b, start, end, info);
    let block = this.cache.get(key);
    if (!block) {
      const decoded = decodeAttributeBlock(b, start, end, this.ctx, true, true);
      const mp = decoded.attributes.find((a) => a.type === 'mpReach');
      const hasV4NextHop = decoded.attributes.some((a) => a.type === 'nextHop');
      block = {
        v4: hasV4NextHop || (mp?.type === 'mpReach' && mp.value.afi === 1)
          ? toRibAttributes(decoded.attributes, 'ipv4', !hasV4NextHop && mp?.type === 'mpReach' && mp.value.afi === 1, this.ctx)
          : undefined,
        v6: mp?.type === 'mpReach' && mp.value.afi === 2 ? toRibAttributes(decoded.attributes, 'ipv6', true, this.ctx) : undefined,
      };
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(key, block);
    }
    this.block = block;
  }

  private currentBlock(): CachedBlock | undefined {
    return this.block;
  }

  /**
   * Scans one UPDATE into the RIB. Errors that reset the session (or disable a family) are thrown as BgpCodecError
   * before anything is applied; treat-as-withdraw arrives here as withdrawals, with `error` set.
   */
  ingest(message: Uint8Array): IngestResult {
    this.block = undefined;
    this.a4.length = this.a4ids.length = this.w4.length = this.w4ids.length = 0;
    this.a6.length = this.a6ids.length = this.w6.length = this.w6ids.length = 0;
    const r = scanUpdate(message, this.ctx, this);
    const addPath4 = this.ctx.addPath.ipv4 === true;
    const addPath6 = this.ctx.addPath.ipv6 === true;
    if (this.w4.length) this.rib.withdraw(this.peer, 'ipv4', this.w4, addPath4 ? this.w4ids : undefined);
    if (this.w6.length) this.rib.withdraw(this.peer, 'ipv6', this.w6, addPath6 ? this.w6ids : undefined);
    let exceeded = false;
    // The scan's callbacks set this.block; read it through a method so the compiler does not narrow it.
    const block = this.currentBlock();
    if (this.a4.length) {
      const attrs = block?.v4;
      if (!attrs) throw missingNextHop();
      exceeded = this.rib.receive(this.peer, 'ipv4', attrs, this.a4, addPath4 ? this.a4ids : undefined).maxPrefixExceeded || exceeded;
    }
    if (this.a6.length) {
      const attrs = block?.v6;
      if (!attrs) throw missingNextHop();
      exceeded = this.rib.receive(this.peer, 'ipv6', attrs, this.a6, addPath6 ? this.a6ids : undefined).maxPrefixExceeded || exceeded;
    }
    let endOfRib: Family | undefined;
    if (r.endOfRib && r.endOfRib.safi === 1 && (r.endOfRib.afi === 1 || r.endOfRib.afi === 2)) {
      endOfRib = r.endOfRib.afi === 1 ? 'ipv4' : 'ipv6';
      this.rib.endOfRib(this.peer, endOfRib);
    }
    return {
      announced: this.a4.length + this.a6.length,
      withdrawn: this.w4.length + this.w6.length,
      error: r.error,
      endOfRib,
      maxPrefixExceeded: exceeded,
    };
  }
}

/** The codec checks for a missing NEXT_HOP; this is the guard should an UPDATE still arrive without one. */
function missingNextHop(): BgpCodecError {
  return new BgpCodecError('NLRI without a next hop for their family', { code: 3, subcode: 3, data: new Uint8Array([3]), action: 'treat-as-withdraw' });
}
