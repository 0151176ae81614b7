// Applies the defaults to a checked site file: racks and peers inherit from `defaults` (and peers from their
// rack), addresses become canonical text, prefix lists are inlined into the terms that use them, and the
// result is deeply frozen. Runs only on data that passed the schema and the semantic checks.
import { BUILTIN, WELL_KNOWN_COMMUNITIES } from './defaults.js';
import type { IpPrefix } from './ip.js';
import { familyBits, formatPrefix, hostPrefix, parseAddress, parsePrefix } from './ip.js';
import type { RawCommunityEdit, RawPeer, RawPeerSettings, RawPrefixMatch, RawSite, RawTerm } from './raw.js';
import { resolveSitePath } from './semantic.js';
import type { CommunityEditConfig, LargeCommunity, LargeCommunityEditConfig, NodeConfig, PeerConfig, PeerOrigin,
  PeerSettings, PolicyConfig, PolicyRef, PrefixMatchConfig, RackConfig, SiteConfig, TermConfig } from './types.js';

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** A prefix the semantic checks accepted. */
function checkedPrefix(text: string): IpPrefix {
  const r = parsePrefix(text);
  if (!r.ok) throw new Error(`internal: unchecked prefix ${text}`);
  return r.value;
}

const policyRef = (s: string | undefined): PolicyRef =>
  s === undefined || s === 'default' ? 'default' : s === 'all' || s === 'none' ? s : { policy: s };

/** Layers of peer settings, most specific first; the first that sets a key wins. */
export function resolvePeerSettings(file: string, layers: readonly (RawPeerSettings | undefined)[], holdTime: number): PeerSettings {
  const pick = <K extends keyof RawPeerSettings>(k: K): RawPeerSettings[K] | undefined => {
    for (const l of layers) if (l && l[k] !== undefined) return l[k];
    return undefined;
  };
  const hold = pick('holdTime') ?? holdTime;
  const mp = pick('maxPrefix');
  const ttl = pick('ttlSecurity');
  const pw = pick('password');
  return {
    description: pick('description') ?? null,
    import: policyRef(pick('import')),
    export: policyRef(pick('export')),
    passwordFile: pw ? resolveSitePath(file, pw.file) : null,
    holdTime: hold,
    keepalive: Math.floor(hold / 3),
    connectRetry: pick('connectRetry') ?? BUILTIN.peer.connectRetry,
    port: pick('port') ?? BUILTIN.peer.port,
    passive: pick('passive') ?? false,
    shutdown: pick('shutdown') ?? false,
    multihop: pick('multihop') ?? BUILTIN.peer.multihop,
    ttlSecurity: ttl === undefined || ttl === false ? null : ttl === true ? 1 : ttl,
    sourceAddress: pick('sourceAddress') ?? null,
    maxPrefix: mp === undefined ? null : typeof mp === 'number'
      ? { limit: mp, warningOnly: false, restartTime: BUILTIN.peer.maxPrefixRestartTime }
      : { limit: mp.limit, warningOnly: mp.warningOnly ?? false, restartTime: mp.restartTime ?? BUILTIN.peer.maxPrefixRestartTime },
    gracefulRestart: pick('gracefulRestart') ?? true,
    families: [...(pick('families') ?? BUILTIN.peer.families)],
    extendedNextHop: pick('extendedNextHop') ?? false,
    addPath: pick('addPath') ?? BUILTIN.peer.addPath,
    advertisementInterval: pick('advertisementInterval') ?? BUILTIN.peer.advertisementInterval,
  };
}

function peer(file: string, raw: RawPeer, origin: PeerOrigin, layers: readonly (RawPeerSettings | undefined)[], holdTime: number): PeerConfig {
  const a = parseAddress(raw.address)!;
  return { ...resolvePeerSettings(file, [raw, ...layers], holdTime), address: raw.address, family: a.family, asn: raw.asn, origin };
}

function prefixMatch(m: RawPrefixMatch): PrefixMatchConfig {
  const p = checkedPrefix(m.prefix);
  const ge = m.ge ?? p.length;
  const le = m.le ?? (m.ge !== undefined ? familyBits(p.family) : p.length);
  return { prefix: m.prefix, family: p.family, ge, le };
}

export function communityValue(c: string): number {
  const wk = WELL_KNOWN_COMMUNITIES.get(c);
  if (wk !== undefined) return wk;
  const [hi, lo] = c.split(':').map(Number) as [number, number];
  return hi * 65536 + lo;
}

const largeValue = (c: string): LargeCommunity => c.split(':').map(Number) as unknown as LargeCommunity;

function communityEdit(e: RawCommunityEdit | undefined): CommunityEditConfig | null {
  return e ? { add: (e.add ?? []).map(communityValue), remove: (e.remove ?? []).map(communityValue), removeAll: e.removeAll ?? false } : null;
}

function largeEdit(e: RawCommunityEdit | undefined): LargeCommunityEditConfig | null {
  return e ? { add: (e.add ?? []).map(largeValue), remove: (e.remove ?? []).map(largeValue), removeAll: e.removeAll ?? false } : null;
}

