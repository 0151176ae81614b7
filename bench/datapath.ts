// npm run bench:datapath — the eBPF fast path measured two ways, in one run:
//  1. the program alone through BPF_PROG_TEST_RUN (bpf/build/rr_prog_run): ns per packet on the FIB path
//     (pod A -> pod B, bpf_fib_lookup hit, redirect_peer), as repeat=1 calls in a loop (the Katran way: the
//     kernel's own clock around one run) and batched (repeat=250 x 4000 calls, TTL 255 so every run stays on
//     the FIB path; and a single repeat=1e6 call, where the packet's TTL runs out after 254 runs, so it
//     mostly measures the TTL pass path: printed for comparison with other tools' figures). With only the
//     default routing rules, also the batched figure with fib-direct (BPF_FIB_LOOKUP_DIRECT). Then the same
//     packet on the endpoint path (the pods' host routes put in the endpoint maps the way the agent does:
//     one hash lookup, no bpf_fib_lookup), repeat=1 and batched. And two pass paths: a packet with neither
//     address in a pod CIDR, and one from pod A to an address without a route (bpf_fib_lookup says no). Then pod A
//     to another node's pod CIDR (10.244.9.0/24 via a ToR on the uplink up0, added to the node for this): on the FIB
//     path, and with the next-hop cache filled the way the agent fills it (discoverNexthops + syncNexthops: the
//     route's gateway MAC and device, no bpf_fib_lookup), repeat=1 and batched, and batched with two next hops
//     (the flow hash picks one).
//  2. pod-to-pod traffic between two pod namespaces through a node namespace (veths), with rr_ingress
//     attached at the node side of both veths vs not attached (the kernel's own forwarding), alternating
//     rounds: off, on with the FIB path only (endpoint maps empty), on with the endpoint maps filled: iperf3
//     TCP throughput and UDP small-packet rate; and the node's forwarding rate (bench/lib/fwd-rate.ts): 60-byte
//     frames from a generator in the kernel (XDP live frames) to a counting sink, so that the node's forwarding is
//     what limits the rate, not the end hosts' sockets. The same rate to another node's pod CIDR (routed via pod B as
//     its gateway): in the kernel, on the FIB path and from the next-hop cache. Ratios printed; goals from issue 6.
// Needs root. Everything it creates is named rrbpf-* and removed at the end, also on failure.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatapathLoader, DEFAULT_BUILD_DIR, onlyDefaultRules } from '../src/dataplane/ebpf/loader.js';
import { hostExec } from '../src/dataplane/ebpf/exec.js';
import { CFG_F_FIB_DIRECT, POD_F_LOCAL, POD_F_REMOTE } from '../src/dataplane/ebpf/layout.js';
import { syncEndpoints, syncPodCidrs } from '../src/dataplane/ebpf/sync.js';
import { discoverEndpoints } from '../src/dataplane/ebpf/discover.js';
import { discoverNexthops } from '../src/dataplane/ebpf/nexthops.js';
import type { Endpoint } from '../src/dataplane/ebpf/layout.js';
import { Reason } from '../src/dataplane/ebpf/reasons.generated.js';
import { ensureBpffs, isRoot } from '../test/bpf/helpers/netns.js';
import { twoPods, type TwoPods } from '../test/bpf/helpers/topo.js';
import { ForwardingRate } from './lib/fwd-rate.js';
import { buildPacket } from '../test/bpf/helpers/packets.js';
import { skbCtx } from '../test/bpf/helpers/progrun.js';

const ROUNDS = Number(process.env.RR_BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.RR_BENCH_SECONDS ?? 5);

interface ProgRunResult { retval: number; repeat: number; calls: number; median_ns: number; mean_ns: number; min_ns: number; wall_ns_per_call: number }

