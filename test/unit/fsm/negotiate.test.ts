// OPEN checks that belong to the FSM, and capability negotiation from both OPENs.

import test from 'ava';
import {
  AS_TRANS, buildOpen, checkOpen, fsmConfig, FsmConfigError, negotiate, type Capabilities, type FsmConfig,
  type OpenMessage,
  type PeerAsnSpec,
} from '../../../src/bgp/fsm/index.js';
import { Harness, IPV4, IPV6, LOCAL_ASN, LOCAL_ID, PEER_ID, config, ofType, peerOpen } from './helpers.js';

interface OpenCase {
  readonly name: string;
  readonly peerAsn?: PeerAsnSpec;
  readonly open: Partial<OpenMessage>;
  /** null: accepted; else the OPEN subcode of the NOTIFICATION. */
  readonly error: number | null;
  readonly reason?: string;
}

const ibgpCaps: Capabilities = { fourOctetAs: LOCAL_ASN };

const openCases: OpenCase[] = [
  { name: 'a good OPEN', open: {}, error: null },
  { name: 'version 3', open: { version: 3 }, error: 1, reason: 'notification-sent open/unsupported-version-number' },
  { name: 'wrong AS', open: { asn: 65002, capabilities: { fourOctetAs: 65002 } }, error: 2, reason: 'notification-sent open/bad-peer-as' },
  { name: 'AS 0 (RFC 7607)', peerAsn: 'any', open: { asn: 0, capabilities: {} }, error: 2 },
  { name: 'external: an eBGP peer', peerAsn: 'external', open: {}, error: null },
  { name: 'external: our own AS', peerAsn: 'external', open: { asn: LOCAL_ASN, capabilities: ibgpCaps }, error: 2 },
  { name: 'internal: our own AS', peerAsn: 'internal', open: { asn: LOCAL_ASN, capabilities: ibgpCaps }, error: null },
  { name: 'internal: another AS', peerAsn: 'internal', open: {}, error: 2 },
  { name: 'any AS', peerAsn: 'any', open: { asn: 4200, capabilities: {} }, error: null },
  { name: '4-octet AS from capability 65 behind AS_TRANS', peerAsn: 4_200_000_001,
    open: { asn: AS_TRANS, capabilities: { fourOctetAs: 4_200_000_001 } }, error: null },
  { name: 'AS_TRANS without capability 65 is taken literally', peerAsn: 4_200_000_001,
    open: { asn: AS_TRANS, capabilities: {} }, error: 2 },
  { name: 'BGP identifier 0', open: { bgpId: 0 }, error: 3, reason: 'notification-sent open/bad-bgp-identifier' },
  { name: 'iBGP peer with our identifier', peerAsn: 'internal',
    open: { asn: LOCAL_ASN, bgpId: LOCAL_ID, capabilities: ibgpCaps }, error: 3 },
  { name: 'eBGP peer with our identifier (allowed by RFC 6286)', open: { bgpId: LOCAL_ID }, error: null },
  { name: 'hold time 1', open: { holdTime: 1 }, error: 6, reason: 'notification-sent open/unacceptable-hold-time' },
  { name: 'hold time 2', open: { holdTime: 2 }, error: 6 },
  { name: 'hold time 0', open: { holdTime: 0 }, error: null },
  { name: 'hold time 3', open: { holdTime: 3 }, error: null },
  { name: 'no common address family', open: { capabilities: { fourOctetAs: 65001, multiprotocol: [IPV6] } }, error: 7,
    reason: 'notification-sent open/unsupported-capability' },
];

for (const c of openCases) {
  test(`OPEN check: ${c.name}`, (t) => {
    const cfg = config(c.peerAsn === undefined ? {} : { peerAsn: c.peerAsn });
    const result = checkOpen(buildOpen(cfg), peerOpen(c.open), cfg);
    if (c.error === null) {
      t.true(result.ok);
      return;
    }
    t.false(result.ok);
    if (result.ok) return;
    t.deepEqual([result.notification.code, result.notification.subcode], [2, c.error]);

    // The same OPEN through the FSM in OpenSent: the NOTIFICATION goes out, and the reason names it.
    const h = new Harness(cfg).reach('OpenSent');
    const actions = h.feed({ kind: 'open', ...peerOpen(c.open) });
    t.is(h.name, 'Idle');
    t.deepEqual(ofType(actions, 'close')[0]?.notification, result.notification);
    if (c.reason !== undefined) t.is(h.state.lastError?.reason, c.reason);
  });
}

test('OPEN check: an unsupported version says which version we speak', (t) => {
  const cfg = config();
  const result = checkOpen(buildOpen(cfg), peerOpen({ version: 5 }), cfg);
  t.false(result.ok);
  if (!result.ok) t.deepEqual(result.notification.data, Uint8Array.of(0, 4));
});

