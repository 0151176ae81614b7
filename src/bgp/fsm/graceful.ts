// Whether a session that goes down keeps the peer's routes as stale (RFC 4724 helper mode,
// RFC 8538 for NOTIFICATIONs).

import { isHardReset } from './codes.js';
import type { GracefulRestartNegotiated, Notification, StaleInfo } from './types.js';

export type DownCause =
  | { readonly kind: 'hold-timer-expired' }
  | { readonly kind: 'tcp-connection-failed' }
  /** We closed without a NOTIFICATION (our own restart). */
  | { readonly kind: 'silent-close' }
  | { readonly kind: 'notification'; readonly direction: 'sent' | 'received'; readonly notification: Notification };

/**
 * Hold-timer expiry, a TCP failure and a silent close are graceful whenever GR was negotiated for
 * at least one family. A NOTIFICATION (sent or received) is graceful only when the N bit was
 * negotiated and it is not a Hard Reset.
 */
export function isGracefulDown(gr: GracefulRestartNegotiated | null, cause: DownCause): boolean {
  if (gr === null || gr.families.length === 0) return false;
  switch (cause.kind) {
    case 'hold-timer-expired':
    case 'tcp-connection-failed':
    case 'silent-close':
      return true;
    case 'notification':
      return gr.notification && !isHardReset(cause.notification);
  }
}

export function staleInfo(gr: GracefulRestartNegotiated): StaleInfo {
  return { restartTime: gr.peerRestartTime, families: gr.families };
}
