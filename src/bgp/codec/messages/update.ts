// UPDATE (RFC 4271 §4.3) as objects: withdrawn routes, path attributes, NLRI; End-of-RIB (RFC 4724 §2).
import { decodeAttributeBlock, encodeAttributes } from '../attributes/block.js';
import { ByteWriter, u16 } from '../bytes.js';
import { ErrorCode, UpdateSubcode } from '../constants.js';
import type { CodecContext } from '../context.js';
import { actionRank, BgpCodecError, BgpEncodeError, fail } from '../errors.js';
import { decodeNlri, encodeNlri } from '../prefix.js';
import type { UpdateMessage } from './types.js';

export interface UpdateLayout {
  readonly withdrawnStart: number;
  readonly withdrawnEnd: number;
  readonly attrsStart: number;
  readonly attrsEnd: number;
  readonly nlriStart: number;
  readonly nlriEnd: number;
}

/** Splits the body b[s, e) into its three fields; a length that overruns the message resets the session. */
export function updateLayout(b: Uint8Array, s: number, e: number): UpdateLayout {
  const wl = u16(b, s);
  const withdrawnEnd = s + 2 + wl;
  // RFC 7606 §5.3 / RFC 4271 §6.3: field lengths inconsistent with the message length.
  if (withdrawnEnd + 2 > e) {
    fail(`withdrawn routes length ${wl} overruns the UPDATE`, ErrorCode.UPDATE, UpdateSubcode.MALFORMED_ATTRIBUTE_LIST);
  }
  const al = u16(b, withdrawnEnd);
  const attrsEnd = withdrawnEnd + 2 + al;
  if (attrsEnd > e) {
    fail(`total path attribute length ${al} overruns the UPDATE`, ErrorCode.UPDATE, UpdateSubcode.MALFORMED_ATTRIBUTE_LIST);
  }
  return { withdrawnStart: s + 2, withdrawnEnd, attrsStart: withdrawnEnd + 2, attrsEnd, nlriStart: attrsEnd, nlriEnd: e };
}

export function nlriFieldFault(message: string): never {
  return fail(message, ErrorCode.UPDATE, UpdateSubcode.INVALID_NETWORK_FIELD);
}

export function decodeUpdate(b: Uint8Array, s: number, e: number, ctx: CodecContext): UpdateMessage {
  const l = updateLayout(b, s, e);
  const addPath = ctx.addPath.ipv4 === true;
  const withdrawn = decodeNlri(b, l.withdrawnStart, l.withdrawnEnd, 1, addPath, nlriFieldFault);
  const nlri = decodeNlri(b, l.nlriStart, l.nlriEnd, 1, addPath, nlriFieldFault);
  const block = decodeAttributeBlock(b, l.attrsStart, l.attrsEnd, ctx, nlri.length > 0);
  if (block.error !== undefined && actionRank(block.error.action) >= actionRank('afi-safi-disable')) {
    throw BgpCodecError.from(block.error);
  }
  return block.error === undefined
    ? { type: 'UPDATE', withdrawn, attributes: block.attributes, nlri }
    : { type: 'UPDATE', withdrawn, attributes: block.attributes, nlri, error: block.error };
}

export function encodeUpdate(m: UpdateMessage, w: ByteWriter, ctx: CodecContext): void {
  const addPath = ctx.addPath.ipv4 === true;
  const at = w.length;
  w.u16(0);
  for (const n of m.withdrawn) encodeNlri(w, 1, n, addPath);
  w.setU16(at, w.length - at - 2);
  const attrs = encodeAttributes(m.attributes, ctx);
  if (attrs.length > 0xffff) throw new BgpEncodeError('path attributes longer than 65535 octets');
  w.u16(attrs.length).bytes(attrs);
  for (const n of m.nlri) encodeNlri(w, 1, n, addPath);
}

/** RFC 4724 §2: an UPDATE with nothing in it (IPv4 unicast) or with only an empty MP_UNREACH_NLRI. */
export function endOfRib(m: UpdateMessage): { afi: number; safi: number } | undefined {
  if (m.withdrawn.length !== 0 || m.nlri.length !== 0) return undefined;
  if (m.attributes.length === 0) return m.error === undefined ? { afi: 1, safi: 1 } : undefined;
  if (m.attributes.length === 1) {
    const a = m.attributes[0];
    if (a.type === 'mpUnreach' && a.value.withdrawn.length === 0 && (a.value.raw === undefined || a.value.raw.length === 0)) {
      return { afi: a.value.afi, safi: a.value.safi };
    }
  }
  return undefined;
}

export function endOfRibMessage(afi: number, safi: number): UpdateMessage {
  if (afi === 1 && safi === 1) return { type: 'UPDATE', withdrawn: [], attributes: [], nlri: [] };
  return { type: 'UPDATE', withdrawn: [], nlri: [],
    attributes: [{ type: 'mpUnreach', flags: 0x80, value: { afi, safi, withdrawn: [] } }] };
}

