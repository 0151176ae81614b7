// The FIB reconciler for real, in a network namespace: it converges, repairs drift (a route of ours deleted or
// changed by hand), removes what is ours and no longer desired, and never touches a foreign route.
import test from 'ava';
import type { FibCounters, FibView, PassReport } from '../../src/dataplane/netlink/index.js';
import { eventually, lab } from './fib-helpers/ns.js';

const GW1 = '192.0.2.1';
const GW2 = '192.0.2.2';

const desired = [
  { dst: '10.10.0.0/24', nexthops: [{ gateway: GW1, dev: 'd0' }] },
  { dst: '10.11.0.0/24', nexthops: [{ gateway: GW1, dev: 'd0' }, { gateway: GW2, dev: 'd0' }], mtu: 1450 },
  { dst: '10.244.1.0/24', type: 'blackhole' },
  { dst: 'fd00:10::/64', nexthops: [{ gateway: '2001:db8::1', dev: 'd0' }] },
];

test('converges, is idempotent, repairs a route deleted and one changed by hand, removes what is withdrawn', async (t) => {
  const l = await lab(t);
  t.deepEqual(await l.call('setDesired', { routes: desired }), []);
  const first = await l.call<PassReport>('reconcile');
  t.like(first, { desired: 4, installed: 4, added: 4, replaced: 0, deleted: 0, driftRepaired: 0 });
  t.deepEqual(first.failures, []);
  t.deepEqual(l.routes(4, 'proto', '199').map((r) => r.dst).sort(), ['10.10.0.0/24', '10.11.0.0/24', '10.244.1.0/24']);
  t.is(l.routes(6, 'proto', '199').length, 1);

  // nothing to do the second time
  t.like(await l.call<PassReport>('reconcile'), { installed: 4, added: 0, replaced: 0, deleted: 0 });

  // drift by hand: one deleted, one changed (same slot, other gateway, still proto rackroute), one ECMP route
  // losing its MTU
  l.ip('route', 'del', '10.10.0.0/24');
  l.ip('route', 'replace', '10.244.1.0/24', 'via', GW2, 'proto', 'rackroute');
  l.ip('route', 'replace', '10.11.0.0/24', 'proto', 'rackroute', 'nexthop', 'via', GW1, 'dev', 'd0', 'nexthop', 'via', GW2, 'dev', 'd0');
  const view = await l.call<FibView>('view', { onlyDrift: true });
  t.like(view.summary, { ok: 1, missing: 1, changed: 2, extra: 0, conflict: 0 });
  t.deepEqual(view.rows.map((r) => [r.key, r.state, r.drift]), [
    ['254 10.10.0.0/24 0', 'missing', true],
    ['254 10.11.0.0/24 0', 'changed', true],
    ['254 10.244.1.0/24 0', 'changed', true],
  ]);
  const repair = await l.call<PassReport>('reconcile');
  t.like(repair, { added: 1, replaced: 2, driftRepaired: 3, installed: 4 });
  const r4 = l.routes(4, 'proto', '199');
  t.like(r4.find((r) => r.dst === '10.10.0.0/24'), { gateway: GW1 });
  t.like(r4.find((r) => r.dst === '10.244.1.0/24'), { type: 'blackhole' });
  t.deepEqual(r4.find((r) => r.dst === '10.11.0.0/24')?.metrics, [{ mtu: 1450 }]);

  // a route of ours added by hand, not desired, goes; a withdrawn one goes
  l.ip('route', 'add', '10.77.0.0/24', 'via', GW1, 'proto', 'rackroute');
  t.true(await l.call('remove', { route: { dst: 'fd00:10::/64' } }));
  const clean = await l.call<PassReport>('reconcile');
  t.like(clean, { deleted: 2, desired: 3, installed: 3 });
  t.false(l.routes(4, 'proto', '199').some((r) => r.dst === '10.77.0.0/24'));
  t.is(l.routes(6, 'proto', '199').length, 0);

  const c = await l.call<FibCounters>('counters');
  t.like(c, { routesDesired: 3, routesInstalled: 3, driftRepaired: 3, added: 5, replaced: 2, deleted: 2, errors: 0, passes: 4 });
});

