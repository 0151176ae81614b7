// bench:datapath's forwarding-rate harness (bench/lib/fwd-rate.ts, bpf/rr_bench.c, bpf/tools/rr_fwd_rate.c): the
// XDP live-frames generator's frames cross the node by the kernel's own forwarding and reach pod B's sink, every
// one counted; and the sink is gone afterwards (pod B receives ordinary traffic again).
import test from 'ava';
import { mkdirSync, rmSync } from 'node:fs';
import { ForwardingRate } from '../../bench/lib/fwd-rate.js';
import { ensureBpffs, isRoot } from './helpers/netns.js';
import { buildPacket } from './helpers/packets.js';
import { twoPods, type TwoPods } from './helpers/topo.js';

let topo: TwoPods;
let pinDir: string;

test.before(() => {
  if (!isRoot()) throw new Error('test/bpf needs root (tc, network namespaces); CI runs it as root');
  ensureBpffs();
  topo = twoPods('fr');
  pinDir = `/sys/fs/bpf/${topo.node.name}`;
  mkdirSync(pinDir, { recursive: true });
});

test.after.always(() => {
  if (pinDir) rmSync(pinDir, { recursive: true, force: true });
  topo?.delete();
});

test('the generator\'s frames are forwarded by the node and counted at pod B; pod B is reachable again after', (t) => {
  topo.podA.run(['ping', '-q', '-c', '2', '-i', '0.2', topo.b.v4]); // neighbours resolved
  const frame = buildPacket({ src: topo.a.v4, dst: topo.b.v4, l4: 'udp', srcMac: topo.podA.mac('eth0'), dstMac: topo.node.mac('lxca'),
    ttl: 64, payload: Buffer.alloc(18) });
  const rate = new ForwardingRate(topo, frame, pinDir);
  try {
    const r = rate.measure(0.3);
    t.true(r.sent >= 65536, `sent ${r.sent}`);
    t.true(r.forwarded > 0.9 * r.sent && r.forwarded <= r.sent, `forwarded ${r.forwarded} of ${r.sent}`);
    t.true(r.kpps > 0);
  } finally {
    rate.close();
  }
  t.regex(topo.podA.run(['ping', '-c', '1', '-W', '2', topo.b.v4]), /1 received/);
  t.throws(() => new ForwardingRate(topo, Buffer.alloc(59), pinDir), { message: /60 bytes/ });
});
