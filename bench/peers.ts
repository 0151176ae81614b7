// npm run bench:peers — many sessions: 200 peers, each with 100 IPv4 prefixes of its own, dial one rackroute agent
// at once as dynamic neighbours (site file bgp.listen + bgp.dynamicNeighbors). Prints the time from the first
// connection attempt to all Established and to all routes in the Loc-RIB, and the agent's added memory per session
// (VmRSS after the load minus VmRSS before, after the same settling time; VmHWM likewise). Goal (issue 4): all
// Established and loaded within 5 s of the first connection, under 150 KiB of added memory per session.
//
// Needs root and `npm run build` (the agent runs from dist/).
// Environment: PEERS=200  PREFIXES=100 (per peer)  SETTLE_MS=2000  JSON=FILE  KEEP=1
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rackroute, type DutContext } from './lib/duts.js';
import { cpuSeconds, JsonLines, MiB, procStatus, sleep, wallMs, withHarness } from './lib/harness.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const PEERS = Number(process.env.PEERS ?? 200);
const PER = Number(process.env.PREFIXES ?? 100);
const SETTLE = Number(process.env.SETTLE_MS ?? 2000);
const DUT = '198.18.0.2';
const FIRST_SOURCE = '198.18.1.1';
const RANGE = '198.18.1.0/24';
const KiB = 1024;

function loadNote(): string {
  const l1 = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  return `load average ${l1.toFixed(2)} on ${cpus().length} CPUs${l1 > 1.5 ? ': the machine is busy, times are noisy' : ''}`;
}

async function waitForFile(dir: string, suffix: string, ms: number): Promise<string> {
  const until = Date.now() + ms;
  let last = -1;
  for (;;) {
    const f = readdirSync(dir).find((x) => x.endsWith(suffix));
    if (f) {
      const size = statSync(join(dir, f)).size;
      if (size > 0 && size === last) return join(dir, f);
      last = size;
    }
    if (Date.now() > until) throw new Error(`no ${suffix} in ${dir}`);
    await sleep(500);
  }
}

interface Ev { event: string; at: number; source?: string }

