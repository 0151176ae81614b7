// The lazy hold timer of the Established fast path: UPDATEs skip the FSM reducer, yet each still restarts the hold
// timer (RFC 4271 §8.2.2 event 27), and the timer still expires exactly HoldTime after the last message heard.
// Two sessions of ours over in-memory TCP with a fake clock; B's KEEPALIVEs are dropped on the way to A, so only
// its UPDATEs keep A's hold timer running.

import test from 'ava';
import { encode, endOfRibMessage } from '../../../src/bgp/codec/index.js';
import { FakeClock, MemNet, peerConfig, speaker, type MemSocket } from './helpers.js';

const A = '10.0.0.1';
const B = '10.0.0.2';

async function setup() {
  const net = new MemNet();
  const clock = new FakeClock();
  const a = speaker(net, clock, { address: A, asn: 65001, id: '1.1.1.1', peer: peerConfig({ address: B, asn: 65002, holdTime: 9 }) });
  const b = speaker(net, clock, { address: B, asn: 65002, id: '2.2.2.2', peer: peerConfig({ address: A, asn: 65001, passive: true, holdTime: 9 }) });
  b.session.start();
  a.session.start();
  await clock.advance(0);
  // B's KEEPALIVEs (type 4) are lost from here on; its UPDATEs get through.
  for (const s of net.open()) {
    if (s.localAddress !== B) continue;
    const write = s._write.bind(s);
    (s as MemSocket)._write = (chunk, enc, cb) => (chunk[18] === 4 ? cb() : write(chunk, enc, cb));
  }
  return { net, clock, a, b };
}

const eor = encode(endOfRibMessage(1, 1));
const updates = (events: readonly { kind: string }[]): number => events.filter((e) => e.kind === 'update').length;

test('UPDATEs alone restart the hold timer: the session outlives many hold times', async (t) => {
  const { clock, a, b } = await setup();
  t.is(a.session.state, 'Established');
  for (let i = 0; i < 15; i++) {
    t.true(b.session.send([eor]));
    await clock.advance(2_000);
  }
  t.is(a.session.state, 'Established', '30 s without a KEEPALIVE, an UPDATE every 2 s');
  t.is(updates(a.events), 15);
  t.is(a.session.status().messages.received.update, 15);
  t.false(a.events.some((e) => e.kind === 'down'));
});

test('the hold timer expires exactly HoldTime after the last UPDATE (not after the last FSM event)', async (t) => {
  const { clock, a, b } = await setup();
  for (let i = 0; i < 5; i++) {
    b.session.send([eor]);
    await clock.advance(1_500);
  }
  b.session.send([eor]);
  await clock.advance(0);
  const last = clock.now();
  await clock.advance(4_000);
  const remaining = a.session.status().timers.hold.remaining;
  t.is(remaining, 5, 'status shows the hold time left since the last UPDATE');
  await clock.advance(4_999);
  t.is(a.session.state, 'Established', `${clock.now() - last} ms after the last UPDATE`);
  await clock.advance(1);
  t.is(clock.now() - last, 9_000);
  t.not(a.session.state, 'Established');
  t.is(a.session.status().lastNotification.sent?.name, 'hold-timer-expired');
  t.deepEqual(a.events.find((e) => e.kind === 'down'), { kind: 'down', reason: 'hold-timer-expired', graceful: false });
  t.is(updates(a.events), 6);
});

test('UPDATEs on the fast path and events through the FSM keep their order', async (t) => {
  const { clock, a, b } = await setup();
  const before = a.session.status().messages.received;
  t.true(b.session.send([eor, encode(endOfRibMessage(2, 1)), eor]));
  t.true(b.session.refresh(1, 1));
  t.true(b.session.send([eor]));
  await clock.advance(0);
  const kinds = a.events.filter((e) => e.kind === 'update' || e.kind === 'refresh').map((e) => e.kind);
  t.deepEqual(kinds, ['update', 'update', 'update', 'refresh', 'update']);
  t.is(a.session.status().messages.received.update - before.update, 4);
  t.is(a.session.state, 'Established');
});
