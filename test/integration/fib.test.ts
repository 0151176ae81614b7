// The FIB port for real: each test runs the netlink FIB layer in its own network namespace and checks with
// `ip -j route` what the kernel holds.
import test from 'ava';
import type { ApplyResult, FibOp, Route } from '../../src/dataplane/netlink/index.js';
import { lab } from './fib-helpers/ns.js';

const GW1 = '192.0.2.1';
const GW2 = '192.0.2.2';

test('add, replace, delete; tagged proto rackroute (199) in table main', async (t) => {
  const l = await lab(t);
  const add = await l.call<ApplyResult>('apply', { changes: [{ op: 'add', route: { dst: '10.1.0.0/24', nexthops: [{ gateway: GW1, dev: 'd0' }] } }] });
  t.is(add.ok, 1);
  t.deepEqual(add.failures, []);
  // unfiltered, so that `ip` prints the protocol by the name rt_protos.d gives it
  t.like(l.routes(4).find((x) => x.dst === '10.1.0.0/24'), { gateway: GW1, dev: 'd0', protocol: 'rackroute' });
  let r = l.routes(4, 'proto', '199');
  t.is(r.length, 1);

  // replace changes the next hop in place
  const rep = await l.call<ApplyResult>('apply', { changes: [{ op: 'replace', route: { dst: '10.1.0.0/24', nexthops: [{ gateway: GW2 }] } }] });
  t.is(rep.ok, 1);
  r = l.routes(4, 'proto', '199');
  t.is(r.length, 1);
  t.is(r[0].gateway, GW2);

  // add on a taken slot fails (EEXIST) and leaves the route as it was
  const again = await l.call<ApplyResult>('apply', { changes: [{ op: 'add', route: { dst: '10.1.0.0/24', nexthops: [{ gateway: GW1 }] } }] });
  t.is(again.failures[0]?.code, 'EEXIST');
  t.is(l.routes(4, 'proto', '199')[0].gateway, GW2);

  const del = await l.call<ApplyResult>('apply', { changes: [{ op: 'delete', route: { dst: '10.1.0.0/24', type: 'blackhole' } }] });
  t.is(del.ok, 1);
  t.deepEqual(l.routes(4, 'proto', '199'), []);
  // deleting what is gone is not an error
  const del2 = await l.call<ApplyResult>('apply', { changes: [{ op: 'delete', route: { dst: '10.1.0.0/24', type: 'blackhole' } }] });
  t.is(del2.ok, 1);
});

test('blackhole and unreachable routes, with a metric, and a route in another table', async (t) => {
  const l = await lab(t);
  const res = await l.call<ApplyResult>('apply', {
    changes: [
      { op: 'add', route: { dst: '10.244.1.0/24', type: 'blackhole' } },
      { op: 'add', route: { dst: '10.244.2.0/24', type: 'unreachable', metric: 300 } },
      { op: 'add', route: { dst: 'fd00:244:1::/64', type: 'blackhole' } },
      { op: 'add', route: { dst: '10.9.0.0/16', table: 100, nexthops: [{ gateway: GW1 }] } },
    ],
  });
  t.is(res.ok, 4);
  const r = l.routes(4, 'proto', '199');
  t.like(r.find((x) => x.dst === '10.244.1.0/24'), { type: 'blackhole' });
  t.like(r.find((x) => x.dst === '10.244.2.0/24'), { type: 'unreachable', metric: 300 });
  t.like(l.routes(6, 'proto', '199').find((x) => x.dst === 'fd00:244:1::/64'), { type: 'blackhole' });
  t.like(l.routes(4, 'table', '100', 'proto', '199')[0], { dst: '10.9.0.0/16', gateway: GW1 });
});

test('ECMP with 2 weighted next hops, MTU and advmss', async (t) => {
  const l = await lab(t);
  const route = { dst: '10.2.0.0/24', mtu: 1450, advmss: 1400, nexthops: [{ gateway: GW1, dev: 'd0' }, { gateway: GW2, dev: 'd0', weight: 3 }] };
  t.is((await l.call<ApplyResult>('apply', { changes: [{ op: 'add', route }] })).ok, 1);
  const [r] = l.routes(4, 'proto', '199');
  t.is(r.dst, '10.2.0.0/24');
  t.deepEqual(
    r.nexthops?.map((h) => [h.gateway, h.dev, h.weight]),
    [[GW1, 'd0', 1], [GW2, 'd0', 3]],
  );
  t.deepEqual(r.metrics, [{ mtu: 1450, advmss: 1400 }]);
  // from ECMP back to one next hop with replace
  t.is((await l.call<ApplyResult>('apply', { changes: [{ op: 'replace', route: { dst: '10.2.0.0/24', nexthops: [{ gateway: GW2 }] } }] })).ok, 1);
  const [r2] = l.routes(4, 'proto', '199');
  t.is(r2.gateway, GW2);
  t.is(r2.nexthops, undefined);
  t.is(r2.metrics, undefined);
});

