// The hot path: walk an UPDATE and hand prefixes to callbacks as numbers (IPv4) or byte ranges (IPv6), with the raw
// attribute block for interning. No object per prefix is created; attributes are validated with the same table and
// generic checks as decode(), so the hot path and the object path agree on every error.
import { decodeAttributeBlock } from './attributes/block.js';
import { checkNlri } from './attributes/table.js';
import { ErrorCode, HEADER_LENGTH, HeaderSubcode, MessageType } from './constants.js';
import { addPathFor, type CodecContext } from './context.js';
import { actionRank, BgpCodecError, fail, type CodecErrorInfo } from './errors.js';
import { checkHeader, checkTypeLength } from './header.js';
import { nlriFieldFault, updateLayout } from './messages/update.js';
import type { PathAttribute } from './attributes/types.js';

export interface AttributeBlockInfo {
  /** [start, end) of the MP_REACH_NLRI attribute (header included) inside the message, or [-1, -1]. */
  readonly mpReachAt: readonly [number, number];
  /** Where MP_REACH_NLRI's prefixes start: what precedes them (AFI, SAFI, next hop) belongs to the set. */
  readonly mpReachNlriStart: number;
  readonly mpUnreachAt: readonly [number, number];
  /**
   * The block as scanUpdate decoded it to validate it (MP NLRI left undecoded, attribute-discard errors applied):
   * a handler that needs the attributes uses these instead of decoding the block again. Owned by the handler.
   */
  readonly attributes: readonly PathAttribute[];
}

export interface UpdateHandler {
  /** An IPv4 unicast prefix withdrawn: address as uint32 with host bits cleared, length, path id (0 without ADD-PATH). */
  withdraw4?(addr: number, bits: number, pathId: number): void;
  announce4?(addr: number, bits: number, pathId: number): void;
  /** An IPv6 prefix: its ceil(bits/8) octets are b[off, ...) (host bits not cleared; copy to keep). */
  withdraw6?(b: Uint8Array, off: number, bits: number, pathId: number): void;
  announce6?(b: Uint8Array, off: number, bits: number, pathId: number): void;
  /**
   * The path attribute block b[start, end) of an UPDATE that announces something, before its prefixes. Intern it
   * by bytes (see attributeKey) rather than decoding it per update.
   */
  attributes?(b: Uint8Array, start: number, end: number, info: AttributeBlockInfo): void;
}

export interface ScanResult {
  /** attribute-discard or treat-as-withdraw (announcements were then delivered as withdrawals). */
  readonly error?: CodecErrorInfo;
  readonly endOfRib?: { readonly afi: number; readonly safi: number };
}

const OK: ScanResult = Object.freeze({});

/** Calls h.withdraw4 or h.announce4 (method calls: no closure per message) for each IPv4 prefix in b[i, end). */
function walk4(b: Uint8Array, i: number, end: number, addPath: boolean, h: UpdateHandler, withdraw: boolean): void {
  while (i < end) {
    let pathId = 0;
    if (addPath) {
      pathId = ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
      i += 4;
    }
    const bits = b[i++];
    let a = 0;
    if (bits > 24) a = (b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3];
    else if (bits > 16) a = (b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8);
    else if (bits > 8) a = (b[i] << 24) | (b[i + 1] << 16);
    else if (bits > 0) a = b[i] << 24;
    if (bits < 32) a = bits === 0 ? 0 : a & (-1 << (32 - bits));
    if (withdraw) h.withdraw4?.(a >>> 0, bits, pathId);
    else h.announce4?.(a >>> 0, bits, pathId);
    i += (bits + 7) >> 3;
  }
}

function walk6(b: Uint8Array, i: number, end: number, addPath: boolean, h: UpdateHandler, withdraw: boolean): void {
  while (i < end) {
    let pathId = 0;
    if (addPath) {
      pathId = ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
      i += 4;
    }
    const bits = b[i++];
    if (withdraw) h.withdraw6?.(b, i, bits, pathId);
    else h.announce6?.(b, i, bits, pathId);
    i += (bits + 7) >> 3;
  }
}

/**
 * Scans one whole UPDATE message (header included, e.g. from BgpFramer). Throws BgpCodecError for errors that
 * reset the session or disable a family, before any callback runs.
 */
