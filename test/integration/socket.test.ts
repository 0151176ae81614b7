// TCP MD5 (RFC 2385) and GTSM (RFC 5082) for real, on loopback: the kernel enforces both.
import test from 'ava';
import net from 'node:net';
import { connectTcp, setListenerMd5, setMinTtl } from '../../src/bgp/session/socket.js';

async function listener(): Promise<{ server: net.Server; port: number; accepted: () => number }> {
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted++;
    s.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as net.AddressInfo).port, accepted: () => accepted };
}

/** Resolves true when the connection is established within `ms`, false when it is not (SYNs silently dropped). */
function connects(socket: net.Socket, ms = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, ms);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

test('TCP MD5: the same key connects; a wrong key or none does not', async (t) => {
  const { server, port, accepted } = await listener();
  t.teardown(() => server.close());
  setListenerMd5(server, 4, '127.0.0.1', Buffer.from('s3cret'));
  t.true(await connects(connectTcp({ peer: '127.0.0.1', port, md5Key: Buffer.from('s3cret') })));
  t.false(await connects(connectTcp({ peer: '127.0.0.1', port, md5Key: Buffer.from('wrong') })));
  t.false(await connects(connectTcp({ peer: '127.0.0.1', port, ttl: 64 })));
  t.is(accepted(), 1);
});

test('TCP MD5 for a listen range (TCP_MD5SIG_EXT with a prefix)', async (t) => {
  const { server, port } = await listener();
  t.teardown(() => server.close());
  setListenerMd5(server, 4, '127.0.0.0', Buffer.from('range-key'), 8);
  t.true(await connects(connectTcp({ peer: '127.0.0.1', port, localAddress: '127.0.0.9', md5Key: Buffer.from('range-key') })));
});

test('GTSM: a listener with minimum TTL 255 refuses TTL 254 and accepts 255', async (t) => {
  const { server, port, accepted } = await listener();
  t.teardown(() => server.close());
  setMinTtl(server, 4, 255);
  t.false(await connects(connectTcp({ peer: '127.0.0.1', port, ttl: 254 })));
  t.true(await connects(connectTcp({ peer: '127.0.0.1', port, ttl: 255 })));
  t.is(accepted(), 1);
});

test('a bad key length is a clear error, and no fd leaks', (t) => {
  const err = t.throws(() => connectTcp({ peer: '127.0.0.1', port: 1, md5Key: Buffer.alloc(81) }));
  t.regex(err?.message ?? '', /at most 80 bytes/);
});