function term(t: RawTerm, lists: Record<string, RawPrefixMatch[]>): TermConfig {
  const m = t.match ?? {};
  const listed = m.prefixList !== undefined ? lists[m.prefixList] ?? [] : undefined;
  const prefixes = listed === undefined && m.prefixes === undefined ? null : [...(listed ?? []), ...(m.prefixes ?? [])].map(prefixMatch);
  const s = t.set ?? {};
  return {
    name: t.name ?? null,
    match: {
      prefixList: m.prefixList ?? null,
      prefixes,
      family: m.family ?? null,
      community: m.community ? m.community.map(communityValue) : null,
      largeCommunity: m.largeCommunity ? m.largeCommunity.map(largeValue) : null,
      asPathContains: m.asPathContains ?? null,
    },
    set: {
      localPref: s.localPref ?? null,
      med: s.med ?? null,
      prepend: s.prepend === undefined ? null : typeof s.prepend === 'number'
        ? { count: s.prepend, asn: null } : { count: s.prepend.count, asn: s.prepend.asn ?? null },
      nextHop: s.nextHop ?? null,
      communities: communityEdit(s.communities),
      largeCommunities: largeEdit(s.largeCommunities),
    },
    action: t.action ?? 'accept',
  };
}

/** The resolved, frozen configuration. `file` is the site file's name (password paths are relative to it). */
export function resolveSite(raw: RawSite, file: string): SiteConfig {
  const d = raw.defaults ?? {};
  const defaults = {
    asn: d.asn ?? null,
    holdTime: d.holdTime ?? BUILTIN.holdTime,
    encapsulation: d.encapsulation ?? BUILTIN.encapsulation,
    tunnel: d.tunnel ?? BUILTIN.tunnel,
    mtu: d.mtu ?? BUILTIN.mtu,
  };
  const racks: RackConfig[] = raw.racks.map((r) => {
    const holdTime = r.holdTime ?? d.peer?.holdTime ?? defaults.holdTime;
    return {
      name: r.name,
      subnets: [r.subnet, ...(r.additionalSubnets ?? [])],
      asn: r.asn ?? defaults.asn,
      holdTime,
      encapsulation: r.encapsulation ?? defaults.encapsulation,
      tunnel: r.tunnel ?? defaults.tunnel,
      mtu: r.mtu ?? defaults.mtu,
      peers: (r.peers ?? []).map((p) => peer(file, p, 'rack', [d.peer], holdTime)),
    };
  });
  const rackOf = new Map(racks.map((r) => [r.name, r]));
  const nodes: NodeConfig[] = raw.nodes.map((n) => {
    const rack = rackOf.get(n.rack)!;
    const a = parseAddress(n.address)!;
    return {
      name: n.name,
      rack: n.rack,
      address: n.address,
      family: a.family,
      asn: n.asn ?? rack.asn!,
      routerId: n.routerId ?? n.address,
      podCIDRs: [...(n.podCIDRs ?? [])],
      serviceVIPs: (n.serviceVIPs ?? []).map((v) => (v.includes('/') ? v : formatPrefix(hostPrefix(parseAddress(v)!)))),
      peers: (n.peers ?? []).map((p) => peer(file, p, 'node', [d.peer], rack.holdTime)),
    };
  });
  const lists = raw.prefixLists ?? {};
  const policies: Record<string, PolicyConfig> = {};
  for (const [name, p] of Object.entries(raw.policies ?? {})) {
    policies[name] = { name, description: p.description ?? null, terms: p.terms.map((t) => term(t, lists)), default: p.default ?? 'reject' };
  }
  const bgp = raw.bgp ?? {};
  const listen = bgp.listen ?? true;
  const mesh = raw.nodeMesh ?? {};
  const fib = d.fib ?? {};
  const config: SiteConfig = {
    file,
    site: raw.site,
    description: raw.description ?? null,
    defaults,
    fib: {
      install: fib.install ?? BUILTIN.fib.install,
      table: fib.table ?? BUILTIN.fib.table,
      protocol: fib.protocol ?? BUILTIN.fib.protocol,
      reconcileInterval: fib.reconcileInterval ?? BUILTIN.fib.reconcileInterval,
    },
    clusterCIDRs: [...(raw.clusterCIDRs ?? [])],
    racks,
    nodes,
    policies,
    bgp: {
      listen: listen === false ? null : listen === true ? { address: null, port: BUILTIN.bgp.listenPort }
        : { address: listen.address ?? null, port: listen.port ?? BUILTIN.bgp.listenPort },
      gracefulRestart: { ...BUILTIN.bgp.gracefulRestart, ...bgp.gracefulRestart },
      multipath: { ...BUILTIN.bgp.multipath, ...bgp.multipath },
      alwaysCompareMed: bgp.alwaysCompareMed ?? false,
      dynamicNeighbors: (bgp.dynamicNeighbors ?? []).map((n) => ({
        ...resolvePeerSettings(file, [n, d.peer], defaults.holdTime),
        passive: true,
        range: n.range,
        family: checkedPrefix(n.range).family,
        asn: n.asn,
        limit: n.limit ?? BUILTIN.bgp.dynamicNeighborLimit,
      })),
    },
    nodeMesh: {
      mode: mesh.mode ?? 'none',
      scope: mesh.scope ?? 'site',
      racks: mesh.racks ? [...mesh.racks] : racks.map((r) => r.name),
      routeReflectors: (mesh.routeReflectors ?? []).map((r) => ({ node: r.node, clusterId: r.clusterId ?? null })),
      peer: resolvePeerSettings(file, [mesh.peer, d.peer], defaults.holdTime),
    },
    vxlan: { ...BUILTIN.vxlan, ...raw.vxlan },
    ipip: { ...BUILTIN.ipip, ...raw.ipip },
    datapath: {
      ebpf: raw.datapath?.ebpf ?? BUILTIN.datapath.ebpf, uplinks: [...(raw.datapath?.uplinks ?? [])],
      nexthopCache: raw.datapath?.nexthopCache ?? BUILTIN.datapath.nexthopCache,
    },
    api: { ...BUILTIN.api, ...raw.api },
    metrics: { ...BUILTIN.metrics, ...raw.metrics },
    log: { ...BUILTIN.log, ...raw.log },
  };
  return deepFreeze(config);
}