export function scanUpdate(b: Uint8Array, ctx: CodecContext, h: UpdateHandler): ScanResult {
  if (b.length < HEADER_LENGTH) {
    fail('message shorter than the header', ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH);
  }
  const length = checkHeader(b, 0, ctx.extendedMessage);
  if (length !== b.length) {
    fail(`length field ${length} disagrees with ${b.length} octets`, ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH,
      Uint8Array.of(length >> 8, length & 0xff));
  }
  if (b[18] !== MessageType.UPDATE) fail(`not an UPDATE (type ${b[18]})`, ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_TYPE);
  checkTypeLength(MessageType.UPDATE, length);
  const l = updateLayout(b, HEADER_LENGTH, length);
  const add4 = ctx.addPath.ipv4 === true;
  checkNlri(b, l.withdrawnStart, l.withdrawnEnd, 1, add4, nlriFieldFault);
  checkNlri(b, l.nlriStart, l.nlriEnd, 1, add4, nlriFieldFault);
  const hasNlri = l.nlriEnd > l.nlriStart;
  const block = decodeAttributeBlock(b, l.attrsStart, l.attrsEnd, ctx, hasNlri, true);
  const error = block.error;
  if (error !== undefined && actionRank(error.action) >= actionRank('afi-safi-disable')) throw BgpCodecError.from(error);
  const asWithdraw = error !== undefined && error.action === 'treat-as-withdraw';

  if (h.withdraw4 !== undefined && l.withdrawnEnd > l.withdrawnStart) walk4(b, l.withdrawnStart, l.withdrawnEnd, add4, h, true);
  const unreach = block.unreach;
  if (unreach !== undefined && unreach.known && unreach.end > unreach.start) {
    const ap = addPathFor(ctx, unreach.afi, unreach.safi);
    if (unreach.afi === 1 && h.withdraw4 !== undefined) walk4(b, unreach.start, unreach.end, ap, h, true);
    else if (unreach.afi === 2 && h.withdraw6 !== undefined) walk6(b, unreach.start, unreach.end, ap, h, true);
  }
  const reach = block.reach;
  const announces = hasNlri || (reach !== undefined && reach.known && reach.end > reach.start);
  if (announces && !asWithdraw && h.attributes !== undefined) {
    h.attributes(b, l.attrsStart, l.attrsEnd, {
      mpReachAt: block.mpReachAt, mpReachNlriStart: reach?.start ?? -1, mpUnreachAt: block.mpUnreachAt,
      attributes: block.attributes,
    });
  }
  const want4 = asWithdraw ? h.withdraw4 !== undefined : h.announce4 !== undefined;
  const want6 = asWithdraw ? h.withdraw6 !== undefined : h.announce6 !== undefined;
  if (hasNlri && want4) walk4(b, l.nlriStart, l.nlriEnd, add4, h, asWithdraw);
  if (reach !== undefined && reach.known && reach.end > reach.start) {
    const ap = addPathFor(ctx, reach.afi, reach.safi);
    if (reach.afi === 1 && want4) walk4(b, reach.start, reach.end, ap, h, asWithdraw);
    else if (reach.afi === 2 && want6) walk6(b, reach.start, reach.end, ap, h, asWithdraw);
  }
  if (error !== undefined) return { error };
  if (l.withdrawnEnd === l.withdrawnStart && !hasNlri) {
    if (l.attrsEnd === l.attrsStart) return { endOfRib: { afi: 1, safi: 1 } };
    if (block.attributes.length === 1 && unreach !== undefined && unreach.end === unreach.start) {
      return { endOfRib: { afi: unreach.afi, safi: unreach.safi } };
    }
  }
  return OK;
}

/**
 * A string key identifying an attribute set by its bytes, for interning: the block without MP_UNREACH_NLRI and
 * without MP_REACH_NLRI's prefixes (its AFI/SAFI/next hop stay). Two UPDATEs with the same key carry the same set.
 */
export function attributeKey(b: Uint8Array, start: number, end: number, info: AttributeBlockInfo): string {
  let key = '';
  forKeyRanges(b, start, end, info, (s, e) => {
    for (let i = s; i < e; i++) key += String.fromCharCode(b[i]);
  });
  return key;
}

/**
 * The bytes of attributeKey (without building a string) copied into `out` when they fit; returns their length
 * (larger than out.length: nothing or part was copied, call again with a larger buffer).
 */
export function attributeKeyBytes(b: Uint8Array, start: number, end: number, info: AttributeBlockInfo, out: Uint8Array): number {
  if (info.mpReachAt[0] < 0 && info.mpUnreachAt[0] < 0) {
    // The common IPv4 case: the whole block, copied byte by byte (no view object for a few dozen octets).
    const n = end - start;
    if (n <= out.length) for (let i = 0; i < n; i++) out[i] = b[start + i];
    return n;
  }
  let n = 0;
  forKeyRanges(b, start, end, info, (s, e) => {
    if (n + e - s <= out.length) out.set(b.subarray(s, e), n);
    n += e - s;
  });
  return n;
}

/** Calls fn for each range [s, e) of the block that belongs to the attribute key, in order. */
function forKeyRanges(b: Uint8Array, start: number, end: number, info: AttributeBlockInfo, fn: (s: number, e: number) => void): void {
  if (info.mpReachAt[0] < 0 && info.mpUnreachAt[0] < 0) {
    if (end > start) fn(start, end);
    return;
  }
  // Ranges left out: [r0, r1) and [r2, r3) inside MP_REACH_NLRI, [u0, u1) the whole MP_UNREACH_NLRI.
  let r0 = -1;
  let r1 = -1;
  let r2 = -1;
  let r3 = -1;
  if (info.mpReachAt[0] >= 0) {
    const s = info.mpReachAt[0];
    const hdr = (b[s] & 0x10) !== 0 ? 4 : 3;
    // Keep flags and code, drop the length (it counts the prefixes), keep AFI..reserved, drop the prefixes.
    r0 = s + 2;
    r1 = s + hdr;
    r2 = info.mpReachNlriStart >= 0 ? info.mpReachNlriStart : info.mpReachAt[1];
    r3 = info.mpReachAt[1];
  }
  const u0 = info.mpUnreachAt[0];
  const u1 = info.mpUnreachAt[1];
  // Cut points in order; each skip is [from, to).
  const skips: [number, number][] = [];
  if (r0 >= 0) skips.push([r0, r1]);
  if (r0 >= 0 && r3 > r2) skips.push([r2, r3]);
  if (u0 >= 0) skips.push([u0, u1]);
  skips.sort((x, y) => x[0] - y[0]);
  let i = start;
  for (const [from, to] of skips) {
    if (from < i) continue;
    if (from > i) fn(i, Math.min(from, end));
    i = to;
  }
  if (i < end) fn(i, end);
}
