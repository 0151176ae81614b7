// NOTIFICATION (RFC 4271 §4.5) and the shutdown communication of RFC 9003.
import type { ByteWriter } from '../bytes.js';
import { checkUint, copy } from '../bytes.js';
import { CeaseSubcode, ErrorCode } from '../constants.js';
import { BgpEncodeError } from '../errors.js';
import type { NotificationMessage } from './types.js';

export function decodeNotification(b: Uint8Array, s: number, e: number): NotificationMessage {
  return { type: 'NOTIFICATION', code: b[s], subcode: b[s + 1], data: copy(b, s + 2, e) };
}

export function encodeNotification(m: NotificationMessage, w: ByteWriter): void {
  w.u8(checkUint(m.code, 8, 'error code')).u8(checkUint(m.subcode, 8, 'error subcode')).bytes(m.data);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function carriesShutdown(m: NotificationMessage): boolean {
  return m.code === ErrorCode.CEASE
    && (m.subcode === CeaseSubcode.ADMINISTRATIVE_SHUTDOWN || m.subcode === CeaseSubcode.ADMINISTRATIVE_RESET);
}

/**
 * RFC 9003 §2: the operator's message in a Cease / Administrative Shutdown or Reset: one length octet then that
 * many octets of UTF-8. Undefined when absent, empty, or not valid (the RFC says to ignore such data then).
 */
export function shutdownMessage(m: NotificationMessage): string | undefined {
  if (!carriesShutdown(m) || m.data.length === 0) return undefined;
  const len = m.data[0];
  if (len === 0 || 1 + len > m.data.length) return undefined;
  try {
    return utf8.decode(m.data.subarray(1, 1 + len));
  } catch {
    return undefined;
  }
}

/** Builds a Cease with an RFC 9003 shutdown communication (at most 255 octets of UTF-8). */
export function shutdownNotification(text: string,
  subcode: number = CeaseSubcode.ADMINISTRATIVE_SHUTDOWN): NotificationMessage {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > 255) throw new BgpEncodeError('shutdown communication longer than 255 octets (RFC 9003 §2)');
  const data = new Uint8Array(1 + bytes.length);
  data[0] = bytes.length;
  data.set(bytes, 1);
  return { type: 'NOTIFICATION', code: ErrorCode.CEASE, subcode, data };
}
