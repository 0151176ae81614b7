// Per-session message counters (by type, each way) and the record of the last NOTIFICATION sent and received.

import { toHex } from '../codec/index.js';
import { CeaseSubcode, ErrorCode, decodeShutdownMessage, notificationName, unwrapHardReset } from '../fsm/index.js';
import type { Notification } from '../fsm/index.js';
import type { MessageCounts, NotificationRecord } from './types.js';

export function emptyCounts(): MessageCounts {
  return { open: 0, update: 0, notification: 0, keepalive: 0, routeRefresh: 0, total: 0 };
}

const FIELD_OF_TYPE: Readonly<Record<number, keyof MessageCounts>> = {
  1: 'open', 2: 'update', 3: 'notification', 4: 'keepalive', 5: 'routeRefresh',
};

/** Counts one message by its header type octet (unknown types count in the total only). */
export function countMessage(counts: MessageCounts, type: number, n = 1): void {
  const field = FIELD_OF_TYPE[type];
  if (field !== undefined) counts[field] += n;
  counts.total += n;
}

/** The RFC 9003 text of a Cease shutdown/reset, also inside a Hard Reset (RFC 8538). */
function shutdownText(n: Notification): string | null {
  const inner = unwrapHardReset(n) ?? n;
  if (inner.code !== ErrorCode.Cease) return null;
  if (inner.subcode !== CeaseSubcode.AdministrativeShutdown && inner.subcode !== CeaseSubcode.AdministrativeReset) {
    return null;
  }
  return decodeShutdownMessage(inner.data);
}

export function notificationRecord(n: Notification, at: number): NotificationRecord {
  return {
    code: n.code,
    subcode: n.subcode,
    name: notificationName(n.code, n.subcode),
    message: shutdownText(n),
    data: toHex(n.data),
    at,
  };
}
