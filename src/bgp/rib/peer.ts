// A peer as the RIB sees it: configuration, the facts of the current session, and counters kept incrementally
// so that status queries cost O(1).

import type { PathSource, PeerKind } from './decision.js';
import { addressSortKey, normalizeIp, parseIPv4 } from './ip.js';
import type { Family } from './prefix.js';
import { familyIndex } from './prefix.js';
import { PathIndex } from './path-index.js';
import type { RoutePolicy } from './route-policy.js';
import { REJECT_ALL } from './route-policy.js';
import type { AdjRibOut } from './adj-rib-out.js';

export type PeerId = number;
/** The pseudo-peer of locally originated routes. */
export const LOCAL_PEER: PeerId = 0;

export interface PeerConfig {
  readonly address: string;
  readonly asn: number;
  /** This iBGP peer is our route-reflector client (makes us a reflector). */
  readonly routeReflectorClient?: boolean;
  /** Default: reject everything (RFC 8212); pass the policy from src/bgp/policy (e.g. defaultImportPolicy). */
  readonly importPolicy?: RoutePolicy;
  /** Default: reject everything (RFC 8212). */
  readonly exportPolicy?: RoutePolicy;
  /** Keep the pre-policy Adj-RIB-In so import policy changes apply without a ROUTE-REFRESH. */
  readonly softReconfigInbound?: boolean;
  /** Most accepted prefixes (all families) before the RIB reports exceedance. */
  readonly maxPrefix?: number;
  /** Accept paths with our own AS up to this many times (allowas-in); 0 rejects any loop. */
  readonly allowOwnAsIn?: number;
  /** Min route advertisement interval in ms (withdrawals are never delayed). Default 0. */
  readonly mraiMs?: number;
  /** Paths per prefix to send when ADD-PATH send is negotiated (best + multipath set). Default 1. */
  readonly addPathSendMax?: number;
  /** Set next hop to self on iBGP too (always done for eBGP). */
  readonly nextHopSelf?: boolean;
  /** Act as RFC 4724 helper for this peer (keep its routes stale across a graceful restart). Default true. */
  readonly gracefulRestartHelper?: boolean;
}

/** Facts negotiated when the session reaches Established. */
export interface SessionInfo {
  /** The peer's BGP Identifier (dotted quad or uint32). */
  readonly routerId: string | number;
  /** Our addresses on this session, the next hop we send for "next-hop self". */
  readonly localAddress: { readonly ipv4?: string; readonly ipv6?: string };
  /** Families negotiated (default both). */
  readonly families?: readonly Family[];
  /** Families for which the peer sends path identifiers (ADD-PATH receive). */
  readonly addPathReceive?: readonly Family[];
  /** Families for which we may send path identifiers (ADD-PATH send). */
  readonly addPathSend?: readonly Family[];
  /** From the peer's Graceful Restart capability. */
  readonly gracefulRestart?: {
    /** Restart Time in seconds (how long to keep its routes if the session drops). */
    readonly restartTimeSec: number;
    /** Families whose forwarding state the peer preserved (F bit); stale routes of other families are flushed at once. */
    readonly preserved?: readonly Family[];
  };
}

export function routerIdNumber(id: string | number): number {
  return typeof id === 'number' ? id >>> 0 : parseIPv4(id);
}

export class Peer implements PathSource {
  readonly address: string;
  readonly addressKey: string;
  readonly asn: number;
  readonly kind: PeerKind;
  routerId = 0;
  up = false;
  session: SessionInfo | undefined;
  importPolicy: RoutePolicy;
  exportPolicy: RoutePolicy;
  out: AdjRibOut | undefined;
  /** Pre-policy Adj-RIB-In (soft reconfiguration: value = attr id), else rejected prefixes (value 0). */
  inPre: [PathIndex, PathIndex];
  /** Accepted routes per family (post-policy Adj-RIB-In). */
  readonly accepted: [number, number] = [0, 0];
  staleCount = 0;
  /** When stale routes are swept if no End-of-RIB came (ms on the RIB clock), or undefined. */
  staleDeadline: number | undefined;
  maxPrefixExceeded = false;
  /** First route of this peer's list in the route store. */
  routeHead = -1;
  addPathRecv: [boolean, boolean] = [false, false];

  constructor(readonly id: PeerId, readonly config: PeerConfig, localAsn: number, kind?: PeerKind) {
    this.address = kind === 'local' ? '' : normalizeIp(config.address);
    this.addressKey = kind === 'local' ? '' : addressSortKey(this.address);
    this.asn = config.asn;
    this.kind = kind ?? (config.asn === localAsn ? 'ibgp' : 'ebgp');
    this.importPolicy = config.importPolicy ?? REJECT_ALL;
    this.exportPolicy = config.exportPolicy ?? REJECT_ALL;
    this.inPre = [new PathIndex('ipv4', false), new PathIndex('ipv6', false)];
  }

  get softReconfig(): boolean {
    return this.config.softReconfigInbound === true;
  }

  get rrClient(): boolean {
    return this.kind === 'ibgp' && this.config.routeReflectorClient === true;
  }

  hasFamily(f: Family): boolean {
    return this.up && (this.session?.families === undefined || this.session.families.includes(f));
  }

  /** Our next hop for this family on this session ('' if unknown); an IPv6 one serves IPv4 too (RFC 8950). */
  nextHopSelf(f: Family): string {
    const la = this.session?.localAddress;
    if (la === undefined) return '';
    return (f === 'ipv4' ? la.ipv4 ?? la.ipv6 : la.ipv6) ?? '';
  }

  received(f: Family): number {
    const i = familyIndex(f);
    return this.softReconfig ? this.inPre[i].size : this.accepted[i] + this.inPre[i].size;
  }
}
