import test from 'ava';
import { P, attrs, newRib, upPeer } from './helpers.js';

const GR = { gracefulRestart: { restartTimeSec: 120, preserved: ['ipv4', 'ipv6'] as const } };

function setup() {
  const env = newRib();
  const tor = upPeer(env.rib, '10.0.1.1', 65001, '1.1.1.1', {}, { gracefulRestart: { restartTimeSec: 120 } });
  env.rib.receive(tor, 'ipv4', attrs([65001]), [P('10.1.0.0/24'), P('10.2.0.0/24'), P('10.3.0.0/24')]);
  env.rib.receive(tor, 'ipv6', attrs([65001], { nextHop: 'fd00::1' }), [P('fd00:1::/64')]);
  env.rib.flush();
  return { ...env, tor };
}

test('graceful down keeps routes stale in the Loc-RIB; re-learned ones are fresh; End-of-RIB sweeps the rest', (t) => {
  const { rib, tor } = setup();
  rib.peerDown(tor, { graceful: true });
  t.is(rib.flush().length, 0, 'no change for the planner: forwarding continues');
  t.is(rib.peerStats(tor).stale, 4);
  t.true(rib.lookup('ipv4', P('10.1.0.0/24'))!.best!.stale);

  rib.peerUp(tor, { routerId: '1.1.1.1', localAddress: { ipv4: '10.0.1.10' }, ...GR });
  rib.receive(tor, 'ipv4', attrs([65001]), [P('10.1.0.0/24')]);
  rib.receive(tor, 'ipv4', attrs([65001, 7]), [P('10.2.0.0/24')]);
  const changed = rib.flush();
  t.deepEqual(changed.length, 2, 're-learn clears stale (reported), a changed path replaces');
  t.false(rib.lookup('ipv4', P('10.1.0.0/24'))!.best!.stale);
  t.is(rib.peerStats(tor).stale, 2);

  t.is(rib.endOfRib(tor, 'ipv4'), 1);
  const swept = rib.flush();
  t.is(swept.length, 1);
  t.is(swept[0]!.best, null);
  t.is(rib.lookup('ipv4', P('10.3.0.0/24')), undefined);
  t.is(rib.peerStats(tor).stale, 1, 'IPv6 still waits for its own End-of-RIB');
  t.is(rib.endOfRib(tor, 'ipv6'), 1);
  t.is(rib.peerStats(tor).stale, 0);
  t.is(rib.nextDeadline(), undefined);
});

test('restart timer expiry sweeps every stale route (manual clock)', (t) => {
  const { rib, clock, tor } = setup();
  rib.peerDown(tor, { graceful: true });
  t.is(rib.nextDeadline(), 1000 + 120_000);
  clock.advance(119_999);
  t.deepEqual(rib.tick(), []);
  t.is(rib.size('ipv4'), 3);
  clock.advance(1);
  t.deepEqual(rib.tick(), [tor]);
  const ch = rib.flush();
  t.is(ch.length, 4);
  t.true(ch.every((c) => c.best === null));
  t.is(rib.peerStats(tor).accepted, 0);
});

test('families the restarted peer did not preserve are flushed at once', (t) => {
  const { rib, tor } = setup();
  rib.peerDown(tor, { graceful: true });
  rib.peerUp(tor, { routerId: '1.1.1.1', localAddress: { ipv4: '10.0.1.10' }, gracefulRestart: { restartTimeSec: 120, preserved: ['ipv4'] } });
  t.is(rib.size('ipv6'), 0);
  t.is(rib.size('ipv4'), 3);
  t.is(rib.peerStats(tor).stale, 3);
});

test('stale routes that never see End-of-RIB go when the stale-path timer runs out', (t) => {
  const { rib, clock, tor } = setup();
  rib.peerDown(tor, { graceful: true });
  clock.advance(10_000);
  rib.peerUp(tor, { routerId: '1.1.1.1', localAddress: { ipv4: '10.0.1.10' }, ...GR });
  t.is(rib.nextDeadline(), 11_000 + 360_000);
  clock.advance(360_000);
  t.deepEqual(rib.tick(), [tor]);
  t.is(rib.peerStats(tor).accepted, 0);
});

test('no graceful restart capability, or helper disabled, or a non-graceful drop: routes go at once', (t) => {
  const { rib } = newRib();
  const noCap = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1');
  const noHelper = upPeer(rib, '10.0.1.2', 65002, '2.2.2.2', { gracefulRestartHelper: false }, { gracefulRestart: { restartTimeSec: 60 } });
  rib.receive(noCap, 'ipv4', attrs([65001]), [P('10.1.0.0/24')]);
  rib.receive(noHelper, 'ipv4', attrs([65002]), [P('10.2.0.0/24')]);
  rib.flush();
  rib.peerDown(noCap, { graceful: true });
  rib.peerDown(noHelper, { graceful: true });
  t.is(rib.flush().length, 2);
  t.is(rib.size('ipv4'), 0);
  const { rib: rib2, tor } = setup();
  rib2.peerDown(tor, { graceful: false });
  t.is(rib2.size('ipv4'), 0);
});
