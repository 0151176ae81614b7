// The lab's pods: namespaces named `<node namespace>-podN`, made by labs/scripts/pods.sh.
import { run } from './sh.js';
import { listNamespaces } from './runner.js';
import type { LabState } from './state.js';

export interface Pod {
  readonly node: string;
  readonly pod: string; // pod1, pod2, ...
  readonly ns: string;
  readonly ipv4?: string;
  readonly ipv6?: string;
}

function addresses(ns: string, dev?: string): { v4: string[]; v6: string[] } {
  const args = ['-n', ns, '-j', 'addr', 'show', ...(dev ? ['dev', dev] : [])];
  const links = JSON.parse(run('ip', args) || '[]') as Array<{ ifname: string; addr_info: Array<{ family: string; local: string; scope: string }> }>;
  const global = links.filter((l) => l.ifname !== 'lo').flatMap((l) => l.addr_info).filter((a) => a.scope === 'global');
  return { v4: global.filter((a) => a.family === 'inet').map((a) => a.local), v6: global.filter((a) => a.family === 'inet6').map((a) => a.local) };
}

export function podsOf(state: LabState): Pod[] {
  const all = listNamespaces();
  return Object.entries(state.nodes).flatMap(([node, n]) =>
    all
      .filter((ns) => ns.startsWith(`${n.ns}-pod`))
      .sort()
      .map((ns) => {
        const a = addresses(ns, 'eth0');
        return { node, pod: ns.slice(n.ns.length + 1), ns, ipv4: a.v4[0], ipv6: a.v6[0] };
      }));
}

/** The node's own underlay address: its first global IPv4 address outside the pod veths. */
export function nodeAddress(ns: string): string | undefined {
  const links = JSON.parse(run('ip', ['-n', ns, '-j', 'addr', 'show']) || '[]') as Array<{ ifname: string; addr_info: Array<{ family: string; local: string; scope: string }> }>;
  return links
    .filter((l) => l.ifname !== 'lo' && !l.ifname.startsWith('vpod'))
    .flatMap((l) => l.addr_info)
    .find((a) => a.family === 'inet' && a.scope === 'global')?.local;
}

export function ping(ns: string, address: string, count = 1, waitSeconds = 2): boolean {
  const r = run('ping', ['-c', String(count), '-W', String(waitSeconds), '-q', address], { ns, allowFail: true, timeoutMs: (waitSeconds + 2) * 1000 * count });
  return /\b0% packet loss/.test(r) && !/100% packet loss/.test(r);
}

export interface PodReach {
  readonly node: string;
  readonly pod: string;
  readonly podAddress: string;
  readonly nodeAddress: string;
  readonly ok: boolean;
}

export function podReachability(state: LabState): PodReach[] {
  return podsOf(state).map((p) => {
    const target = nodeAddress(state.nodes[p.node].ns) ?? '';
    return { node: p.node, pod: p.pod, podAddress: p.ipv4 ?? '', nodeAddress: target, ok: Boolean(target && ping(p.ns, target)) };
  });
}
