// Connect-retry and idle-hold backoff: exponential, capped, jittered from a seeded PRNG.

import test from 'ava';
import { backoffDelay, keepaliveInterval, nextDeadline, nextRandom } from '../../../src/bgp/fsm/index.js';
import { Harness, config } from './helpers.js';

test('nextRandom: deterministic for a seed, in [0, 1), and not constant', (t) => {
  const seq = (seed: number, n: number): number[] => {
    const out: number[] = [];
    let s = seed;
    for (let i = 0; i < n; i++) {
      const [r, next] = nextRandom(s);
      out.push(r);
      s = next;
    }
    return out;
  };
  t.deepEqual(seq(42, 5), seq(42, 5));
  t.notDeepEqual(seq(42, 5), seq(43, 5));
  const many = seq(7, 1000);
  t.true(many.every((r) => r >= 0 && r < 1));
  t.true(new Set(many).size > 990);
  const mean = many.reduce((a, b) => a + b, 0) / many.length;
  t.true(mean > 0.45 && mean < 0.55, `mean ${mean}`);
});

test('backoffDelay: doubles from the base, stops at the cap, jitter takes off up to its fraction', (t) => {
  const b = { base: 5, cap: 120, jitter: 0 };
  t.deepEqual([1, 2, 3, 4, 5, 6, 7, 100].map((n) => backoffDelay(b, n, 0.5)), [5, 10, 20, 40, 80, 120, 120, 120]);
  const j = { base: 5, cap: 120, jitter: 0.25 };
  t.is(backoffDelay(j, 1, 0), 5);
  t.is(backoffDelay(j, 1, 0.999999), 5 * (1 - 0.25 * 0.999999));
  t.is(backoffDelay(j, 10, 0.5), 120 * 0.875);
  t.is(backoffDelay({ base: 0, cap: 120, jitter: 0.25 }, 5, 0.5), 0);
});

test('repeated refused connections: the idle hold and retry timer back off, with the seeded jitter', (t) => {
  const seed = 1234;
  const cfg = config({ jitter: 0.25, idleHoldTime: 1, connectRetryTime: 5, maxBackoffTime: 30 });
  const h = new Harness(cfg, { seed });

  // Reproduce the PRNG draws the FSM makes: one per ConnectRetryTimer arm, one per idle hold.
  let rng = seed;
  const draw = (): number => {
    const [r, next] = nextRandom(rng);
    rng = next;
    return r;
  };

  h.feed({ kind: 'manual-start' });
  t.is(h.state.timers.connectRetry, Math.round(5000 * (1 - 0.25 * draw())));

  const holds: number[] = [];
  for (let attempt = 1; attempt <= 7; attempt++) {
    const before = h.now;
    h.feed({ kind: 'tcp-connection-fails', detail: 'ECONNREFUSED' });
    t.is(h.name, 'Idle');
    t.is(h.state.connectRetryCounter, attempt);
    const idleHold = h.state.timers.idleHold;
    if (idleHold === null) return t.fail();
    const raw = Math.min(30, 2 ** (attempt - 1));
    t.is(idleHold - before, Math.round(raw * 1000 * (1 - 0.25 * draw())), `idle hold after failure ${attempt}`);
    t.true(idleHold - before <= raw * 1000 && idleHold - before >= raw * 750);
    holds.push(idleHold - before);

    // Nothing happens until the deadline; then the agent dials again by itself.
    const due = nextDeadline(h.state.timers);
    t.is(due, idleHold);
    t.deepEqual(h.advance(idleHold - h.now - 1), []);
    const restart = h.advance(1);
    t.deepEqual(restart.slice(0, 2), [
      { type: 'state-change', from: 'Idle', to: 'Connect', reason: 'automatic-restart' },
      { type: 'connect' },
    ]);
    const crt = h.state.timers.connectRetry;
    if (crt === null) return t.fail();
    const crtRaw = Math.min(30, 5 * 2 ** attempt);
    t.is(crt - h.now, Math.round(crtRaw * 1000 * (1 - 0.25 * draw())), `retry timer after failure ${attempt}`);
  }
  // 1, 2, 4, 8, 16, 30, 30 s before jitter.
  t.true(holds[5] !== undefined && holds[5] > 20_000 && holds[5] <= 30_000);
  t.true(holds[6] !== undefined && holds[6] <= 30_000);
});

test('two sessions with different seeds do not retry in lockstep', (t) => {
  const cfg = config({ jitter: 0.25 });
  const a = new Harness(cfg, { seed: 1 });
  const b = new Harness(cfg, { seed: 2 });
  for (const h of [a, b]) {
    h.feed({ kind: 'manual-start' });
    h.feed({ kind: 'tcp-connection-fails' });
  }
  t.not(a.state.timers.idleHold, b.state.timers.idleHold);
});

test('a ManualStop resets the backoff', (t) => {
  const h = new Harness(config());
  h.feed({ kind: 'manual-start' });
  h.feed({ kind: 'tcp-connection-fails' });
  h.advance(1000);
  h.feed({ kind: 'tcp-connection-fails' });
  t.is(h.state.connectRetryCounter, 2);
  h.feed({ kind: 'manual-stop' });
  t.is(h.state.connectRetryCounter, 0);
  h.feed({ kind: 'manual-start' });
  t.is(h.state.timers.connectRetry, h.now + 5000);
});

test('AutomaticStop with restartAfter overrides the backoff (max-prefix restart timer); never stays down', (t) => {
  const h = new Harness(config()).reach('Established');
  h.feed({ kind: 'automatic-stop', subcode: 'maximum-prefixes-reached', restartAfter: 300 });
  t.is(h.state.timers.idleHold, h.now + 300_000);
  const h2 = new Harness(config()).reach('Established');
  h2.feed({ kind: 'automatic-stop', restartAfter: 'never' });
  t.is(h2.state.timers.idleHold, null);
  t.deepEqual(h2.advance(3_600_000), []);
});

test('keepaliveInterval: a third of the hold time, an override only lowers it, 0 for hold 0', (t) => {
  t.is(keepaliveInterval(9, null), 3);
  t.is(keepaliveInterval(90, null), 30);
  t.is(keepaliveInterval(10, null), 3);
  t.is(keepaliveInterval(3, null), 1);
  t.is(keepaliveInterval(90, 10), 10);
  t.is(keepaliveInterval(9, 10), 3);
  t.is(keepaliveInterval(0, 10), 0);
});
