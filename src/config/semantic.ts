// The checks a JSON Schema cannot make: address syntax and canonical form, host bits, references between
// sections (racks, policies, prefix lists, mesh reflectors), duplicates, overlaps, address families, reserved
// AS numbers and hold times, password files. Each problem names its place in the file.
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import type { ConfigIssue, Severity } from './errors.js';
import { formatPath } from './errors.js';
import { RESERVED_ASNS, RESERVED_POLICY_NAMES } from './defaults.js';
import type { Family, IpAddress, IpPrefix } from './ip.js';
import { familyBits, formatPrefix, isHostAddressIn, parseAddress, parseCanonicalAddress, parsePrefix,
  prefixContains, prefixesOverlap } from './ip.js';
import type { RawPeer, RawPeerSettings, RawPrefixMatch, RawSite } from './raw.js';
import type { PathSegment, YamlSource } from './yaml-source.js';

/** What a password file looks like on this host. */
export type FileStatus =
  | { readonly kind: 'ok'; readonly size: number; readonly mode: number }
  | { readonly kind: 'missing' }
  | { readonly kind: 'not-a-file' }
  | { readonly kind: 'unreadable'; readonly code: string };

/** Looks at files the site file names (password files). Absent: those checks are skipped. */
export type FileProbe = (path: string) => FileStatus;

/** A password file path as the agent will open it: relative paths are relative to the site file. */
export function resolveSitePath(siteFile: string, p: string): string {
  return isAbsolute(p) ? p : resolvePath(dirname(siteFile), p);
}

const familyName = (f: Family): string => (f === 4 ? 'IPv4' : 'IPv6');

interface Placed<T> { readonly value: T; readonly path: readonly PathSegment[] }

export class SemanticChecker {
  readonly issues: ConfigIssue[] = [];

  constructor(
    private readonly site: RawSite,
    private readonly source: YamlSource,
    private readonly file: string,
    private readonly probe?: FileProbe,
  ) {}

  run(): ConfigIssue[] {
    const s = this.site;
    this.checkAsn(s.defaults?.asn, ['defaults', 'asn']);
    this.checkHoldTime(s.defaults?.holdTime, ['defaults', 'holdTime']);
    if (s.defaults?.peer) this.checkPeerSettings(s.defaults.peer, ['defaults', 'peer'], undefined);
    const clusterCIDRs = (s.clusterCIDRs ?? []).map((c, i) => this.prefix(c, ['clusterCIDRs', i]));
    this.checkPrefixLists();
    this.checkPolicies();
    const racks = this.checkRacks();
    this.checkNodes(racks, clusterCIDRs.filter((p): p is IpPrefix => p !== undefined));
    this.checkBgp();
    this.checkMesh();
    this.checkPolicyUse();
    return this.issues;
  }

  // --- reporting -------------------------------------------------------------------------------------------

  private report(severity: Severity, path: readonly PathSegment[], message: string, expected?: string,
    at: 'value' | 'key' = 'value'): void {
    const pos = this.source.locate(path, at);
    this.issues.push({ severity, file: this.file, line: pos.line, column: pos.column, path: formatPath(path), message,
      ...(expected ? { expected } : {}) });
  }

  private error(path: readonly PathSegment[], message: string, expected?: string, at?: 'value' | 'key'): void {
    this.report('error', path, message, expected, at);
  }

  private warn(path: readonly PathSegment[], message: string, expected?: string, at?: 'value' | 'key'): void {
    this.report('warning', path, message, expected, at);
  }

  private where(path: readonly PathSegment[]): string {
    const p = this.source.locate(path);
    return `line ${p.line}`;
  }

  // --- values ----------------------------------------------------------------------------------------------

