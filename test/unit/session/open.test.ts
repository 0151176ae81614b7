// Our OPEN from config, and codec OPEN <-> FSM OPEN.

import test from 'ava';
import { decode, encode, type OpenMessage as WireOpen } from '../../../src/bgp/codec/index.js';
import { buildOpen, fsmConfig } from '../../../src/bgp/fsm/index.js';
import { fsmOpen, localCapabilities, negotiatedContexts, wireOpen } from '../../../src/bgp/session/open.js';
import { peerConfig } from './helpers.js';

const local = { asn: 4200000001, routerId: '10.0.1.10', hostname: 'node-a', domain: 'dc1' };

test('a 4-octet AS goes as AS_TRANS with capability 65; GR, ADD-PATH, ENH, FQDN from config', (t) => {
  let restarting = true;
  const caps = localCapabilities(local, peerConfig({
    address: '10.0.1.1', asn: 65001, gracefulRestart: true, addPath: 'receive', extendedNextHop: true,
  }), { restartTime: 120, restarting: () => restarting, forwardingPreserved: () => restarting });
  const config = fsmConfig({ localAsn: local.asn, localBgpId: 0x0a00010a, peerAsn: 65001, holdTime: 9, capabilities: caps });
  const wire = wireOpen(buildOpen(config), local);
  t.is(wire.asn, 23456);
  t.is(wire.bgpId, '10.0.1.10');
  const decoded = decode(encode(wire)) as WireOpen;
  t.deepEqual(decoded.capabilities.find((c) => c.type === 'four-octet-as'), { type: 'four-octet-as', asn: 4200000001 });
  t.deepEqual(decoded.capabilities.find((c) => c.type === 'graceful-restart'), {
    type: 'graceful-restart', restarting: true, notification: true, restartTime: 120,
    families: [{ afi: 1, safi: 1, forwarding: true }, { afi: 2, safi: 1, forwarding: true }],
  });
  t.deepEqual(decoded.capabilities.find((c) => c.type === 'add-path'), {
    type: 'add-path', families: [{ afi: 1, safi: 1, sendReceive: 1 }, { afi: 2, safi: 1, sendReceive: 1 }],
  });
  t.deepEqual(decoded.capabilities.find((c) => c.type === 'extended-next-hop'), {
    type: 'extended-next-hop', entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }],
  });
  t.deepEqual(decoded.capabilities.find((c) => c.type === 'fqdn'), { type: 'fqdn', hostname: 'node-a', domain: 'dc1' });
  t.truthy(decoded.capabilities.find((c) => c.type === 'enhanced-route-refresh'));
  t.truthy(decoded.capabilities.find((c) => c.type === 'extended-message'));
  // The FSM's view of it: numeric id, the capabilities it negotiates.
  const f = fsmOpen(decoded);
  t.is(f.bgpId, 0x0a00010a);
  t.is(f.capabilities.fourOctetAs, 4200000001);
  t.deepEqual(f.capabilities.addPath, [
    { afi: 1, safi: 1, receive: true, send: false }, { afi: 2, safi: 1, receive: true, send: false }]);
  t.true(f.capabilities.gracefulRestart?.restarting);
  // Once the agent's restart is over, R and F are clear.
  restarting = false;
  const later = localCapabilities(local, peerConfig({ address: '10.0.1.1', asn: 65001, gracefulRestart: true }),
    { restartTime: 120, restarting: () => restarting, forwardingPreserved: () => restarting });
  t.false(later.gracefulRestart?.restarting);
  t.false(later.gracefulRestart?.families[0]?.forwarding);
});

test('no GR capability when the peer has graceful restart off; IPv4 only when configured so', (t) => {
  const caps = localCapabilities(local, peerConfig({ address: '10.0.1.1', asn: 65001, families: ['ipv4-unicast'] }),
    { restartTime: 120 });
  t.is(caps.gracefulRestart, undefined);
  t.deepEqual(caps.multiprotocol, [{ afi: 1, safi: 1 }]);
  t.is(caps.addPath, undefined);
});

test('a high BGP identifier maps to an unsigned number and back', (t) => {
  const open: WireOpen = { type: 'OPEN', version: 4, asn: 65001, holdTime: 9, bgpId: '255.1.2.3', capabilities: [] };
  const f = fsmOpen(open);
  t.is(f.bgpId, 0xff010203);
  t.is(wireOpen(f, { ...local, hostname: '' }).bgpId, '255.1.2.3');
  t.deepEqual(wireOpen(f, { ...local, hostname: '' }).capabilities, []);
});

test('codec contexts: ADD-PATH receive for decoding, send for encoding', (t) => {
  const ctx = negotiatedContexts({
    localAsn: 1, peerAsn: 2, localBgpId: 1, peerBgpId: 2, ibgp: false, holdTime: 9, keepaliveTime: 3, fourOctetAs: true,
    families: [{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }], routeRefresh: true, enhancedRouteRefresh: false,
    extendedMessage: true, addPath: [{ afi: 1, safi: 1, send: false, receive: true }, { afi: 2, safi: 1, send: true, receive: false }],
    extendedNextHop: [{ afi: 1, safi: 1, nextHopAfi: 2 }], gracefulRestart: null,
  });
  t.deepEqual(ctx.decode.addPath, { ipv4: true, ipv6: false });
  t.deepEqual(ctx.encode.addPath, { ipv4: false, ipv6: true });
  t.true(ctx.decode.as4 && ctx.decode.extendedMessage && ctx.decode.extendedNextHop && ctx.decode.ebgp === true);
});
