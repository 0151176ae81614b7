// OPEN building and mapping: the capabilities we advertise (from the peer's config and the agent's graceful
// restart state), the codec OPEN <-> the FSM's OPEN (dotted <-> numeric BGP identifier), and the codec
// contexts a negotiated session uses.

import os from 'node:os';
import {
  capabilityCode, capabilityName, formatIpv4, makeContext, parseIpv4,
  type Capability, type CodecContext, type OpenMessage as WireOpen,
} from '../codec/index.js';
import { capabilityDetails } from '../codec/capabilities.js';
import {
  IPV4_UNICAST, IPV6_UNICAST, sameFamily,
  type AddPathEntry, type Capabilities, type Family, type Negotiated, type OpenMessage,
} from '../fsm/index.js';
import type { AddressFamilyName } from '../../config/types.js';
import type { CapabilityJson, GracefulRestartOptions, LocalSpeaker, SessionPeerConfig } from './types.js';

const FAMILY_OF_NAME: Readonly<Record<AddressFamilyName, Family>> = {
  'ipv4-unicast': IPV4_UNICAST,
  'ipv6-unicast': IPV6_UNICAST,
};

export function familiesOf(peer: SessionPeerConfig): Family[] {
  const names = peer.families.length > 0 ? peer.families : ['ipv4-unicast' as const];
  return names.map((n) => FAMILY_OF_NAME[n]);
}

/** The capabilities the FSM negotiates, as we advertise them to this peer. */
export function localCapabilities(
  local: LocalSpeaker, peer: SessionPeerConfig, gr: GracefulRestartOptions | undefined,
): Capabilities {
  const families = familiesOf(peer);
  const addPath: AddPathEntry[] = peer.addPath === 'none' ? [] : families.map((f) => ({
    afi: f.afi, safi: f.safi,
    receive: peer.addPath === 'receive' || peer.addPath === 'both',
    send: peer.addPath === 'send' || peer.addPath === 'both',
  }));
  const forwarding = gr?.forwardingPreserved?.() ?? false;
  return {
    multiprotocol: families,
    fourOctetAs: local.asn,
    routeRefresh: true,
    enhancedRouteRefresh: true,
    extendedMessage: true,
    ...(addPath.length > 0 ? { addPath } : {}),
    // RFC 8950: IPv4 unicast NLRI with an IPv6 next hop.
    ...(peer.extendedNextHop ? { extendedNextHop: [{ afi: 1, safi: 1, nextHopAfi: 2 }] } : {}),
    ...(peer.gracefulRestart && gr !== undefined ? {
      gracefulRestart: {
        restarting: gr.restarting?.() ?? false,
        notification: gr.notification ?? true,
        restartTime: Math.min(Math.max(0, Math.floor(gr.restartTime)), 0xfff),
        families: families.map((f) => ({ afi: f.afi, safi: f.safi, forwarding })),
      },
    } : {}),
  };
}

function sendReceive(e: AddPathEntry): number {
  return (e.receive ? 1 : 0) | (e.send ? 2 : 0);
}

/** The wire OPEN for the FSM's `send-open`: its capabilities plus those the FSM does not model (FQDN). */
export function wireOpen(open: OpenMessage, local: LocalSpeaker): WireOpen {
  const c = open.capabilities;
  const caps: Capability[] = [];
  for (const f of c.multiprotocol ?? []) caps.push({ type: 'multiprotocol', afi: f.afi, safi: f.safi });
  if (c.routeRefresh === true) caps.push({ type: 'route-refresh' });
  if (c.enhancedRouteRefresh === true) caps.push({ type: 'enhanced-route-refresh' });
  if (c.fourOctetAs !== undefined) caps.push({ type: 'four-octet-as', asn: c.fourOctetAs });
  if (c.extendedMessage === true) caps.push({ type: 'extended-message' });
  if (c.extendedNextHop !== undefined && c.extendedNextHop.length > 0) {
    caps.push({ type: 'extended-next-hop', entries: c.extendedNextHop.map((e) => ({ ...e })) });
  }
  if (c.addPath !== undefined && c.addPath.length > 0) {
    caps.push({ type: 'add-path', families: c.addPath.map((e) => ({ afi: e.afi, safi: e.safi, sendReceive: sendReceive(e) })) });
  }
  if (c.gracefulRestart !== undefined) caps.push({ type: 'graceful-restart', ...c.gracefulRestart });
  const hostname = local.hostname ?? os.hostname();
  if (hostname !== '') {
    // FQDN (73): at most 64 octets each in practice; cut to fit the one-octet lengths.
    caps.push({ type: 'fqdn', hostname: hostname.slice(0, 64), domain: (local.domain ?? '').slice(0, 64) });
  }
  return {
    type: 'OPEN', version: open.version, asn: open.asn, holdTime: open.holdTime, bgpId: formatIpv4(open.bgpId >>> 0),
    capabilities: caps,
  };
}

