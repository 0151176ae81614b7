// What the lab's rackroute agents say (over their admin sockets), and pod-to-pod reachability between nodes.
import { apiRequest } from '../api/client.js';
import type { StatusResponse } from '../api/types.js';
import type { LabState } from './state.js';
import { ping, podsOf, type Pod } from './pods.js';

export interface AgentView {
  readonly node: string;
  readonly status?: StatusResponse;
  readonly error?: string;
}

export function agentNodes(state: LabState): string[] {
  return Object.entries(state.nodes).filter(([, n]) => n.role === 'rackroute' && n.processes.some((p) => p.name === 'rackroute')).map(([name]) => name);
}

export async function agentViews(state: LabState): Promise<AgentView[]> {
  return Promise.all(agentNodes(state).map(async (node) => {
    try {
      return { node, status: await apiRequest<StatusResponse>(state.nodes[node].control as string, 'GET', '/v1/status', undefined, 5000) };
    } catch (e) {
      return { node, error: (e as Error).message };
    }
  }));
}

export function allEstablished(views: readonly AgentView[]): boolean {
  return views.length > 0 && views.every((v) => v.status && v.status.sessions.length > 0 && v.status.sessions.every((s) => s.state === 'Established'));
}

export interface PodPing {
  readonly from: string; // node/pod
  readonly to: string;
  readonly address: string;
  readonly family: 4 | 6;
  readonly ok: boolean;
}

/** From the first pod of each node to the first pod of every other node, IPv4 and IPv6. */
export function podMatrix(state: LabState): PodPing[] {
  const first = new Map<string, Pod>();
  for (const p of podsOf(state)) if (!first.has(p.node)) first.set(p.node, p);
  const out: PodPing[] = [];
  for (const a of first.values()) {
    for (const b of first.values()) {
      if (a === b) continue;
      for (const [family, address] of [[4, b.ipv4], [6, b.ipv6]] as const) {
        if (!address) continue;
        out.push({ from: `${a.node}/${a.pod}`, to: `${b.node}/${b.pod}`, address, family, ok: ping(a.ns, address, 1, 2) });
      }
    }
  }
  return out;
}