test('our OPEN: a 4-octet AS goes in capability 65 with AS_TRANS in the 2-octet field', (t) => {
  const cfg = fsmConfig({ localAsn: 4_200_000_010, localBgpId: LOCAL_ID, peerAsn: 65001 });
  const open = buildOpen(cfg);
  t.is(open.asn, AS_TRANS);
  t.is(open.capabilities.fourOctetAs, 4_200_000_010);
  t.is(open.version, 4);
  t.is(open.holdTime, 90);
});

test('config: bad values are refused with the field named', (t) => {
  const bad: Partial<FsmConfig>[] = [
    { holdTime: 2 }, { holdTime: 70_000 }, { localBgpId: 0 }, { localAsn: 0 }, { jitter: 1.5 },
    { connectRetryTime: -1 }, { peerAsn: 0 }, { keepaliveTime: 0 },
  ];
  for (const over of bad) {
    const error = t.throws(() => fsmConfig({ localAsn: LOCAL_ASN, localBgpId: LOCAL_ID, peerAsn: 65001, ...over }),
      { instanceOf: FsmConfigError });
    t.is(String(error?.field), Object.keys(over)[0]);
  }
  t.throws(() => fsmConfig({ localAsn: 4_200_000_010, localBgpId: LOCAL_ID, peerAsn: 65001, capabilities: {} }),
    { instanceOf: FsmConfigError, message: /4-octet/ });
});

// ---- capability negotiation -----------------------------------------------------------------

function negotiated(local: Capabilities, peer: Capabilities) {
  const cfg = config({ capabilities: local });
  return negotiate(buildOpen(cfg), peerOpen({ capabilities: peer }), cfg);
}

test('negotiate: families are the intersection; no MP capability means IPv4 unicast', (t) => {
  t.deepEqual(negotiated({ multiprotocol: [IPV4, IPV6] }, { multiprotocol: [IPV6] }).families, [IPV6]);
  t.deepEqual(negotiated({ multiprotocol: [IPV4, IPV6] }, {}).families, [IPV4]);
  t.deepEqual(negotiated({}, {}).families, [IPV4]);
  t.deepEqual(negotiated({ multiprotocol: [IPV6] }, {}).families, []);
  t.deepEqual(negotiated({ multiprotocol: [IPV4, IPV6, IPV4] }, { multiprotocol: [IPV6, IPV4] }).families, [IPV4, IPV6]);
});

test('negotiate: boolean capabilities need both sides', (t) => {
  const both = { routeRefresh: true, enhancedRouteRefresh: true, extendedMessage: true, fourOctetAs: 1 };
  t.like(negotiated(both, { ...both, fourOctetAs: 65001 }),
    { routeRefresh: true, enhancedRouteRefresh: true, extendedMessage: true, fourOctetAs: true });
  t.like(negotiated(both, { fourOctetAs: 65001 }),
    { routeRefresh: false, enhancedRouteRefresh: false, extendedMessage: false, fourOctetAs: true });
  t.like(negotiated({}, both), { routeRefresh: false, extendedMessage: false, fourOctetAs: false });
});

test('negotiate: ADD-PATH send needs their receive, receive needs their send, per negotiated family', (t) => {
  const local: Capabilities = {
    multiprotocol: [IPV4, IPV6],
    addPath: [
      { ...IPV4, send: true, receive: true },
      { ...IPV6, send: true, receive: false },
      { afi: 1, safi: 4, send: true, receive: true }, // not a negotiated family
    ],
  };
  const peer: Capabilities = {
    multiprotocol: [IPV4, IPV6, { afi: 1, safi: 4 }],
    addPath: [{ ...IPV4, send: true, receive: false }, { ...IPV6, send: true, receive: false }],
  };
  t.deepEqual(negotiated(local, peer).addPath, [{ ...IPV4, send: false, receive: true }]);
  t.deepEqual(negotiated(local, { ...peer, addPath: [{ ...IPV6, send: false, receive: true }] }).addPath,
    [{ ...IPV6, send: true, receive: false }]);
});

test('negotiate: extended next hop (RFC 8950) where both advertise the same triple', (t) => {
  const v4OverV6 = { ...IPV4, nextHopAfi: 2 };
  t.deepEqual(negotiated({ extendedNextHop: [v4OverV6] }, { extendedNextHop: [v4OverV6] }).extendedNextHop, [v4OverV6]);
  t.deepEqual(negotiated({ extendedNextHop: [v4OverV6] }, {}).extendedNextHop, []);
  t.deepEqual(negotiated({ extendedNextHop: [v4OverV6] }, { extendedNextHop: [{ ...IPV6, nextHopAfi: 1 }] }).extendedNextHop, []);
});

test('negotiate: peer identity and iBGP', (t) => {
  const cfg = config({ peerAsn: 'internal' });
  const n = negotiate(buildOpen(cfg), peerOpen({ asn: LOCAL_ASN, capabilities: { fourOctetAs: LOCAL_ASN } }), cfg);
  t.like(n, { ibgp: true, peerAsn: LOCAL_ASN, peerBgpId: PEER_ID, localBgpId: LOCAL_ID });
});
