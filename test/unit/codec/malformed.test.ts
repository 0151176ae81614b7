// The malformed corpus: each case carries the NOTIFICATION code/subcode and the RFC 7606 action the RFC section in
// its name prescribes. Errors up to treat-as-withdraw come back in the UPDATE (framing kept, prefixes decoded);
// stronger ones are thrown as BgpCodecError, and nothing else is ever thrown.
import test from 'ava';
import {
  BgpCodecError, decode, makeContext, type CodecContext, type ErrorAction,
} from '../../../src/bgp/codec/index.js';
import { header, hex, M } from './vectors.js';

interface Case {
  readonly name: string;
  readonly bytes: string;
  readonly code: number;
  readonly subcode: number;
  readonly action: ErrorAction;
  readonly ctx?: Partial<CodecContext>;
  /** Expected error data, hex. */
  readonly data?: string;
}

const h = (n: number, w = 2): string => n.toString(16).padStart(w, '0');
const len = (s: string): number => s.replace(/\s+/g, '').length / 2;

/** An attribute: flags, code, value (length computed, extended when flags say so). */
function attr(flags: number, code: number, value: string): string {
  const n = len(value);
  return `${h(flags)}${h(code)}${(flags & 0x10) !== 0 ? h(n, 4) : h(n)}${value.replace(/\s+/g, '')}`;
}

function update(attrs: string, nlri = '', withdrawn = ''): string {
  const body = `${h(len(withdrawn), 4)}${withdrawn}${h(len(attrs), 4)}${attrs}${nlri}`.replace(/\s+/g, '');
  return `${header(2, len(body))}${body}`;
}

function open(body: string): string {
  const b = body.replace(/\s+/g, '');
  return `${header(1, len(b))}${b}`;
}

const ORIGIN = attr(0x40, 1, '00');
const AS_PATH = attr(0x40, 2, '02 01 0000fde9');
const NEXT_HOP = attr(0x40, 3, '0a000001');
const BASE = ORIGIN + AS_PATH + NEXT_HOP;
const NLRI = '18 0a0001';
const MP_V6 = (nlri: string): string => attr(0x80, 14, `0002 01 10 20010db8000000000000000000000001 00 ${nlri}`);