  private prefix(text: string, path: readonly PathSegment[]): IpPrefix | undefined {
    const r = parsePrefix(text);
    if (r.ok) return r.value;
    const p = r.problem;
    switch (p.kind) {
      case 'syntax':
        if (parseAddress(text)) this.error(path, `${JSON.stringify(text)} has no prefix length`, `${text}/LENGTH`);
        else this.error(path, `${JSON.stringify(text)} is not a prefix`, 'ADDRESS/LENGTH, such as 10.244.1.0/24 or fd00:244:1::/64');
        break;
      case 'length':
        this.error(path, `${JSON.stringify(text)}: the prefix length is too long`, `a length from 0 to ${p.max}`);
        break;
      case 'host-bits':
        this.error(path, `${JSON.stringify(text)} has host bits set`, p.network);
        break;
      case 'not-canonical':
        this.error(path, `${JSON.stringify(text)} is not in canonical form`, p.canonical);
        break;
    }
    return undefined;
  }

  private address(text: string, path: readonly PathSegment[], family?: Family): IpAddress | undefined {
    const r = parseCanonicalAddress(text);
    if (!r.ok) {
      if (r.problem.kind === 'not-canonical') {
        this.error(path, `${JSON.stringify(text)} is not in canonical form`, r.problem.canonical);
      } else if (parsePrefix(text).ok || /\/\d+$/.test(text)) {
        this.error(path, `${JSON.stringify(text)} is a prefix, not an address`, 'an address without /LENGTH');
      } else {
        this.error(path, `${JSON.stringify(text)} is not an IP address`,
          family ? `an ${familyName(family)} address` : 'an IPv4 or IPv6 address, such as 10.0.1.1 or fd00::1');
      }
      return undefined;
    }
    if (family && r.value.family !== family) {
      this.error(path, `${JSON.stringify(text)} is an ${familyName(r.value.family)} address`, `an ${familyName(family)} address`);
      return undefined;
    }
    return r.value;
  }

  private checkAsn(asn: number | undefined, path: readonly PathSegment[]): void {
    if (asn === undefined) return;
    const why = RESERVED_ASNS.get(asn);
    if (why) this.error(path, why, 'an AS number from 1 to 4294967294, except 23456 and 65535');
  }

  private checkHoldTime(t: number | undefined, path: readonly PathSegment[]): void {
    if (t === 1 || t === 2) this.error(path, `hold time ${t} is not allowed (RFC 4271 §4.2)`, '0 (no keepalives) or 3 to 65535 seconds');
  }

  private checkPasswordFile(file: string, path: readonly PathSegment[]): void {
    if (!this.probe) return;
    const full = resolveSitePath(this.file, file);
    const st = this.probe(full);
    const shown = full === file ? file : `${file} (${full})`;
    switch (st.kind) {
      case 'missing':
        this.error(path, `password file ${shown} does not exist`, 'a file holding the TCP MD5 key');
        break;
      case 'not-a-file':
        this.error(path, `password file ${shown} is not a regular file`, 'a file holding the TCP MD5 key');
        break;
      case 'unreadable':
        this.warn(path, `password file ${shown} cannot be read here (${st.code}); the agent must be able to read it`);
        break;
      case 'ok':
        if (st.size === 0) this.error(path, `password file ${shown} is empty`, 'a file holding the TCP MD5 key');
        else if ((st.mode & 0o004) !== 0) {
          this.warn(path, `password file ${shown} is readable by everyone (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')})`, 'mode 0600 or 0640');
        }
        break;
    }
  }

  // --- policies ------------------------------------------------------------------------------------------

  private checkPrefixMatch(m: RawPrefixMatch, path: readonly PathSegment[]): void {
    const p = this.prefix(m.prefix, [...path, 'prefix']);
    if (!p) return;
    const max = familyBits(p.family);
    const ge = m.ge ?? p.length;
    const le = m.le ?? (m.ge !== undefined ? max : p.length);
    if (m.ge !== undefined && (m.ge < p.length || m.ge > max)) {
      this.error([...path, 'ge'], `ge ${m.ge} is outside ${m.prefix}`, `a length from ${p.length} to ${max}`);
    } else if (m.le !== undefined && (m.le < ge || m.le > max)) {
      this.error([...path, 'le'], `le ${m.le} is outside ${m.prefix}${m.ge !== undefined ? ` with ge ${m.ge}` : ''}`,
        `a length from ${ge} to ${max}`);
    } else if (le < ge) {
      this.error(path, `no prefix length can match (ge ${ge}, le ${le})`, 'ge <= le');
    }
  }