test('IPv6: a route, ECMP, the default metric 1024; an IPv4 route via an IPv6 next hop (RTA_VIA)', async (t) => {
  const l = await lab(t);
  const res = await l.call<ApplyResult>('apply', {
    changes: [
      { op: 'add', route: { dst: 'fd00:1::/64', nexthops: [{ gateway: '2001:db8::1', dev: 'd0' }] } },
      { op: 'add', route: { dst: 'fd00:2::/48', mtu: 1400, nexthops: [{ gateway: '2001:db8::1', dev: 'd0' }, { gateway: '2001:db8::2', dev: 'd0' }] } },
      { op: 'add', route: { dst: '10.6.0.0/24', nexthops: [{ gateway: '2001:db8::1', dev: 'd0' }] } },
    ],
  });
  t.deepEqual(res.failures, []);
  const r6 = l.routes(6, 'proto', '199');
  t.like(r6.find((x) => x.dst === 'fd00:1::/64'), { gateway: '2001:db8::1', dev: 'd0', metric: 1024 });
  const ecmp = r6.find((x) => x.dst === 'fd00:2::/48');
  t.deepEqual(ecmp?.nexthops?.map((h) => h.gateway), ['2001:db8::1', '2001:db8::2']);
  t.deepEqual(ecmp?.metrics, [{ mtu: 1400 }]);
  t.like(l.routes(4, 'proto', '199').find((x) => x.dst === '10.6.0.0/24'), { via: { family: 'inet6', host: '2001:db8::1' } });
});

test('10,000 routes in batches: all installed, then all removed', async (t) => {
  const l = await lab(t);
  const add = await l.call<ApplyResult & { failed: number }>('bulk', { n: 10_000, gateway: GW1, change: 'add' });
  t.is(add.ok, 10_000);
  t.is(add.failed, 0);
  t.true(add.batches >= 10, `${add.batches} batches`);
  t.is(l.routes(4, 'proto', '199').length, 10_000);
  const del = await l.call<ApplyResult & { failed: number }>('bulk', { n: 10_000, gateway: GW1, change: 'delete' });
  t.is(del.ok, 10_000);
  t.is(l.routes(4, 'proto', '199').length, 0);
});

test('one bad route in a batch fails alone: the others are installed', async (t) => {
  const l = await lab(t);
  const changes: { op: FibOp; route: Route }[] = [];
  for (let i = 0; i < 50; i++) changes.push({ op: 'add', route: { dst: `10.50.${i}.0/24`, nexthops: [{ gateway: GW1 }] } });
  // unreachable gateway (no route to 198.51.100.1), and a gateway on a device it is not on
  changes.splice(10, 0, { op: 'add', route: { dst: '10.99.0.0/24', nexthops: [{ gateway: '198.51.100.1' }] } });
  changes.splice(30, 0, { op: 'add', route: { dst: '10.99.1.0/24', nexthops: [{ gateway: '198.51.100.2', dev: 'lo' }] } });
  const res = await l.call<ApplyResult>('apply', { changes });
  t.is(res.ok, 50);
  t.deepEqual(res.failures.map((f) => [f.index, f.key, f.code]), [
    [10, '254 10.99.0.0/24 0', 'ENETUNREACH'],
    [30, '254 10.99.1.0/24 0', res.failures[1]?.code],
  ]);
  t.truthy(res.failures[1]?.errno);
  const dsts = new Set(l.routes(4, 'proto', '199').map((r) => r.dst));
  t.is(dsts.size, 50);
  t.false(dsts.has('10.99.0.0/24'));
});

test('an invalid route is refused before it reaches the kernel', async (t) => {
  const l = await lab(t);
  await t.throwsAsync(l.call('prepare', { route: { dst: '10.0.0.0/33', nexthops: [{ gateway: GW1 }] } }), { message: /not a prefix/ });
  await t.throwsAsync(l.call('prepare', { route: { dst: '10.0.0.0/24', nexthops: [{ gateway: GW1, dev: 'nope0' }] } }), { message: /no such device nope0/ });
  await t.throwsAsync(l.call('prepare', { route: { dst: '10.0.0.0/24', type: 'blackhole', nexthops: [{ gateway: GW1 }] } }), { message: /takes no next hops/ });
  t.is(await l.call('prepare', { route: { dst: '10.1.2.3/16', nexthops: [{ gateway: GW1, dev: 'd0' }] } }), '254 10.1.0.0/16 0');
});
