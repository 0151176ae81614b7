// The loader against the kernel: attach / re-attach / reload / detach at the ingress of two pod veths with
// real traffic between two pod namespaces. Re-attaching and reloading keep one attachment and lose no packet;
// the maps (pod CIDRs, counters) survive a reload; a device moves between the tc and tcx hooks without losing a
// packet; detached, the kernel path still carries the traffic.
import test from 'ava';
import { DatapathLoader, TC_PREF } from '../../src/dataplane/ebpf/loader.js';
import { hostExec } from '../../src/dataplane/ebpf/exec.js';
import { IFACE_F_ATTACHED, IFACE_F_POD, POD_F_LOCAL } from '../../src/dataplane/ebpf/layout.js';
import { syncPodCidrs } from '../../src/dataplane/ebpf/sync.js';
import { Reason } from '../../src/dataplane/ebpf/reasons.generated.js';
import { ensureBpffs, isRoot } from './helpers/netns.js';
import { twoPods, type TwoPods } from './helpers/topo.js';

let topo: TwoPods;
let loader: DatapathLoader;

test.before(() => {
  if (!isRoot()) throw new Error('test/bpf needs root (tc, network namespaces); CI runs it as root');
  ensureBpffs();
  topo = twoPods('l');
  loader = new DatapathLoader({ pinDir: `/sys/fs/bpf/${topo.node.name}`, exec: hostExec(topo.node.name) });
});

test.after.always(async () => {
  await loader?.destroy().catch(() => undefined);
  topo?.delete();
});

const peerCount = () => loader.maps().readCounters().find((c) => c.id === Reason.FWD_REDIRECT_PEER)?.packets ?? 0;

function ping(to: string, count: number, interval = '0.2'): { sent: number; received: number } {
  const out = (() => {
    try {
      return topo.podA.run(['ping', '-q', '-c', String(count), '-i', interval, '-W', '1', to]);
    } catch (err) {
      return String((err as Error).message);
    }
  })();
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  return { sent: Number(m?.[1] ?? 0), received: Number(m?.[2] ?? 0) };
}

function pingAsync(to: string, count: number, interval: string): Promise<{ sent: number; received: number }> {
  return new Promise((resolve) => {
    import('node:child_process').then(({ execFile }) => {
      execFile('nsenter', [`--net=/run/netns/${topo.podA.name}`, '--', 'ping', '-q', '-c', String(count), '-i', interval, '-W', '1', to],
        (_err, stdout) => {
          const m = /(\d+) packets transmitted, (\d+) received/.exec(String(stdout));
          resolve({ sent: Number(m?.[1] ?? 0), received: Number(m?.[2] ?? 0) });
        });
    });
  });
}

test.serial('load, fill, attach: pod-to-pod traffic takes the fast path (redirect_peer), IPv4 and IPv6', async (t) => {
  await loader.load();
  syncPodCidrs(loader.maps(), new Map([['10.244.1.0/24', POD_F_LOCAL], ['10.244.2.0/24', POD_F_LOCAL],
    ['fd00:244:1::/64', POD_F_LOCAL], ['fd00:244:2::/64', POD_F_LOCAL]]));
  const ia = await loader.attach('lxca', 'pod');
  const ib = await loader.attach('lxcb', 'pod');
  t.deepEqual(loader.maps().listIfaces(), [{ ifindex: ia, flags: IFACE_F_ATTACHED | IFACE_F_POD }, { ifindex: ib, flags: IFACE_F_ATTACHED | IFACE_F_POD }]
    .sort((x, y) => x.ifindex - y.ifindex));
  // The first packets resolve neighbours through the stack; after that the fast path carries them.
  t.is(ping(topo.b.v4, 3).received, 3);
  t.is(ping(topo.b.v6, 3).received, 3);
  const before = peerCount();
  t.is(ping(topo.b.v4, 5).received, 5);
  t.is(ping(topo.b.v6, 5).received, 5);
  t.true(peerCount() - before >= 20, `redirect_peer counted ${peerCount() - before} (want both directions of 10 pings)`);
});

const tcFilters = (dev: string): number => (JSON.parse(topo.node.run(['tc', '-j', 'filter', 'show', 'dev', dev, 'ingress'])) as
  { pref: number; options?: unknown }[]).filter((f) => f.pref === TC_PREF && f.options).length;

