// The four daemons as the interop suite (interop.ts) drives them: each originates the same prefixes (one IPv4
// prefix tagged with community 65001:500, one plain IPv4, two IPv6), can withdraw some, add one more at runtime
// (not in its config file: gone after a restart), restart with graceful restart where it can, and reports what it
// learned from us (AS path, communities, large communities) and how many ROUTE-REFRESH it received.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { until, type Lab } from './lab.js';
import { running, signalProc } from '../../../src/util/proc.js';

/** The daemon's prefixes (the same in every lab: each lab is its own pair of namespaces). */
export const THEIRS = {
  tagged4: '10.244.100.0/24',
  plain4: '10.244.101.0/24',
  plain6: 'fd00:244:100::/64',
  kept6: 'fd00:244:101::/64',
  /** Announced at runtime before a graceful restart, absent after it. */
  extra4: '10.244.102.0/24',
} as const;

export const PEER_AS = 65001;
export const TAG = '65001:500';

export interface Learned {
  readonly asPath: string;
  readonly communities: readonly string[];
  readonly largeCommunities: readonly string[];
}

export interface InteropDaemon {
  readonly name: string;
  /** Graceful restart of the daemon itself (restarting speaker); false: not offered (OpenBGPD). */
  readonly gr: boolean;
  start(): Promise<void>;
  learned(prefix: string): Learned | undefined;
  withdraw(prefixes: readonly string[]): void;
  announceExtra(prefix: string): Promise<void>;
  /** ROUTE-REFRESH messages the daemon counted as received; null when it has no such counter. */
  refreshReceived(): number | null;
  /** Set when the daemon is known not to answer a ROUTE-REFRESH (a bug of its own): why. */
  readonly refreshIgnored?: string;
  /** Goes away the way a graceful restart starts: no NOTIFICATION, the TCP connection closes. */
  grStop(): Promise<string>;
  /** Comes back in restart mode (R bit), without the runtime prefix. */
  grStart(): Promise<string>;
}

const isV6 = (p: string): boolean => p.includes(':');

// ---- FRR 8.4 -------------------------------------------------------------------------------------------

export function frrDaemon(lab: Lab): InteropDaemon {
  let frr: Awaited<ReturnType<Lab['frr']>>;
  const u = lab.usIp;
  const conf = `frr defaults datacenter
hostname rrint-frr
log file @RUN@/bgpd.log informational
router bgp ${PEER_AS}
 bgp router-id ${lab.peerIp}
 no bgp ebgp-requires-policy
 no bgp network import-check
 bgp graceful-restart
 bgp graceful-restart preserve-fw-state
 neighbor ${u} remote-as 65010
 neighbor ${u} timers 3 9
 neighbor ${u} timers connect 3
 address-family ipv4 unicast
  network ${THEIRS.tagged4}
  network ${THEIRS.plain4}
  neighbor ${u} route-map TAG out
 exit-address-family
 address-family ipv6 unicast
  neighbor ${u} activate
  network ${THEIRS.plain6}
  network ${THEIRS.kept6}
 exit-address-family
exit
ip prefix-list TAGGED seq 5 permit ${THEIRS.tagged4}
route-map TAG permit 10
 match ip address prefix-list TAGGED
 set community ${TAG}
exit
route-map TAG permit 20
exit
`;
  // The community is set by an outbound route-map, not \`network P route-map\`: after a restart FRR 8.4 sends its
  // End-of-RIB before the prefixes of \`network ... route-map\` statements (seen on the wire), and a helper then
  // rightly sweeps them as stale (RFC 4724 §4.2) until FRR announces them a few seconds later.
  const af = (p: string): string => (isV6(p) ? 'ipv6' : 'ipv4');
  return {
    name: 'FRR 8.4',
    gr: true,
    async start() {
      frr = await lab.frr(conf);
    },
    learned(prefix) {
      const out = frr.vtysh(`show bgp ${af(prefix)} unicast ${prefix} json`);
      const j = JSON.parse(out) as { paths?: { aspath?: { string: string }; community?: { string: string }; largeCommunity?: { string: string } }[] };
      const p = j.paths?.[0];
      if (!p) return undefined;
      return {
        asPath: p.aspath?.string ?? '',
        communities: p.community?.string.split(' ') ?? [],
        largeCommunities: p.largeCommunity?.string.split(' ') ?? [],
      };
    },
    withdraw(prefixes) {
      for (const p of prefixes) frr.conf(`router bgp ${PEER_AS}`, `address-family ${af(p)} unicast`, `no network ${p}`);
    },
    async announceExtra(prefix) {
      frr.conf(`router bgp ${PEER_AS}`, `address-family ${af(prefix)} unicast`, `network ${prefix}`);
      await Promise.resolve();
    },
    refreshReceived() {
      const j = JSON.parse(frr.vtysh(`show bgp neighbors ${u} json`)) as Record<string, { messageStats?: { routeRefreshRecv?: number } }>;
      return j[u]?.messageStats?.routeRefreshRecv ?? null;
    },
    async grStop() {
      const pid = frr.pid;
      await frr.killBgpd();
      return `bgpd (pid ${pid}) SIGKILLed: no NOTIFICATION`;
    },
    async grStart() {
      const pid = await frr.startBgpd();
      return `bgpd started again from its file (pid ${pid})`;
    },
  };
}