function progRun(topo: TwoPods, pin: string, pkt: Buffer, ctx: Buffer, repeat: number, calls: number): ProgRunResult {
  const dir = mkdtempSync(join(tmpdir(), 'rrbpf-bench-'));
  try {
    writeFileSync(join(dir, 'pkt'), pkt);
    writeFileSync(join(dir, 'ctx'), ctx);
    const out = topo.node.run([join(DEFAULT_BUILD_DIR, 'rr_prog_run'), pin, join(dir, 'pkt'), join(dir, 'ctx'), String(repeat), String(calls)]);
    return JSON.parse(out) as ProgRunResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function iperf(topo: TwoPods, args: string[]): Record<string, unknown> {
  const out = execFileSync('nsenter', [`--net=/run/netns/${topo.podA.name}`, '--', 'iperf3', '-c', topo.b.v4, '-t', String(SECONDS), '-J', ...args],
    { encoding: 'utf8', maxBuffer: 64 << 20 });
  return JSON.parse(out) as Record<string, unknown>;
}

interface Traffic { tcpGbps: number; udpKpps: number; udpLossPct: number; fwdKpps: number }

function measure(topo: TwoPods, rate: ForwardingRate): Traffic {
  const tcp = iperf(topo, []) as { end: { sum_received: { bits_per_second: number } } };
  // Small UDP datagrams (64-byte payload, 106-byte frames), unlimited rate: forwarding cost per packet dominates.
  const udp = iperf(topo, ['-u', '-b', '0', '-l', '64']) as { end: { sum: { packets: number; lost_packets: number; seconds: number } } };
  const s = udp.end.sum;
  const fwd = rate.measure(SECONDS);
  return {
    fwdKpps: fwd.kpps,
    tcpGbps: tcp.end.sum_received.bits_per_second / 1e9,
    udpKpps: (s.packets - s.lost_packets) / s.seconds / 1e3,
    udpLossPct: s.packets ? (100 * s.lost_packets) / s.packets : 0,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Another node's pod CIDR, reached through a ToR on an uplink of the node (up0, not attached: test runs only). */
const REMOTE_CIDR = '10.244.9.0/24';
const REMOTE_POD = '10.244.9.7';
/**
 * The forwarding rate to another node's pod CIDR: 10.244.20.0/24 via pod B's address on lxcb (pod B plays the ToR,
 * its sink counts what arrives), in the kernel, by bpf_fib_lookup, and from the next-hop cache.
 */
const GW_CIDR = '10.244.20.0/24';
const GW_POD = '10.244.20.5';
const TOR_MAC = '02:00:00:00:aa:01';

function addUplink(topo: TwoPods): { ifname: string; ifindex: number } {
  topo.node.lines(`
    ip link add up0 address 02:00:00:00:00:10 type veth peer name up0p
    ip link set up0 up
    ip link set up0p up
    ip addr add 10.0.1.10/24 dev up0
    ip neigh replace 10.0.1.1 lladdr ${TOR_MAC} dev up0 nud permanent
    ip route add ${REMOTE_CIDR} via 10.0.1.1
  `);
  return { ifname: 'up0', ifindex: topo.node.ifindex('up0') };
}

async function main(): Promise<void> {
  if (!isRoot()) throw new Error('bench:datapath needs root (BPF, tc, network namespaces)');
  ensureBpffs();
  const topo = twoPods('bn');
  const loader = new DatapathLoader({ pinDir: `/sys/fs/bpf/${topo.node.name}`, exec: hostExec(topo.node.name) });
  let server: ChildProcess | undefined;
  let rate: ForwardingRate | undefined;
  let rateRemote: ForwardingRate | undefined;
  let refDir: string | undefined;
  try {
    await loader.load();
    const up0 = addUplink(topo);
    syncPodCidrs(loader.maps(), new Map([['10.244.1.0/24', POD_F_LOCAL], ['10.244.2.0/24', POD_F_LOCAL], [REMOTE_CIDR, POD_F_REMOTE],
      [GW_CIDR, POD_F_REMOTE]]));
    await loader.attach('lxca', 'pod');
    await loader.attach('lxcb', 'pod');
    topo.podA.run(['ping', '-q', '-c', '3', '-i', '0.2', topo.b.v4]); // neighbours resolved both ways
    // The pods' host routes, as a routed CNI installs them: what the agent turns into endpoint entries.
    topo.node.run(['ip', 'route', 'add', `${topo.a.v4}/32`, 'dev', 'lxca']);
    topo.node.run(['ip', 'route', 'add', `${topo.b.v4}/32`, 'dev', 'lxcb']);
    const nodeExec = hostExec(topo.node.name);
    const devs = (JSON.parse(topo.node.run(['ip', '-j', 'link', 'show', 'type', 'veth'])) as { ifname: string; ifindex: number }[])
      .filter((l) => l.ifname === 'lxca' || l.ifname === 'lxcb').map((l) => ({ ifname: l.ifname, ifindex: l.ifindex }));
    const endpoints: Endpoint[] = await discoverEndpoints(nodeExec, ['10.244.1.0/24', '10.244.2.0/24'], devs);
    if (endpoints.length !== 2) throw new Error(`expected the two pods as endpoints, found ${JSON.stringify(endpoints)}`);
    const setEndpoints = (on: boolean) => syncEndpoints(loader.maps(), on ? endpoints : []);
    setEndpoints(false);

    // 1. BPF_PROG_TEST_RUN
    const lxca = JSON.parse(topo.node.run(['ip', '-j', 'link', 'show', 'dev', 'lxca'])) as { ifindex: number; address: string }[];
    const podAMac = (JSON.parse(topo.podA.run(['ip', '-j', 'link', 'show', 'dev', 'eth0'])) as { address: string }[])[0].address;
    const ctx = skbCtx({ ifindex: lxca[0].ifindex, ingressIfindex: lxca[0].ifindex });
    const pkt = (ttl: number, dst = topo.b.v4, src = topo.a.v4) => buildPacket({ src, dst, l4: 'udp', srcMac: podAMac, dstMac: lxca[0].address, ttl,
      payload: Buffer.alloc(18) });
    const fib1 = progRun(topo, loader.programPin, pkt(64), ctx, 1, 100_000);
    const fibBatch = progRun(topo, loader.programPin, pkt(255), ctx, 250, 4000);
    const mixed = progRun(topo, loader.programPin, pkt(64), ctx, 1_000_000, 1);
    const count = (r: Reason) => loader.maps().readCounters().find((c) => c.id === r)?.packets ?? 0;
    const notPodBefore = count(Reason.PASS_NOT_POD), noRouteBefore = count(Reason.PASS_FIB_NOT_FWDED);
    // Neither address a pod's: passed after the pod CIDR match. Pod A to an address without a route: the FIB says no.
    const notPod = progRun(topo, loader.programPin, pkt(64, '192.168.77.1', '192.168.77.2'), ctx, 1000, 1000);
    const podNoRoute = progRun(topo, loader.programPin, pkt(64, '192.168.77.1'), ctx, 1000, 1000);
    if (count(Reason.PASS_NOT_POD) - notPodBefore !== 1e6 || count(Reason.PASS_FIB_NOT_FWDED) - noRouteBefore !== 1e6) {
      throw new Error('the non-pod and no-route packets did not take their pass paths');
    }
    let direct: ProgRunResult | undefined;
    if (await onlyDefaultRules(hostExec(topo.node.name))) {
      loader.maps().setConfigFlags(CFG_F_FIB_DIRECT);
      direct = progRun(topo, loader.programPin, pkt(255), ctx, 250, 4000);
      loader.maps().setConfigFlags(0);
    }
    if (fib1.retval !== 7 || fibBatch.retval !== 7) throw new Error(`FIB path not taken in test run (retval ${fib1.retval}/${fibBatch.retval})`);
    // Reference points in the same harness, same packet: an empty program, and bpf_fib_lookup alone (bpf/rr_bench.c).
    refDir = join(loader.pinDir, 'bench-ref');
    execFileSync('bpftool', ['prog', 'loadall', join(DEFAULT_BUILD_DIR, 'rr_bench.o'), refDir]);
    const nop = progRun(topo, join(refDir, 'rr_bench_nop'), pkt(255), ctx, 250, 4000);
    const helper = progRun(topo, join(refDir, 'rr_bench_fib'), pkt(255), ctx, 250, 4000);
    const helperRemote = progRun(topo, join(refDir, 'rr_bench_fib'), pkt(255, REMOTE_POD), ctx, 250, 4000);
    if (nop.retval !== 0 || helper.retval !== 0 || helperRemote.retval !== 0) {
      throw new Error(`reference programs: bpf_fib_lookup did not succeed (retval ${helper.retval}/${helperRemote.retval})`);
    }
    const peer = loader.maps().readCounters().find((c) => c.id === Reason.FWD_REDIRECT_PEER)?.packets ?? 0;
    setEndpoints(true);
    const epCount = () => loader.maps().readCounters().find((c) => c.id === Reason.FWD_ENDPOINT_PEER)?.packets ?? 0;
    const epBefore = epCount();
    const ep1 = progRun(topo, loader.programPin, pkt(64), ctx, 1, 100_000);
    const epBatch = progRun(topo, loader.programPin, pkt(255), ctx, 250, 4000);
    const epCounted = epCount() - epBefore;
    if (ep1.retval !== 7 || epBatch.retval !== 7 || epCounted < 100_000 + 250 * 4000) {
      throw new Error(`endpoint path not taken in test run (retval ${ep1.retval}/${epBatch.retval}, counted ${epCounted})`);
    }
    setEndpoints(false);

    // Pod A -> a remote pod: the FIB path (bpf_redirect to up0), then the next-hop cache as the agent fills it.
    const fibRemoteBefore = count(Reason.FWD_REDIRECT);
    const remoteFib1 = progRun(topo, loader.programPin, pkt(64, REMOTE_POD), ctx, 1, 100_000);
    const remoteFibBatch = progRun(topo, loader.programPin, pkt(255, REMOTE_POD), ctx, 250, 4000);
    const fibRemoteCounted = count(Reason.FWD_REDIRECT) - fibRemoteBefore;
    const found = await discoverNexthops(nodeExec, [REMOTE_CIDR], ['10.244.0.0/16'], [up0]);
    const cached = loader.maps().syncNexthops(found.entries);
    if (cached.added.length !== 1) throw new Error(`the next-hop cache did not take ${REMOTE_CIDR}: ${JSON.stringify({ found, cached })}`);
    const nhBefore = count(Reason.FWD_NEXTHOP);
    const remoteNh1 = progRun(topo, loader.programPin, pkt(64, REMOTE_POD), ctx, 1, 100_000);
    const remoteNhBatch = progRun(topo, loader.programPin, pkt(255, REMOTE_POD), ctx, 250, 4000);
    const nhCounted = count(Reason.FWD_NEXTHOP) - nhBefore;
    // Two next hops (a second ToR MAC on up0): the flow hash picks one.
    const nh = found.entries[0].nexthops[0];
    loader.maps().syncNexthops([{ cidr: REMOTE_CIDR, nexthops: [nh, { ...nh, dmac: '02:00:00:00:aa:02' }] }]);
    const ecmpBefore = count(Reason.FWD_NEXTHOP);
    const remoteEcmpBatch = progRun(topo, loader.programPin, pkt(255, REMOTE_POD), ctx, 250, 4000);
    const ecmpCounted = count(Reason.FWD_NEXTHOP) - ecmpBefore;
    loader.maps().clearNexthops();
    const remoteRuns = 100_000 + 250 * 4000;
    if (fibRemoteCounted !== remoteRuns || nhCounted !== remoteRuns || ecmpCounted !== 250 * 4000 || remoteNh1.retval !== 7 || remoteNhBatch.retval !== 7) {
      throw new Error(`remote pod packets did not take their paths (FIB ${fibRemoteCounted}, next-hop cache ${nhCounted} of ${remoteRuns})`);
    }

    // 2. Traffic, alternating off / on.
    rate = new ForwardingRate(topo, pkt(64), loader.pinDir);
    topo.node.run(['ip', 'route', 'add', GW_CIDR, 'via', topo.b.v4, 'dev', 'lxcb']);
    const lxcbDev = devs.find((d) => d.ifname === 'lxcb')!;
    const gwCache = await discoverNexthops(nodeExec, [GW_CIDR], ['10.244.0.0/16'], [lxcbDev]);
    if (gwCache.entries.length !== 1) throw new Error(`the gateway route was not cacheable: ${JSON.stringify(gwCache.skipped)}`);
    rateRemote = new ForwardingRate(topo, pkt(64, GW_POD), loader.pinDir);
    const offR: number[] = [], fibR: number[] = [], nhR: number[] = [];
    const redirectCount = () => count(Reason.FWD_REDIRECT);
    const nhCount = () => count(Reason.FWD_NEXTHOP);
    server = spawn('nsenter', [`--net=/run/netns/${topo.podB.name}`, '--', 'iperf3', '-s'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 500));
    const off: Traffic[] = [], on: Traffic[] = [], onEp: Traffic[] = [];
    const peerCount = () => loader.maps().readCounters().find((c) => c.id === Reason.FWD_REDIRECT_PEER)?.packets ?? 0;
    for (let round = 0; round < ROUNDS; round++) {
      await loader.detach('lxca');
      await loader.detach('lxcb');
      off.push(measure(topo, rate));
      offR.push(rateRemote.measure(SECONDS).kpps);
      await loader.attach('lxca', 'pod');
      await loader.attach('lxcb', 'pod');
      setEndpoints(false);
      loader.maps().clearNexthops();
      let r0 = redirectCount();
      fibR.push(rateRemote.measure(SECONDS).kpps);
      if (redirectCount() - r0 < 1000) throw new Error('remote rate: the FIB path did not count the frames');
      loader.maps().syncNexthops(gwCache.entries);
      r0 = nhCount();
      nhR.push(rateRemote.measure(SECONDS).kpps);
      if (nhCount() - r0 < 1000) throw new Error('remote rate: the next-hop cache did not count the frames');
      loader.maps().clearNexthops();
      let before = peerCount();
      on.push(measure(topo, rate));
      if (peerCount() - before < 1000) throw new Error('fast path attached but redirect_peer did not count the traffic');
      setEndpoints(true);
      before = epCount();
      onEp.push(measure(topo, rate));
      if (epCount() - before < 1000) throw new Error('endpoint maps filled but the endpoint path did not count the traffic');
      setEndpoints(false);
      console.error(`round ${round + 1}/${ROUNDS}: off ${JSON.stringify(off[round])} on(FIB) ${JSON.stringify(on[round])} on(endpoint) ${JSON.stringify(onEp[round])}`
        + ` remote rate kpps: kernel ${offR[round]!.toFixed(1)} FIB ${fibR[round]!.toFixed(1)} next-hop cache ${nhR[round]!.toFixed(1)}`);
    }
    const m = (xs: Traffic[], k: keyof Traffic) => median(xs.map((x) => x[k]));
    const result = {
      kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
      cpus: Number(execFileSync('nproc', { encoding: 'utf8' })),
      progRun: {
        fibPathRepeat1: { calls: fib1.calls, medianNs: fib1.median_ns, meanNs: fib1.mean_ns, minNs: fib1.min_ns, wallNsPerCall: fib1.wall_ns_per_call },
        fibPathBatched: { repeat: 250, calls: fibBatch.calls, medianNs: fibBatch.median_ns, meanNs: fibBatch.mean_ns },
        referenceEmptyProgramBatched: { repeat: 250, calls: nop.calls, medianNs: nop.median_ns },
        referenceFibLookupOnlyBatched: { repeat: 250, calls: helper.calls, medianNs: helper.median_ns, remotePodMedianNs: helperRemote.median_ns },
        fibPathBatchedFibDirect: direct ? { repeat: 250, calls: direct.calls, medianNs: direct.median_ns, meanNs: direct.mean_ns } : null,
        repeat1e6TtlDrains: { meanNs: mixed.mean_ns, note: '254 runs on the FIB path, then TTL 1: the pass path' },
        notPodPassBatched: { repeat: 1000, medianNs: notPod.median_ns },
        podNoRoutePassBatched: { repeat: 1000, medianNs: podNoRoute.median_ns },
        redirectPeerCounted: peer,
        endpointPathRepeat1: { calls: ep1.calls, medianNs: ep1.median_ns, meanNs: ep1.mean_ns, minNs: ep1.min_ns, wallNsPerCall: ep1.wall_ns_per_call },
        endpointPathBatched: { repeat: 250, calls: epBatch.calls, medianNs: epBatch.median_ns, meanNs: epBatch.mean_ns },
        endpointPeerCounted: epCounted,
        remotePodFibRepeat1: { calls: remoteFib1.calls, medianNs: remoteFib1.median_ns, meanNs: remoteFib1.mean_ns, minNs: remoteFib1.min_ns },
        remotePodFibBatched: { repeat: 250, calls: remoteFibBatch.calls, medianNs: remoteFibBatch.median_ns, meanNs: remoteFibBatch.mean_ns },
        remotePodNexthopRepeat1: { calls: remoteNh1.calls, medianNs: remoteNh1.median_ns, meanNs: remoteNh1.mean_ns, minNs: remoteNh1.min_ns },
        remotePodNexthopBatched: { repeat: 250, calls: remoteNhBatch.calls, medianNs: remoteNhBatch.median_ns, meanNs: remoteNhBatch.mean_ns },
        remotePodNexthop2Batched: { repeat: 250, calls: remoteEcmpBatch.calls, medianNs: remoteEcmpBatch.median_ns, meanNs: remoteEcmpBatch.mean_ns },
      },
      traffic: {
        rounds: ROUNDS, seconds: SECONDS,
        off: { tcpGbps: m(off, 'tcpGbps'), udpKpps: m(off, 'udpKpps'), udpLossPct: m(off, 'udpLossPct'), fwdKpps: m(off, 'fwdKpps') },
        on: { tcpGbps: m(on, 'tcpGbps'), udpKpps: m(on, 'udpKpps'), udpLossPct: m(on, 'udpLossPct'), fwdKpps: m(on, 'fwdKpps') },
        onEndpoint: { tcpGbps: m(onEp, 'tcpGbps'), udpKpps: m(onEp, 'udpKpps'), udpLossPct: m(onEp, 'udpLossPct'), fwdKpps: m(onEp, 'fwdKpps') },
      },
    };
    const tcpRatio = result.traffic.on.tcpGbps / result.traffic.off.tcpGbps;
    const ppsRatio = result.traffic.on.udpKpps / result.traffic.off.udpKpps;
    const tcpRatioEp = result.traffic.onEndpoint.tcpGbps / result.traffic.off.tcpGbps;
    const ppsRatioEp = result.traffic.onEndpoint.udpKpps / result.traffic.off.udpKpps;
    const fwdRatio = result.traffic.on.fwdKpps / result.traffic.off.fwdKpps;
    const fwdRatioEp = result.traffic.onEndpoint.fwdKpps / result.traffic.off.fwdKpps;
    const f = (x: number, d = 1) => x.toFixed(d);
    console.log(`rr_ingress through BPF_PROG_TEST_RUN (${result.kernel}, ${result.cpus} CPUs), pod A -> pod B, FIB hit + redirect_peer:`);
    console.log(`  repeat=1 x ${fib1.calls} calls: median ${fib1.median_ns} ns, mean ${f(fib1.mean_ns)} ns (kernel clock; wall ${f(fib1.wall_ns_per_call, 0)} ns per syscall)`);
    console.log(`  repeat=250 x ${fibBatch.calls} calls (all on the FIB path): median ${fibBatch.median_ns} ns/packet   goal < 100 ns: ${fibBatch.median_ns < 100 ? 'met' : 'NOT met'}`);
    console.log(`  reference points, same harness and packet: an empty program ${nop.median_ns} ns; bpf_fib_lookup alone ${helper.median_ns} ns`
      + ` (remote pod ${helperRemote.median_ns}): the FIB path is ${f(fibBatch.median_ns / helper.median_ns, 2)}x the helper alone,`
      + ` ${fibBatch.median_ns - helper.median_ns} ns of its own (remote ${f(remoteFibBatch.median_ns / helperRemote.median_ns, 2)}x, ${remoteFibBatch.median_ns - helperRemote.median_ns} ns)`);
    if (direct) console.log(`  same with fib-direct (BPF_FIB_LOOKUP_DIRECT, no policy rules here): median ${direct.median_ns} ns/packet`);
    console.log(`  repeat=1e6 in one call: ${f(mixed.mean_ns)} ns/packet (TTL runs out after 254 runs: mostly the TTL pass path)`);
    console.log(`endpoint path (same packet, pod B in the endpoint map: no bpf_fib_lookup, no pod CIDR match, no iface lookup):`);
    console.log(`  repeat=1 x ${ep1.calls} calls: median ${ep1.median_ns} ns, mean ${f(ep1.mean_ns)} ns (wall ${f(ep1.wall_ns_per_call, 0)} ns per syscall)`);
    console.log(`  repeat=250 x ${epBatch.calls} calls: median ${epBatch.median_ns} ns/packet (FIB path ${fibBatch.median_ns})   goal < 100 ns: ${epBatch.median_ns < 100 ? 'met on the endpoint path' : 'NOT met'}`);
    console.log(`  non-pod packet (neither address in a pod CIDR: passed after the pod CIDR match): ${notPod.median_ns} ns/packet`);
    console.log(`  pod A to an address without a route (passed after bpf_fib_lookup): ${podNoRoute.median_ns} ns/packet`);
    console.log(`pod A -> remote pod (${REMOTE_CIDR}, another node's pod CIDR via the ToR on the uplink: bpf_redirect to up0):`);
    console.log(`  FIB path:           repeat=1 x ${remoteFib1.calls} calls: median ${remoteFib1.median_ns} ns, mean ${f(remoteFib1.mean_ns)} ns; repeat=250 x ${remoteFibBatch.calls} calls: median ${remoteFibBatch.median_ns} ns/packet`);
    console.log(`  next-hop cache:     repeat=1 x ${remoteNh1.calls} calls: median ${remoteNh1.median_ns} ns, mean ${f(remoteNh1.mean_ns)} ns; repeat=250 x ${remoteNhBatch.calls} calls: median ${remoteNhBatch.median_ns} ns/packet`);
    console.log(`  next-hop cache with two next hops (flow hash): repeat=250 x ${remoteEcmpBatch.calls} calls: median ${remoteEcmpBatch.median_ns} ns/packet`);
    console.log(`  remote pod via the next-hop cache (no bpf_fib_lookup): ${remoteNhBatch.median_ns} ns/packet (FIB path ${remoteFibBatch.median_ns})   goal < 100 ns: ${remoteNhBatch.median_ns < 100 ? 'met' : 'NOT met'}`);
    console.log(`pod A -> pod B through the node namespace, median of ${ROUNDS} rounds of ${SECONDS} s, kernel forwarding vs rr_ingress:`);
    console.log(`  iperf3 TCP     ${f(result.traffic.off.tcpGbps, 2)} Gbit/s -> ${f(result.traffic.on.tcpGbps, 2)} Gbit/s   ratio ${f(tcpRatio, 2)}x  (goal >= 1.3x: ${tcpRatio >= 1.3 ? 'met' : 'NOT met'})`);
    console.log(`  iperf3 UDP 64B ${f(result.traffic.off.udpKpps)} kpps -> ${f(result.traffic.on.udpKpps)} kpps received   ratio ${f(ppsRatio, 2)}x  (loss ${f(result.traffic.off.udpLossPct)}% -> ${f(result.traffic.on.udpLossPct)}%)`);
    console.log(`  forwarding rate, 60-byte frames (generator and sink in the kernel): ${f(result.traffic.off.fwdKpps)} kpps -> ${f(result.traffic.on.fwdKpps)} kpps   ratio ${f(fwdRatio, 2)}x  (goal >= 1.3x: ${fwdRatio >= 1.3 ? 'met' : 'NOT met'})`);
    console.log(`  with the endpoint maps filled:`);
    console.log(`  iperf3 TCP     ${f(result.traffic.off.tcpGbps, 2)} Gbit/s -> ${f(result.traffic.onEndpoint.tcpGbps, 2)} Gbit/s   ratio ${f(tcpRatioEp, 2)}x  (goal >= 1.3x: ${tcpRatioEp >= 1.3 ? 'met' : 'NOT met'})`);
    console.log(`  iperf3 UDP 64B ${f(result.traffic.off.udpKpps)} kpps -> ${f(result.traffic.onEndpoint.udpKpps)} kpps received   ratio ${f(ppsRatioEp, 2)}x  (loss ${f(result.traffic.off.udpLossPct)}% -> ${f(result.traffic.onEndpoint.udpLossPct)}%)`);
    console.log(`  forwarding rate, 60-byte frames (generator and sink in the kernel): ${f(result.traffic.off.fwdKpps)} kpps -> ${f(result.traffic.onEndpoint.fwdKpps)} kpps   ratio ${f(fwdRatioEp, 2)}x  (goal >= 1.3x: ${fwdRatioEp >= 1.3 ? 'met' : 'NOT met'})`);
    const remote = { kernelKpps: median(offR), fibKpps: median(fibR), nexthopKpps: median(nhR) };
    const fwdRatioRemote = remote.fibKpps / remote.kernelKpps;
    const fwdRatioNh = remote.nexthopKpps / remote.kernelKpps;
    console.log(`pod A -> another node's pod CIDR (${GW_CIDR} via a gateway on lxcb), forwarding rate, 60-byte frames, median of ${ROUNDS} rounds:`);
    console.log(`  kernel ${f(remote.kernelKpps)} kpps; FIB path ${f(remote.fibKpps)} kpps (${f(fwdRatioRemote, 2)}x); next-hop cache ${f(remote.nexthopKpps)} kpps`
      + ` (${f(fwdRatioNh, 2)}x)   goal >= 1.3x: ${fwdRatioNh >= 1.3 ? 'met' : 'NOT met'}`);
    console.log(JSON.stringify({ ...result, remoteRate: remote, ratios: { fwdRemoteFib: fwdRatioRemote, fwdRemoteNexthop: fwdRatioNh, tcp: tcpRatio, udpPps: ppsRatio, fwd: fwdRatio, tcpEndpoint: tcpRatioEp, udpPpsEndpoint: ppsRatioEp, fwdEndpoint: fwdRatioEp } }));
  } finally {
    server?.kill(); // ChildProcess.kill: no signal once it has been reaped
    rate?.close();
    rateRemote?.close();
    if (refDir) rmSync(refDir, { recursive: true, force: true });
    await loader.destroy().catch(() => undefined);
    topo.delete();
  }
}

main().catch((err: unknown) => {
  console.error(`bench:datapath: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exitCode = 1;
});
