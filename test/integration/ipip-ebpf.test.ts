// IP-in-IP by eBPF with real traffic. Two "nodes" joined through a "router" namespace that knows ONLY the nodes'
// underlay subnets (no route to any pod CIDR), one pod namespace behind each node:
//
//   pod A 10.244.1.2 ─ lxc0 │ node A up0 10.0.1.10 ─ r1 10.0.1.1 │ router │ r2 10.0.2.1 ─ up0 10.0.2.10 node B │ lxc0 ─ pod B 10.244.2.2
//
// The nodes route the other pod CIDR the way the planner does with the eBPF implementation: via the underlay
// gateway with mtu 1500 - 20; rr_ipip_egress / rr_ipip_ingress on each uplink do the rest. Pod-to-pod ping
// (IPv4, and IPv6-in-IPv4), an iperf3 TCP transfer, a capture on the router showing protocol 4 with the nodes'
// addresses outside and the pods' inside, the MTU boundaries, and the same iperf3 natively (router given the pod
// routes, tunnel emptied) for the ratio. The kernel ipip device path runs where the kernel has the module and
// says why not where it has not. Namespaces are rripip-*, deleted in teardown whatever happened. Needs root.
import test from 'ava';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { hostExec } from '../../src/dataplane/ebpf/exec.js';
import { EbpfIpipTunnel, IPIP_TC_PREF_EGRESS, IPIP_TC_PREF_INGRESS, kernelHasIpip } from '../../src/dataplane/ebpf/ipip.js';
import { KernelIpipTunnel } from '../../src/dataplane/ebpf/ipip-kernel.js';
import { Reason } from '../../src/dataplane/ebpf/reasons.generated.js';

const tag = `${process.pid % 100000}`;
const NS = { router: `rripip-r${tag}`, a: `rripip-a${tag}`, b: `rripip-b${tag}`, pa: `rripip-pa${tag}`, pb: `rripip-pb${tag}` };
const ALL = Object.values(NS);
const POD_A = '10.244.1.2', POD_B = '10.244.2.2';
const POD6_A = 'fd00:244:1::2', POD6_B = 'fd00:244:2::2';
const NODE_A = '10.0.1.10', NODE_B = '10.0.2.10';

