// Decoding and encoding a whole path attribute block. The generic RFC 7606 checks happen here, once, before a row's
// hook runs: header and length bounds (§4), duplicates (§3 g), unknown well-known (RFC 4271 §6.3), flag conflicts
// (§3 c), then missing well-known attributes (§3 d). The strongest error is kept (none < attribute-discard <
// treat-as-withdraw < afi-safi-disable < session-reset) and parsing goes on while the framing allows.
import { ByteWriter, copy } from '../bytes.js';
import { ErrorCode, UpdateSubcode } from '../constants.js';
import type { CodecContext } from '../context.js';
import { actionRank, BgpCodecError, BgpEncodeError, type CodecErrorInfo, type ErrorAction } from '../errors.js';
import { ATTRIBUTES, ROWS_BY_CODE, TAKES_ROW_ACTION, type AttributeRow, type DecodeEnv, type NlriRange } from './table.js';
import { AttrFlag, type KnownAttributeType, type PathAttribute } from './types.js';

export interface AttributeBlock {
  readonly attributes: PathAttribute[];
  /** The strongest error met, if any. */
  readonly error?: CodecErrorInfo;
  /** Set in lazy mode: where MP_REACH_NLRI / MP_UNREACH_NLRI prefixes are, undecoded. */
  readonly reach?: NlriRange;
  readonly unreach?: NlriRange;
  /** Offsets [start, end) of the MP_REACH_NLRI and MP_UNREACH_NLRI attributes (with their headers), or -1. */
  readonly mpReachAt: readonly [number, number];
  readonly mpUnreachAt: readonly [number, number];
}

class Collector {
  error: CodecErrorInfo | undefined;

  add(e: CodecErrorInfo): void {
    if (this.error === undefined || actionRank(e.action) > actionRank(this.error.action)) this.error = e;
  }

  make(message: string, subcode: number, action: ErrorAction, data: Uint8Array): void {
    this.add({ code: ErrorCode.UPDATE, subcode, action, data, message });
  }
}

/**
 * Decodes attributes b[start, end). `hasNlri`: the UPDATE's own NLRI field is not empty (NEXT_HOP is then
 * mandatory). `lazyNlri`: leave MP NLRI undecoded and report their ranges instead (the hot path).
 */
