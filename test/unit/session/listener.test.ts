// BgpListener on loopback with real sockets: routing to a configured session, a dynamic neighbour from a
// listen range (with its limit), unknown sources closed and counted, and a busy port as a clear error.

import test from 'ava';
import net from 'node:net';
import { BgpListener, ListenError, type ListenRange } from '../../../src/bgp/session/listener.js';
import { PeerSession } from '../../../src/bgp/session/session.js';
import { peerConfig, recorder } from './helpers.js';

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function dialer(port: number, from: string, asn = 65010) {
  const { hooks, events } = recorder();
  const session = new PeerSession({
    // multihop 2: not TTL 1, which would need the native addon; loopback does not care.
    peer: peerConfig({ address: '127.0.0.1', asn: 65000, port, sourceAddress: from, multihop: 64 }),
    local: { asn, routerId: `10.9.9.${from.split('.')[3]}` },
    hooks, dial: (o) => net.connect({ host: o.peer, port: o.port, localAddress: o.localAddress }),
  });
  return { session, events };
}

const range: ListenRange = {
  ...peerConfig({ address: '', asn: 0 }), range: '127.0.0.0/8', asn: 'external', limit: 2, passive: true,
};

test('configured, dynamic and unknown sources; the range limit', async (t) => {
  const dynamic: PeerSession[] = [];
  const configured = new PeerSession({
    peer: peerConfig({ address: '127.0.0.5', asn: 65010, passive: true, multihop: 64 }),
    local: { asn: 65000, routerId: '10.0.0.1' }, hooks: recorder().hooks,
  });
  configured.start();
  const listener = new BgpListener({
    address: '127.0.0.1', port: 0,
    sessionFor: (a) => (a === '127.0.0.5' ? configured : undefined),
    ranges: [{ ...range, range: '127.0.0.0/29' }],
    createDynamic: (address, r) => {
      const s = new PeerSession({
        peer: { ...r, address, asn: r.asn }, local: { asn: 65000, routerId: '10.0.0.1' }, hooks: recorder().hooks, dynamic: true,
      });
      dynamic.push(s);
      return s;
    },
  });
  const { port } = await listener.listen();
  const peers = [dialer(port, '127.0.0.5'), dialer(port, '127.0.0.2'), dialer(port, '127.0.0.3'), dialer(port, '127.0.0.4', 65020),
    dialer(port, '127.0.0.9')];
  t.teardown(async () => {
    await Promise.all([...peers.map((p) => p.session.stop()), configured.stop(), ...dynamic.map((d) => d.stop())]);
    await listener.close();
  });
  for (const p of peers) p.session.start();
  await until(() => peers.slice(0, 3).every((p) => p.session.state === 'Established'));
  t.is(configured.state, 'Established');
  t.is(dynamic.length, 2, 'the third source in the range is over the limit');
  t.deepEqual(dynamic.map((d) => d.asn).sort(), [65010, 65010]);
  t.true(dynamic.every((d) => d.status().dynamic));
  await until(() => listener.counters.rejected >= 1 && listener.counters.refused >= 1);
  t.not(peers[3]?.session.state, 'Established');
  t.not(peers[4]?.session.state, 'Established');
  // A dynamic neighbour that goes away frees its place in the range.
  await peers[1]?.session.stop({ message: 'bye' });
  await until(() => listener.dynamicSessions().length === 1);
  t.is(dynamic[0]?.state, 'Idle');
});

test('a busy port is a ListenError, not a crash', async (t) => {
  const other = net.createServer();
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  t.teardown(() => other.close());
  const port = (other.address() as net.AddressInfo).port;
  const listener = new BgpListener({ address: '127.0.0.1', port, sessionFor: () => undefined });
  const err = await t.throwsAsync(listener.listen(), { instanceOf: ListenError });
  t.is(err?.code, 'EADDRINUSE');
  t.regex(err?.message ?? '', /127\.0\.0\.1:\d+: the port is in use \(another BGP daemon on this host\?\)/);
  t.false(listener.listening);
});