function sh(argv: string[], netns?: string): string {
  const full = netns ? ['nsenter', `--net=/run/netns/${netns}`, '--', ...argv] : argv;
  try {
    return execFileSync(full[0], full.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    throw new Error(`${full.join(' ')}: ${e.stderr ?? ''}${e.stdout ?? ''}`, { cause: err });
  }
}

/** Same, resolving with stdout + stderr whatever the exit status (ping's answers when it fails). */
function shAsync(argv: string[], netns: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('nsenter', [`--net=/run/netns/${netns}`, '--', ...argv], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

function lines(netns: string, text: string): void {
  for (const l of text.split('\n').map((x) => x.trim()).filter((x) => x && !x.startsWith('#'))) sh(l.split(/\s+/), netns);
}

const pinDir = (netns: string) => `/sys/fs/bpf/${netns}`;
let tunA: EbpfIpipTunnel;
let tunB: EbpfIpipTunnel;
const throughput: Record<string, number> = {};

function teardown(): void {
  for (const ns of ALL) {
    try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); } catch { /* not there */ }
    rmSync(pinDir(ns), { recursive: true, force: true });
  }
}

test.before(async () => {
  if (process.getuid?.() !== 0) throw new Error('test/integration needs root (network namespaces, tc, BPF)');
  teardown();
  for (const ns of ALL) {
    sh(['ip', 'netns', 'add', ns]);
    sh(['ip', 'link', 'set', 'lo', 'up'], ns);
    sh(['sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0'], ns);
  }
  lines(NS.router, `
    sysctl -qw net.ipv4.ip_forward=1
    ip link add r1 type veth peer name up0 netns ${NS.a}
    ip link add r2 type veth peer name up0 netns ${NS.b}
    ip addr add 10.0.1.1/24 dev r1
    ip addr add 10.0.2.1/24 dev r2
    ip link set r1 up
    ip link set r2 up
  `);
  const routerMac = (dev: string) => (JSON.parse(sh(['ip', '-j', 'link', 'show', 'dev', dev], NS.router)) as { address: string }[])[0].address;
  for (const [node, pod, n, up, gw, other] of [[NS.a, NS.pa, 1, NODE_A, '10.0.1.1', 2], [NS.b, NS.pb, 2, NODE_B, '10.0.2.1', 1]] as const) {
    lines(node, `
      sysctl -qw net.ipv4.ip_forward=1
      sysctl -qw net.ipv6.conf.all.forwarding=1
      ip link set up0 up
      ip addr add ${up}/24 dev up0
      ip route add 10.0.${other}.0/24 via ${gw}
      ip link add lxc0 type veth peer name eth0 netns ${pod}
      ip link set lxc0 up
      ip addr add 10.244.${n}.1/24 dev lxc0
      ip -6 addr add fd00:244:${n}::1/64 dev lxc0 nodad
      # the planner's route for the eBPF IP-in-IP: via the underlay gateway, mtu = 1500 - 20
      ip route add 10.244.${other}.0/24 via ${gw} mtu 1480
      # IPv6 pod CIDR over the IPv4 underlay: a link-local gateway with a permanent neighbour (any MAC will do)
      ip -6 route add fd00:244:${other}::/64 via fe80::1 dev up0 mtu 1480
      ip -6 neigh replace fe80::1 lladdr ${routerMac(n === 1 ? 'r1' : 'r2')} dev up0 nud permanent
    `);
    lines(pod, `
      ip link set eth0 up
      ip addr add 10.244.${n}.2/24 dev eth0
      ip -6 addr add fd00:244:${n}::2/64 dev eth0 nodad
      ip route add default via 10.244.${n}.1
      ip -6 route add default via fd00:244:${n}::1
    `);
  }
  tunA = new EbpfIpipTunnel({ pinDir: pinDir(NS.a), exec: hostExec(NS.a) });
  tunB = new EbpfIpipTunnel({ pinDir: pinDir(NS.b), exec: hostExec(NS.b) });
  await tunA.start({ uplinks: ['up0'], localAddress: NODE_A });
  await tunB.start({ uplinks: ['up0'], localAddress: NODE_B });
  await tunA.setDestinations([{ podCidr: '10.244.2.0/24', remote: NODE_B }, { podCidr: 'fd00:244:2::/64', remote: NODE_B }]);
  await tunB.setDestinations([{ podCidr: '10.244.1.0/24', remote: NODE_A }, { podCidr: 'fd00:244:1::/64', remote: NODE_A }]);
});

test.after.always(async () => {
  await tunA?.stop({ detach: true }).catch(() => undefined);
  await tunB?.stop({ detach: true }).catch(() => undefined);
  teardown();
  const rates = Object.entries(throughput).map(([k, v]) => `${k} ${(v / 1e9).toFixed(2)} Gbit/s`).join(', ');
  if (rates) console.log(`ipip-ebpf: iperf3 pod A -> pod B: ${rates}${throughput.ipip && throughput.native ? `; ipip/native = ${(throughput.ipip / throughput.native).toFixed(2)}` : ''}`);
});

const count = (t: EbpfIpipTunnel, r: Reason) => t.maps().counters().find((c) => c.id === r)?.packets ?? 0;

function pingStats(out: string): { sent: number; received: number } {
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  return { sent: Number(m?.[1] ?? 0), received: Number(m?.[2] ?? 0) };
}

test.serial('which IP-in-IP the kernel offers', async (t) => {
  const k = await kernelHasIpip();
  const msg = k.ok ? 'kernel ipip device: available (both paths tested)' : `kernel ipip device: unavailable (${k.why}); eBPF IP-in-IP used`;
  console.log(`ipip-ebpf: ${msg}`);
  t.log(msg);
  t.pass();
});

test.serial('attached idempotently: one filter per direction on each uplink; start() again changes nothing', async (t) => {
  await tunA.start({ uplinks: ['up0'], localAddress: NODE_A });
  for (const [ns, tun] of [[NS.a, tunA], [NS.b, tunB]] as const) {
    const att = await tun.loader.attachments();
    t.deepEqual(att.map((a) => `${a.ifname}/${a.direction}/${a.programName}`).sort(), ['up0/egress/rr_ipip_egress', 'up0/ingress/rr_ipip_ingress']);
    const filters = (dir: string) => (JSON.parse(sh(['tc', '-j', 'filter', 'show', 'dev', 'up0', dir], ns)) as { pref: number; options?: unknown }[])
      .filter((f) => f.options);
    t.deepEqual(filters('ingress').map((f) => f.pref), [IPIP_TC_PREF_INGRESS]);
    t.deepEqual(filters('egress').map((f) => f.pref), [IPIP_TC_PREF_EGRESS]);
  }
  t.deepEqual(tunA.maps().listPeers(), [NODE_B]);
});

test.serial('pod-to-pod ping over eBPF IP-in-IP (IPv4 and IPv6-in-IPv4); the router has no pod route', async (t) => {
  t.false(sh(['ip', 'route', 'show'], NS.router).includes('10.244.'), 'router knows only the underlay');
  const encBefore = count(tunA, Reason.FWD_IPIP_ENCAP), decBefore = count(tunB, Reason.FWD_IPIP_DECAP);
  const v4 = pingStats((await shAsync(['ping', '-c', '5', '-i', '0.2', '-W', '2', POD_B], NS.pa)).out);
  t.deepEqual(v4, { sent: 5, received: 5 });
  const v6 = pingStats((await shAsync(['ping', '-6', '-c', '5', '-i', '0.2', '-W', '2', POD6_B], NS.pa)).out);
  t.deepEqual(v6, { sent: 5, received: 5 });
  t.deepEqual(pingStats((await shAsync(['ping', '-6', '-c', '2', '-i', '0.2', '-W', '2', POD6_A], NS.pb)).out), { sent: 2, received: 2 }, 'IPv6 from B to A');
  t.true(count(tunA, Reason.FWD_IPIP_ENCAP) - encBefore >= 10, 'node A encapsulated the requests');
  t.true(count(tunB, Reason.FWD_IPIP_DECAP) - decBefore >= 10, 'node B decapsulated them');
  t.log(`counters node A: ${JSON.stringify(tunA.maps().counters().filter((c) => c.packets).map((c) => [c.label, c.packets]))}`);
});

test.serial('capture on the router: IP protocol 4 between the nodes, the pods inside; no bare pod packet', async (t) => {
  // Two captures at once on the router's link to node A: the tunnel (BPF filter `ip proto 4`), and any pod
  // address outside it (`net 10.244.0.0/16` matches outer headers only).
  const capture = (filter: string) => {
    const p = spawn('nsenter', [`--net=/run/netns/${NS.router}`, '--', 'tcpdump', '-i', 'r1', '-nn', '-l', filter], { stdio: ['ignore', 'pipe', 'pipe'] });
    const state = { text: '', p };
    p.stdout.on('data', (d: Buffer) => { state.text += d.toString(); });
    return state;
  };
  const tunnel = capture('ip proto 4');
  const bare = capture('ip and not ip proto 4 and net 10.244.0.0/16');
  await new Promise((r) => setTimeout(r, 800));
  await shAsync(['ping', '-c', '5', '-i', '0.2', POD_B], NS.pa);
  await new Promise((r) => setTimeout(r, 300));
  for (const c of [tunnel, bare]) {
    c.p.kill('SIGINT');
    await new Promise((r) => c.p.once('close', r));
  }
  const ipLines = tunnel.text.split('\n').filter((l) => l.includes(' IP '));
  t.log(ipLines.slice(0, 2).join('\n'));
  const requests = ipLines.filter((l) => l.includes(`IP ${NODE_A} > ${NODE_B}: IP ${POD_A} > ${POD_B}: ICMP echo request`));
  const replies = ipLines.filter((l) => l.includes(`IP ${NODE_B} > ${NODE_A}: IP ${POD_B} > ${POD_A}: ICMP echo reply`));
  t.is(requests.length, 5, 'protocol 4, outer node A -> node B, inner pod A -> pod B');
  t.is(replies.length, 5, 'the replies likewise');
  t.is(bare.text.trim(), '', 'no pod packet crossed the router unencapsulated');
});

test.serial('MTU: 1480-byte inner packets pass; 1481 gets frag-needed (mtu 1480) from node A; 1501 is refused inside the pod', async (t) => {
  const ok = await shAsync(['ping', '-M', 'do', '-s', '1452', '-c', '3', '-i', '0.2', '-W', '2', POD_B], NS.pa);
  t.deepEqual(pingStats(ok.out), { sent: 3, received: 3 }, '-s 1452: 1480-byte packets, 1500 once encapsulated');
  const over = await shAsync(['ping', '-M', 'do', '-s', '1453', '-c', '3', '-i', '0.2', '-W', '1', POD_B], NS.pa);
  t.log(over.out.trim().split('\n').slice(0, 3).join(' | '));
  t.is(pingStats(over.out).received, 0);
  t.regex(over.out, /mtu ?= ?1480/i, 'frag-needed from node A carries the route MTU 1480 (then the pod\'s PMTU cache says so)');
  const pod = await shAsync(['ping', '-M', 'do', '-s', '1473', '-c', '1', '-W', '1', POD_B], NS.pa);
  t.log(`-s 1473: ${pod.out.split('\n').filter((l) => /mtu|too long/i.test(l)).join(' | ')}`);
  t.regex(pod.out, /mtu ?= ?(1500|1480)|too long/i, '-s 1473 (1501 bytes) never leaves the pod');
  const frag = await shAsync(['ping', '-M', 'dont', '-s', '1472', '-c', '3', '-i', '0.2', '-W', '2', POD_B], NS.pb);
  t.deepEqual(pingStats(frag.out), { sent: 3, received: 3 }, 'DF clear: node fragments at 1480, fragments encapsulated, pod reassembles');
  t.is(count(tunA, Reason.DROP_IPIP_TOO_BIG) + count(tunB, Reason.DROP_IPIP_TOO_BIG), 0, 'nothing reached the program too big');
});

async function iperf(label: string): Promise<number> {
  const server = spawn('nsenter', [`--net=/run/netns/${NS.pb}`, '--', 'iperf3', '-s', '-1', '-B', POD_B], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 500));
    const res = await shAsync(['iperf3', '-c', POD_B, '-t', '3', '-J'], NS.pa);
    const j = JSON.parse(res.out.slice(res.out.indexOf('{'))) as { end?: { sum_received?: { bits_per_second: number } }; error?: string };
    if (!j.end?.sum_received) throw new Error(`iperf3 ${label}: ${j.error ?? res.out.slice(0, 300)}`);
    throughput[label] = j.end.sum_received.bits_per_second;
    return j.end.sum_received.bits_per_second;
  } finally {
    server.kill();
  }
}

