import test from 'ava';
import { P, attrs, newRib, upPeer } from './helpers.js';

const pfx = P('10.244.2.0/24');

test('ECMP from two ToRs in one AS: both next hops installed together', (t) => {
  const { rib } = newRib({ maxPaths: 8 });
  const t1 = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1');
  const t2 = upPeer(rib, '10.0.1.2', 65001, '2.2.2.2');
  rib.receive(t1, 'ipv4', attrs([65001, 65100], { nextHop: '10.0.1.1' }), [pfx]);
  rib.flush();
  rib.receive(t2, 'ipv4', attrs([65001, 65100], { nextHop: '10.0.1.2' }), [pfx]);
  const ch = rib.flush();
  t.is(ch.length, 1, 'adding a multipath member is a change');
  t.is(ch[0]!.best!.peer, t1);
  t.is(ch[0]!.reason, 'router-id');
  t.deepEqual(ch[0]!.multipath.map((p) => p.attrs.nextHop), ['10.0.1.1', '10.0.1.2']);
  // One ToR goes: the other remains the single path.
  rib.withdraw(t1, 'ipv4', [pfx]);
  const after = rib.flush();
  t.deepEqual(after[0]!.multipath.map((p) => p.attrs.nextHop), ['10.0.1.2']);
  t.is(after[0]!.reason, 'only-path');
});

test('without maxPaths > 1 only the best is installed', (t) => {
  const { rib } = newRib();
  const t1 = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1');
  const t2 = upPeer(rib, '10.0.1.2', 65001, '2.2.2.2');
  rib.receive(t1, 'ipv4', attrs([65001, 65100], { nextHop: '10.0.1.1' }), [pfx]);
  rib.receive(t2, 'ipv4', attrs([65001, 65100], { nextHop: '10.0.1.2' }), [pfx]);
  t.is(rib.flush()[0]!.multipath.length, 1);
});

test('ToRs in different ASes: multipath only with multipathRelaxAsPath', (t) => {
  for (const relax of [false, true]) {
    const { rib } = newRib({ maxPaths: 8, multipathRelaxAsPath: relax });
    const t1 = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1');
    const t2 = upPeer(rib, '10.0.1.2', 65002, '2.2.2.2');
    rib.receive(t1, 'ipv4', attrs([65001, 65100], { nextHop: '10.0.1.1' }), [pfx]);
    rib.receive(t2, 'ipv4', attrs([65002, 65100], { nextHop: '10.0.1.2' }), [pfx]);
    t.is(rib.flush()[0]!.multipath.length, relax ? 2 : 1, `relax=${relax}`);
  }
});

test('paths that differ before the router-id step are not multipath', (t) => {
  const { rib } = newRib({ maxPaths: 8 });
  const t1 = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1');
  const t2 = upPeer(rib, '10.0.1.2', 65001, '2.2.2.2');
  rib.receive(t1, 'ipv4', attrs([65001, 65100], { nextHop: '10.0.1.1', med: 10 }), [pfx]);
  rib.receive(t2, 'ipv4', attrs([65001, 65100], { nextHop: '10.0.1.2', med: 20 }), [pfx]);
  const ch = rib.flush();
  t.is(ch[0]!.multipath.length, 1);
  t.is(ch[0]!.reason, 'med');
  // MED changes to equal: the set grows.
  rib.receive(t2, 'ipv4', attrs([65001, 65100], { nextHop: '10.0.1.2', med: 10 }), [pfx]);
  t.is(rib.flush()[0]!.multipath.length, 2);
});

test('eBGP and iBGP paths are never mixed in one multipath set', (t) => {
  const { rib } = newRib({ maxPaths: 8 });
  const e = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1');
  const i = upPeer(rib, '10.0.9.1', 64512, '0.0.0.1');
  rib.receive(e, 'ipv4', attrs([65001]), [pfx]);
  rib.receive(i, 'ipv4', attrs([65001]), [pfx]);
  const ch = rib.flush();
  t.is(ch[0]!.best!.peer, e);
  t.is(ch[0]!.reason, 'ebgp-over-ibgp');
  t.is(ch[0]!.multipath.length, 1);
});

test('max-paths caps the set, keeping the best and the next by tie-break order', (t) => {
  const { rib } = newRib({ maxPaths: 2 });
  const ids = [3, 1, 2].map((n) => upPeer(rib, `10.0.1.${n}`, 65001, `${n}.${n}.${n}.${n}`));
  ids.forEach((id, k) => rib.receive(id, 'ipv4', attrs([65001], { nextHop: `10.0.1.${[3, 1, 2][k]}` }), [pfx]));
  const ch = rib.flush();
  t.deepEqual(ch[0]!.multipath.map((p) => p.attrs.nextHop), ['10.0.1.1', '10.0.1.2']);
});