  private checkPrefixLists(): void {
    for (const [name, list] of Object.entries(this.site.prefixLists ?? {})) {
      list.forEach((m, i) => this.checkPrefixMatch(m, ['prefixLists', name, i]));
    }
  }

  private checkCommunity(c: string, path: readonly PathSegment[]): void {
    const parts = c.split(':');
    if (parts.length === 2 && parts.some((x) => Number(x) > 65535)) {
      this.error(path, `community ${c}: each half must be at most 65535`, 'ASN:VALUE with each from 0 to 65535');
    }
  }

  private checkLargeCommunity(c: string, path: readonly PathSegment[]): void {
    if (c.split(':').some((x) => Number(x) > 4294967295)) {
      this.error(path, `large community ${c}: each part must be at most 4294967295`, 'GLOBAL:LOCAL1:LOCAL2, each from 0 to 4294967295');
    }
  }

  private checkPolicies(): void {
    const lists = this.site.prefixLists ?? {};
    for (const [name, pol] of Object.entries(this.site.policies ?? {})) {
      const base: PathSegment[] = ['policies', name];
      if (RESERVED_POLICY_NAMES.includes(name)) {
        this.error(base, `'${name}' cannot name a policy: it means something else in import/export`,
          'another name (default, all and none are reserved)', 'key');
      }
      pol.terms.forEach((t, i) => {
        const tp = [...base, 'terms', i];
        if (t.match?.prefixList !== undefined && !(t.match.prefixList in lists)) {
          const known = Object.keys(lists);
          this.error([...tp, 'match', 'prefixList'], `prefix list '${t.match.prefixList}' is not defined`,
            known.length ? `one of the prefixLists: ${known.join(', ')}` : 'a list defined under prefixLists');
        }
        t.match?.prefixes?.forEach((m, j) => this.checkPrefixMatch(m, [...tp, 'match', 'prefixes', j]));
        t.match?.community?.forEach((c, j) => this.checkCommunity(c, [...tp, 'match', 'community', j]));
        t.match?.largeCommunity?.forEach((c, j) => this.checkLargeCommunity(c, [...tp, 'match', 'largeCommunity', j]));
        this.checkAsn(t.match?.asPathContains, [...tp, 'match', 'asPathContains']);
        const set = t.set;
        if (!set) return;
        if (typeof set.prepend === 'object') this.checkAsn(set.prepend.asn, [...tp, 'set', 'prepend', 'asn']);
        if (set.nextHop !== undefined && set.nextHop !== 'self') this.address(set.nextHop, [...tp, 'set', 'nextHop']);
        for (const k of ['add', 'remove'] as const) {
          set.communities?.[k]?.forEach((c, j) => this.checkCommunity(c, [...tp, 'set', 'communities', k, j]));
          set.largeCommunities?.[k]?.forEach((c, j) => this.checkLargeCommunity(c, [...tp, 'set', 'largeCommunities', k, j]));
        }
      });
    }
  }

  private readonly policyUsed = new Set<string>();

  private checkPolicyRef(ref: string | undefined, path: readonly PathSegment[]): void {
    if (ref === undefined || RESERVED_POLICY_NAMES.includes(ref)) return;
    const policies = this.site.policies ?? {};
    if (ref in policies) {
      this.policyUsed.add(ref);
      return;
    }
    const known = Object.keys(policies);
    this.error(path, `policy '${ref}' is not defined`,
      `default, all, none${known.length ? `, or one of the policies: ${known.join(', ')}` : ', or a policy defined under policies'}`);
  }

  private checkPolicyUse(): void {
    for (const name of Object.keys(this.site.policies ?? {})) {
      if (!this.policyUsed.has(name) && !RESERVED_POLICY_NAMES.includes(name)) {
        this.warn(['policies', name], `policy '${name}' is not used by any peer`, undefined, 'key');
      }
    }
  }

  // --- peers -----------------------------------------------------------------------------------------------

