// A raw BGP peer for bad-input tests, run in a namespace with
//   nsenter --net=/run/netns/NS node --import tsx raw-peer.ts '<config JSON>'
// It listens, answers one connection at a time with an OPEN (our codec) and KEEPALIVEs, and prints one JSON line
// per event (connected, open, established, update, notification, closed). Commands on stdin, one JSON per line:
//   {"cmd":"send","hex":"ffff..."}                 raw bytes, as given (malformed or not)
//   {"cmd":"burst","hex":["..",".."],"count":N}    N messages cycling through the list, with backpressure
//   {"cmd":"exit"}

import net from 'node:net';
import { createInterface } from 'node:readline';
import { BgpFramer, decode, encode, makeContext } from '../../../src/bgp/codec/index.js';

interface Config {
  readonly address: string;
  readonly port: number;
  readonly asn: number;
  readonly routerId: string;
  readonly holdTime: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as Config;
const ctx = makeContext({ as4: true });
const print = (o: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ t: Date.now(), ...o })}\n`);
};

let current: net.Socket | null = null;
let keepalive: NodeJS.Timeout | undefined;
let updates = 0;

const server = net.createServer((socket) => {
  current?.destroy();
  current = socket;
  clearInterval(keepalive);
  print({ ev: 'connected', remote: socket.remoteAddress, port: socket.remotePort });
  socket.setNoDelay(true);
  socket.write(encode({
    type: 'OPEN', version: 4, asn: config.asn > 65535 ? 23456 : config.asn, holdTime: config.holdTime, bgpId: config.routerId,
    capabilities: [
      { type: 'multiprotocol', afi: 1, safi: 1 }, { type: 'multiprotocol', afi: 2, safi: 1 },
      { type: 'route-refresh' }, { type: 'four-octet-as', asn: config.asn },
    ],
  }, ctx));
  const framer = new BgpFramer();
  socket.on('data', (chunk: Buffer) => {
    try {
      framer.push(chunk, (m) => {
        const type = m[18];
        if (type === 2) {
          updates++;
          print({ ev: 'update', n: updates, length: m.length });
          return;
        }
        const msg = decode(m, ctx);
        if (msg.type === 'OPEN') {
          print({ ev: 'open', asn: msg.asn, holdTime: msg.holdTime, bgpId: msg.bgpId });
          socket.write(encode({ type: 'KEEPALIVE' }, ctx));
          const every = Math.max(1, Math.floor(Math.min(msg.holdTime, config.holdTime) / 3)) * 1000;
          keepalive = setInterval(() => { if (!socket.destroyed) socket.write(encode({ type: 'KEEPALIVE' }, ctx)); }, every);
        } else if (msg.type === 'KEEPALIVE') {
          print({ ev: 'keepalive' });
        } else if (msg.type === 'NOTIFICATION') {
          print({ ev: 'notification', code: msg.code, subcode: msg.subcode, data: Buffer.from(msg.data).toString('hex') });
        }
      });
    } catch (e) {
      print({ ev: 'decode-error', message: (e as Error).message });
    }
  });
  socket.on('close', () => {
    if (current === socket) {
      current = null;
      clearInterval(keepalive);
    }
    print({ ev: 'closed' });
  });
  socket.on('error', (e) => print({ ev: 'socket-error', message: e.message }));
});

async function burst(hex: readonly string[], count: number): Promise<void> {
  const msgs = hex.map((h) => Buffer.from(h, 'hex'));
  const s = current;
  if (!s) throw new Error('no connection');
  for (let i = 0; i < count; i++) {
    if (!s.write(msgs[i % msgs.length]!)) await new Promise((r) => s.once('drain', r));
    if (s.destroyed) throw new Error(`connection closed after ${i} messages`);
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const c = JSON.parse(line) as { cmd: string; hex?: string | string[]; count?: number };
  if (c.cmd === 'send') {
    if (!current) print({ ev: 'error', message: 'no connection' });
    else current.write(Buffer.from(c.hex as string, 'hex'), () => print({ ev: 'sent' }));
  } else if (c.cmd === 'burst') {
    burst(c.hex as string[], c.count ?? 1).then(() => print({ ev: 'burst-done', count: c.count }),
      (e: Error) => print({ ev: 'error', message: e.message }));
  } else if (c.cmd === 'exit') {
    process.exit(0);
  }
}).on('close', () => process.exit(0));

server.listen(config.port, config.address, () => print({ ev: 'listening', address: config.address, port: config.port }));