await withHarness('peers', async (h) => {
  if (!existsSync(join(ROOT, 'dist/agent/agent.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  if (PEERS > 254) throw new Error('PEERS: at most 254 (one /24 of source addresses)');
  const gen = h.netns('peers-gen');
  const dutNs = h.netns('peers-dut');
  const sources = Array.from({ length: PEERS }, (_, i) => `198.18.1.${i + 1}/16`);
  h.veth({ ns: gen, dev: 'rrb-pgen', addrs: sources }, { ns: dutNs, dev: 'rrb-pdut', addrs: [`${DUT}/16`] });
  const ctx: DutContext = { h, ns: dutNs, local: DUT, localAsn: 64512, peer: FIRST_SOURCE, peerAsn: 65100, subnet: '198.18.0.0/16' };
  console.log(`bench:peers — ${PEERS} peers (${FIRST_SOURCE}.. in ${gen}, AS 65100) x ${PER} prefixes dial the agent at ${DUT} (${dutNs}) ` +
    `as dynamic neighbours of ${RANGE}; files in ${h.dir}`);

  if (process.env.HEAP_SNAPSHOT) {
    process.env.RACKROUTE_NODE_ARGS = `${process.env.RACKROUTE_NODE_ARGS ?? ''} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${h.dir}`;
  }
  const agent = new Rackroute(ctx, { listen: DUT, dynamicRange: RANGE, holdTime: 9, peers: false });
  await agent.start();
  // Is the listener wired in this build? Without it nobody answers on 179.
  const listening = spawnSync('nsenter', [`--net=/run/netns/${dutNs}`, 'ss', '-Hltn', 'sport = :179'], { encoding: 'utf8' }).stdout.trim() !== '';
  if (!listening) {
    throw new Error('the agent does not listen on port 179: this build does not wire BgpListener (site file bgp.listen / ' +
      'bgp.dynamicNeighbors) into the agent. Rebuild (npm run build) once src/agent + src/bgp/speaker wire it.');
  }
  await sleep(SETTLE);
  const before = procStatus(agent.pid!)!;
  const own = ((await agent.get('/v1/counts')) as { prefixes: { ipv4: number } }).prefixes.ipv4;
  console.log(`agent up: VmRSS ${(before.rss / MiB).toFixed(1)} MiB, VmHWM ${(before.hwm / MiB).toFixed(1)} MiB, ${own} own prefix(es)`);

  const cpu0 = cpuSeconds(agent.pid!);
  const genProc = h.spawn('generator', gen, [process.execPath, '--import', 'tsx', join(ROOT, 'bench/lib/generator-cli.ts'), 'connect',
    '--target', DUT, '--sources', FIRST_SOURCE, '--peers', String(PEERS), '--prefixes', String(PER), '--asn', '65100', '--hold', '9'],
  { pipe: true, cwd: ROOT });
  const events = new JsonLines<Ev>(genProc.child);
  const dialing = await events.wait('the generator to dial', (e) => e.event === 'dialing', 60_000);
  const want = PEERS * PER;
  let allUp = 0;
  let allIn = 0;
  let polls = 0;
  let last = { established: 0, routes: 0 };
  let lastPrint = wallMs();
  for (;;) {
    const c = (await agent.get('/v1/counts')) as { prefixes: { ipv4: number }; established: number; sessions: number };
    const t = wallMs();
    polls++;
    last = { established: c.established, routes: c.prefixes.ipv4 - own };
    if (!allUp && c.established >= PEERS) allUp = t;
    if (!allIn && last.routes >= want) allIn = t;
    if (allUp && allIn) break;
    if (t - dialing.at > 60_000) throw new Error(`not done after 60 s: ${last.established}/${PEERS} Established, ${last.routes}/${want} routes`);
    if (t - lastPrint > 1000) {
      console.log(`  ${((t - dialing.at) / 1000).toFixed(1)} s: ${last.established}/${PEERS} Established, ${last.routes}/${want} routes`);
      lastPrint = t;
    }
    await sleep(20);
  }
  const cpu = cpuSeconds(agent.pid!) - cpu0;
  const firstUp = events.all().find((e) => e.event === 'established');
  const genUp = events.all().filter((e) => e.event === 'established');
  const retries = events.all().filter((e) => e.event === 'connect-error' || e.event === 'closed').length;
  await sleep(SETTLE);
  const after = procStatus(agent.pid!)!;
  const status = (await agent.get('/v1/status')) as { sessions: Array<{ state: string; dynamic: boolean; accepted: number }> };
  const dyn = status.sessions.filter((s) => s.dynamic && s.state === 'Established');
  const perSessionRss = (after.rss - before.rss) / PEERS;
  if (process.env.HEAP_SNAPSHOT) {
    // Diagnostic: a heap snapshot forces a full GC first; VmRSS after it shows what is live, not garbage.
    process.kill(agent.pid!, 'SIGUSR2');
    const file = await waitForFile(h.dir, '.heapsnapshot', 60_000);
    const gced = procStatus(agent.pid!)!;
    console.log(`  heap snapshot ${file}: VmRSS after its full GC ${(gced.rss / MiB).toFixed(1)} MiB = ${((gced.rss - before.rss) / PEERS / KiB).toFixed(1)} KiB per session`);
  }
  const perSessionHwm = (after.hwm - before.hwm) / PEERS;
  const secUp = (allUp - dialing.at) / 1000;
  const secIn = (allIn - dialing.at) / 1000;

  console.log(`\nresults (${PEERS} peers x ${PER} prefixes = ${want.toLocaleString('en')} routes; times from the first connection attempt)`);
  console.log(`  first session Established      ${firstUp ? ((firstUp.at - dialing.at) / 1000).toFixed(2) : '?'} s (generator's view)`);
  console.log(`  all ${PEERS} Established            ${secUp.toFixed(2)} s (agent's count; generator saw ${genUp.length} Established, ${retries} connection retries/closes)`);
  console.log(`  all ${want.toLocaleString('en')} routes in the RIB   ${secIn.toFixed(2)} s (agent CPU meanwhile: ${cpu.toFixed(2)} s; ${loadNote().trim()})`);
  console.log(`  agent memory: VmRSS ${(before.rss / MiB).toFixed(1)} -> ${(after.rss / MiB).toFixed(1)} MiB = ${(perSessionRss / KiB).toFixed(1)} KiB per session; ` +
    `VmHWM ${(before.hwm / MiB).toFixed(1)} -> ${(after.hwm / MiB).toFixed(1)} MiB = ${(perSessionHwm / KiB).toFixed(1)} KiB per session`);
  console.log(`  dynamic sessions Established in /v1/status: ${dyn.length}, routes accepted from them: ${dyn.reduce((a, s) => a + s.accepted, 0)}`);
  const timeOk = Math.max(secUp, secIn) <= 5;
  const memOk = Math.max(perSessionRss, perSessionHwm) < 150 * KiB;
  console.log(`\ngoal (issue 4): all Established and loaded within 5 s: ${Math.max(secUp, secIn).toFixed(2)} s ${timeOk ? 'MET' : 'NOT MET'}; ` +
    `< 150 KiB added per session (the larger of VmRSS and VmHWM growth): ${(Math.max(perSessionRss, perSessionHwm) / KiB).toFixed(1)} KiB ${memOk ? 'MET' : 'NOT MET'}`);
  console.log(`  (polled GET /v1/counts every 20 ms: ${polls} polls; memory read after ${SETTLE} ms of settling, no forced GC)`);
  if (process.env.JSON) {
    writeFileSync(process.env.JSON, `${JSON.stringify({ peers: PEERS, prefixesPerPeer: PER, secondsAllEstablished: secUp, secondsAllRoutes: secIn, agentCpuSeconds: cpu,
      rssBefore: before.rss, rssAfter: after.rss, hwmBefore: before.hwm, hwmAfter: after.hwm, perSessionRss, perSessionHwm }, null, 2)}\n`);
  }
  await h.stop(genProc);
  await agent.stop();
});
