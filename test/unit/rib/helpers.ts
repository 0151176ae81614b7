// Shared builders for the RIB tests.
import type { PathAttributes } from '../../../src/bgp/rib/attrs.js';
import { asSequence, makeAttrs } from '../../../src/bgp/rib/attrs.js';
import { ManualClock } from '../../../src/bgp/rib/clock.js';
import type { PeerConfig, SessionInfo } from '../../../src/bgp/rib/peer.js';
import { parsePrefix } from '../../../src/bgp/rib/prefix.js';
import { ACCEPT_ALL } from '../../../src/bgp/rib/route-policy.js';
import type { RibOptions } from '../../../src/bgp/rib/rib.js';
import { Rib } from '../../../src/bgp/rib/rib.js';

export const P = parsePrefix;

export function attrs(asns: number[], extra: Partial<PathAttributes> = {}): PathAttributes {
  return makeAttrs({ asPath: asSequence(...asns), nextHop: '192.0.2.1', ...extra });
}

export function newRib(opts: Partial<RibOptions> = {}): { rib: Rib; clock: ManualClock } {
  const clock = new ManualClock(1000);
  const rib = new Rib({ localAsn: 64512, routerId: '10.0.0.100', clock, ...opts });
  return { rib, clock };
}

/** Adds a peer with accept-all policies and brings it up. */
export function upPeer(
  rib: Rib, address: string, asn: number, routerId: string, cfg: Partial<PeerConfig> = {}, session: Partial<SessionInfo> = {},
): number {
  const id = rib.addPeer({ address, asn, importPolicy: ACCEPT_ALL, exportPolicy: ACCEPT_ALL, ...cfg });
  rib.peerUp(id, { routerId, localAddress: { ipv4: '10.0.1.10', ipv6: 'fd00::10' }, ...session });
  return id;
}
