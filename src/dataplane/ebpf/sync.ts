// Level-triggered reconciliation of the pod CIDR maps: make the maps hold exactly the desired set,
// touching only what differs (repairs drift, idempotent, no gap for entries that stay). Each pass ends with the
// summaries the program reads before those maps (rr_config_v2) made exact again: upserts only widen them.
import { type Endpoint, addressBytes, encodeEndpoint, formatAddress, formatCidr, parseCidr } from './layout.js';
import type { BpfMapPort, EndpointSyncResult, PodCidrSyncResult } from './port.js';

export function syncPodCidrs(port: BpfMapPort, desired: ReadonlyMap<string, number>): PodCidrSyncResult {
  const want = new Map<string, number>();
  for (const [cidr, flags] of desired) want.set(formatCidr(parseCidr(cidr)), flags);
  const have = new Map(port.listPodCidrs().map((e) => [e.cidr, e.flags]));
  const added: string[] = [], updated: string[] = [], removed: string[] = [];
  // Add and update before removing: a packet never misses an entry that stays wanted.
  for (const [cidr, flags] of want) {
    const cur = have.get(cidr);
    if (cur === flags) continue;
    port.upsertPodCidr(cidr, flags);
    (cur === undefined ? added : updated).push(cidr);
  }
  for (const cidr of have.keys()) {
    if (want.has(cidr)) continue;
    port.deletePodCidr(cidr);
    removed.push(cidr);
  }
  port.refreshPodSummary();
  return { added, updated, removed };
}

/** The same for the endpoint maps: exactly `desired` (one entry per pod address), added and updated before removed. */
export function syncEndpoints(port: BpfMapPort, desired: readonly Endpoint[]): EndpointSyncResult {
  const want = new Map(desired.map((e) => [formatAddress(addressBytes(e.ip)), e]));
  const have = new Map(port.listEndpoints().map((e) => [e.ip, e]));
  const added: string[] = [], updated: string[] = [], removed: string[] = [];
  for (const [ip, e] of want) {
    const cur = have.get(ip);
    if (cur && encodeEndpoint(cur).equals(encodeEndpoint(e))) continue;
    port.upsertEndpoint({ ...e, ip });
    (cur === undefined ? added : updated).push(ip);
  }
  for (const ip of have.keys()) {
    if (want.has(ip)) continue;
    port.deleteEndpoint(ip);
    removed.push(ip);
  }
  port.refreshEndpointSummary();
  return { added, updated, removed };
}
