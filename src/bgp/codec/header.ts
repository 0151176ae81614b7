// The 19-octet message header (RFC 4271 §4.1) and its checks (§6.1), shared by decode and the framer.
import { HEADER_LENGTH, HeaderSubcode, ErrorCode, MAX_EXTENDED_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH, MARKER_LENGTH,
  MessageType } from './constants.js';
import { fail } from './errors.js';

function lengthFail(length: number, why: string): never {
  // RFC 4271 §6.1: the data field holds the erroneous Length field.
  return fail(`bad message length ${length}: ${why}`, ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH,
    Uint8Array.of(length >> 8, length & 0xff));
}

/** Checks marker and the length's range; returns the length. b must hold at least 19 octets from s. */
export function checkHeader(b: Uint8Array, s: number, extendedMessage: boolean): number {
  for (let i = 0; i < MARKER_LENGTH; i++) {
    if (b[s + i] !== 0xff) {
      fail('marker is not all ones', ErrorCode.MESSAGE_HEADER, HeaderSubcode.CONNECTION_NOT_SYNCHRONIZED);
    }
  }
  const length = (b[s + 16] << 8) | b[s + 17];
  if (length < HEADER_LENGTH) lengthFail(length, 'shorter than the header');
  const max = extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
  if (length > max) lengthFail(length, `longer than ${max}`);
  return length;
}

/** RFC 4271 §6.1 minimum/exact lengths per type; RFC 8654 §4 keeps OPEN and KEEPALIVE within 4096. */
export function checkTypeLength(type: number, length: number): void {
  switch (type) {
    case MessageType.OPEN:
      if (length < 29) lengthFail(length, 'OPEN shorter than 29');
      if (length > MAX_MESSAGE_LENGTH) lengthFail(length, 'OPEN longer than 4096');
      return;
    case MessageType.UPDATE:
      if (length < 23) lengthFail(length, 'UPDATE shorter than 23');
      return;
    case MessageType.NOTIFICATION:
      if (length < 21) lengthFail(length, 'NOTIFICATION shorter than 21');
      return;
    case MessageType.KEEPALIVE:
      if (length !== 19) lengthFail(length, 'KEEPALIVE is exactly 19');
      return;
    case MessageType.ROUTE_REFRESH:
      if (length < 23) lengthFail(length, 'ROUTE-REFRESH shorter than 23');
      return;
    default:
      fail(`bad message type ${type}`, ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_TYPE, Uint8Array.of(type));
  }
}
