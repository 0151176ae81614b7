// Runs the FIB layer inside a network namespace for the integration tests (node cannot setns itself): started
// as `nsenter --net=/run/netns/NS node --import tsx driver.ts`, it answers one JSON request per stdin line with
// one JSON line on stdout.
import { createInterface } from 'node:readline';
import { FibReconciler, NetlinkFib } from '../../../src/dataplane/netlink/index.js';
import type { FibChange, FibOp, Route } from '../../../src/dataplane/netlink/index.js';

interface Request {
  readonly id: number;
  readonly op: string;
  readonly [k: string]: unknown;
}

const fib = await NetlinkFib.open();
let rec: FibReconciler | null = null;

function reconciler(opts: { intervalMs?: number; watch?: boolean; debounceMs?: number } = {}): FibReconciler {
  rec ??= new FibReconciler({ fib, intervalMs: opts.intervalMs ?? 0, watch: opts.watch, debounceMs: opts.debounceMs ?? 50 });
  return rec;
}

/** n IPv4 /24 routes from 10.128.0.0 via one gateway: for batching tests. */
function bulk(n: number, gateway: string): Route[] {
  const hops = [{ gateway }];
  const out: Route[] = [];
  for (let i = 0; i < n; i++) {
    const a = 0x0a800000 + i * 256;
    out.push({ dst: `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.0/24`, nexthops: hops });
  }
  return out;
}

async function handle(req: Request): Promise<unknown> {
  switch (req.op) {
    case 'apply': {
      await fib.refreshLinks();
      const changes = (req.changes as { op: FibOp; route: Route }[]).map((c): FibChange => ({ op: c.op, route: fib.prepare(c.route) }));
      return fib.apply(changes);
    }
    case 'bulk': {
      const routes = bulk(req.n as number, req.gateway as string);
      const changes = routes.map((r): FibChange => ({ op: req.change as FibOp, route: fib.prepare(r) }));
      const res = await fib.apply(changes);
      return { ...res, failures: res.failures.slice(0, 5), failed: res.failures.length };
    }
    case 'prepare':
      return fib.prepare(req.route as Route).key;
    case 'setDesired':
      return reconciler().setDesired(req.routes as Route[]).map((e) => e.message);
    case 'setDesiredBulk':
      return reconciler().setDesired(bulk(req.n as number, req.gateway as string)).length;
    case 'reconcile': {
      const r = await reconciler().reconcile();
      return { ...r, failures: r.failures.slice(0, 10) };
    }
    case 'start': {
      // a fresh reconciler with a timer (and a watch): the desired routes come with the request
      await rec?.stop();
      rec = null;
      const r = reconciler(req as { intervalMs?: number; watch?: boolean });
      r.setDesired(req.routes as Route[]);
      r.start();
      return true;
    }
    case 'stop':
      await rec?.stop();
      return true;
    case 'counters':
      return reconciler().counters();
    case 'view':
      return reconciler().view({ onlyDrift: req.onlyDrift === true });
    case 'upsert':
      reconciler().upsert(req.route as Route);
      return true;
    case 'remove':
      return reconciler().remove(req.route as Route);
    default:
      throw new Error(`unknown op ${req.op}`);
  }
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const req = JSON.parse(line) as Request;
  handle(req).then(
    (result) => process.stdout.write(`${JSON.stringify({ id: req.id, ok: true, result })}\n`),
    (e: unknown) => process.stdout.write(`${JSON.stringify({ id: req.id, ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) })}\n`),
  );
});
rl.on('close', () => {
  void rec?.stop();
  fib.close();
  process.exit(0);
});
process.stdout.write(`${JSON.stringify({ id: 0, ok: true, result: 'ready' })}\n`);