test.serial('attaching again is idempotent: one attachment per device, same program, at the pod hook', async (t) => {
  const before = await loader.attachments();
  await loader.attach('lxca', 'pod');
  await loader.attach('lxca', 'pod');
  const after = await loader.attachments();
  t.is(after.length, 2);
  t.deepEqual(after, before);
  const hook = await loader.hookFor('pod');
  t.true(after.every((a) => a.hook === hook));
  t.is(tcFilters('lxca'), hook === 'tc' ? 1 : 0);
  if (hook === 'tc') t.log('SKIPPED the tcx hook: this kernel has no tcx (before 6.6); pods are on tc');
  t.is(await loader.hookFor('uplink'), 'tc', 'uplinks stay on tc (the IP-in-IP decapsulation filter runs before rr_ingress there)');
});

test.serial('a device moves from tc to tcx and back under traffic: no packet lost, one attachment after each move', async (t) => {
  if (!(await loader.hasTcx())) {
    t.log('SKIPPED: this kernel has no tcx (before 6.6): every device is on tc');
    t.pass();
    return;
  }
  const tcOnly = new DatapathLoader({ pinDir: loader.pinDir, exec: hostExec(topo.node.name), hook: 'tc' });
  const flood = pingAsync(topo.b.v4, 400, '0.005');
  const seen: string[] = [];
  for (const [l, hook] of [[tcOnly, 'tc'], [loader, 'tcx'], [tcOnly, 'tc'], [loader, 'tcx']] as const) {
    await new Promise((r) => setTimeout(r, 300));
    await l.attach('lxca', 'pod');
    await l.attach('lxcb', 'pod');
    const now = await loader.attachments();
    seen.push(now.map((a) => `${a.ifname}:${a.hook}`).sort().join(' '));
    t.is(now.length, 2, `one attachment per device on ${hook}`);
    t.true(now.every((a) => a.hook === hook), JSON.stringify(now));
    t.is(tcFilters('lxca'), hook === 'tc' ? 1 : 0);
  }
  tcOnly.close();
  const result = await flood;
  t.log(seen.join(' -> '));
  t.is(result.sent, 400);
  t.is(result.received, 400, 'no packet lost across four moves');
});

test.serial('a device name with a quote and a backslash (Linux allows both) is listed exactly', async (t) => {
  const odd = 'rr"q\\x';
  topo.node.run(['ip', 'link', 'add', 'name', odd, 'type', 'veth', 'peer', 'name', 'rrq-peer']);
  try {
    await loader.attach(odd, 'pod');
    t.true((await loader.attachments()).some((a) => a.ifname === odd), JSON.stringify(await loader.attachments()));
    await loader.detach(odd);
    t.false((await loader.attachments()).some((a) => a.ifname === odd));
  } finally {
    topo.node.run(['ip', 'link', 'del', 'name', odd]);
  }
});

test.serial('reloading under traffic swaps the program in place: no packet lost, maps and counters kept', async (t) => {
  const mapsBefore = loader.maps().summaries().map((m) => m.id);
  const podsBefore = loader.maps().listPodCidrs();
  const counted = peerCount();
  const idsBefore = new Set((await loader.attachments()).map((a) => a.programId));
  const flood = pingAsync(topo.b.v4, 400, '0.005');
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 300));
    await loader.load();
  }
  const result = await flood;
  t.is(result.sent, 400);
  t.is(result.received, 400, 'no packet lost across three reloads');
  const after = await loader.attachments();
  t.is(after.length, 2);
  t.false(after.some((a) => idsBefore.has(a.programId)), 'both devices run the newly loaded program');
  t.is(new Set(after.map((a) => a.programId)).size, 1, 'one program id on every device');
  loader.close(); // reopen the pinned maps as a restarted agent would
  t.deepEqual(loader.maps().summaries().map((m) => m.id), mapsBefore, 'the same maps (ids) after reloads');
  t.deepEqual(loader.maps().listPodCidrs(), podsBefore);
  t.true(peerCount() >= counted + 700, 'counters kept counting across reloads');
});

test.serial('detached, the kernel path carries the traffic and the counters stop', async (t) => {
  await loader.detach('lxca');
  await loader.detach('lxcb');
  await loader.detach('lxcb'); // again: nothing to do
  t.deepEqual(await loader.attachments(), []);
  t.deepEqual(loader.maps().listIfaces(), []);
  const before = peerCount();
  t.is(ping(topo.b.v4, 5).received, 5);
  t.is(peerCount(), before);
});