/** The FSM's view of a received OPEN: numeric identifier, only the capabilities it negotiates. */
export function fsmOpen(m: WireOpen): OpenMessage {
  const multiprotocol: Family[] = [];
  const addPath: AddPathEntry[] = [];
  let caps: {
    -readonly [K in keyof Capabilities]: Capabilities[K];
  } = {};
  for (const c of m.capabilities) {
    switch (c.type) {
      case 'multiprotocol':
        if (!multiprotocol.some((f) => sameFamily(f, c))) multiprotocol.push({ afi: c.afi, safi: c.safi });
        break;
      case 'four-octet-as': caps.fourOctetAs = c.asn; break;
      case 'route-refresh': caps.routeRefresh = true; break;
      case 'enhanced-route-refresh': caps.enhancedRouteRefresh = true; break;
      case 'extended-message': caps.extendedMessage = true; break;
      case 'graceful-restart':
        caps.gracefulRestart = {
          restarting: c.restarting, notification: c.notification, restartTime: c.restartTime,
          families: c.families.map((f) => ({ afi: f.afi, safi: f.safi, forwarding: f.forwarding })),
        };
        break;
      case 'add-path':
        for (const f of c.families) {
          addPath.push({ afi: f.afi, safi: f.safi, receive: (f.sendReceive & 1) !== 0, send: (f.sendReceive & 2) !== 0 });
        }
        break;
      case 'extended-next-hop':
        caps.extendedNextHop = [...(caps.extendedNextHop ?? []), ...c.entries.map((e) => ({ ...e }))];
        break;
      default:
        break;
    }
  }
  if (multiprotocol.length > 0) caps = { ...caps, multiprotocol };
  if (addPath.length > 0) caps = { ...caps, addPath };
  return { version: m.version, asn: m.asn, holdTime: m.holdTime, bgpId: parseIpv4(m.bgpId) >>> 0, capabilities: caps };
}

export interface SessionContexts {
  /** For what the peer sends (ADD-PATH receive). */
  readonly decode: CodecContext;
  /** For what we send (ADD-PATH send). */
  readonly encode: CodecContext;
}

export function negotiatedContexts(n: Negotiated): SessionContexts {
  const ap = (afi: number, dir: 'send' | 'receive'): boolean =>
    n.addPath.some((e) => e.afi === afi && e.safi === 1 && e[dir]);
  const common = {
    as4: n.fourOctetAs,
    extendedMessage: n.extendedMessage,
    extendedNextHop: n.extendedNextHop.some((e) => e.afi === 1 && e.safi === 1 && e.nextHopAfi === 2),
    ebgp: !n.ibgp,
  };
  return {
    decode: makeContext({ ...common, addPath: { ipv4: ap(1, 'receive'), ipv6: ap(2, 'receive') } }),
    encode: makeContext({ ...common, addPath: { ipv4: ap(1, 'send'), ipv6: ap(2, 'send') } }),
  };
}

export function capabilitiesJson(caps: readonly Capability[]): CapabilityJson[] {
  return caps.map((c) => {
    const code = capabilityCode(c);
    return { code, name: capabilityName(code), ...capabilityDetails(c) };
  });
}
