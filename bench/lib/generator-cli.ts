// The generator as a process (run it inside the generator's network namespace). One JSON line per event on stdout.
//
//   listen:  tsx bench/lib/generator-cli.ts listen --address 198.18.0.1 --prefixes 1000000 --asn 65100
//            builds the feed once, then serves every connecting daemon the same bytes, one after the other.
//   connect: tsx bench/lib/generator-cli.ts connect --target 198.18.0.2 --sources 198.18.1.1 --peers 200 --prefixes 100
//            one session per source address (consecutive addresses), each with its own 100 prefixes, dialled at once;
//            a session closed before Established is dialled again after 500 ms.
import net from 'node:net';
import { buildFeed, GeneratorSession, wallMs, type Feed, type GeneratorEvent } from './generator.js';

function args(argv: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) m.set(argv[i].slice(2), argv[i + 1] ?? '');
  }
  return m;
}

const out = (o: object): void => {
  process.stdout.write(`${JSON.stringify(o)}\n`);
};

const ipv4 = (s: string): number => s.split('.').reduce((a, x) => a * 256 + Number(x), 0);
const ipv4Text = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

const mode = process.argv[2];
const a = args(process.argv.slice(3));
const asn = Number(a.get('asn') ?? 65100);
const port = Number(a.get('port') ?? 179);
const holdTime = Number(a.get('hold') ?? 90);

process.on('SIGTERM', () => process.exit(0));

if (mode === 'listen') {
  const address = a.get('address') ?? '0.0.0.0';
  const prefixes = Number(a.get('prefixes') ?? 100_000);
  const t0 = wallMs();
  const feed = buildFeed({ prefixes, asn, nextHop: address, seed: Number(a.get('seed') ?? 0x5eed) });
  const sessions = new Set<GeneratorSession>();
  const server = net.createServer((socket) => {
    const s = new GeneratorSession(socket, { asn, routerId: address, holdTime, feed, onEvent: (e) => {
      out(e);
      if (e.event === 'closed') sessions.delete(s);
    } });
    sessions.add(s);
  });
  server.listen(port, address, () => {
    out({
      event: 'ready', at: wallMs(), buildMs: Math.round(wallMs() - t0), prefixes: feed.prefixes, messages: feed.messages,
      attributeSets: feed.attributeSets, bytes: feed.updates.length, lengths: feed.lengths,
    });
  });
  server.on('error', (e) => {
    out({ event: 'error', at: wallMs(), error: e.message });
    process.exit(1);
  });
} else if (mode === 'connect') {
  const target = a.get('target') ?? '198.18.0.2';
  const first = ipv4(a.get('sources') ?? '198.18.1.1');
  const peers = Number(a.get('peers') ?? 200);
  const prefixes = Number(a.get('prefixes') ?? 100);
  const feeds: Feed[] = [];
  for (let i = 0; i < peers; i++) {
    // Peer i's prefixes: /24s from 11.0.0.0 + i * prefixes * 256 (no two peers share one).
    feeds.push(buildFeed({ prefixes, asn, nextHop: ipv4Text(first + i), seed: 1 + i, base24: 0x0b000000 + i * prefixes * 256 }));
  }
  out({ event: 'ready', at: wallMs(), peers, prefixesPerPeer: prefixes });
  let established = 0;
  const dial = (i: number): void => {
    const source = ipv4Text(first + i);
    const socket = net.connect({ host: target, port, localAddress: source });
    let up = false;
    let connected = false;
    socket.once('connect', () => {
      connected = true;
      new GeneratorSession(socket, { asn, routerId: source, holdTime, feed: feeds[i], onEvent: (e: GeneratorEvent) => {
        if (e.event === 'established') {
          up = true;
          established++;
          out({ ...e, source, established });
        } else if (e.event === 'closed') {
          out({ ...e, source });
          if (up) established--;
          if (!up) setTimeout(() => dial(i), 500);
        } else if (e.event !== 'sent') out({ ...e, source });
      } });
    });
    socket.once('error', (err) => {
      if (!connected) {
        out({ event: 'connect-error', at: wallMs(), source, error: (err as NodeJS.ErrnoException).code ?? err.message });
        socket.destroy();
        setTimeout(() => dial(i), 500);
      }
    });
  };
  out({ event: 'dialing', at: wallMs(), peers });
  for (let i = 0; i < peers; i++) dial(i);
} else {
  console.error('usage: generator-cli.ts listen|connect [--options]');
  process.exit(2);
}
