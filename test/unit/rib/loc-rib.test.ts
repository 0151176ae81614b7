import test from 'ava';
import { asSequence, makeAttrs } from '../../../src/bgp/rib/attrs.js';
import { formatPrefix } from '../../../src/bgp/rib/prefix.js';
import { P, attrs, newRib, upPeer } from './helpers.js';

test('announce, replace (implicit withdraw) and withdraw produce coalesced change events', (t) => {
  const { rib } = newRib();
  const tor = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1');
  rib.receive(tor, 'ipv4', attrs([65001, 65100]), [P('10.244.2.0/24'), P('10.244.3.0/24')]);
  let ch = rib.flush();
  t.deepEqual(ch.map((c) => formatPrefix(c.prefix)).sort(), ['10.244.2.0/24', '10.244.3.0/24']);
  t.is(ch[0]!.reason, 'only-path');
  t.is(ch[0]!.best!.peerAddress, '10.0.1.1');
  t.is(rib.flush().length, 0, 'nothing new, nothing reported');

  // Same attributes again: no change.
  rib.receive(tor, 'ipv4', attrs([65001, 65100]), [P('10.244.2.0/24')]);
  t.is(rib.flush().length, 0);

  // Replace: new attributes for the same prefix.
  rib.receive(tor, 'ipv4', attrs([65001, 65200]), [P('10.244.2.0/24')]);
  ch = rib.flush();
  t.is(ch.length, 1);
  t.deepEqual(ch[0]!.best!.attrs.asPath, asSequence(65001, 65200));
  t.is(rib.peerStats(tor).accepted, 2);

  // Withdraw then re-announce within one batch: one event with the final state.
  rib.withdraw(tor, 'ipv4', [P('10.244.3.0/24')]);
  rib.receive(tor, 'ipv4', attrs([65001, 65300]), [P('10.244.3.0/24')]);
  ch = rib.flush();
  t.is(ch.length, 1);
  t.deepEqual(ch[0]!.best!.attrs.asPath, asSequence(65001, 65300));

  rib.withdraw(tor, 'ipv4', [P('10.244.3.0/24'), P('10.244.9.0/24')]);
  ch = rib.flush();
  t.is(ch.length, 1);
  t.is(ch[0]!.best, null);
  t.deepEqual(ch[0]!.multipath, []);
  t.is(rib.lookup('ipv4', P('10.244.3.0/24')), undefined);
  t.is(rib.size('ipv4'), 1);
  t.is(rib.peerStats(tor).accepted, 1);
});

test('a better path from a second peer takes over, and the old best comes back on withdraw', (t) => {
  const { rib } = newRib();
  const a = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1');
  const b = upPeer(rib, '10.0.1.2', 65002, '2.2.2.2');
  const pfx = P('10.244.5.0/24');
  rib.receive(a, 'ipv4', attrs([65001, 65100, 65200]), [pfx]);
  rib.flush();
  rib.receive(b, 'ipv4', attrs([65002, 65200]), [pfx]);
  let ch = rib.flush();
  t.is(ch[0]!.best!.peer, b);
  t.is(ch[0]!.reason, 'as-path-length');
  const e = rib.lookup('ipv4', pfx)!;
  t.is(e.paths.length, 2);
  t.is(e.paths[0]!.peer, b);
  rib.withdraw(b, 'ipv4', [pfx]);
  ch = rib.flush();
  t.is(ch[0]!.best!.peer, a);
  t.is(ch[0]!.reason, 'only-path');
});

test('a worse path arriving does not report a change', (t) => {
  const { rib } = newRib();
  const a = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1');
  const b = upPeer(rib, '10.0.1.2', 65002, '2.2.2.2');
  const pfx = P('10.244.5.0/24');
  rib.receive(a, 'ipv4', attrs([65001]), [pfx]);
  rib.flush();
  rib.receive(b, 'ipv4', attrs([65002, 1, 2]), [pfx]);
  t.is(rib.flush().length, 0);
  t.is(rib.lookup('ipv4', pfx)!.reason, 'as-path-length');
});

test('attribute sets are shared and freed with their last route', (t) => {
  const { rib } = newRib();
  const a = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1');
  const before = rib.attrs.size;
  const prefixes = Array.from({ length: 100 }, (_, i) => P(`10.244.${i}.0/24`));
  rib.receive(a, 'ipv4', attrs([65001, 7]), prefixes.slice(0, 50));
  rib.receive(a, 'ipv4', attrs([65001, 7]), prefixes.slice(50));
  rib.flush();
  t.is(rib.attrs.size, before + 1);
  const s1 = rib.lookup('ipv4', prefixes[0]!)!.best!.attrs;
  const s2 = rib.lookup('ipv4', prefixes[99]!)!.best!.attrs;
  t.is(s1, s2, 'one shared object');
  t.true(Object.isFrozen(s1));
  t.is(rib.attrs.refs(s1.id), 100);
  rib.withdraw(a, 'ipv4', prefixes);
  rib.flush();
  t.is(rib.attrs.size, before);
  t.is(rib.attrs.refs(s1.id), 0);
});