test('foreign routes are never touched; a foreign route on a desired slot is a conflict, ours goes in when it leaves', async (t) => {
  const l = await lab(t);
  // foreign: one on a slot we want (same prefix, metric 0), one elsewhere, one on the same prefix with another metric
  l.ip('route', 'add', '10.20.0.0/24', 'via', GW2, 'proto', 'static');
  l.ip('route', 'add', '10.21.0.0/24', 'via', GW2, 'proto', 'static');
  l.ip('route', 'add', '10.22.0.0/24', 'via', GW2, 'proto', 'static', 'metric', '50');
  await l.call('setDesired', { routes: [
    { dst: '10.20.0.0/24', nexthops: [{ gateway: GW1 }] },
    { dst: '10.22.0.0/24', nexthops: [{ gateway: GW1 }] },
  ] });
  const p = await l.call<PassReport>('reconcile');
  t.deepEqual(p.conflicts, [{ key: '254 10.20.0.0/24 0', foreignProtocol: 4 }]);
  t.like(p, { added: 1, installed: 1 });
  const all = l.routes(4);
  t.like(all.find((r) => r.dst === '10.20.0.0/24'), { gateway: GW2, protocol: 'static' });
  t.like(all.find((r) => r.dst === '10.21.0.0/24'), { gateway: GW2, protocol: 'static' });
  t.like(all.find((r) => r.dst === '10.22.0.0/24' && r.protocol === 'static'), { gateway: GW2, metric: 50 });
  t.like(all.find((r) => r.dst === '10.22.0.0/24' && r.protocol === 'rackroute'), { gateway: GW1 });
  const view = await l.call<FibView>('view', { onlyDrift: true });
  t.deepEqual(view.rows.map((r) => [r.key, r.state, r.kernel?.protocol]), [['254 10.20.0.0/24 0', 'conflict', 4]]);
  t.is((await l.call<FibCounters>('counters')).conflicts, 1);

  // the foreign routes survive withdrawing everything of ours
  await l.call('setDesired', { routes: [] });
  t.like(await l.call<PassReport>('reconcile'), { deleted: 1 });
  t.is(l.routes(4, 'proto', 'static').length, 3);
  t.is(l.routes(4, 'proto', '199').length, 0);

  // when the foreign route leaves, ours is installed
  await l.call('setDesired', { routes: [{ dst: '10.20.0.0/24', nexthops: [{ gateway: GW1 }] }] });
  l.ip('route', 'del', '10.20.0.0/24', 'proto', 'static');
  t.like(await l.call<PassReport>('reconcile'), { added: 1, conflicts: [] });
  t.like(l.routes(4, 'proto', '199')[0], { dst: '10.20.0.0/24', gateway: GW1 });
});

test('the periodic pass repairs a route deleted by hand within the interval', async (t) => {
  const l = await lab(t);
  await l.call('start', { intervalMs: 500, routes: desired });
  t.true(await eventually(() => l.routes(4, 'proto', '199').length === 3));
  l.ip('route', 'del', '10.10.0.0/24', 'proto', 'rackroute');
  t.true(await eventually(() => l.routes(4, 'proto', '199').some((r) => r.dst === '10.10.0.0/24'), 3000));
  await l.call('stop');
  t.true((await l.call<FibCounters>('counters')).driftRepaired >= 1);
});

test('with route notifications, drift is repaired without waiting for the timer', async (t) => {
  const l = await lab(t);
  await l.call('start', { intervalMs: 600_000, watch: true, routes: desired });
  t.true(await eventually(() => l.routes(4, 'proto', '199').length === 3));
  const t0 = Date.now();
  l.ip('route', 'del', '10.11.0.0/24', 'proto', 'rackroute');
  t.true(await eventually(() => l.routes(4, 'proto', '199').some((r) => r.dst === '10.11.0.0/24'), 3000));
  t.log(`repaired in ${Date.now() - t0} ms`);
  await l.call('stop');
});

test('a desired route the kernel refuses is reported, counted and retried; the others are installed', async (t) => {
  const l = await lab(t);
  await l.call('setDesired', { routes: [...desired, { dst: '10.30.0.0/24', nexthops: [{ gateway: '198.51.100.1' }] }] });
  const p = await l.call<PassReport>('reconcile');
  t.like(p, { added: 4, installed: 4 });
  t.deepEqual(p.failures.map((f) => [f.key, f.code]), [['254 10.30.0.0/24 0', 'ENETUNREACH']]);
  // the gateway becomes reachable: the next pass installs it
  l.ip('addr', 'add', '198.51.100.254/24', 'dev', 'd0');
  t.like(await l.call<PassReport>('reconcile'), { added: 1, installed: 5, failures: [] });
  t.like(await l.call<FibCounters>('counters'), { errors: 1, routesInstalled: 5 });
});

test('a 10,000-route desired set converges and a second pass changes nothing', async (t) => {
  const l = await lab(t);
  await l.call('setDesiredBulk', { n: 10_000, gateway: GW1 });
  t.like(await l.call<PassReport>('reconcile'), { added: 10_000, installed: 10_000 });
  t.is(l.routes(4, 'proto', '199').length, 10_000);
  const again = await l.call<PassReport>('reconcile');
  t.like(again, { added: 0, replaced: 0, deleted: 0, installed: 10_000 });
});