test.serial('iperf3 TCP pod A -> pod B over eBPF IP-in-IP, then natively in the same namespaces', async (t) => {
  const before = count(tunB, Reason.FWD_IPIP_DECAP);
  const ipip = await iperf('ipip');
  t.true(count(tunB, Reason.FWD_IPIP_DECAP) - before > 1000, 'the transfer went through the tunnel');
  t.true(ipip > 50e6, `IP-in-IP throughput ${ipip}`);
  // Native: the router learns the pod routes, the tunnel is emptied, the node routes lose their MTU cut.
  lines(NS.router, `
    ip route add 10.244.1.0/24 via ${NODE_A}
    ip route add 10.244.2.0/24 via ${NODE_B}
  `);
  try {
    await tunA.setDestinations([]);
    await tunB.setDestinations([]);
    sh(['ip', 'route', 'replace', '10.244.2.0/24', 'via', '10.0.1.1'], NS.a);
    sh(['ip', 'route', 'replace', '10.244.1.0/24', 'via', '10.0.2.1'], NS.b);
    sh(['ip', 'route', 'flush', 'cache'], NS.pa);
    const decap = count(tunB, Reason.FWD_IPIP_DECAP);
    const native = await iperf('native');
    t.is(count(tunB, Reason.FWD_IPIP_DECAP), decap, 'native run not encapsulated');
    t.log(`iperf3: IP-in-IP (eBPF) ${(ipip / 1e9).toFixed(2)} Gbit/s, native ${(native / 1e9).toFixed(2)} Gbit/s, ratio ${(ipip / native).toFixed(2)}`);
  } finally {
    sh(['ip', 'route', 'flush', 'proto', 'boot'], NS.router);
    sh(['ip', 'route', 'replace', '10.244.2.0/24', 'via', '10.0.1.1', 'mtu', '1480'], NS.a);
    sh(['ip', 'route', 'replace', '10.244.1.0/24', 'via', '10.0.2.1', 'mtu', '1480'], NS.b);
    await tunA.setDestinations([{ podCidr: '10.244.2.0/24', remote: NODE_B }, { podCidr: 'fd00:244:2::/64', remote: NODE_B }]);
    await tunB.setDestinations([{ podCidr: '10.244.1.0/24', remote: NODE_A }, { podCidr: 'fd00:244:1::/64', remote: NODE_A }]);
  }
  t.deepEqual(pingStats((await shAsync(['ping', '-c', '2', '-i', '0.2', '-W', '2', POD_B], NS.pa)).out), { sent: 2, received: 2 }, 'tunnel back');
});

