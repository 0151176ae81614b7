// Who may receive a path and how its attributes change on the way out, before export policy runs:
// iBGP split horizon, route reflection (RFC 4456 §6 and §8), the well-known communities (RFC 1997), and the
// eBGP/iBGP send rules of RFC 4271 §5.1 (AS_PATH prepend, NEXT_HOP, LOCAL_PREF, MED).

import type { PathAttributes } from './attrs.js';
import { WELL_KNOWN, emptyList, prependAs, withAttrs } from './attrs.js';
import type { Peer } from './peer.js';
import type { Family } from './prefix.js';

export interface ExportEnv {
  readonly localAsn: number;
  readonly routerId: number;
  readonly clusterId: number;
  readonly defaultLocalPref: number;
  /** True when at least one peer is our route-reflector client. */
  readonly reflector: boolean;
}

export type ExportVerdict =
  | 'ok'
  | 'source-peer'
  | 'no-advertise'
  | 'no-export'
  | 'ibgp-split-horizon'
  | 'rr-non-client-to-non-client'
  | 'rr-originator';

/** Decides whether `attrs`, learned from `src`, may go to `target` at all. */
export function exportVerdict(src: Peer, target: Peer, attrs: PathAttributes, env: ExportEnv): ExportVerdict {
  if (src === target) return 'source-peer';
  if (attrs.communities.length > 0) {
    if (attrs.communities.includes(WELL_KNOWN.NO_ADVERTISE)) return 'no-advertise';
    if (target.kind === 'ebgp' && attrs.communities.includes(WELL_KNOWN.NO_EXPORT)) return 'no-export';
  }
  if (src.kind === 'ibgp' && target.kind === 'ibgp') {
    // RFC 4271 §9.2: iBGP-learned routes are not sent to iBGP peers, unless we reflect (RFC 4456 §6).
    if (!env.reflector) return 'ibgp-split-horizon';
    // From a client: to every other iBGP peer. From a non-client: to clients only.
    if (!src.rrClient && !target.rrClient) return 'rr-non-client-to-non-client';
    // RFC 4456 §8: never send a route back to the speaker that originated it.
    if ((attrs.originatorId ?? src.routerId) === target.routerId) return 'rr-originator';
  }
  return 'ok';
}

/** The attributes sent to `target` (before its export policy). */
export function rewriteForPeer(src: Peer, target: Peer, attrs: PathAttributes, family: Family, env: ExportEnv): PathAttributes {
  if (target.kind === 'ebgp') {
    return withAttrs(attrs, {
      asPath: prependAs(attrs.asPath, env.localAsn, 1),
      nextHop: target.nextHopSelf(family),
      nextHopLinkLocal: undefined,
      // RFC 4271 §5.1.5: LOCAL_PREF is not sent to external peers.
      localPref: undefined,
      // RFC 4271 §5.1.4: a MED learned from a neighbouring AS is not passed to other ASes; ours (local routes) is.
      med: src.kind === 'local' ? attrs.med : undefined,
      // RFC 4456 §8: ORIGINATOR_ID and CLUSTER_LIST are non-transitive and stay inside the AS.
      originatorId: undefined,
      clusterList: emptyList<number>(),
    });
  }
  const reflect = src.kind === 'ibgp';
  const selfNextHop = attrs.nextHop === '' || target.config.nextHopSelf === true;
  return withAttrs(attrs, {
    localPref: attrs.localPref ?? env.defaultLocalPref,
    nextHop: selfNextHop ? target.nextHopSelf(family) : attrs.nextHop,
    nextHopLinkLocal: selfNextHop ? undefined : attrs.nextHopLinkLocal,
    // RFC 4456 §8: the reflector sets ORIGINATOR_ID if absent and prepends its CLUSTER_ID.
    originatorId: reflect ? attrs.originatorId ?? src.routerId : attrs.originatorId,
    clusterList: reflect ? [env.clusterId, ...attrs.clusterList] : attrs.clusterList,
  });
}