  private checkPeerSettings(p: RawPeerSettings, path: readonly PathSegment[], family: Family | undefined): IpAddress | undefined {
    this.checkHoldTime(p.holdTime, [...path, 'holdTime']);
    this.checkPolicyRef(p.import, [...path, 'import']);
    this.checkPolicyRef(p.export, [...path, 'export']);
    if (p.password) this.checkPasswordFile(p.password.file, [...path, 'password', 'file']);
    if (p.multihop !== undefined && p.multihop > 1 && p.ttlSecurity !== undefined && p.ttlSecurity !== false) {
      this.error([...path, 'ttlSecurity'], 'ttlSecurity and multihop cannot both be set', 'one of them (ttlSecurity: N allows N hops)');
    }
    if (p.sourceAddress === undefined) return undefined;
    return this.address(p.sourceAddress, [...path, 'sourceAddress'], family);
  }

  private checkPeer(peer: RawPeer, path: readonly PathSegment[], rackName: string, subnets: readonly IpPrefix[],
    seen: Map<string, readonly PathSegment[]>): void {
    this.checkAsn(peer.asn, [...path, 'asn']);
    const addr = this.address(peer.address, [...path, 'address']);
    const src = this.checkPeerSettings(peer, path, addr?.family);
    if (!addr) return;
    const dup = seen.get(peer.address);
    if (dup) this.error([...path, 'address'], `peer ${peer.address} is listed twice (first at ${this.where(dup)})`, 'each peer once');
    else seen.set(peer.address, [...path, 'address']);
    if (subnets.length === 0) return;
    const families = new Set(subnets.map((s) => s.family));
    if (!families.has(addr.family) && !src) {
      const list = subnets.map(formatPrefix).join(', ');
      this.error([...path, 'address'],
        `peer ${peer.address} is ${familyName(addr.family)} but rack ${rackName} has only ${familyName(subnets[0]!.family)} subnets (${list})`,
        `an ${familyName(subnets[0]!.family)} address, or a sourceAddress in ${familyName(addr.family)}, or an ${familyName(addr.family)} subnet under additionalSubnets`);
      return;
    }
    const direct = (peer.multihop ?? 1) === 1;
    if (direct && !src && families.has(addr.family) && !subnets.some((s) => prefixContains(s, addr))) {
      this.warn([...path, 'address'],
        `peer ${peer.address} is outside rack ${rackName}'s subnets but not multihop; it must be directly connected`,
        'an address in the rack subnet, or multihop: N');
    }
  }

  // --- racks and nodes -------------------------------------------------------------------------------------

  private checkRacks(): Map<string, { index: number; subnets: IpPrefix[] }> {
    const racks = new Map<string, { index: number; subnets: IpPrefix[] }>();
    const all: Placed<IpPrefix>[] = [];
    this.site.racks.forEach((r, i) => {
      const base: PathSegment[] = ['racks', i];
      const first = racks.get(r.name);
      if (first) {
        this.error([...base, 'name'], `rack '${r.name}' is defined twice (first at ${this.where(['racks', first.index, 'name'])})`, 'unique rack names');
      }
      this.checkAsn(r.asn, [...base, 'asn']);
      this.checkHoldTime(r.holdTime, [...base, 'holdTime']);
      const subnets: IpPrefix[] = [];
      const texts: [string, PathSegment[]][] = [[r.subnet, [...base, 'subnet']],
        ...(r.additionalSubnets ?? []).map((s, j): [string, PathSegment[]] => [s, [...base, 'additionalSubnets', j]])];
      for (const [text, path] of texts) {
        const p = this.prefix(text, path);
        if (!p) continue;
        const other = all.find((o) => prefixesOverlap(o.value, p));
        if (other) {
          this.error(path, `subnet ${text} overlaps ${formatPrefix(other.value)} (${formatPath(other.path)}, ${this.where(other.path)})`,
            'subnets that do not overlap');
        } else all.push({ value: p, path });
        subnets.push(p);
      }
      if (!first) racks.set(r.name, { index: i, subnets });
      const seen = new Map<string, readonly PathSegment[]>();
      (r.peers ?? []).forEach((peer, j) => this.checkPeer(peer, [...base, 'peers', j], r.name, subnets, seen));
    });
    this.rackSubnets = all;
    return racks;
  }

