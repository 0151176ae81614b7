// AS_PATH and AS4_PATH segments (RFC 4271 §4.3, RFC 5065 §3 confederations, RFC 6793 for 4-octet ASNs and the
// AS4_PATH merge of §4.2.3).
import type { ByteWriter } from '../bytes.js';
import { AS_TRANS } from '../constants.js';
import { BgpEncodeError } from '../errors.js';
import type { Aggregator, AsPathSegment, AsPathSegmentType, PathAttribute } from './types.js';

const SEGMENT_CODES: Readonly<Record<AsPathSegmentType, number>> = {
  'set': 1, 'sequence': 2, 'confed-sequence': 3, 'confed-set': 4,
};
const SEGMENT_TYPES: readonly (AsPathSegmentType | undefined)[] = [undefined, 'set', 'sequence', 'confed-sequence', 'confed-set'];

/** Returns the segments, or a message describing why the bytes are malformed. */
export function decodeAsPath(b: Uint8Array, start: number, end: number, as4: boolean): AsPathSegment[] | string {
  const out: AsPathSegment[] = [];
  const width = as4 ? 4 : 2;
  let i = start;
  while (i < end) {
    if (i + 2 > end) return 'AS_PATH segment header truncated';
    const type = SEGMENT_TYPES[b[i]];
    if (type === undefined) return `AS_PATH segment type ${b[i]} unknown`;
    const count = b[i + 1];
    if (count === 0) return 'AS_PATH segment of zero length';
    i += 2;
    if (i + count * width > end) return 'AS_PATH segment overruns the attribute';
    const asns: number[] = new Array<number>(count);
    for (let k = 0; k < count; k++) {
      asns[k] = as4 ? ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0 : (b[i] << 8) | b[i + 1];
      i += width;
    }
    out.push({ type, asns });
  }
  return out;
}

export function encodeAsPath(w: ByteWriter, segments: readonly AsPathSegment[], as4: boolean): void {
  for (const s of segments) {
    const code = SEGMENT_CODES[s.type];
    if (code === undefined) throw new BgpEncodeError(`unknown AS_PATH segment type ${String(s.type)}`);
    if (s.asns.length === 0 || s.asns.length > 255) {
      throw new BgpEncodeError(`AS_PATH segment of ${s.asns.length} ASNs (1..255)`);
    }
    w.u8(code).u8(s.asns.length);
    for (const a of s.asns) {
      if (!Number.isInteger(a) || a < 0 || a > (as4 ? 0xffffffff : 0xffff)) {
        throw new BgpEncodeError(`AS ${a} does not fit a ${as4 ? 4 : 2}-octet AS_PATH (use AS_TRANS and AS4_PATH)`);
      }
      if (as4) w.u32(a);
      else w.u16(a);
    }
  }
}

/** RFC 4271 §9.1.2.2 a / RFC 6793 §4.2.3: a SET counts 1, confederation segments count 0. */
export function asPathLength(segments: readonly AsPathSegment[]): number {
  let n = 0;
  for (const s of segments) {
    if (s.type === 'sequence') n += s.asns.length;
    else if (s.type === 'set') n += 1;
  }
  return n;
}

/**
 * RFC 6793 §4.2.3: on a session without 4-octet AS, rebuild the true AS path and aggregator from AS_PATH,
 * AS4_PATH, AGGREGATOR and AS4_AGGREGATOR.
 */
export function mergeAs4(attrs: readonly PathAttribute[]): { asPath: readonly AsPathSegment[]; aggregator?: Aggregator } {
  let asPath: readonly AsPathSegment[] = [];
  let as4Path: readonly AsPathSegment[] | undefined;
  let aggregator: Aggregator | undefined;
  let as4Aggregator: Aggregator | undefined;
  for (const a of attrs) {
    if (a.type === 'asPath') asPath = a.value;
    else if (a.type === 'as4Path') as4Path = a.value;
    else if (a.type === 'aggregator') aggregator = a.value;
    else if (a.type === 'as4Aggregator') as4Aggregator = a.value;
  }
  if (aggregator !== undefined && as4Aggregator !== undefined) {
    // An AGGREGATOR that is not AS_TRANS was added by a 2-octet speaker after aggregation: ignore both AS4_*.
    if (aggregator.asn !== AS_TRANS) return { asPath, aggregator };
    aggregator = as4Aggregator;
  }
  if (as4Path === undefined) return aggregator === undefined ? { asPath } : { asPath, aggregator };
  // Confederation segments in AS4_PATH are ignored (§4.2.3 "discarded").
  const as4 = as4Path.filter((s) => s.type === 'sequence' || s.type === 'set');
  const total = asPathLength(asPath);
  const tail = asPathLength(as4);
  if (total < tail) return aggregator === undefined ? { asPath } : { asPath, aggregator };
  // Keep the leading (total - tail) ASes of AS_PATH (with confederation segments as they are), then AS4_PATH.
  let keep = total - tail;
  const head: AsPathSegment[] = [];
  for (const s of asPath) {
    if (s.type === 'confed-sequence' || s.type === 'confed-set') {
      head.push(s);
      continue;
    }
    if (keep === 0) break;
    if (s.type === 'set') {
      head.push(s);
      keep -= 1;
    } else if (s.asns.length <= keep) {
      head.push(s);
      keep -= s.asns.length;
    } else {
      head.push({ type: 'sequence', asns: s.asns.slice(0, keep) });
      keep = 0;
    }
  }
  const merged = [...head, ...as4];
  return aggregator === undefined ? { asPath: merged } : { asPath: merged, aggregator };
}
