// npm run bench:ingest — full-table load: one generator (bench/lib/generator.ts) feeds the same pre-encoded IPv4
// table over the same veth to rackroute, BIRD 2, FRR bgpd and GoBGP, one after the other, at 100,000 and 1,000,000
// prefixes. For each: seconds from Established (the generator's view) to the whole table counted in the daemon's
// RIB, and the daemon's peak RSS (VmHWM); then rackroute's ratios against each. Goal (issue 4): at 1M, no more
// than 1.5x BIRD's time and 2x BIRD's peak RSS.
//
// Needs root, `npm run build` (the agent runs from dist/), and the Debian bird2, frr and gobgpd packages.
// Environment: SIZES=100000,1000000  DAEMONS=bird,frr,gobgp,rackroute  ROUNDS=1 (median and best time, max RSS)
//              RACKROUTE_ALT=/other/build/bin/rackroute.js with DAEMONS=...,rackroute-alt: A/B a change in one run
//              RACKROUTE_NODE_ARGS='--flag ...' (node options for the agent; RACKROUTE_ALT_NODE_ARGS for rackroute-alt)
//              JSON=FILE (results as JSON)  KEEP=1 (keep the temp dir with configs and logs)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bird, Frr, GoBgp, Rackroute, type Dut, type DutContext } from './lib/duts.js';
import { JsonLines, MiB, sleep, wallMs, withHarness } from './lib/harness.js';
import type { GeneratorEvent } from './lib/generator.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SIZES = (process.env.SIZES ?? '100000,1000000').split(',').map(Number);
const DAEMONS = (process.env.DAEMONS ?? 'bird,frr,gobgp,rackroute').split(',').map((s) => s.trim().toLowerCase());
const ROUNDS = Number(process.env.ROUNDS ?? 1);
const GEN = '198.18.0.1';
const DUT = '198.18.0.2';

type Ev = GeneratorEvent | { event: 'ready'; at: number; buildMs: number; prefixes: number; messages: number; attributeSets: number; bytes: number; lengths: Record<string, number> };

interface Run {
  daemon: string;
  prefixes: number;
  seconds: number;
  /** CPU seconds the daemon used meanwhile (user + system, all threads): less skewed than `seconds` on a busy machine. */
  cpuSeconds: number;
  /** Established -> the generator's last byte accepted by the kernel (the daemon has read nearly all). */
  sentSeconds: number | null;
  peakRss: number;
  helpers: Record<string, number>;
  pollMs: number;
  pollsUntilLoaded: number;
}

const fmt = (n: number, d = 2): string => n.toFixed(d);
const mib = (b: number): string => `${(b / MiB).toFixed(0)} MiB`;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The machine's load: on a shared 2-core machine other jobs skew every figure (ratios within a run less so). */
export function loadNote(): string {
  const [l1] = readFileSync('/proc/loadavg', 'utf8').split(' ').map(Number);
  return `load average ${l1.toFixed(2)} on ${cpus().length} CPUs${l1 > 1.5 ? ' — the machine is busy: expect noisy times (use ROUNDS=3)' : ''}\n`;
}

function makeDut(name: string, c: DutContext): Dut {
  switch (name) {
    case 'rackroute':
      return new Rackroute(c);
    case 'rackroute-alt':
      if (!process.env.RACKROUTE_ALT) throw new Error('rackroute-alt needs RACKROUTE_ALT=/path/to/bin/rackroute.js (another build)');
      return new Rackroute(c, { bin: process.env.RACKROUTE_ALT, name: 'rackroute-alt' });
    case 'bird':
      return new Bird(c);
    case 'frr':
      return new Frr(c);
    case 'gobgp':
      return new GoBgp(c);
    default:
      throw new Error(`unknown daemon ${name} (bird, frr, gobgp, rackroute)`);
  }
}