// ---- BIRD 2.0 ------------------------------------------------------------------------------------------

export function birdDaemon(lab: Lab): InteropDaemon {
  let bird: Awaited<ReturnType<Lab['bird']>>;
  const have = new Set<string>([THEIRS.tagged4, THEIRS.plain4, THEIRS.plain6, THEIRS.kept6]);
  const conf = (): string => {
    const r4 = [...have].filter((p) => !isV6(p)).map((p) => `  route ${p} blackhole;`).join('\n');
    const r6 = [...have].filter(isV6).map((p) => `  route ${p} blackhole;`).join('\n');
    return `log "@RUN@/bird.log" all;
router id ${lab.peerIp};
protocol device { scan time 10; }
protocol static st4 { ipv4;
${r4}
}
protocol static st6 { ipv6;
${r6}
}
protocol bgp tor {
  local ${lab.peerIp} as ${PEER_AS};
  neighbor ${lab.usIp} as 65010;
  hold time 9; keepalive time 3; connect retry time 3; error wait time 1, 10;
  graceful restart on;
  ipv4 { import all; export filter { if net = ${THEIRS.tagged4} then bgp_community.add((${TAG.replace(':', ',')})); accept; }; };
  ipv6 { import all; export all; next hop address fd77::1; };
}
`;
  };
  const run = path.join(lab.dir, 'bird');
  const reconfigure = (): void => {
    writeFileSync(path.join(run, 'bird.conf'), conf().replaceAll('@RUN@', run));
    const out = bird.birdc('configure');
    if (!/Reconfigured|Reconfiguration in progress/.test(out)) throw new Error(`birdc configure: ${out}`);
  };
  return {
    name: 'BIRD 2.0',
    gr: true,
    async start() {
      bird = await lab.bird(conf());
    },
    learned(prefix) {
      let out: string;
      try {
        out = bird.birdc('show', 'route', 'all', 'for', prefix, 'protocol', 'tor');
      } catch {
        return undefined; // birdc exits non-zero on "Network not found"
      }
      if (!out.includes(prefix)) return undefined;
      const line = (k: string): string => new RegExp(`${k.replace('.', '\\.')}:\\s*(.*)`).exec(out)?.[1]?.trim() ?? '';
      const pairs = (s: string): string[] => [...s.matchAll(/\(([^)]*)\)/g)].map((m) => (m[1] ?? '').split(',').map((x) => x.trim()).join(':'));
      return { asPath: line('BGP.as_path'), communities: pairs(line('BGP.community')), largeCommunities: pairs(line('BGP.large_community')) };
    },
    withdraw(prefixes) {
      for (const p of prefixes) have.delete(p);
      reconfigure();
    },
    async announceExtra(prefix) {
      have.add(prefix);
      reconfigure();
      await Promise.resolve();
    },
    refreshReceived: () => null,
    async grStop() {
      const out = bird.birdc('graceful', 'restart');
      const { ref } = bird;
      const said = `birdc graceful restart: ${out.split('\n').filter(Boolean).slice(1).join(' ').trim()}`;
      try {
        await until('bird to exit', () => !running(ref), 12000);
        return said;
      } catch {
        // Seen once in CI: BIRD still running 15 s after a graceful restart was ordered. What the helper side is
        // tested for (stale routes while the daemon is gone) does not depend on how it goes, so it is stopped
        // the hard way (also no NOTIFICATION), and what BIRD was doing is reported.
        let protocols = '';
        try { protocols = bird.birdc('show', 'protocols'); } catch (e) { protocols = `(birdc: ${(e as Error).message})`; }
        const logFile = path.join(run, 'bird.log');
        const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '(no log)';
        signalProc(ref, 'SIGKILL');
        await until('bird to exit after SIGKILL', () => !running(ref), 5000);
        return `${said}; still running after 12 s, SIGKILLed. show protocols:\n${protocols}\nbird.log tail:\n${log}`;
      }
    },
    async grStart() {
      have.delete(THEIRS.extra4);
      bird = await lab.bird(conf(), { recover: true });
      return `bird -R (graceful restart recovery), pid ${bird.pid}`;
    },
  };
}

