// What FRR really sends: the OPEN of an FRR 8/9 bgpd with its default capabilities, hostname (73) among them.
import test from 'ava';
import { decode, messageJson, openAsn, type OpenMessage } from '../../../src/bgp/codec/index.js';
import { hex, VECTORS } from './vectors.js';

test('FRR OPEN: every capability decodes, the Cisco route refresh (128) is kept raw', (t) => {
  const m = decode(hex(VECTORS.openFrr)) as OpenMessage;
  t.is(m.type, 'OPEN');
  t.is(openAsn(m), 65001);
  t.is(m.holdTime, 180);
  t.deepEqual(m.capabilityGroups, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  t.deepEqual(m.capabilities, [
    { type: 'multiprotocol', afi: 1, safi: 1 },
    { type: 'unknown', code: 128, data: new Uint8Array(0) },
    { type: 'route-refresh' },
    { type: 'enhanced-route-refresh' },
    { type: 'four-octet-as', asn: 65001 },
    { type: 'add-path', families: [{ afi: 1, safi: 1, sendReceive: 1 }] },
    { type: 'fqdn', hostname: 'tor1', domain: '' },
    { type: 'graceful-restart', restarting: false, notification: true, restartTime: 120, families: [] },
    { type: 'extended-message' },
    { type: 'long-lived-graceful-restart', families: [] },
  ]);
});

test('FRR OPEN as JSON names every capability', (t) => {
  const j = messageJson(decode(hex(VECTORS.openFrr))) as { capabilities: { code: number; name: string }[] };
  t.deepEqual(j.capabilities.map((c) => `${c.code}:${c.name}`), [
    '1:multiprotocol', '128:route-refresh-cisco', '2:route-refresh', '70:enhanced-route-refresh', '65:four-octet-as',
    '69:add-path', '73:fqdn', '64:graceful-restart', '6:extended-message', '71:long-lived-graceful-restart',
  ]);
});
