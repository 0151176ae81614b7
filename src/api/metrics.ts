// Prometheus metrics: one registry per agent (no global default registry), one namespace, peers as labels.
// Values are read at scrape time from O(1) counters, never by walking tables.
import { Gauge, Registry } from 'prom-client';
import type { StatusResponse } from './types.js';

export interface MetricsSource {
  status(): StatusResponse;
  counts(): { prefixes: { ipv4: number; ipv6: number } };
}

export function createMetrics(source: () => MetricsSource | undefined): Registry {
  const registry = new Registry();
  // Registered first: its collect (run at each scrape, before the others are read) fills every gauge at once.
  const up = new Gauge({
    name: 'rackroute_bgp_session_up', help: '1 when the BGP session is Established', labelNames: ['peer', 'peer_asn'], registers: [registry],
    collect: () => fill(),
  });
  const accepted = new Gauge({ name: 'rackroute_bgp_routes_accepted', help: 'Prefixes accepted from the peer after import policy', labelNames: ['peer'], registers: [registry] });
  const received = new Gauge({ name: 'rackroute_bgp_routes_received', help: 'Prefixes received from the peer', labelNames: ['peer'], registers: [registry] });
  const advertised = new Gauge({ name: 'rackroute_bgp_routes_advertised', help: 'Prefixes advertised to the peer', labelNames: ['peer'], registers: [registry] });
  const locRib = new Gauge({ name: 'rackroute_bgp_loc_rib_prefixes', help: 'Prefixes in the Loc-RIB', labelNames: ['afi'], registers: [registry] });
  // One collect for all: the status is read once per scrape.
  const fill = (): void => {
    const s = source();
    for (const g of [up, accepted, received, advertised, locRib]) g.reset();
    if (!s) return;
    for (const x of s.status().sessions) {
      up.set({ peer: x.peer, peer_asn: String(x.asn) }, x.state === 'Established' ? 1 : 0);
      accepted.set({ peer: x.peer }, x.accepted);
      received.set({ peer: x.peer }, x.received);
      advertised.set({ peer: x.peer }, x.advertised);
    }
    const c = s.counts();
    locRib.set({ afi: 'ipv4' }, c.prefixes.ipv4);
    locRib.set({ afi: 'ipv6' }, c.prefixes.ipv6);
  };
  return registry;
}