const CASES: Case[] = [
  // Message header, RFC 4271 §6.1
  { name: 'RFC 4271 §6.1 marker not all ones', bytes: `ffffffffffffffffffffffffffffff00 0013 04`, code: 1, subcode: 1, action: 'session-reset' },
  { name: 'RFC 4271 §6.1 length below 19', bytes: `${M} 0012 04`, code: 1, subcode: 2, action: 'session-reset', data: '0012' },
  { name: 'RFC 4271 §6.1 length above 4096 without extended messages', bytes: `${M} 1001 02`, code: 1, subcode: 2, action: 'session-reset', data: '1001' },
  { name: 'RFC 4271 §6.1 length field disagrees with the octets', bytes: `${M} 0014 04`, code: 1, subcode: 2, action: 'session-reset' },
  { name: 'RFC 4271 §6.1 bad message type 6', bytes: `${M} 0013 06`, code: 1, subcode: 3, action: 'session-reset', data: '06' },
  { name: 'RFC 4271 §6.1 KEEPALIVE of 20 octets', bytes: `${M} 0014 04 00`, code: 1, subcode: 2, action: 'session-reset', data: '0014' },
  { name: 'RFC 4271 §6.1 OPEN shorter than 29', bytes: open('04 fde9 00b4 0a000001'), code: 1, subcode: 2, action: 'session-reset' },
  { name: 'RFC 4271 §6.1 UPDATE shorter than 23', bytes: `${M} 0015 02 0000`, code: 1, subcode: 2, action: 'session-reset' },
  { name: 'RFC 4271 §6.1 truncated NOTIFICATION (20 octets)', bytes: `${M} 0014 03 06`, code: 1, subcode: 2, action: 'session-reset' },
  { name: 'RFC 2918 §3 truncated ROUTE-REFRESH (22 octets)', bytes: `${M} 0016 05 0001 00`, code: 1, subcode: 2, action: 'session-reset' },
  { name: 'RFC 7313 §5 BoRR ROUTE-REFRESH of 24 octets', bytes: `${M} 0018 05 0001 01 01 00`, code: 7, subcode: 1, action: 'session-reset' },
  { name: 'RFC 8654 §4 OPEN above 4096 even with extended messages', bytes: `${M} 1100 01`, code: 1, subcode: 2, action: 'session-reset', ctx: { extendedMessage: true } },
  // OPEN, RFC 4271 §6.2
  { name: 'RFC 4271 §6.2 unsupported version 3', bytes: open('03 fde9 00b4 0a000001 00'), code: 2, subcode: 1, action: 'session-reset', data: '0004' },
  { name: 'RFC 4271 §6.2 hold time 1', bytes: open('04 fde9 0001 0a000001 00'), code: 2, subcode: 6, action: 'session-reset' },
  { name: 'RFC 4271 §6.2 hold time 2', bytes: open('04 fde9 0002 0a000001 00'), code: 2, subcode: 6, action: 'session-reset' },
  { name: 'RFC 6286 §2.2 BGP Identifier 0', bytes: open('04 fde9 00b4 00000000 00'), code: 2, subcode: 3, action: 'session-reset' },
  { name: 'RFC 7607 §2 My AS 0', bytes: open('04 0000 00b4 0a000001 00'), code: 2, subcode: 2, action: 'session-reset' },
  { name: 'RFC 7607 §2 4-octet AS capability 0', bytes: open('04 5ba0 00b4 0a000001 08 02 06 41 04 00000000'), code: 2, subcode: 2, action: 'session-reset' },
  { name: 'RFC 4271 §6.2 unsupported optional parameter 1', bytes: open('04 fde9 00b4 0a000001 04 01 02 0000'), code: 2, subcode: 4, action: 'session-reset' },
  { name: 'RFC 4271 §6.2 optional parameters length overruns the OPEN', bytes: open('04 fde9 00b4 0a000001 09 02 06 01 04 0001 0001'), code: 2, subcode: 0, action: 'session-reset' },
  { name: 'RFC 5492 §3 capability overruns its parameter', bytes: open('04 fde9 00b4 0a000001 06 02 04 01 04 0001'), code: 2, subcode: 0, action: 'session-reset' },
  { name: 'RFC 4760 §8 multiprotocol capability of 3 octets', bytes: open('04 fde9 00b4 0a000001 07 02 05 01 03 000101'), code: 2, subcode: 0, action: 'session-reset' },
  { name: 'RFC 9072 §2 extended parameters length truncated', bytes: open('04 fde9 00b4 0a000001 ff ff 00'), code: 2, subcode: 0, action: 'session-reset' },
  // UPDATE fields, RFC 7606 §5.3 / RFC 4271 §6.3
  { name: 'RFC 7606 §5.3 withdrawn routes length overruns the message', bytes: `${header(2, 4)} 0010 0000`, code: 3, subcode: 1, action: 'session-reset' },
  { name: 'RFC 7606 §5.3 total attribute length overruns the message', bytes: `${header(2, 4)} 0000 0005`, code: 3, subcode: 1, action: 'session-reset' },
  { name: 'RFC 7606 §5.3 NLRI prefix length 33', bytes: update(BASE, '21 0a000001 00'), code: 3, subcode: 10, action: 'session-reset' },
  { name: 'RFC 7606 §5.3 NLRI prefix overruns the message', bytes: update(BASE, '18 0a00'), code: 3, subcode: 10, action: 'session-reset' },
  { name: 'RFC 7606 §5.3 withdrawn prefix length 40', bytes: update('', '', '28 0a000001 00'), code: 3, subcode: 10, action: 'session-reset' },
  { name: 'RFC 7911 §3 ADD-PATH NLRI truncated after the path identifier', bytes: update(BASE, '00000001'), code: 3, subcode: 10, action: 'session-reset', ctx: { addPath: { ipv4: true } } },
  // Generic attribute checks
  { name: 'RFC 7606 §4 attribute length overruns the attribute block', bytes: update(`${BASE}c0 08 08 fde80001`, ''), code: 3, subcode: 5, action: 'treat-as-withdraw' },
  { name: 'RFC 7606 §4 attribute header truncated', bytes: update(`${BASE}c0 08`, NLRI), code: 3, subcode: 5, action: 'treat-as-withdraw' },
  { name: 'RFC 7606 §3 c ORIGIN with the Optional bit', bytes: update(attr(0xc0, 1, '00') + AS_PATH + NEXT_HOP, NLRI), code: 3, subcode: 4, action: 'treat-as-withdraw', data: 'c0010100' },
  { name: 'RFC 7606 §3 c COMMUNITIES without the Transitive bit', bytes: update(BASE + attr(0x80, 8, 'fde80001'), NLRI), code: 3, subcode: 4, action: 'treat-as-withdraw' },
  { name: 'RFC 7606 §3 d missing ORIGIN', bytes: update(AS_PATH + NEXT_HOP, NLRI), code: 3, subcode: 3, action: 'treat-as-withdraw', data: '01' },
  { name: 'RFC 7606 §3 d missing AS_PATH with MP_REACH_NLRI only', bytes: update(ORIGIN + MP_V6('30 20010db80001')), code: 3, subcode: 3, action: 'treat-as-withdraw', data: '02' },
  { name: 'RFC 7606 §3 d missing NEXT_HOP with NLRI', bytes: update(ORIGIN + AS_PATH, NLRI), code: 3, subcode: 3, action: 'treat-as-withdraw', data: '03' },
  { name: 'RFC 7606 §3 g duplicate ORIGIN discarded', bytes: update(BASE + ORIGIN, NLRI), code: 3, subcode: 1, action: 'attribute-discard' },
  { name: 'RFC 7606 §3 g MP_REACH_NLRI twice', bytes: update(BASE + MP_V6('') + MP_V6('')), code: 3, subcode: 1, action: 'session-reset' },
  { name: 'RFC 4271 §6.3 unrecognized well-known attribute 99', bytes: update(BASE + attr(0x40, 99, '00'), NLRI), code: 3, subcode: 2, action: 'session-reset' },
  // Per attribute, RFC 7606 §7
  { name: 'RFC 7606 §7.1 ORIGIN value 3', bytes: update(attr(0x40, 1, '03') + AS_PATH + NEXT_HOP, NLRI), code: 3, subcode: 6, action: 'treat-as-withdraw' },
  { name: 'RFC 7606 §7.1 ORIGIN of 2 octets', bytes: update(attr(0x40, 1, '0000') + AS_PATH + NEXT_HOP, NLRI), code: 3, subcode: 5, action: 'treat-as-withdraw' },
  { name: 'RFC 7606 §7.2 AS_PATH segment type 5', bytes: update(ORIGIN + attr(0x40, 2, '05 01 0000fde9') + NEXT_HOP, NLRI), code: 3, subcode: 11, action: 'treat-as-withdraw' },
  { name: 'RFC 7606 §7.2 AS_PATH segment overruns the attribute', bytes: update(ORIGIN + attr(0x40, 2, '02 02 0000fde9') + NEXT_HOP, NLRI), code: 3, subcode: 11, action: 'treat-as-withdraw' },
  { name: 'RFC 7606 §7.2 AS_PATH segment of zero ASes', bytes: update(ORIGIN + attr(0x40, 2, '02 00') + NEXT_HOP, NLRI), code: 3, subcode: 11, action: 'treat-as-withdraw' },
  { name: 'RFC 7606 §7.2 2-octet AS_PATH of odd length', bytes: update(ORIGIN + attr(0x40, 2, '02 01 fd') + NEXT_HOP, NLRI), code: 3, subcode: 11, action: 'treat-as-withdraw', ctx: { as4: false } },
  { name: 'RFC 7606 §7.3 NEXT_HOP of 5 octets', bytes: update(ORIGIN + AS_PATH + attr(0x40, 3, '0a00000100'), NLRI), code: 3, subcode: 5, action: 'treat-as-withdraw' },
  { name: 'RFC 7606 §7.3 NEXT_HOP 0.0.0.0', bytes: update(ORIGIN + AS_PATH + attr(0x40, 3, '00000000'), NLRI), code: 3, subcode: 8, action: 'treat-as-withdraw' },
  { name: 'RFC 7606 §7.3 NEXT_HOP multicast 224.0.0.1', bytes: update(ORIGIN + AS_PATH + attr(0x40, 3, 'e0000001'), NLRI), code: 3, subcode: 8, action: 'treat-as-withdraw' },
  { name: 'RFC 7606 §7.4 MULTI_EXIT_DISC of 3 octets', bytes: update(BASE + attr(0x80, 4, '000064'), NLRI), code: 3, subcode: 5, action: 'treat-as-withdraw' },
  { name: 'RFC 7606 §7.5 LOCAL_PREF of 2 octets from an internal peer', bytes: update(BASE + attr(0x40, 5, '0064'), NLRI), code: 3, subcode: 5, action: 'treat-as-withdraw', ctx: { ebgp: false } },
  { name: 'RFC 7606 §7.5 LOCAL_PREF of 2 octets from an external peer', bytes: update(BASE + attr(0x40, 5, '0064'), NLRI), code: 3, subcode: 5, action: 'attribute-discard', ctx: { ebgp: true } },
  { name: 'RFC 7606 §7.6 ATOMIC_AGGREGATE of 1 octet', bytes: update(BASE + attr(0x40, 6, '00'), NLRI), code: 3, subcode: 5, action: 'attribute-discard', data: '40060100' },
  { name: 'RFC 7606 §7.7 AGGREGATOR of 7 octets (4-octet AS)', bytes: update(BASE + attr(0xc0, 7, '0000fde9 0a0000'), NLRI), code: 3, subcode: 5, action: 'attribute-discard' },
  { name: 'RFC 7606 §7.7 AGGREGATOR of 8 octets on a 2-octet session', bytes: update(ORIGIN + attr(0x40, 2, '02 01 fde9') + NEXT_HOP + attr(0xc0, 7, '0000fde9 0a000001'), NLRI), code: 3, subcode: 5, action: 'attribute-discard', ctx: { as4: false } },
  { name: 'RFC 7606 §7.8 COMMUNITIES of 5 octets', bytes: update(BASE + attr(0xc0, 8, 'fde8000100'), NLRI), code: 3, subcode: 5, action: 'treat-as-withdraw' },
  { name: 'RFC 7606 §7.8 COMMUNITIES of zero length', bytes: update(BASE + attr(0xc0, 8, ''), NLRI), code: 3, subcode: 5, action: 'treat-as-withdraw' },
  { name: 'RFC 7606 §7.9 ORIGINATOR_ID of 3 octets', bytes: update(BASE + attr(0x80, 9, '0a0000'), NLRI), code: 3, subcode: 5, action: 'treat-as-withdraw' },
  { name: 'RFC 7606 §7.10 CLUSTER_LIST of 6 octets', bytes: update(BASE + attr(0x80, 10, '0a0000010a00'), NLRI), code: 3, subcode: 5, action: 'treat-as-withdraw' },
  { name: 'RFC 7606 §7.11 MP_REACH_NLRI IPv6 next hop of 5 octets', bytes: update(ORIGIN + AS_PATH + attr(0x80, 14, '0002 01 05 2001db8000 00')), code: 3, subcode: 9, action: 'afi-safi-disable' },
  { name: 'RFC 7606 §7.11 MP_REACH_NLRI next hop overruns the attribute', bytes: update(ORIGIN + AS_PATH + attr(0x80, 14, '0002 01 20 2001')), code: 3, subcode: 9, action: 'afi-safi-disable' },
  { name: 'RFC 8950 §3 IPv6 next hop for IPv4 NLRI without the capability', bytes: update(ORIGIN + AS_PATH + attr(0x80, 14, '0001 01 10 20010db8000000000000000000000001 00 18 0a0001')), code: 3, subcode: 9, action: 'afi-safi-disable', ctx: { extendedNextHop: false } },
  { name: 'RFC 7606 §7.11 MP_REACH_NLRI shorter than 5 octets', bytes: update(ORIGIN + AS_PATH + attr(0x80, 14, '0002 01')), code: 3, subcode: 9, action: 'session-reset' },
  { name: 'RFC 7606 §7.11 MP_REACH_NLRI IPv6 prefix length 129', bytes: update(ORIGIN + AS_PATH + MP_V6('81 20010db8')), code: 3, subcode: 9, action: 'afi-safi-disable' },
  { name: 'RFC 7606 §7.11 MP_UNREACH_NLRI shorter than 3 octets', bytes: update(attr(0x80, 15, '0002')), code: 3, subcode: 9, action: 'session-reset' },
  { name: 'RFC 7606 §7.11 MP_UNREACH_NLRI prefix overruns the attribute', bytes: update(attr(0x80, 15, '0002 01 40 20010db8')), code: 3, subcode: 9, action: 'afi-safi-disable' },
  { name: 'RFC 7606 §7.14 EXTENDED_COMMUNITIES of 9 octets', bytes: update(BASE + attr(0xc0, 16, '000200640000000100'), NLRI), code: 3, subcode: 5, action: 'treat-as-withdraw' },
  { name: 'RFC 6793 §6 malformed AS4_PATH is discarded', bytes: update(BASE + attr(0xc0, 17, '02 02 0000fde9'), NLRI), code: 3, subcode: 11, action: 'attribute-discard' },
  { name: 'RFC 6793 §6 AS4_AGGREGATOR of 6 octets is discarded', bytes: update(BASE + attr(0xc0, 18, 'fde9 0a000001'), NLRI), code: 3, subcode: 5, action: 'attribute-discard' },
  { name: 'RFC 8092 §5 LARGE_COMMUNITY of 13 octets', bytes: update(BASE + attr(0xc0, 32, '00000001 00000002 00000003 00'), NLRI), code: 3, subcode: 5, action: 'treat-as-withdraw' },
  { name: 'RFC 9234 §5 OTC of 3 octets', bytes: update(BASE + attr(0xc0, 35, '00fde9'), NLRI), code: 3, subcode: 5, action: 'treat-as-withdraw' },
  // Strongest error wins (RFC 7606 §3, GoBGP's ordering)
  { name: 'RFC 7606 §3 treat-as-withdraw outranks an earlier attribute-discard', bytes: update(BASE + attr(0x40, 6, '00') + attr(0x80, 4, '00'), NLRI), code: 3, subcode: 5, action: 'treat-as-withdraw' },
  { name: 'RFC 7606 §3 afi-safi-disable outranks treat-as-withdraw', bytes: update(attr(0x40, 1, '07') + AS_PATH + attr(0x80, 14, '0002 01 05 2001db8000 00')), code: 3, subcode: 9, action: 'afi-safi-disable' },
];

