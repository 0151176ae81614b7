// What a lab's routers say about their BGP sessions, read from FRR's JSON (`show bgp summary json`).
import { vtysh } from './daemons.js';
import type { LabState } from './state.js';

export interface FabricSession {
  readonly router: string;
  readonly peer: string;
  readonly hostname?: string;
  readonly remoteAs: number;
  readonly state: string;
  readonly prefixesReceived: number;
  readonly dynamic: boolean;
}

interface FrrPeer {
  state?: string;
  remoteAs?: number;
  hostname?: string;
  pfxRcd?: number;
  dynamicPeer?: boolean;
}

/** Sessions of every FRR router in the lab (IPv4 unicast view, which lists every configured neighbour). */
export function fabricSessions(state: LabState): FabricSession[] {
  const out: FabricSession[] = [];
  for (const [router, node] of Object.entries(state.nodes)) {
    if (node.role !== 'frr' || !node.control) continue;
    let summary: { ipv4Unicast?: { peers?: Record<string, FrrPeer> } };
    try {
      summary = JSON.parse(vtysh(node, 'show bgp summary json') || '{}');
    } catch {
      continue; // a router whose bgpd is not answering shows no sessions
    }
    for (const [peer, p] of Object.entries(summary.ipv4Unicast?.peers ?? {})) {
      out.push({
        router,
        peer,
        hostname: p.hostname,
        remoteAs: p.remoteAs ?? 0,
        state: p.state ?? 'unknown',
        prefixesReceived: p.pfxRcd ?? 0,
        dynamic: p.dynamicPeer === true,
      });
    }
  }
  return out;
}

/** True when every configured (not dynamic) session between routers is Established (vacuously, with none). */
export function fabricEstablished(sessions: readonly FabricSession[]): boolean {
  const configured = sessions.filter((s) => !s.dynamic);
  return configured.every((s) => s.state === 'Established');
}