export function decodeAttributeBlock(b: Uint8Array, start: number, end: number, ctx: CodecContext,
  hasNlri: boolean, lazyNlri = false): AttributeBlock {
  const attributes: PathAttribute[] = [];
  const errors = new Collector();
  // Codes seen so far: a bitmask for 0..63 (every code the table knows), a list beyond (rare).
  let seenLo = 0;
  let seenHi = 0;
  let seenRest: number[] | undefined;
  const env: DecodeEnv = { ctx, lazyNlri };
  let mpReachAt: [number, number] = [-1, -1];
  let mpUnreachAt: [number, number] = [-1, -1];
  let i = start;
  while (i < end) {
    const flags = b[i];
    const hdr = (flags & AttrFlag.EXTENDED_LENGTH) !== 0 ? 4 : 3;
    if (i + hdr > end) {
      // RFC 7606 §4: the attribute cannot be parsed, the NLRI still can: treat-as-withdraw.
      errors.make('path attribute header truncated', UpdateSubcode.ATTRIBUTE_LENGTH, 'treat-as-withdraw', copy(b, i, end));
      break;
    }
    const code = b[i + 1];
    const len = hdr === 4 ? (b[i + 2] << 8) | b[i + 3] : b[i + 2];
    const vs = i + hdr;
    const ve = vs + len;
    if (ve > end) {
      const row = ROWS_BY_CODE[code];
      // RFC 7606 §4 / §5.3: an MP attribute we cannot delimit leaves its family unparseable.
      const action: ErrorAction = code === 14 || code === 15 ? 'session-reset' : 'treat-as-withdraw';
      errors.make(`${row?.name ?? `attribute ${code}`} length ${len} overruns the attribute block`,
        UpdateSubcode.ATTRIBUTE_LENGTH, action, copy(b, i, end));
      break;
    }
    const at = i;
    i = ve;
    let dup: boolean;
    if (code < 32) {
      dup = (seenLo & (1 << code)) !== 0;
      seenLo |= 1 << code;
    } else if (code < 64) {
      dup = (seenHi & (1 << (code - 32))) !== 0;
      seenHi |= 1 << (code - 32);
    } else {
      seenRest ??= [];
      dup = seenRest.includes(code);
      if (!dup) seenRest.push(code);
    }
    if (dup) {
      if (code === 14 || code === 15) {
        errors.make(`${code === 14 ? 'MP_REACH_NLRI' : 'MP_UNREACH_NLRI'} appears twice`,
          UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, 'session-reset', copy(b, at, ve));
      } else {
        errors.make(`attribute ${code} appears twice; later ones discarded`, UpdateSubcode.MALFORMED_ATTRIBUTE_LIST,
          'attribute-discard', copy(b, at, ve));
      }
      continue;
    }
    if (code === 14) mpReachAt = [vs - hdr, ve];
    else if (code === 15) mpUnreachAt = [vs - hdr, ve];
    const row = ROWS_BY_CODE[code];
    if (row === undefined) {
      if ((flags & AttrFlag.OPTIONAL) === 0) {
        errors.make(`unrecognized well-known attribute ${code}`, UpdateSubcode.UNRECOGNIZED_WELL_KNOWN, 'session-reset', copy(b, at, ve));
      } else if ((flags & AttrFlag.TRANSITIVE) !== 0) {
        attributes.push({ type: 'unknown', code, flags: flags & 0xf0, value: copy(b, vs, ve) });
      }
      // An unrecognized optional non-transitive attribute is quietly ignored (RFC 4271 §5).
      continue;
    }
    if ((flags & (AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE)) !== row.flags) {
      errors.make(`${row.name} flags 0x${flags.toString(16)} conflict with the expected 0x${row.flags.toString(16)}`,
        UpdateSubcode.ATTRIBUTE_FLAGS, row.action, copy(b, at, ve));
      continue;
    }
    try {
      const value = row.decode(b, vs, ve, env);
      attributes.push({ type: row.type, flags: flags & 0xf0, value } as PathAttribute);
    } catch (err) {
      if (!(err instanceof BgpCodecError)) throw err;
      errors.add({ code: err.code, subcode: err.subcode, action: TAKES_ROW_ACTION.has(err) ? row.action : err.action,
        data: copy(b, at, ve), message: err.message });
    }
  }
  // RFC 7606 §3 d: missing well-known mandatory attributes matter only when there is something to announce.
  if (hasNlri || (seenLo & (1 << 14)) !== 0) {
    const missing = (seenLo & 2) === 0 ? 1 : (seenLo & 4) === 0 ? 2 : hasNlri && (seenLo & 8) === 0 ? 3 : 0;
    if (missing !== 0) {
      errors.make(`missing well-known attribute ${ROWS_BY_CODE[missing]?.name ?? missing}`,
        UpdateSubcode.MISSING_WELL_KNOWN, 'treat-as-withdraw', Uint8Array.of(missing));
    }
  }
  const out: { -readonly [K in keyof AttributeBlock]: AttributeBlock[K] } = { attributes, mpReachAt, mpUnreachAt };
  if (errors.error !== undefined) out.error = errors.error;
  if (env.reach !== undefined) out.reach = env.reach;
  if (env.unreach !== undefined) out.unreach = env.unreach;
  return out;
}

function rowFor(type: KnownAttributeType): AttributeRow<KnownAttributeType> {
  return ATTRIBUTES[type] as AttributeRow<KnownAttributeType>;
}

/** Encodes one attribute: flags from the row (Partial and Extended Length kept), lengths computed. */
export function encodeAttribute(w: ByteWriter, a: PathAttribute, ctx: CodecContext): void {
  let flags: number;
  let code: number;
  const body = new ByteWriter(64);
  if (a.type === 'unknown') {
    if ((a.flags & AttrFlag.OPTIONAL) === 0) throw new BgpEncodeError(`unknown well-known attribute ${a.code}`);
    code = a.code;
    // RFC 4271 §5: an unrecognized optional transitive attribute is passed on with the Partial bit set.
    flags = (a.flags & 0xf0) | ((a.flags & AttrFlag.TRANSITIVE) !== 0 ? AttrFlag.PARTIAL : 0);
    body.bytes(a.value);
  } else {
    const row = rowFor(a.type);
    code = row.code;
    flags = row.flags | (a.flags & (AttrFlag.PARTIAL | AttrFlag.EXTENDED_LENGTH));
    row.encode(a.value, body, ctx);
  }
  const len = body.length;
  if (len > 0xffff) throw new BgpEncodeError(`attribute ${code} longer than 65535 octets`);
  if (len > 255) flags |= AttrFlag.EXTENDED_LENGTH;
  w.u8(flags).u8(code);
  if ((flags & AttrFlag.EXTENDED_LENGTH) !== 0) w.u16(len);
  else w.u8(len);
  w.bytes(body.finish());
}

export function encodeAttributes(attrs: readonly PathAttribute[], ctx: CodecContext): Uint8Array {
  const w = new ByteWriter(256);
  for (const a of attrs) encodeAttribute(w, a, ctx);
  return w.finish();
}
