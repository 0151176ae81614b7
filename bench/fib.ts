// FIB benchmark: install then remove 100,000 and 1,000,000 IPv4 routes in one network namespace, with the same
// next hops, through rackroute's FIB layer, through `ip -batch` (one acknowledged request per route) and through
// BIRD 2's kernel protocol; a single next hop and ECMP (2 next hops). Then a 1,000,000-route reconcile pass with
// nothing to change. Prints routes/s and our ratios. Run as root: npm run bench:fib [-- sizes...]
// The FIB layer runs in a child process inside the namespace (node cannot setns): this same file with --child.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess, ChildProcessWithoutNullStreams } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { FibReconciler, NetlinkFib } from '../src/dataplane/netlink/index.js';
import type { FibChange, NextHop, Route } from '../src/dataplane/netlink/index.js';

const GW = ['192.0.2.1', '192.0.2.2'];
const BASE = 0x10000000; // 16.0.0.0: /24s from here, 1M of them end in 31.66.63.0/24
const dstOf = (i: number): string => {
  const a = BASE + i * 256;
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.0/24`;
};
const PROTO_BIRD = 12;
const PROTO_OURS = 199;

// ---------------------------------------------------------------------------------------------------------------
// child: runs inside the namespace, one JSON command per line

async function child(): Promise<void> {
  const fib = await NetlinkFib.open();
  const hopsFor = (ecmp: boolean): NextHop[] => (ecmp ? GW.map((gateway) => ({ gateway, dev: 'd0' })) : [{ gateway: GW[0], dev: 'd0' }]);
  const routes = (n: number, ecmp: boolean): Route[] => {
    const hops = hopsFor(ecmp); // shared: prepared once
    const out: Route[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = { dst: dstOf(i), nexthops: hops };
    return out;
  };
  const count = async (proto: number): Promise<number> => {
    let n = 0;
    await fib.scan(4, (r) => {
      if (r.protocol === proto) n++;
    });
    return n;
  };
  const progress = (label: string) => {
    let last = 0;
    return (done: number, total: number): void => {
      if (total >= 200_000 && (done - last >= total / 4 || done === total)) {
        last = done;
        process.stderr.write(`    ${label} ${done}/${total}\n`);
      }
    };
  };
  const handlers: Record<string, (a: Record<string, unknown>) => Promise<unknown>> = {
    async fib(a) {
      const n = a.n as number;
      const ecmp = a.ecmp as boolean;
      const t0 = performance.now();
      const prepared = routes(n, ecmp).map((r) => fib.prepare(r));
      const tPrep = performance.now();
      const add = await fib.apply(prepared.map((route): FibChange => ({ op: 'add', route })), progress('add'));
      const tAdd = performance.now();
      const installed = await count(PROTO_OURS);
      const tCount = performance.now();
      const del = await fib.apply(prepared.map((route): FibChange => ({ op: 'delete', route })), progress('delete'));
      const tDel = performance.now();
      return {
        prepareMs: tPrep - t0, addMs: tAdd - tPrep, delMs: tDel - tCount, installed, left: await count(PROTO_OURS),
        failures: add.failures.length + del.failures.length, batchSize: add.batchSize,
      };
    },
    async count(a) {
      return count(a.proto as number);
    },
    async reconcile(a) {
      const n = a.n as number;
      const rec = new FibReconciler({ fib, intervalMs: 0, families: [4] });
      const t0 = performance.now();
      rec.setDesired(routes(n, a.ecmp as boolean));
      const setMs = performance.now() - t0;
      const first = await rec.reconcile();
      const passes = [];
      for (let i = 0; i < 3; i++) {
        const p = await rec.reconcile();
        passes.push({ ms: p.durationMs, scanMs: p.scanMs, changes: p.added + p.replaced + p.deleted });
      }
      rec.setDesired([]);
      const clean = await rec.reconcile();
      return { setMs, firstMs: first.durationMs, firstAdded: first.added, passes, cleanMs: clean.durationMs, deleted: clean.deleted };
    },
  };
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const req = JSON.parse(line) as { id: number; cmd: string } & Record<string, unknown>;
    handlers[req.cmd](req).then(
      (result) => process.stdout.write(`${JSON.stringify({ id: req.id, result })}\n`),
      (e: unknown) => process.stdout.write(`${JSON.stringify({ id: req.id, error: String(e) })}\n`),
    );
  });
  rl.on('close', () => {
    fib.close();
    process.exit(0);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// parent: the namespace, `ip -batch`, BIRD, the table

const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const fmtRate = (n: number, ms: number): string => `${Math.round((n / ms) * 1000).toLocaleString('en-US')}/s`;

async function main(): Promise<void> {
  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
  if (sizes.length === 0) sizes.push(100_000, 1_000_000);
  const ns = `rrfib-bench-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'rrfib-bench-'));
  const procs: ChildProcess[] = [];
  let cleaned = false;
  const cleanup = (): void => {
    if (cleaned) return;
    cleaned = true;
    for (const p of procs) if (p.pid && p.exitCode === null) try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
    try { sh('ip', ['netns', 'del', ns]); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => { cleanup(); process.exit(130); });
  process.on('SIGTERM', () => { cleanup(); process.exit(143); });
  try {
    sh('ip', ['netns', 'add', ns]);
    const ip = (...a: string[]): string => sh('ip', ['-n', ns, ...a]);
    ip('link', 'set', 'lo', 'up');
    ip('link', 'add', 'd0', 'type', 'veth', 'peer', 'name', 'd0p');
    ip('link', 'set', 'd0', 'up');
    ip('link', 'set', 'd0p', 'up');
    ip('addr', 'add', '192.0.2.254/24', 'dev', 'd0');

    const c: ChildProcessWithoutNullStreams = spawn('nsenter', [`--net=/run/netns/${ns}`, process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), '--child'], { stdio: ['pipe', 'pipe', 'pipe'] });
    procs.push(c);
    c.stderr.pipe(process.stderr);
    const waiting = new Map<number, (v: { result?: unknown; error?: string }) => void>();
    createInterface({ input: c.stdout }).on('line', (l) => {
      const m = JSON.parse(l) as { id: number; result?: unknown; error?: string };
      waiting.get(m.id)?.(m);
      waiting.delete(m.id);
    });
    let id = 0;
    const call = async <T>(cmd: string, a: Record<string, unknown> = {}): Promise<T> => {
      const m = await new Promise<{ result?: unknown; error?: string }>((r) => {
        waiting.set(++id, r);
        c.stdin.write(`${JSON.stringify({ id, cmd, ...a })}\n`);
      });
      if (m.error) throw new Error(m.error);
      return m.result as T;
    };

    const results: { name: string; n: number; ecmp: boolean; addMs: number; delMs: number }[] = [];
    const waitCount = async (proto: number, want: number, t0: number, limitMs: number): Promise<number> => {
      // the count is a netlink dump (about 0.6 s at 1M routes): poll about once a second
      for (;;) {
        const n = await call<number>('count', { proto });
        if (n === want) return performance.now() - t0;
        if (performance.now() - t0 > limitMs) throw new Error(`timeout: ${n} of ${want} routes`);
        await sleep(Math.min(1000, 50 + want / 2000));
      }
    };

    for (const n of sizes) {
      for (const ecmp of [false, true]) {
        const label = `${n.toLocaleString('en-US')} routes, ${ecmp ? 'ECMP x2' : '1 next hop'}`;
        console.log(`\n== ${label}`);
        // rackroute
        const r = await call<{ prepareMs: number; addMs: number; delMs: number; installed: number; left: number; failures: number; batchSize: number }>('fib', { n, ecmp });
        if (r.installed !== n || r.left !== 0 || r.failures) throw new Error(`rackroute: installed ${r.installed}, left ${r.left}, failures ${r.failures}`);
        console.log(`  rackroute  add ${(r.addMs / 1000).toFixed(2)} s (${fmtRate(n, r.addMs)})  delete ${(r.delMs / 1000).toFixed(2)} s (${fmtRate(n, r.delMs)})  [prepare ${r.prepareMs.toFixed(0)} ms, ${r.batchSize}/sendmsg]`);
        results.push({ name: 'rackroute', n, ecmp, addMs: r.addMs, delMs: r.delMs });

        // ip -batch
        const via = ecmp ? GW.map((g) => `nexthop via ${g} dev d0`).join(' ') : `via ${GW[0]} dev d0`;
        const addFile = join(dir, 'add.batch');
        const delFile = join(dir, 'del.batch');
        await writeLines(addFile, n, (i) => `route add ${dstOf(i)} proto 199 ${via}`);
        await writeLines(delFile, n, (i) => `route del ${dstOf(i)} proto 199`);
        process.stderr.write('    ip -batch add...\n');
        let t0 = performance.now();
        ip('-batch', addFile);
        const ipAdd = performance.now() - t0;
        const got = await call<number>('count', { proto: PROTO_OURS });
        if (got !== n) throw new Error(`ip -batch installed ${got}`);
        process.stderr.write('    ip -batch delete...\n');
        t0 = performance.now();
        ip('-batch', delFile);
        const ipDel = performance.now() - t0;
        console.log(`  ip -batch  add ${(ipAdd / 1000).toFixed(2)} s (${fmtRate(n, ipAdd)})  delete ${(ipDel / 1000).toFixed(2)} s (${fmtRate(n, ipDel)})`);
        results.push({ name: 'ip -batch', n, ecmp, addMs: ipAdd, delMs: ipDel });

        // BIRD 2: static routes exported by its kernel protocol
        const conf = join(dir, 'bird.conf');
        const sock = join(dir, 'bird.ctl');
        const hops = ecmp ? GW.map((g) => `via ${g}`).join(' ') : `via ${GW[0]}`;
        await writeLines(conf, n, (i) => `route ${dstOf(i)} ${hops};`, [
          'router id 192.0.2.254;',
          `log "${join(dir, 'bird.log')}" { warning, error, fatal };`,
          'protocol device { scan time 60; }',
          'protocol kernel kr { ipv4 { import none; export all; }; learn off; scan time 3600; }',
          'protocol static st { ipv4;',
        ], ['}']);
        process.stderr.write('    BIRD start...\n');
        t0 = performance.now();
        const bird = spawn('nsenter', [`--net=/run/netns/${ns}`, 'bird', '-f', '-c', conf, '-s', sock, '-P', join(dir, 'bird.pid')], { stdio: 'ignore' });
        procs.push(bird);
        const birdAdd = await waitCount(PROTO_BIRD, n, t0, 600_000);
        process.stderr.write('    BIRD disable static...\n');
        t0 = performance.now();
        sh('birdc', ['-s', sock, 'disable', 'st']);
        const birdDel = await waitCount(PROTO_BIRD, 0, t0, 600_000);
        bird.kill('SIGTERM');
        await new Promise((res) => (bird.exitCode !== null ? res(null) : bird.once('exit', res)));
        console.log(`  BIRD 2     add ${(birdAdd / 1000).toFixed(2)} s (${fmtRate(n, birdAdd)})  delete ${(birdDel / 1000).toFixed(2)} s (${fmtRate(n, birdDel)})  [from start, config parse included; polled ~1/s]`);
        results.push({ name: 'BIRD 2', n, ecmp, addMs: birdAdd, delMs: birdDel });
        console.log(`  ratios (rackroute rate / theirs): add vs ip -batch ${(ipAdd / r.addMs).toFixed(2)}x, vs BIRD ${(birdAdd / r.addMs).toFixed(2)}x; delete vs ip -batch ${(ipDel / r.delMs).toFixed(2)}x, vs BIRD ${(birdDel / r.delMs).toFixed(2)}x`);
      }
    }

    const big = Math.max(...sizes);
    console.log(`\n== reconcile, ${big.toLocaleString('en-US')} routes desired`);
    const rc = await call<{ setMs: number; firstMs: number; firstAdded: number; passes: { ms: number; scanMs: number; changes: number }[]; cleanMs: number; deleted: number }>('reconcile', { n: big, ecmp: false });
    console.log(`  setDesired ${(rc.setMs / 1000).toFixed(2)} s; first pass (installs ${rc.firstAdded}) ${(rc.firstMs / 1000).toFixed(2)} s`);
    for (const p of rc.passes) console.log(`  pass with nothing to change: ${(p.ms / 1000).toFixed(3)} s (dump+match ${(p.scanMs / 1000).toFixed(3)} s, ${p.changes} changes)  goal < 2 s: ${p.ms < 2000 ? 'met' : 'NOT met'}`);
    console.log(`  withdraw all: ${rc.deleted} deleted in ${(rc.cleanMs / 1000).toFixed(2)} s`);

    console.log('\nsummary (routes/s)');
    console.log('  routes     next hops  method       add          delete');
    for (const x of results) console.log(`  ${String(x.n).padEnd(10)} ${(x.ecmp ? 'ECMP x2' : '1').padEnd(10)} ${x.name.padEnd(12)} ${fmtRate(x.n, x.addMs).padEnd(12)} ${fmtRate(x.n, x.delMs)}`);
    c.stdin.end();
  } finally {
    cleanup();
  }
}

async function writeLines(file: string, n: number, line: (i: number) => string, head: string[] = [], tail: string[] = []): Promise<void> {
  const out = createWriteStream(file);
  const write = (s: string): Promise<void> | void => {
    if (!out.write(s)) return new Promise((r) => out.once('drain', () => r()));
  };
  await write(head.length ? `${head.join('\n')}\n` : '');
  let chunk = '';
  for (let i = 0; i < n; i++) {
    chunk += `${line(i)}\n`;
    if (chunk.length > 1 << 16) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk + (tail.length ? `${tail.join('\n')}\n` : ''));
  await new Promise<void>((r) => out.end(() => r()));
}

if (process.argv.includes('--child')) await child();
else await main();