interface Outcome {
  code: number;
  subcode: number;
  action: ErrorAction;
  data: Uint8Array;
  thrown: boolean;
  nlri?: number;
}

function outcome(bytes: Uint8Array, ctx: CodecContext): Outcome | undefined {
  try {
    const m = decode(bytes, ctx);
    if (m.type !== 'UPDATE' || m.error === undefined) return undefined;
    return { ...m.error, thrown: false, nlri: m.nlri.length };
  } catch (e) {
    if (!(e instanceof BgpCodecError)) throw e;
    return { code: e.code, subcode: e.subcode, action: e.action, data: e.data, thrown: true };
  }
}

test('the corpus has 40+ cases', (t) => {
  t.true(CASES.length >= 40, `${CASES.length} cases`);
});

for (const c of CASES) {
  test(c.name, (t) => {
    const ctx = makeContext({ extendedNextHop: true, ...c.ctx });
    const o = outcome(hex(c.bytes), ctx);
    if (o === undefined) {
      t.fail('decoded without error');
      return;
    }
    t.deepEqual({ code: o.code, subcode: o.subcode, action: o.action }, { code: c.code, subcode: c.subcode, action: c.action });
    if (c.data !== undefined) t.is(Buffer.from(o.data).toString('hex'), c.data);
    // Up to treat-as-withdraw the message is returned whole: its prefixes are there to be withdrawn.
    t.is(o.thrown, c.action === 'afi-safi-disable' || c.action === 'session-reset');
    if (!o.thrown && c.bytes.endsWith(NLRI.replace(' ', ''))) t.is(o.nlri, 1);
  });
}

test('RFC 7606 §3 g: the first of duplicate attributes is kept', (t) => {
  const m = decode(hex(update(BASE + attr(0x40, 1, '02'), NLRI)));
  t.true(m.type === 'UPDATE' && m.attributes.some((a) => a.type === 'origin' && a.value === 'igp'));
});

test('RFC 7606 §2 attribute-discard removes only the bad attribute', (t) => {
  const m = decode(hex(update(BASE + attr(0x40, 6, '00') + attr(0x80, 4, '00000064'), NLRI)));
  if (m.type !== 'UPDATE') return t.fail();
  t.deepEqual(m.attributes.map((a) => a.type), ['origin', 'asPath', 'nextHop', 'med']);
  t.is(m.error?.action, 'attribute-discard');
});
