// `rackroute decode`: the JSON contract of issue 3, hex and binary input, context flags and their inference.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { decodeInput } from '../../../src/cli/decode.js';
import { hex, VECTORS } from './vectors.js';

const hexInput = (...names: string[]): Buffer => Buffer.from(names.map((n) => VECTORS[n].replace(/\s+/g, '')).join('\n'));

test('UPDATE as the contract says: prefixes as text, attributes by name', (t) => {
  t.deepEqual(decodeInput(hexInput('updateIpv4')), [{
    type: 'UPDATE', withdrawn: [], nlri: ['10.0.1.0/24', '10.2.0.0/16'],
    attributes: { origin: 'igp', asPath: [{ type: 'sequence', asns: [65001] }], nextHop: '10.0.0.1', med: 100,
      communities: ['65000:1'], largeCommunities: ['1:2:3'] },
  }]);
});

test('IPv6 UPDATE: mpReach with next hops and canonical IPv6 prefixes', (t) => {
  t.deepEqual(decodeInput(hexInput('updateIpv6')), [{
    type: 'UPDATE', withdrawn: [], nlri: [],
    attributes: { origin: 'igp', asPath: [{ type: 'sequence', asns: [65001] }],
      mpReach: { afi: 2, safi: 1, nextHops: ['2001:db8::1', 'fe80::1'], nlri: ['2001:db8:1::/48'] } },
  }]);
});

test('End-of-RIB for both families, NOTIFICATION with shutdown message, ROUTE-REFRESH, KEEPALIVE', (t) => {
  t.deepEqual(decodeInput(hexInput('eorIpv4', 'eorIpv6', 'notificationShutdown', 'routeRefreshBorr', 'keepalive')), [
    { type: 'UPDATE', withdrawn: [], nlri: [], endOfRib: { afi: 1, safi: 1 }, attributes: {} },
    { type: 'UPDATE', withdrawn: [], nlri: [], endOfRib: { afi: 2, safi: 1 }, attributes: { mpUnreach: { afi: 2, safi: 1, withdrawn: [] } } },
    { type: 'NOTIFICATION', code: 6, subcode: 2, name: 'Cease / Administrative Shutdown', data: '0b6d61696e74656e616e6365',
      shutdownMessage: 'maintenance' },
    { type: 'ROUTE-REFRESH', afi: 1, safi: 1, subtype: 1 },
    { type: 'KEEPALIVE' },
  ]);
});

test('OPEN: asn is the 4-octet AS capability\'s, capabilities carry code and name', (t) => {
  const [open] = decodeInput(hexInput('openFrr')) as { asn: number; capabilities: { code: number; name: string }[] }[];
  t.is(open.asn, 65001);
  t.deepEqual(open.capabilities[6], { code: 73, name: 'fqdn', hostname: 'tor1', domain: '' });
});

test('a malformed message prints {"error": {code, subcode, action, message}} in its place', (t) => {
  const out = decodeInput(Buffer.from(`${VECTORS.keepalive}\nffffffffffffffffffffffffffffffff001306\n`));
  t.deepEqual(out[0], { type: 'KEEPALIVE' });
  t.deepEqual(out[1], { error: { code: 1, subcode: 3, action: 'session-reset', message: 'bad message type 6' } });
});

test('binary input is framed as a stream; a truncated tail is an error', (t) => {
  const bin = Buffer.concat([hex(VECTORS.keepalive), hex(VECTORS.updateIpv4), hex(VECTORS.keepalive).subarray(0, 10)]);
  const out = decodeInput(bin) as Record<string, unknown>[];
  t.is(out.length, 3);
  t.is(out[1].type, 'UPDATE');
  t.like(out[2], { error: { code: 1, subcode: 2, action: 'session-reset' } });
});

test('the default infers a 2-octet AS_PATH from the message; --as4 forces 4-octet reading', (t) => {
  // AS_PATH 02 02 fde9 fdea: two 2-octet ASNs, which as 4-octet would be one AS and a truncated one.
  const msg = 'ffffffffffffffffffffffffffffffff002d02 0000 0014 40010100 4002060202fde9fdea 4003040a000001 080a'.replace(/\s/g, '');
  const inferred = decodeInput(Buffer.from(msg)) as { attributes: { asPath: unknown } }[];
  t.deepEqual(inferred[0].attributes.asPath, [{ type: 'sequence', asns: [65001, 65002] }]);
  const forced = decodeInput(Buffer.from(msg), { as4: true }) as { error?: { subcode: number } }[];
  t.is(forced[0].error?.subcode, 11);
});

test('--add-path ipv4 reads path identifiers; the default infers them', (t) => {
  const msg = 'ffffffffffffffffffffffffffffffff003302 0000 0014 40010100 400206020100000001 4003040a000001 00000007 180a0501'.replace(/\s/g, '');
  const want = [{ prefix: '10.5.1.0/24', pathId: 7 }];
  t.deepEqual((decodeInput(Buffer.from(msg), { addPath: 'ipv4' })[0] as { nlri: unknown }).nlri, want);
  t.deepEqual((decodeInput(Buffer.from(msg))[0] as { nlri: unknown }).nlri, want);
  t.notDeepEqual((decodeInput(Buffer.from(msg), { addPath: 'none' })[0] as { nlri: unknown }).nlri, want);
});

const CAPTURES = new URL('../../fixtures/captures/', import.meta.url);

test('every captured message decodes without error and with tshark\'s prefixes, context inferred', (t) => {
  if (!existsSync(CAPTURES)) return t.pass('no captures');
  let n = 0;
  for (const f of readdirSync(CAPTURES).filter((x) => x.endsWith('.hex'))) {
    const out = decodeInput(readFileSync(new URL(f, CAPTURES))) as Record<string, unknown>[];
    const ts = readFileSync(new URL(f.replace('.hex', '.tshark.jsonl'), CAPTURES), 'utf8').split('\n').filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    t.is(out.length, ts.length);
    out.forEach((o, i) => {
      t.is(o.error, undefined, `${f}:${i}`);
      if (o.type !== 'UPDATE') return;
      const text = (x: unknown): string => (typeof x === 'string' ? x : (x as { prefix: string }).prefix);
      t.deepEqual((o.nlri as unknown[]).map(text), ts[i].nlri, `${f}:${i}`);
      n++;
    });
  }
  t.true(n > 100);
});

test('the built command prints one object for one message, an array for several', (t) => {
  const bin = new URL('../../../bin/rackroute.js', import.meta.url);
  if (!existsSync(new URL('../../../dist/cli/decode.js', import.meta.url))) return t.pass('not built');
  const one = execFileSync('node', [bin.pathname, 'decode', '-'], { input: `${VECTORS.keepalive}\n` }).toString();
  t.deepEqual(JSON.parse(one), { type: 'KEEPALIVE' });
  const two = execFileSync('node', [bin.pathname, 'decode', '-'], { input: `${VECTORS.keepalive}\n${VECTORS.keepalive}\n` }).toString();
  t.deepEqual(JSON.parse(two), [{ type: 'KEEPALIVE' }, { type: 'KEEPALIVE' }]);
});