await withHarness('ingest', async (h) => {
  if (!existsSync(join(ROOT, 'dist/agent/agent.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const gen = h.netns('gen');
  const dutNs = h.netns('dut');
  h.veth({ ns: gen, dev: 'rrb-gen', addrs: [`${GEN}/24`] }, { ns: dutNs, dev: 'rrb-dut', addrs: [`${DUT}/24`] });
  const ctx: DutContext = { h, ns: dutNs, local: DUT, localAsn: 64512, peer: GEN, peerAsn: 65100, subnet: '198.18.0.0/24' };
  console.log(`bench:ingest — namespaces ${gen} (generator ${GEN}, AS 65100) and ${dutNs} (daemon ${DUT}, AS 64512), one veth`);
  console.log(`daemons: ${DAEMONS.join(', ')}; sizes: ${SIZES.join(', ')}; rounds: ${ROUNDS}; files in ${h.dir}`);
  console.log(loadNote());
  const runs: Run[] = [];
  const notes = new Map<string, string>();

  for (const size of SIZES) {
    const genProc = h.spawn(`generator-${size}`, gen, [process.execPath, '--import', 'tsx', join(ROOT, 'bench/lib/generator-cli.ts'),
      'listen', '--address', GEN, '--prefixes', String(size), '--asn', '65100'], { pipe: true, cwd: ROOT });
    // The daemon's CPU clock is read the moment the generator reports Established (the agent may reach it while its
    // start() still waits for the admin API).
    let current: Dut | undefined;
    let cpuAtEstablished = NaN;
    const events = new JsonLines<Ev>(genProc.child, (e) => {
      if (e.event === 'established' && current) cpuAtEstablished = current.cpu();
    });
    const ready = await events.wait('the generator', (e) => e.event === 'ready', 120_000) as Extract<Ev, { event: 'ready' }>;
    console.log(`${size.toLocaleString('en')} prefixes: ${ready.messages.toLocaleString('en')} UPDATEs, ${ready.attributeSets.toLocaleString('en')} attribute sets, ` +
      `${(ready.bytes / MiB).toFixed(1)} MiB pre-encoded in ${ready.buildMs} ms; lengths ${JSON.stringify(ready.lengths)}`);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const name of DAEMONS) {
        const dut = makeDut(name, ctx);
        current = dut;
        cpuAtEstablished = NaN;
        notes.set(dut.name, dut.notes);
        const mark = events.mark;
        const label = `  ${dut.name}${ROUNDS > 1 ? ` (round ${round})` : ''}`;
        process.stdout.write(`${label}: starting ... `);
        try {
          await dut.start();
          const est = await events.wait(`${dut.name} to reach Established`, (e) => e.event === 'established', 60_000, mark);
          const cpu0 = Number.isNaN(cpuAtEstablished) ? dut.cpu() : cpuAtEstablished;
          process.stdout.write('Established, loading');
          let n = 0;
          let polls = 0;
          let lastPrint = wallMs();
          let done = 0;
          const limit = Math.max(120_000, size / 20);
          for (;;) {
            const c = await dut.count();
            const t = wallMs();
            polls++;
            if (c !== undefined) n = c;
            if (n >= size) {
              done = t;
              break;
            }
            const bad = events.all().slice(mark).find((e) => e.event === 'closed' || e.event === 'notification');
            if (bad) throw new Error(`session lost during the load: ${JSON.stringify(bad)}`);
            if (t - est.at > limit) throw new Error(`not loaded after ${limit / 1000} s (${n} of ${size})`);
            if (t - lastPrint > 2000) {
              process.stdout.write(` ${Math.round((100 * n) / size)}%`);
              lastPrint = t;
            }
            await sleep(dut.pollMs);
          }
          const cpu = dut.cpu() - cpu0;
          const sent = events.all().slice(mark).find((e) => e.event === 'sent');
          const mem = dut.memory();
          const r: Run = {
            daemon: dut.name, prefixes: size, seconds: (done - est.at) / 1000, cpuSeconds: cpu, sentSeconds: sent ? (sent.at - est.at) / 1000 : null,
            peakRss: mem.peak, helpers: mem.helpers, pollMs: dut.pollMs, pollsUntilLoaded: polls,
          };
          runs.push(r);
          const extra = Object.entries(mem.helpers).map(([k, v]) => `, ${k} ${mib(v)}`).join('');
          console.log(` done: ${fmt(r.seconds)} s, ${fmt(r.cpuSeconds)} CPU s (generator done writing at ${r.sentSeconds === null ? '?' : fmt(r.sentSeconds)} s), peak RSS ${mib(r.peakRss)}${extra}`);
          const hold = events.all().slice(mark).find((e) => e.event === 'hold-expired');
          if (hold) console.log(`    warning: ${dut.name} was silent past the hold time during the load: ${JSON.stringify(hold)}`);
        } finally {
          await dut.stop();
          await events.wait(`${dut.name}'s session to close`, (e) => e.event === 'closed', 15_000, mark).catch(() => undefined);
        }
      }
    }
    await h.stop(genProc);
  }

  // ---- results
  const names = [...new Set(runs.map((r) => r.daemon))];
  const agg = (d: string, size: number): (Run & { best: number }) | undefined => {
    const rs = runs.filter((r) => r.daemon === d && r.prefixes === size);
    if (rs.length === 0) return undefined;
    return { ...rs[0], seconds: median(rs.map((r) => r.seconds)), cpuSeconds: median(rs.map((r) => r.cpuSeconds)), best: Math.min(...rs.map((r) => r.seconds)), peakRss: Math.max(...rs.map((r) => r.peakRss)) };
  };
  const summary: Array<Record<string, unknown>> = [];
  console.log(loadNote());
  console.log('\nresults (seconds from Established to the whole table counted in the RIB; peak RSS = VmHWM of the daemon)');
  for (const size of SIZES) {
    console.log(`\n${size.toLocaleString('en')} prefixes`);
    console.log(`  ${'daemon'.padEnd(13)} ${'seconds'.padStart(8)}${ROUNDS > 1 ? ` ${'best'.padStart(6)}` : ''} ${'CPU s'.padStart(6)} ${'prefixes/s'.padStart(11)} ${'peak RSS'.padStart(9)}   rackroute / daemon: time, CPU, RSS`);
    const rr = agg('rackroute', size);
    for (const d of names) {
      const r = agg(d, size);
      if (!r) continue;
      const ratio = rr && d !== 'rackroute' ? `${fmt(rr.seconds / r.seconds)}x, ${fmt(rr.cpuSeconds / r.cpuSeconds)}x, ${fmt(rr.peakRss / r.peakRss)}x` : '';
      console.log(`  ${d.padEnd(13)} ${fmt(r.seconds).padStart(8)}${ROUNDS > 1 ? ` ${fmt(r.best).padStart(6)}` : ''} ${fmt(r.cpuSeconds).padStart(6)} ${`${(size / r.seconds / 1e6).toFixed(2)} M`.padStart(11)} ${mib(r.peakRss).padStart(9)}   ${ratio}`);
      summary.push({ daemon: d, prefixes: size, seconds: r.seconds, bestSeconds: r.best, peakRssBytes: r.peakRss, helpersPeakRss: r.helpers, pollMs: r.pollMs,
        cpuSeconds: r.cpuSeconds,
        ...(rr && d !== 'rackroute' ? { rackrouteTimeRatio: rr.seconds / r.seconds, rackrouteCpuRatio: rr.cpuSeconds / r.cpuSeconds, rackrouteRssRatio: rr.peakRss / r.peakRss } : {}) });
    }
  }
  const rr1 = agg('rackroute', 1_000_000);
  const bird1 = agg('BIRD', 1_000_000);
  if (rr1 && bird1) {
    const t = rr1.seconds / bird1.seconds;
    const m = rr1.peakRss / bird1.peakRss;
    console.log(`\ngoal (issue 4) at 1,000,000 prefixes: time <= 1.5x BIRD: ${fmt(t)}x ${t <= 1.5 ? 'MET' : 'NOT MET'} (CPU time ${fmt(rr1.cpuSeconds / bird1.cpuSeconds)}x); ` +
      `peak RSS <= 2x BIRD: ${fmt(m)}x ${m <= 2 ? 'MET' : 'NOT MET'}`);
  }
  console.log('\nhow each is measured:');
  for (const [d, n] of notes) console.log(`  ${d}: ${n}`);
  console.log('  times are quantized by the poll interval plus one poll (rackroute, BIRD 20 ms; FRR 50 ms; GoBGP 1 s)');
  if (process.env.JSON) writeFileSync(process.env.JSON, `${JSON.stringify({ runs, summary }, null, 2)}\n`);
});