  private rackSubnets: Placed<IpPrefix>[] = [];

  private checkNodes(racks: Map<string, { index: number; subnets: IpPrefix[] }>, clusterCIDRs: readonly IpPrefix[]): void {
    const names = new Map<string, number>();
    const addresses = new Map<string, readonly PathSegment[]>();
    const pods: Placed<IpPrefix>[] = [];
    const site = this.site;
    site.nodes.forEach((n, i) => {
      const base: PathSegment[] = ['nodes', i];
      const first = names.get(n.name);
      if (first !== undefined) {
        this.error([...base, 'name'], `node '${n.name}' is defined twice (first at ${this.where(['nodes', first, 'name'])})`, 'unique node names');
      } else names.set(n.name, i);
      this.checkAsn(n.asn, [...base, 'asn']);
      const rack = racks.get(n.rack);
      if (!rack) {
        const known = [...racks.keys()];
        this.error([...base, 'rack'], `rack '${n.rack}' is not defined`, `one of the racks: ${known.join(', ')}`);
      }
      const addr = this.address(n.address, [...base, 'address']);
      if (addr) {
        const dup = addresses.get(n.address);
        if (dup) this.error([...base, 'address'], `address ${n.address} is already ${formatPath(dup.slice(0, 2))}'s (${this.where(dup)})`, 'a unique address per node');
        else addresses.set(n.address, [...base, 'address']);
        if (rack && rack.subnets.length > 0 && !rack.subnets.some((s) => isHostAddressIn(s, addr))) {
          const list = rack.subnets.map(formatPrefix).join(', ');
          this.error([...base, 'address'], `address ${n.address} is not a host address in rack ${n.rack}'s subnet${rack.subnets.length > 1 ? 's' : ''} (${list})`,
            `an address in ${list}`);
        }
      }
      const rackAsn = rack ? site.racks[rack.index]!.asn : undefined;
      if (n.asn === undefined && rackAsn === undefined && site.defaults?.asn === undefined) {
        this.error(base, `node '${n.name}' has no AS number`, 'asn on the node, its rack, or defaults.asn');
      }
      if (n.routerId !== undefined) this.address(n.routerId, [...base, 'routerId'], 4);
      else if (addr && addr.family === 6) {
        this.error([...base, 'address'], `node '${n.name}' has an IPv6 address, so it needs a routerId`, 'routerId: an IPv4 address unique in the site');
      }
      (n.podCIDRs ?? []).forEach((c, j) => {
        const path: PathSegment[] = [...base, 'podCIDRs', j];
        const p = this.prefix(c, path);
        if (!p) return;
        const other = pods.find((o) => prefixesOverlap(o.value, p));
        if (other) {
          const owner = site.nodes[other.path[1] as number]!.name;
          this.error(path, `pod CIDR ${c} overlaps ${formatPrefix(other.value)} of node '${owner}' (${this.where(other.path)})`,
            'pod CIDRs that do not overlap');
        } else pods.push({ value: p, path });
        const underlay = this.rackSubnets.find((o) => prefixesOverlap(o.value, p));
        if (underlay) {
          this.error(path, `pod CIDR ${c} overlaps the underlay subnet ${formatPrefix(underlay.value)} (${formatPath(underlay.path)})`,
            'pod CIDRs outside the racks\' subnets');
        }
        if (clusterCIDRs.length > 0 && !clusterCIDRs.some((cc) => prefixContains(cc, p))) {
          this.error(path, `pod CIDR ${c} is outside the clusterCIDRs (${clusterCIDRs.map(formatPrefix).join(', ')})`,
            'a prefix inside clusterCIDRs');
        }
      });
      (n.serviceVIPs ?? []).forEach((v, j) => {
        if (v.includes('/')) this.prefix(v, [...base, 'serviceVIPs', j]);
        else this.address(v, [...base, 'serviceVIPs', j]);
      });
      const seen = new Map<string, readonly PathSegment[]>();
      if (rack) (site.racks[rack.index]!.peers ?? []).forEach((p, j) => seen.set(p.address, ['racks', rack.index, 'peers', j, 'address']));
      (n.peers ?? []).forEach((peer, j) => this.checkPeer(peer, [...base, 'peers', j], n.rack, rack?.subnets ?? [], seen));
    });
    this.checkRouterIds();
  }