test('IPv6 prefixes and IPv6 next hops', (t) => {
  const { rib } = newRib();
  const a = upPeer(rib, 'fd00::1', 65001, '1.1.1.1');
  const pfx = P('fd00:244:2::/64');
  rib.receive(a, 'ipv6', makeAttrs({ asPath: asSequence(65001, 65100), nextHop: 'fd00::1', nextHopLinkLocal: 'fe80::1' }), [pfx]);
  const ch = rib.flush();
  t.is(ch[0]!.family, 'ipv6');
  t.is(formatPrefix(ch[0]!.prefix), 'fd00:244:2::/64');
  t.is(ch[0]!.best!.attrs.nextHopLinkLocal, 'fe80::1');
  t.is(rib.size('ipv6'), 1);
  t.is(rib.size('ipv4'), 0);
});

test('AS path loop is rejected unless allowOwnAsIn permits it', (t) => {
  const { rib } = newRib();
  const strict = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1');
  const lenient = upPeer(rib, '10.0.1.2', 65001, '2.2.2.2', { allowOwnAsIn: 1 });
  const r1 = rib.receive(strict, 'ipv4', attrs([65001, 64512]), [P('10.244.7.0/24')]);
  t.deepEqual([r1.accepted, r1.rejected], [0, 1]);
  const r2 = rib.receive(lenient, 'ipv4', attrs([65001, 64512]), [P('10.244.7.0/24')]);
  t.deepEqual([r2.accepted, r2.rejected], [1, 0]);
  const r3 = rib.receive(lenient, 'ipv4', attrs([65001, 64512, 64512]), [P('10.244.8.0/24')]);
  t.is(r3.rejected, 1);
  t.is(rib.peerStats(strict).received, 1);
  t.is(rib.peerStats(strict).accepted, 0);
});

test('LOCAL_PREF from an eBGP peer is ignored; locally originated routes win', (t) => {
  const { rib } = newRib();
  const a = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1');
  const pfx = P('10.244.1.0/24');
  rib.receive(a, 'ipv4', attrs([65001], { localPref: 1000 }), [pfx]);
  t.is(rib.lookup('ipv4', pfx)!.best!.attrs.localPref, undefined);
  rib.originate('ipv4', pfx, makeAttrs({}));
  const ch = rib.flush();
  t.is(ch[0]!.best!.peer, 0);
  t.is(ch[0]!.reason, 'local-origin');
  rib.withdrawOriginated('ipv4', pfx);
  t.is(rib.flush()[0]!.best!.peer, a);
});

test('import policy rejection withdraws an accepted route and counts received vs accepted', (t) => {
  const { rib } = newRib();
  const a = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1', {
    importPolicy: { match: (_p, at) => (at.communities.includes(1) ? 0 : -1), apply: (term, at) => (term === 0 ? null : at) },
  });
  const pfx = P('10.244.1.0/24');
  rib.receive(a, 'ipv4', attrs([65001]), [pfx]);
  t.deepEqual([rib.peerStats(a).received, rib.peerStats(a).accepted], [1, 1]);
  rib.receive(a, 'ipv4', attrs([65001], { communities: [1] }), [pfx]);
  t.deepEqual([rib.peerStats(a).received, rib.peerStats(a).accepted], [1, 0]);
  t.is(rib.flush()[0]!.best, null);
  rib.receive(a, 'ipv4', attrs([65001]), [pfx]);
  t.deepEqual([rib.peerStats(a).received, rib.peerStats(a).accepted], [1, 1]);
  rib.withdraw(a, 'ipv4', [pfx]);
  t.deepEqual([rib.peerStats(a).received, rib.peerStats(a).accepted], [0, 0]);
});

test('a session going down without graceful restart removes its routes', (t) => {
  const { rib } = newRib();
  const a = upPeer(rib, '10.0.1.1', 65001, '1.1.1.1');
  rib.receive(a, 'ipv4', attrs([65001]), [P('10.244.1.0/24'), P('10.244.2.0/24')]);
  rib.flush();
  rib.peerDown(a, { graceful: false });
  const ch = rib.flush();
  t.is(ch.length, 2);
  t.true(ch.every((c) => c.best === null));
  t.is(rib.peerStats(a).accepted, 0);
  t.is(rib.routes.size, 0);
  t.throws(() => rib.receive(a, 'ipv4', attrs([65001]), [P('10.244.1.0/24')]), { name: 'RibError' });
});