test.serial('restart keeps traffic: stop without detach, start again (reload in place), no loss', async (t) => {
  const ping = shAsync(['ping', '-c', '30', '-i', '0.05', '-W', '1', POD_B], NS.pa);
  await new Promise((r) => setTimeout(r, 300));
  await tunA.stop({ detach: false });
  await tunA.start({ uplinks: ['up0'], localAddress: NODE_A });
  t.deepEqual(pingStats((await ping).out), { sent: 30, received: 30 });
  t.is(tunA.maps().listDestinations().length, 2, 'destinations survived in the pinned maps');
});

test.serial('kernel ipip device path (runs only where the kernel has the module; says why otherwise)', async (t) => {
  const k = await kernelHasIpip();
  if (!k.ok) {
    const msg = `SKIPPED kernel ipip device path: ${k.why}`;
    console.log(`ipip-ebpf: ${msg}`);
    t.log(msg);
    t.pass();
    return;
  }
  // Swap node A and B to the kernel device: eBPF detached, routes through rr.ipip (onlink, remote node as gateway).
  const kA = new KernelIpipTunnel({ exec: hostExec(NS.a) }), kB = new KernelIpipTunnel({ exec: hostExec(NS.b) });
  await tunA.stop({ detach: true });
  await tunB.stop({ detach: true });
  try {
    await kA.start({ uplinks: ['up0'], localAddress: NODE_A });
    await kB.start({ uplinks: ['up0'], localAddress: NODE_B });
    sh(['ip', 'route', 'replace', '10.244.2.0/24', 'via', NODE_B, 'dev', kA.device, 'onlink'], NS.a);
    sh(['ip', 'route', 'replace', '10.244.1.0/24', 'via', NODE_A, 'dev', kB.device, 'onlink'], NS.b);
    t.deepEqual(pingStats((await shAsync(['ping', '-c', '3', '-i', '0.2', '-W', '2', POD_B], NS.pa)).out), { sent: 3, received: 3 });
    const rate = await iperf('kernel-ipip');
    t.log(`iperf3 over the kernel ipip device: ${(rate / 1e9).toFixed(2)} Gbit/s`);
  } finally {
    await kA.stop({ detach: true });
    await kB.stop({ detach: true });
  }
});