  private checkRouterIds(): void {
    const ids = new Map<string, number>();
    this.site.nodes.forEach((n, i) => {
      const id = n.routerId ?? (parseAddress(n.address)?.family === 4 ? n.address : undefined);
      if (id === undefined) return;
      const first = ids.get(id);
      if (first !== undefined) {
        this.error(['nodes', i, n.routerId !== undefined ? 'routerId' : 'address'],
          `router ID ${id} is also node '${this.site.nodes[first]!.name}''s`, 'a router ID unique in the site');
      } else ids.set(id, i);
    });
  }

  // --- bgp and the mesh ------------------------------------------------------------------------------------

  private checkBgp(): void {
    const bgp = this.site.bgp;
    if (!bgp) return;
    if (typeof bgp.listen === 'object' && bgp.listen.address !== undefined) this.address(bgp.listen.address, ['bgp', 'listen', 'address']);
    bgp.dynamicNeighbors?.forEach((d, i) => {
      const base: PathSegment[] = ['bgp', 'dynamicNeighbors', i];
      const range = this.prefix(d.range, [...base, 'range']);
      this.checkAsn(d.asn, [...base, 'asn']);
      this.checkPeerSettings(d, base, range?.family);
    });
  }

  private checkMesh(): void {
    const mesh = this.site.nodeMesh;
    if (!mesh) return;
    if (mesh.peer) this.checkPeerSettings(mesh.peer, ['nodeMesh', 'peer'], undefined);
    const rackNames = new Set(this.site.racks.map((r) => r.name));
    mesh.racks?.forEach((r, i) => {
      if (!rackNames.has(r)) this.error(['nodeMesh', 'racks', i], `rack '${r}' is not defined`, `one of the racks: ${[...rackNames].join(', ')}`);
    });
    const members = this.site.nodes.filter((n) => !mesh.racks || mesh.racks.includes(n.rack));
    const memberNames = new Set(members.map((n) => n.name));
    mesh.routeReflectors?.forEach((rr, i) => {
      const path: PathSegment[] = ['nodeMesh', 'routeReflectors', i];
      if (!this.site.nodes.some((n) => n.name === rr.node)) {
        this.error([...path, 'node'], `node '${rr.node}' is not defined`, 'the name of a node under nodes');
      } else if (!memberNames.has(rr.node)) {
        this.error([...path, 'node'], `node '${rr.node}' is not in a rack of the mesh`, `a node of the racks ${mesh.racks?.join(', ')}`);
      }
      if (rr.clusterId !== undefined) this.address(rr.clusterId, [...path, 'clusterId'], 4);
    });
    const mode = mesh.mode ?? 'none';
    if (mode === 'route-reflectors' && (mesh.routeReflectors ?? []).length === 0) {
      this.error(['nodeMesh', 'mode'], 'mode route-reflectors needs at least one route reflector', 'nodeMesh.routeReflectors: [{node: NAME}]');
    }
    if (mode === 'none') return;
    // iBGP: the members must share one AS.
    const asnOf = (n: RawSite['nodes'][number]): number | undefined =>
      n.asn ?? this.site.racks.find((r) => r.name === n.rack)?.asn ?? this.site.defaults?.asn;
    const firstAsn = members.length ? asnOf(members[0]!) : undefined;
    for (const n of members.slice(1)) {
      const asn = asnOf(n);
      if (asn !== undefined && firstAsn !== undefined && asn !== firstAsn) {
        const i = this.site.nodes.indexOf(n);
        this.error(['nodes', i, n.asn !== undefined ? 'asn' : 'rack'],
          `node '${n.name}' is in AS ${asn} but the node mesh (iBGP) needs every member in AS ${firstAsn} like '${members[0]!.name}'`,
          `AS ${firstAsn}, or leave this node's rack out of nodeMesh.racks`);
      }
    }
  }
}
