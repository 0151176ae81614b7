// NOTIFICATION error codes and subcodes the FSM sends or names (RFC 4271 §4.5, RFC 4486, RFC 6608,
// RFC 7313, RFC 8538, RFC 9003, RFC 9234, RFC 9687). Names are kebab-case, as operators see them.

import type { Notification, StopSubcode } from './types.js';

export const ErrorCode = {
  MessageHeader: 1,
  Open: 2,
  Update: 3,
  HoldTimerExpired: 4,
  Fsm: 5,
  Cease: 6,
  RouteRefresh: 7,
  SendHoldTimerExpired: 8,
} as const;

export const OpenSubcode = {
  UnsupportedVersionNumber: 1,
  BadPeerAs: 2,
  BadBgpIdentifier: 3,
  UnsupportedOptionalParameter: 4,
  UnacceptableHoldTime: 6,
  UnsupportedCapability: 7,
  RoleMismatch: 11,
} as const;

export const FsmSubcode = {
  Unspecified: 0,
  UnexpectedInOpenSent: 1,
  UnexpectedInOpenConfirm: 2,
  UnexpectedInEstablished: 3,
} as const;

export const CeaseSubcode = {
  MaximumPrefixesReached: 1,
  AdministrativeShutdown: 2,
  PeerDeconfigured: 3,
  AdministrativeReset: 4,
  ConnectionRejected: 5,
  OtherConfigurationChange: 6,
  ConnectionCollisionResolution: 7,
  OutOfResources: 8,
  HardReset: 9,
  BfdDown: 10,
} as const;

interface CodeRow {
  readonly name: string;
  readonly subcodes: Readonly<Record<number, string>>;
}

const CODES: Readonly<Record<number, CodeRow>> = {
  1: { name: 'message-header', subcodes: {
    1: 'connection-not-synchronized', 2: 'bad-message-length', 3: 'bad-message-type' } },
  2: { name: 'open', subcodes: {
    1: 'unsupported-version-number', 2: 'bad-peer-as', 3: 'bad-bgp-identifier',
    4: 'unsupported-optional-parameter', 6: 'unacceptable-hold-time', 7: 'unsupported-capability',
    11: 'role-mismatch' } },
  3: { name: 'update', subcodes: {
    1: 'malformed-attribute-list', 2: 'unrecognized-well-known-attribute',
    3: 'missing-well-known-attribute', 4: 'attribute-flags-error', 5: 'attribute-length-error',
    6: 'invalid-origin-attribute', 8: 'invalid-next-hop-attribute', 9: 'optional-attribute-error',
    10: 'invalid-network-field', 11: 'malformed-as-path' } },
  4: { name: 'hold-timer-expired', subcodes: {} },
  5: { name: 'fsm', subcodes: {
    0: 'unspecified', 1: 'unexpected-message-in-open-sent', 2: 'unexpected-message-in-open-confirm',
    3: 'unexpected-message-in-established' } },
  6: { name: 'cease', subcodes: {
    1: 'maximum-prefixes-reached', 2: 'administrative-shutdown', 3: 'peer-deconfigured',
    4: 'administrative-reset', 5: 'connection-rejected', 6: 'other-configuration-change',
    7: 'connection-collision-resolution', 8: 'out-of-resources', 9: 'hard-reset', 10: 'bfd-down' } },
  7: { name: 'route-refresh', subcodes: { 1: 'invalid-message-length' } },
  8: { name: 'send-hold-timer-expired', subcodes: {} },
};

/** `cease/administrative-shutdown`, `hold-timer-expired`, `open/unspecific`, `code-42/3`. */
export function notificationName(code: number, subcode: number): string {
  const row = CODES[code];
  if (row === undefined) return `code-${code}/${subcode}`;
  const sub = row.subcodes[subcode];
  if (sub !== undefined) return `${row.name}/${sub}`;
  if (subcode === 0) return Object.keys(row.subcodes).length === 0 ? row.name : `${row.name}/unspecific`;
  return `${row.name}/subcode-${subcode}`;
}

const STOP_SUBCODES: Readonly<Record<StopSubcode, number>> = {
  'maximum-prefixes-reached': CeaseSubcode.MaximumPrefixesReached,
  'administrative-shutdown': CeaseSubcode.AdministrativeShutdown,
  'peer-deconfigured': CeaseSubcode.PeerDeconfigured,
  'administrative-reset': CeaseSubcode.AdministrativeReset,
  'other-configuration-change': CeaseSubcode.OtherConfigurationChange,
  'out-of-resources': CeaseSubcode.OutOfResources,
};

export function stopSubcode(name: StopSubcode): number {
  return STOP_SUBCODES[name];
}

export function notification(code: number, subcode: number, data?: Uint8Array): Notification {
  return { code, subcode, data: data ?? new Uint8Array(0) };
}

/**
 * RFC 8538 §5: with the N bit negotiated, these Cease subcodes are sent as Hard Reset (the
 * administrative reset one by default, which the caller may turn off).
 */
export function wantsHardReset(ceaseSubcode: number): boolean {
  return ceaseSubcode >= CeaseSubcode.MaximumPrefixesReached && ceaseSubcode <= CeaseSubcode.AdministrativeReset;
}

/** Cease/Hard Reset carrying the original NOTIFICATION's code, subcode and data (RFC 8538 §3). */
export function hardReset(inner: Notification): Notification {
  const data = new Uint8Array(2 + inner.data.length);
  data[0] = inner.code;
  data[1] = inner.subcode;
  data.set(inner.data, 2);
  return notification(ErrorCode.Cease, CeaseSubcode.HardReset, data);
}

export function isHardReset(n: { readonly code: number; readonly subcode: number }): boolean {
  return n.code === ErrorCode.Cease && n.subcode === CeaseSubcode.HardReset;
}

/** The NOTIFICATION inside a Hard Reset, or null when its data is too short. */
export function unwrapHardReset(n: Notification): Notification | null {
  if (!isHardReset(n) || n.data.length < 2) return null;
  return notification(n.data[0] ?? 0, n.data[1] ?? 0, n.data.subarray(2));
}

const SHUTDOWN_MAX = 255;

/** RFC 9003 shutdown communication: one length octet and at most 255 octets of UTF-8, cut on a character. */
export function encodeShutdownMessage(message: string): Uint8Array {
  const encoder = new TextEncoder();
  let text = message;
  let bytes = encoder.encode(text);
  while (bytes.length > SHUTDOWN_MAX) {
    text = Array.from(text).slice(0, -1).join('');
    bytes = encoder.encode(text);
  }
  const out = new Uint8Array(1 + bytes.length);
  out[0] = bytes.length;
  out.set(bytes, 1);
  return out;
}

/** The shutdown communication in a Cease administrative shutdown/reset, or null if absent or malformed. */
export function decodeShutdownMessage(data: Uint8Array): string | null {
  const length = data[0];
  if (length === undefined || length === 0 || length > data.length - 1) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(1, 1 + length));
  } catch {
    return null;
  }
}
