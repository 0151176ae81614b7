// Transition reasons: the words an operator reads in `rackroute status` (Info / last error).
// One place builds them so the spellings stay stable (they are part of the JSON contract).

import {
  CeaseSubcode, ErrorCode, decodeShutdownMessage, notificationName, unwrapHardReset,
} from './codes.js';
import type { Notification, Reason } from './types.js';

export const Reasons = {
  manualStart: 'manual-start',
  manualStartPassive: 'manual-start-passive',
  automaticStart: 'automatic-start',
  automaticStartPassive: 'automatic-start-passive',
  /** The IdleHoldTimer expired after a drop: the agent starts the session again by itself. */
  automaticRestart: 'automatic-restart',
  manualStop: 'manual-stop',
  connectRetryTimerExpired: 'connect-retry-timer-expired',
  delayOpenTimerExpired: 'delay-open-timer-expired',
  holdTimerExpired: 'hold-timer-expired',
  tcpConnected: 'tcp-connected',
  tcpConnectionFailed: 'tcp-connection-failed',
  openReceived: 'open-received',
  keepaliveReceived: 'keepalive-received',
  collisionDump: 'collision-dump',
} as const;

function describe(n: Notification): string {
  let text = notificationName(n.code, n.subcode);
  const inner = unwrapHardReset(n);
  if (inner !== null) return `${text} (${describe(inner)})`;
  if (n.code === ErrorCode.Cease
    && (n.subcode === CeaseSubcode.AdministrativeShutdown || n.subcode === CeaseSubcode.AdministrativeReset)) {
    const message = decodeShutdownMessage(n.data);
    if (message !== null) text += ` ${JSON.stringify(message)}`;
  }
  return text;
}

/** `notification-sent open/bad-peer-as`, `notification-received cease/administrative-shutdown "maintenance"`. */
export function notificationReason(direction: 'sent' | 'received', n: Notification): Reason {
  return `notification-${direction} ${describe(n)}`;
}

/** `tcp-connection-failed (ECONNREFUSED)`. */
export function withDetail(reason: Reason, detail: string | undefined): Reason {
  return detail === undefined || detail === '' ? reason : `${reason} (${detail})`;
}

/** An event the state does not expect, and that needs no NOTIFICATION (no OPEN was sent yet). */
export function unexpectedEvent(kind: string): Reason {
  return `unexpected-event ${kind}`;
}

/** `automatic-stop cease/maximum-prefixes-reached`. */
export function automaticStopReason(n: Notification): Reason {
  return `automatic-stop ${describe(n)}`;
}
