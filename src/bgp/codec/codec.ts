// decode(bytes, ctx) and encode(msg, ctx): one whole message each way. Lengths are computed here, never stored.
import { ByteWriter, copy } from './bytes.js';
import { ErrorCode, HEADER_LENGTH, HeaderSubcode, MAX_EXTENDED_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH, MessageType }
  from './constants.js';
import { DEFAULT_CONTEXT, type CodecContext } from './context.js';
import { BgpEncodeError, fail } from './errors.js';
import { checkHeader, checkTypeLength } from './header.js';
import { decodeNotification, encodeNotification } from './messages/notification.js';
import { decodeOpen, encodeOpen } from './messages/open.js';
import { decodeRouteRefresh, encodeRouteRefresh } from './messages/route-refresh.js';
import type { BgpMessage } from './messages/types.js';
import { decodeUpdate, encodeUpdate } from './messages/update.js';

/**
 * Decodes exactly one message (header included). Throws BgpCodecError, and nothing else, when the bytes are
 * malformed; an UPDATE with an attribute-discard or treat-as-withdraw error is returned with `error` set.
 */
export function decode(b: Uint8Array, ctx: CodecContext = DEFAULT_CONTEXT): BgpMessage {
  if (b.length < HEADER_LENGTH) {
    fail(`message of ${b.length} octets is shorter than the header`, ErrorCode.MESSAGE_HEADER,
      HeaderSubcode.BAD_MESSAGE_LENGTH, Uint8Array.of(b.length >> 8, b.length & 0xff));
  }
  const length = checkHeader(b, 0, ctx.extendedMessage);
  if (length !== b.length) {
    fail(`length field ${length} disagrees with the ${b.length} octets given`, ErrorCode.MESSAGE_HEADER,
      HeaderSubcode.BAD_MESSAGE_LENGTH, Uint8Array.of(length >> 8, length & 0xff));
  }
  const type = b[18];
  checkTypeLength(type, length);
  const s = HEADER_LENGTH;
  switch (type) {
    case MessageType.OPEN:
      return decodeOpen(b, s, length);
    case MessageType.UPDATE:
      return decodeUpdate(b, s, length, ctx);
    case MessageType.NOTIFICATION:
      return decodeNotification(b, s, length);
    case MessageType.KEEPALIVE:
      return { type: 'KEEPALIVE' };
    default: {
      const m = decodeRouteRefresh(b, s);
      if (length !== 23) {
        // RFC 7313 §5 for the BoRR/EoRR subtypes; RFC 2918 §3 fixes the plain request at 4 octets too.
        if (m.subtype === 1 || m.subtype === 2) {
          fail(`ROUTE-REFRESH length ${length}`, ErrorCode.ROUTE_REFRESH, 1, copy(b, 0, length));
        }
        fail(`ROUTE-REFRESH length ${length}`, ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH,
          Uint8Array.of(length >> 8, length & 0xff));
      }
      return m;
    }
  }
}

const TYPE_CODES = { 'OPEN': 1, 'UPDATE': 2, 'NOTIFICATION': 3, 'KEEPALIVE': 4, 'ROUTE-REFRESH': 5 } as const;

/** Encodes one message with its header; throws BgpEncodeError when it cannot be represented. */
export function encode(m: BgpMessage, ctx: CodecContext = DEFAULT_CONTEXT): Uint8Array {
  const w = new ByteWriter(m.type === 'UPDATE' ? 512 : 64);
  for (let i = 0; i < 16; i++) w.u8(0xff);
  w.u16(0).u8(TYPE_CODES[m.type]);
  switch (m.type) {
    case 'OPEN':
      encodeOpen(m, w);
      break;
    case 'UPDATE':
      encodeUpdate(m, w, ctx);
      break;
    case 'NOTIFICATION':
      encodeNotification(m, w);
      break;
    case 'KEEPALIVE':
      break;
    case 'ROUTE-REFRESH':
      encodeRouteRefresh(m, w);
      break;
  }
  const max = ctx.extendedMessage && m.type !== 'OPEN' && m.type !== 'KEEPALIVE'
    ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
  if (w.length > max) throw new BgpEncodeError(`${m.type} of ${w.length} octets exceeds ${max}`);
  w.setU16(16, w.length);
  return w.finish();
}
