// RIB load benchmark: 1,000,000 IPv4 /24s in UPDATE-sized batches (10 prefixes per attribute set, 100k sets, AS
// paths of 2-6 hops) from one peer, then the same table from two peers (ECMP). Prints seconds and bytes per route.
// Run: npx tsx bench/rib.ts [prefixes]      (memory figures are after a forced GC)
// ONE=1 runs the one-peer case only; DUMP=0 skips the Adj-RIB-Out dump.
// Note: the pre-decoded input stays live during the load, so GC time and RSS include it.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { PathAttributes } from '../src/bgp/rib/attrs.js';
import { asSequence, makeAttrs } from '../src/bgp/rib/attrs.js';
import { ManualClock } from '../src/bgp/rib/clock.js';
import { v4Key } from '../src/bgp/rib/prefix.js';
import type { PrefixKey } from '../src/bgp/rib/prefix.js';
import { ACCEPT_ALL } from '../src/bgp/rib/route-policy.js';
import { Rib } from '../src/bgp/rib/rib.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const N = Number(process.argv[2] ?? 1_000_000);
const PER_UPDATE = 10;
const MiB = 1024 * 1024;

interface Update { attrs: PathAttributes; nlri: PrefixKey[] }

/** Pre-decoded UPDATEs as the codec + glue would hand them over: a fresh attribute object per UPDATE. */
function makeUpdates(nextHop: string, firstAsn: number): Update[] {
  const out: Update[] = [];
  let seed = 12345;
  const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  for (let i = 0; i < N; i += PER_UPDATE) {
    const hops = 2 + Math.floor(rnd() * 5);
    const asns = [firstAsn];
    for (let h = 1; h < hops; h++) asns.push(1 + Math.floor(rnd() * 60000));
    const nlri: PrefixKey[] = [];
    for (let j = i; j < Math.min(N, i + PER_UPDATE); j++) nlri.push(v4Key(0x0b000000 + j * 256, 24));
    out.push({ attrs: makeAttrs({ asPath: asSequence(...asns), nextHop, med: i % 7 === 0 ? 10 : undefined }), nlri });
  }
  return out;
}

function mem(): { heap: number; buffers: number; rss: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers, rss: m.rss };
}

function report(label: string, seconds: number, before: ReturnType<typeof mem>, after: ReturnType<typeof mem>, routes: number, prefixes: number): void {
  const bytes = after.heap + after.buffers - (before.heap + before.buffers);
  console.log(
    `${label}: ${seconds.toFixed(3)} s, ${(prefixes / seconds / 1e6).toFixed(2)} M prefixes/s; ` +
    `RIB memory ${(bytes / MiB).toFixed(1)} MiB = ${(bytes / routes).toFixed(0)} B/route, ${(bytes / prefixes).toFixed(0)} B/prefix ` +
    `(heap+arrayBuffers after GC); process RSS ${(after.rss / MiB).toFixed(0)} MiB`,
  );
}

function run(peers: number): void {
  const base = mem();
  const rib = new Rib({ localAsn: 64512, routerId: '10.0.1.10', clock: new ManualClock(), maxPaths: 8 });
  const ids: number[] = [];
  const inputs: Update[][] = [];
  for (let p = 0; p < peers; p++) {
    const id = rib.addPeer({ address: `10.0.1.${p + 1}`, asn: 65001, importPolicy: ACCEPT_ALL, exportPolicy: ACCEPT_ALL });
    rib.peerUp(id, { routerId: `1.1.1.${p + 1}`, localAddress: { ipv4: '10.0.1.10' }, families: ['ipv4'] });
    ids.push(id);
    inputs.push(makeUpdates(`10.0.1.${p + 1}`, 65001));
  }
  const t0 = performance.now();
  let events = 0;
  for (let p = 0; p < peers; p++) {
    const ups = inputs[p]!;
    for (let u = 0; u < ups.length; u++) {
      rib.receive(ids[p]!, 'ipv4', ups[u]!.attrs, ups[u]!.nlri);
      // The session layer flushes per socket read; ~64 KiB of UPDATEs is ~500 of these.
      if (u % 500 === 499) events += rib.flush().length;
    }
  }
  events += rib.flush().length;
  const t1 = performance.now();
  inputs.length = 0;
  const after = mem();
  const routes = rib.routes.size;
  const label = peers === 1
    ? `1 peer, ${N} prefixes, ${rib.attrs.size} attr sets`
    : `${peers} peers (ECMP), ${N} prefixes, ${routes} routes, ${rib.attrs.size} attr sets`;
  report(label, (t1 - t0) / 1000, base, after, routes, rib.size('ipv4'));
  console.log(`  change events emitted: ${events}; Loc-RIB prefixes: ${rib.size('ipv4')}; status query: received=${rib.peerStats(ids[0]!).received} (O(1) counter)`);
  if (peers > 1) {
    let sample = 0;
    rib.forEachBest('ipv4', (e) => { if (sample === 0) sample = e.multipath.length; });
    console.log(`  multipath set size of a sample prefix: ${sample}`);
  }

  if (process.env.DUMP === "0") return;
  // Full-table dump to a new eBGP peer: Adj-RIB-Out fill + UPDATE plans packed by attribute set.
  const out = rib.addPeer({ address: '10.0.2.1', asn: 65002, importPolicy: ACCEPT_ALL, exportPolicy: ACCEPT_ALL });
  const t2 = performance.now();
  rib.peerUp(out, { routerId: '2.2.2.2', localAddress: { ipv4: '10.0.2.10' }, families: ['ipv4'] });
  const { plans } = rib.takeUpdates(out);
  const t3 = performance.now();
  const m2 = mem();
  console.log(
    `  Adj-RIB-Out dump to one eBGP peer: ${((t3 - t2) / 1000).toFixed(3)} s, ${plans.length} UPDATE plans, ` +
    `${rib.peerStats(out).advertised} advertised, +${((m2.heap + m2.buffers - after.heap - after.buffers) / MiB).toFixed(1)} MiB`,
  );
}

console.log(`node ${process.version}, ${N} IPv4 /24 prefixes, ${PER_UPDATE} per UPDATE`);
run(1);
gc();
if (process.env.ONE !== "1") run(2);
