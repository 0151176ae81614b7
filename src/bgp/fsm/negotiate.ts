// The OPEN side of the FSM: the OPEN we send, the checks of the peer's OPEN that belong to the FSM
// (RFC 4271 §6.2, RFC 6286, RFC 6793, RFC 7607), and the capability negotiation of both OPENs.

import { ErrorCode, OpenSubcode, notification } from './codes.js';
import { keepaliveInterval } from './timers.js';
import type {
  AddPathNegotiated, Capabilities, ExtendedNextHopEntry, Family, FsmConfig, GracefulRestartNegotiated,
  Negotiated, Notification, OpenMessage, PeerAsnSpec,
} from './types.js';

export const BGP_VERSION = 4;
export const AS_TRANS = 23456;
export const IPV4_UNICAST: Family = { afi: 1, safi: 1 };
export const IPV6_UNICAST: Family = { afi: 2, safi: 1 };

export function sameFamily(a: Family, b: Family): boolean {
  return a.afi === b.afi && a.safi === b.safi;
}

/** `1/1`: a stable key for maps keyed by family. */
export function familyKey(f: Family): string {
  return `${f.afi}/${f.safi}`;
}

/** The OPEN this speaker sends. */
export function buildOpen(config: FsmConfig): OpenMessage {
  return {
    version: BGP_VERSION,
    asn: config.localAsn > 0xffff ? AS_TRANS : config.localAsn,
    holdTime: config.holdTime,
    bgpId: config.localBgpId,
    capabilities: config.capabilities,
  };
}

/**
 * The AS a speaker announces in its OPEN: the capability 65 value when both sides speak 4-octet AS,
 * else the 2-octet field (RFC 6793 §4).
 */
export function announcedAsn(open: OpenMessage, localFourOctet: boolean): number {
  const four = open.capabilities.fourOctetAs;
  return localFourOctet && four !== undefined ? four : open.asn;
}

export function peerAsnAccepted(spec: PeerAsnSpec, peerAsn: number, localAsn: number): boolean {
  switch (spec) {
    case 'any': return true;
    case 'external': return peerAsn !== localAsn;
    case 'internal': return peerAsn === localAsn;
    default: return peerAsn === spec;
  }
}

export type OpenCheck =
  | { readonly ok: true; readonly negotiated: Negotiated }
  | { readonly ok: false; readonly notification: Notification };

function openError(subcode: number, data?: Uint8Array): OpenCheck {
  return { ok: false, notification: notification(ErrorCode.Open, subcode, data) };
}

/**
 * Checks of a received OPEN, in the order of RFC 4271 §6.2 (version, peer AS, BGP identifier, hold
 * time), then negotiation. The codec has already checked the message's syntax.
 */
export function checkOpen(sent: OpenMessage, peer: OpenMessage, config: FsmConfig): OpenCheck {
  if (peer.version !== BGP_VERSION) {
    // The data carries the largest version we support, in two octets.
    return openError(OpenSubcode.UnsupportedVersionNumber, Uint8Array.of(0, BGP_VERSION));
  }
  const peerAsn = announcedAsn(peer, sent.capabilities.fourOctetAs !== undefined);
  if (peerAsn === 0 || !peerAsnAccepted(config.peerAsn, peerAsn, config.localAsn)) {
    return openError(OpenSubcode.BadPeerAs);
  }
  const ibgp = peerAsn === config.localAsn;
  // RFC 6286: any non-zero value; it only has to differ from ours within an AS.
  if (peer.bgpId === 0 || (ibgp && peer.bgpId === config.localBgpId)) {
    return openError(OpenSubcode.BadBgpIdentifier);
  }
  if (peer.holdTime === 1 || peer.holdTime === 2) {
    return openError(OpenSubcode.UnacceptableHoldTime);
  }
  const negotiated = negotiate(sent, peer, config, peerAsn);
  if (negotiated.families.length === 0) {
    // No address family in common: the session could carry nothing.
    return openError(OpenSubcode.UnsupportedCapability);
  }
  return { ok: true, negotiated };
}

function familiesOf(c: Capabilities): readonly Family[] {
  return c.multiprotocol !== undefined && c.multiprotocol.length > 0 ? c.multiprotocol : [IPV4_UNICAST];
}

function intersect(a: readonly Family[], b: readonly Family[]): Family[] {
  const out: Family[] = [];
  for (const f of a) {
    if (b.some((g) => sameFamily(f, g)) && !out.some((g) => sameFamily(f, g))) out.push({ afi: f.afi, safi: f.safi });
  }
  return out;
}

function negotiateAddPath(local: Capabilities, peer: Capabilities, families: readonly Family[]): AddPathNegotiated[] {
  const out: AddPathNegotiated[] = [];
  for (const mine of local.addPath ?? []) {
    if (!families.some((f) => sameFamily(f, mine))) continue;
    const theirs = (peer.addPath ?? []).find((p) => sameFamily(p, mine));
    if (theirs === undefined) continue;
    const send = mine.send && theirs.receive;
    const receive = mine.receive && theirs.send;
    if (send || receive) out.push({ afi: mine.afi, safi: mine.safi, send, receive });
  }
  return out;
}

function negotiateExtendedNextHop(local: Capabilities, peer: Capabilities): ExtendedNextHopEntry[] {
  return (local.extendedNextHop ?? []).filter((mine) => (peer.extendedNextHop ?? []).some(
    (p) => sameFamily(p, mine) && p.nextHopAfi === mine.nextHopAfi))
    .map((e) => ({ afi: e.afi, safi: e.safi, nextHopAfi: e.nextHopAfi }));
}

function negotiateGracefulRestart(
  local: Capabilities, peer: Capabilities, families: readonly Family[],
): GracefulRestartNegotiated | null {
  const mine = local.gracefulRestart;
  const theirs = peer.gracefulRestart;
  if (mine === undefined || theirs === undefined) return null;
  return {
    peerRestartTime: theirs.restartTime,
    peerRestarting: theirs.restarting,
    notification: mine.notification && theirs.notification,
    families: theirs.families.filter((f) => families.some((g) => sameFamily(f, g)))
      .map((f) => ({ afi: f.afi, safi: f.safi, forwarding: f.forwarding })),
  };
}

/** Pure capability negotiation of the OPEN we sent and the OPEN we received. */
export function negotiate(sent: OpenMessage, peer: OpenMessage, config: FsmConfig, peerAsn?: number): Negotiated {
  const local = sent.capabilities;
  const remote = peer.capabilities;
  const fourOctetAs = local.fourOctetAs !== undefined && remote.fourOctetAs !== undefined;
  const asn = peerAsn ?? announcedAsn(peer, local.fourOctetAs !== undefined);
  const holdTime = Math.min(sent.holdTime, peer.holdTime);
  const families = intersect(familiesOf(local), familiesOf(remote));
  return {
    localAsn: config.localAsn,
    peerAsn: asn,
    localBgpId: config.localBgpId,
    peerBgpId: peer.bgpId,
    ibgp: asn === config.localAsn,
    holdTime,
    keepaliveTime: keepaliveInterval(holdTime, config.keepaliveTime),
    fourOctetAs,
    families,
    routeRefresh: local.routeRefresh === true && remote.routeRefresh === true,
    enhancedRouteRefresh: local.enhancedRouteRefresh === true && remote.enhancedRouteRefresh === true,
    extendedMessage: local.extendedMessage === true && remote.extendedMessage === true,
    addPath: negotiateAddPath(local, remote, families),
    extendedNextHop: negotiateExtendedNextHop(local, remote),
    gracefulRestart: negotiateGracefulRestart(local, remote, families),
  };
}