/** GoBGP's configuration for one eBGP neighbour (us, AS 65010), IPv4 and IPv6, graceful restart, fast timers. */
export function gobgpToml(lab: Lab, asn: number): string {
  return `[global.config]
  as = ${asn}
  router-id = "${lab.peerIp}"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${lab.usIp}"
    peer-as = 65010
  [neighbors.timers.config]
    connect-retry = 3
    hold-time = 9
    keepalive-interval = 3
  [neighbors.graceful-restart.config]
    enabled = true
    restart-time = 90
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
`;
}

// ---- GoBGP 3.10 ----------------------------------------------------------------------------------------

export function gobgpDaemon(lab: Lab): InteropDaemon {
  let g: Awaited<ReturnType<Lab['gobgp']>>;
  const toml = gobgpToml(lab, PEER_AS);
  const add = (p: string, ...extra: string[]): void => {
    if (isV6(p)) g.gobgp('global', 'rib', '-a', 'ipv6', 'add', p, 'nexthop', 'fd77::1', 'origin', 'igp', ...extra);
    else g.gobgp('global', 'rib', '-a', 'ipv4', 'add', p, 'origin', 'igp', ...extra);
  };
  const addAll = (): void => {
    add(THEIRS.tagged4, 'community', TAG);
    add(THEIRS.plain4);
    add(THEIRS.plain6);
    add(THEIRS.kept6);
  };
  return {
    name: 'GoBGP 3.10',
    gr: true,
    async start() {
      g = await lab.gobgp(toml);
      addAll();
    },
    learned(prefix) {
      const fam = isV6(prefix) ? 'ipv6' : 'ipv4';
      const out = g.gobgp('neighbor', lab.usIp, 'adj-in', prefix, '-a', fam, '-j');
      const j = JSON.parse(out || '{}') as Record<string, { attrs: { type: number; as_paths?: { asns: number[] }[]; communities?: number[]; value?: { global_admin?: number; local_data1?: number; local_data2?: number; ASN?: number; LocalData1?: number; LocalData2?: number }[] }[] }[]>;
      const p = Object.values(j)[0]?.[0];
      if (!p) return undefined;
      const asPath = p.attrs.find((a) => a.type === 2)?.as_paths?.flatMap((s) => s.asns).join(' ') ?? '';
      const communities = (p.attrs.find((a) => a.type === 8)?.communities ?? []).map((c) => `${Math.floor(c / 65536)}:${c % 65536}`);
      const largeCommunities = (p.attrs.find((a) => a.type === 32)?.value ?? []).map((v) => `${v.ASN ?? v.global_admin}:${v.LocalData1 ?? v.local_data1}:${v.LocalData2 ?? v.local_data2}`);
      return { asPath, communities, largeCommunities };
    },
    withdraw(prefixes) {
      for (const p of prefixes) g.gobgp('global', 'rib', '-a', isV6(p) ? 'ipv6' : 'ipv4', 'del', p);
    },
    async announceExtra(prefix) {
      add(prefix);
      await Promise.resolve();
    },
    refreshReceived() {
      // "messages":{"received":{"update":3,...,"refresh":2,...}}: the nesting above it varies between versions.
      const m = /"messages":\{"received":\{[^}]*"refresh":(\d+)/.exec(g.gobgp('neighbor', lab.usIp, '-j'));
      return m ? Number(m[1]) : 0;
    },
    async grStop() {
      const { pid, ref } = g;
      // `ip netns exec` execs gobgpd: the child's PID is gobgpd's.
      signalProc(ref, 'SIGKILL');
      await until('gobgpd to exit', () => !running(ref), 10000);
      return `gobgpd (pid ${pid}) SIGKILLed (no NOTIFICATION)`;
    },
    async grStart() {
      g = await lab.gobgp(toml, { restarting: true });
      add(THEIRS.tagged4, 'community', TAG);
      add(THEIRS.kept6);
      return `gobgpd -r (restart state), pid ${g.pid}; routes re-added without ${THEIRS.extra4}`;
    },
  };
}

// ---- OpenBGPD 7.7 --------------------------------------------------------------------------------------

export function openbgpdDaemon(lab: Lab): InteropDaemon {
  let o: Awaited<ReturnType<Lab['openbgpd']>>;
  const conf = `AS ${PEER_AS}
router-id ${lab.peerIp}
listen on ${lab.peerIp}
holdtime 9
fib-update no
socket "@RUN@/bgpd.sock"
network ${THEIRS.tagged4} set community ${TAG}
network ${THEIRS.kept6}
neighbor ${lab.usIp} {
	remote-as 65010
	announce IPv4 unicast
	announce IPv6 unicast
}
allow from any
allow to any
`;
  return {
    name: 'OpenBGPD 7.7',
    gr: false,
    async start() {
      o = await lab.openbgpd(conf);
      // The two to withdraw later are added at runtime (bgpctl can delete only those).
      await until('bgpctl network add', () => o.bgpctl('network', 'add', THEIRS.plain4).length >= 0
        && o.bgpctl('network', 'add', THEIRS.plain6).length >= 0
        && o.bgpctl('-j', 'show', 'network').includes(THEIRS.plain6), 15000);
    },
    learned(prefix) {
      const j = JSON.parse(o.bgpctl('-j', 'show', 'rib', 'detail', prefix) || '{}') as { rib?: { prefix: string; aspath?: string; communities?: string[]; large_communities?: string[] }[] };
      const r = j.rib?.find((x) => x.prefix === prefix);
      if (!r) return undefined;
      return { asPath: r.aspath ?? '', communities: r.communities ?? [], largeCommunities: r.large_communities ?? [] };
    },
    withdraw(prefixes) {
      for (const p of prefixes) o.bgpctl('network', 'delete', p);
    },
    async announceExtra(prefix) {
      o.bgpctl('network', 'add', prefix);
      await Promise.resolve();
    },
    refreshReceived() {
      const j = JSON.parse(o.bgpctl('-j', 'show', 'neighbor', lab.usIp) || '{}') as { neighbors?: { stats?: { 'route-refresh'?: { received?: { request?: number } } } }[] };
      return j.neighbors?.[0]?.stats?.['route-refresh']?.received?.request ?? null;
    },
    // OpenBGPD 7.7's RDE drops every plain ROUTE-REFRESH ("route refresh: AID IPv4 unicast not negotiated" in its
    // log): an inverted check, openbgpd-portable issue #46, fixed in rde.c 1.586 (7.8).
    refreshIgnored: 'OpenBGPD 7.7 drops plain ROUTE-REFRESH (its log: "route refresh: AID IPv4 unicast not negotiated"; openbgpd-portable#46, fixed in 7.8)',
    grStop: () => Promise.reject(new Error('OpenBGPD offers no graceful restart of its own')),
    grStart: () => Promise.reject(new Error('OpenBGPD offers no graceful restart of its own')),
  };
}
