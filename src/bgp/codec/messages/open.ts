// OPEN (RFC 4271 §4.2) with capabilities (RFC 5492) and extended optional parameters length (RFC 9072).
import { formatIpv4Bytes, parseIpv4 } from '../address.js';
import { ByteWriter, checkUint, copy, u16, u32 } from '../bytes.js';
import { decodeCapabilities, encodeCapability, type Capability } from '../capabilities.js';
import { ErrorCode, OpenSubcode } from '../constants.js';
import { BgpEncodeError, fail } from '../errors.js';
import type { OpenMessage } from './types.js';

const CAPABILITIES_PARAM = 2;

function openFail(message: string, subcode: number, data?: Uint8Array): never {
  return fail(message, ErrorCode.OPEN, subcode, data);
}

/** Decodes the OPEN body b[s, e) (after the 19-octet header). The caller checked e - s >= 10. */
export function decodeOpen(b: Uint8Array, s: number, e: number): OpenMessage {
  const version = b[s];
  // RFC 4271 §6.2: data is the largest supported version, 2 octets.
  if (version !== 4) openFail(`unsupported BGP version ${version}`, OpenSubcode.UNSUPPORTED_VERSION, Uint8Array.of(0, 4));
  const asn = u16(b, s + 1);
  // RFC 7607 §2: AS 0 in an OPEN is a Bad Peer AS.
  if (asn === 0) openFail('My Autonomous System is 0', OpenSubcode.BAD_PEER_AS);
  const holdTime = u16(b, s + 3);
  // RFC 4271 §6.2: a hold time of one or two seconds is unacceptable.
  if (holdTime === 1 || holdTime === 2) openFail(`hold time ${holdTime} is unacceptable`, OpenSubcode.UNACCEPTABLE_HOLD_TIME);
  const id = u32(b, s + 5);
  // RFC 6286 §2.2: the BGP Identifier is a non-zero 4-octet number.
  if (id === 0) openFail('BGP Identifier is 0', OpenSubcode.BAD_BGP_IDENTIFIER, copy(b, s + 5, s + 9));
  let optLen = b[s + 9];
  let p = s + 10;
  let extended = false;
  // RFC 9072 §2: a Non-Extended Optional Parameters Length of 255 followed by type 255 announces 2-octet lengths.
  if (optLen === 255 && p < e && b[p] === 255) {
    if (p + 3 > e) openFail('extended optional parameters length truncated', OpenSubcode.UNSPECIFIC);
    extended = true;
    optLen = u16(b, p + 1);
    p += 3;
  }
  if (p + optLen !== e) {
    openFail(`optional parameters length ${optLen} disagrees with the message length`, OpenSubcode.UNSPECIFIC);
  }
  const capabilities: Capability[] = [];
  const capabilityGroups: number[] = [];
  const hdr = extended ? 3 : 2;
  while (p < e) {
    if (p + hdr > e) openFail('optional parameter header truncated', OpenSubcode.UNSPECIFIC);
    const type = b[p];
    const len = extended ? u16(b, p + 1) : b[p + 1];
    const vs = p + hdr;
    if (vs + len > e) openFail(`optional parameter ${type} overruns the OPEN`, OpenSubcode.UNSPECIFIC);
    if (type !== CAPABILITIES_PARAM) {
      openFail(`unsupported optional parameter ${type}`, OpenSubcode.UNSUPPORTED_OPTIONAL_PARAMETER, copy(b, p, vs + len));
    }
    const caps = decodeCapabilities(b, vs, vs + len);
    capabilities.push(...caps);
    capabilityGroups.push(caps.length);
    p = vs + len;
  }
  for (const c of capabilities) {
    // RFC 7607 §2 applies to the 4-octet AS capability as well.
    if (c.type === 'four-octet-as' && c.asn === 0) openFail('4-octet AS capability carries AS 0', OpenSubcode.BAD_PEER_AS);
  }
  return {
    type: 'OPEN', version, asn, holdTime, bgpId: formatIpv4Bytes(b, s + 5), capabilities, capabilityGroups,
    extendedParams: extended,
  };
}

export function encodeOpen(m: OpenMessage, w: ByteWriter): void {
  w.u8(checkUint(m.version, 8, 'version')).u16(checkUint(m.asn, 16, 'My Autonomous System'))
    .u16(checkUint(m.holdTime, 16, 'hold time')).u32(parseIpv4(m.bgpId));
  const groups = m.capabilityGroups ?? [m.capabilities.length];
  let total = 0;
  for (const g of groups) total += g;
  if (total !== m.capabilities.length) {
    throw new BgpEncodeError(`capabilityGroups sum to ${total}, there are ${m.capabilities.length} capabilities`);
  }
  const params: Uint8Array[] = [];
  let k = 0;
  for (const g of groups) {
    const cw = new ByteWriter(64);
    for (let j = 0; j < g; j++) encodeCapability(m.capabilities[k++], cw);
    params.push(cw.finish());
  }
  let needExtended = m.extendedParams === true;
  let plain = 0;
  for (const p of params) {
    if (p.length > 255) needExtended = true;
    plain += 2 + p.length;
  }
  if (plain > 255) needExtended = true;
  if (!needExtended) {
    w.u8(plain);
    for (const p of params) w.u8(CAPABILITIES_PARAM).u8(p.length).bytes(p);
    return;
  }
  let ext = 0;
  for (const p of params) ext += 3 + p.length;
  w.u8(255).u8(255).u16(checkUint(ext, 16, 'extended optional parameters length'));
  for (const p of params) w.u8(CAPABILITIES_PARAM).u16(p.length).bytes(p);
}

/** The speaker's true AS: the 4-octet AS capability when present (RFC 6793 §3), else the 2-octet field. */
export function openAsn(m: OpenMessage): number {
  for (const c of m.capabilities) if (c.type === 'four-octet-as') return c.asn;
  return m.asn;
}
