// NOTIFICATION names, RFC 9003 shutdown communication, RFC 8538 Hard Reset, and reason strings.

import test from 'ava';
import {
  decodeShutdownMessage, encodeShutdownMessage, hardReset, isHardReset, notification, notificationName,
  notificationReason, unwrapHardReset,
} from '../../../src/bgp/fsm/index.js';

test('notificationName: code/subcode names as operators read them', (t) => {
  const table: [number, number, string][] = [
    [1, 1, 'message-header/connection-not-synchronized'],
    [1, 2, 'message-header/bad-message-length'],
    [2, 2, 'open/bad-peer-as'],
    [2, 6, 'open/unacceptable-hold-time'],
    [2, 0, 'open/unspecific'],
    [3, 11, 'update/malformed-as-path'],
    [4, 0, 'hold-timer-expired'],
    [5, 0, 'fsm/unspecified'],
    [5, 3, 'fsm/unexpected-message-in-established'],
    [6, 2, 'cease/administrative-shutdown'],
    [6, 9, 'cease/hard-reset'],
    [6, 77, 'cease/subcode-77'],
    [7, 1, 'route-refresh/invalid-message-length'],
    [8, 0, 'send-hold-timer-expired'],
    [42, 3, 'code-42/3'],
  ];
  for (const [code, subcode, name] of table) t.is(notificationName(code, subcode), name);
});

test('shutdown communication: round trip, UTF-8, cut at 255 octets on a character boundary', (t) => {
  t.deepEqual(encodeShutdownMessage('hi'), Uint8Array.of(2, 0x68, 0x69));
  t.is(decodeShutdownMessage(encodeShutdownMessage('maintenance: rack r1 ✓')), 'maintenance: rack r1 ✓');
  const long = encodeShutdownMessage('é'.repeat(200)); // 400 octets of UTF-8
  t.is(long[0], 254);
  t.is(decodeShutdownMessage(long), 'é'.repeat(127));
  t.is(decodeShutdownMessage(new Uint8Array(0)), null);
  t.is(decodeShutdownMessage(Uint8Array.of(5, 0x61)), null, 'length beyond the data');
  t.is(decodeShutdownMessage(Uint8Array.of(1, 0xff)), null, 'not UTF-8');
});

test('Hard Reset wraps and unwraps the original NOTIFICATION', (t) => {
  const inner = notification(6, 2, Uint8Array.of(3, 0x61, 0x62, 0x63));
  const outer = hardReset(inner);
  t.true(isHardReset(outer));
  t.deepEqual(outer.data, Uint8Array.of(6, 2, 3, 0x61, 0x62, 0x63));
  t.deepEqual(unwrapHardReset(outer), inner);
  t.is(unwrapHardReset(inner), null);
  t.is(unwrapHardReset(notification(6, 9, Uint8Array.of(6))), null);
});

test('notificationReason: direction, name, and the shutdown text', (t) => {
  t.is(notificationReason('sent', notification(2, 2)), 'notification-sent open/bad-peer-as');
  t.is(notificationReason('received', notification(6, 2, encodeShutdownMessage('drain'))),
    'notification-received cease/administrative-shutdown "drain"');
  t.is(notificationReason('received', notification(6, 2)), 'notification-received cease/administrative-shutdown');
  t.is(notificationReason('received', hardReset(notification(6, 1))),
    'notification-received cease/hard-reset (cease/maximum-prefixes-reached)');
});
