// BGP capabilities (RFC 5492) carried in the OPEN's optional parameter 2. Known ones become typed data; any other
// is kept as raw bytes so it can be logged and re-advertised unchanged.
import { ByteWriter, checkUint, copy, toHex } from './bytes.js';
import { ErrorCode, OpenSubcode } from './constants.js';
import { BgpEncodeError, fail } from './errors.js';

export interface AfiSafi {
  readonly afi: number;
  readonly safi: number;
}

export interface GracefulRestartFamily extends AfiSafi {
  /** F bit: forwarding state was preserved for this family. */
  readonly forwarding: boolean;
}

export interface LlgrFamily extends AfiSafi {
  readonly forwarding: boolean;
  /** Long-lived stale time in seconds, 24 bits. */
  readonly staleTime: number;
}

export interface AddPathFamily extends AfiSafi {
  /** 1 receive, 2 send, 3 both (RFC 7911 §4). */
  readonly sendReceive: number;
}

export interface ExtendedNextHopEntry extends AfiSafi {
  readonly nextHopAfi: number;
}

export type Capability =
  | { readonly type: 'multiprotocol'; readonly afi: number; readonly safi: number }
  | { readonly type: 'route-refresh' }
  | { readonly type: 'enhanced-route-refresh' }
  | { readonly type: 'four-octet-as'; readonly asn: number }
  | {
    readonly type: 'graceful-restart';
    /** R bit (RFC 4724): the sender has restarted. */
    readonly restarting: boolean;
    /** N bit (RFC 8538): the sender supports graceful restart for NOTIFICATION messages. */
    readonly notification: boolean;
    readonly restartTime: number;
    readonly families: readonly GracefulRestartFamily[];
  }
  | { readonly type: 'long-lived-graceful-restart'; readonly families: readonly LlgrFamily[] }
  | { readonly type: 'add-path'; readonly families: readonly AddPathFamily[] }
  | { readonly type: 'extended-next-hop'; readonly entries: readonly ExtendedNextHopEntry[] }
  | { readonly type: 'extended-message' }
  | { readonly type: 'fqdn'; readonly hostname: string; readonly domain: string }
  | { readonly type: 'role'; readonly role: number }
  | { readonly type: 'unknown'; readonly code: number; readonly data: Uint8Array };

export const CapabilityCode = {
  MULTIPROTOCOL: 1,
  ROUTE_REFRESH: 2,
  EXTENDED_NEXT_HOP: 5,
  EXTENDED_MESSAGE: 6,
  ROLE: 9,
  GRACEFUL_RESTART: 64,
  FOUR_OCTET_AS: 65,
  ADD_PATH: 69,
  ENHANCED_ROUTE_REFRESH: 70,
  LONG_LIVED_GRACEFUL_RESTART: 71,
  FQDN: 73,
} as const;

const CODES: Readonly<Record<Exclude<Capability['type'], 'unknown'>, number>> = {
  'multiprotocol': 1,
  'route-refresh': 2,
  'extended-next-hop': 5,
  'extended-message': 6,
  'role': 9,
  'graceful-restart': 64,
  'four-octet-as': 65,
  'add-path': 69,
  'enhanced-route-refresh': 70,
  'long-lived-graceful-restart': 71,
  'fqdn': 73,
};

const OTHER_NAMES: Readonly<Record<number, string>> = {
  3: 'outbound-route-filtering', 4: 'multiple-routes-to-a-destination', 7: 'bgpsec', 8: 'multiple-labels',
  10: 'bgp-extended-message-v2', 66: 'deprecated-dynamic-capability', 67: 'dynamic-capability',
  68: 'multisession', 72: 'route-refresh-multiple', 74: 'software-version', 75: 'paths-limit',
  128: 'route-refresh-cisco', 129: 'outbound-route-filtering-cisco', 130: 'bgp-open-policy-deprecated',
};

export function capabilityCode(c: Capability): number {
  return c.type === 'unknown' ? c.code : CODES[c.type];
}

export function capabilityName(code: number): string {
  for (const [name, c] of Object.entries(CODES)) if (c === code) return name;
  return OTHER_NAMES[code] ?? `unknown-${code}`;
}

export const ROLE_NAMES: Readonly<Record<number, string>> = { 0: 'provider', 1: 'rs', 2: 'rs-client', 3: 'customer', 4: 'peer' };

function capFail(message: string, data: Uint8Array): never {
  // RFC 5492 §3 leaves a malformed capability to the OPEN error code; subcode 0 (RFC 4271 §6.2, unspecific).
  return fail(message, ErrorCode.OPEN, OpenSubcode.UNSPECIFIC, data);
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const utf8enc = new TextEncoder();

/** Decodes one capability value b[start, end) of the given code. */
function decodeOne(code: number, b: Uint8Array, start: number, end: number): Capability {
  const len = end - start;
  const need = (ok: boolean): void => {
    if (!ok) capFail(`capability ${capabilityName(code)} has bad length ${len}`, copy(b, start - 2, end));
  };
  const u16 = (i: number): number => (b[i] << 8) | b[i + 1];
  switch (code) {
    case 1:
      need(len === 4);
      return { type: 'multiprotocol', afi: u16(start), safi: b[start + 3] };
    case 2:
      need(len === 0);
      return { type: 'route-refresh' };
    case 70:
      need(len === 0);
      return { type: 'enhanced-route-refresh' };
    case 6:
      need(len === 0);
      return { type: 'extended-message' };
    case 65:
      need(len === 4);
      return { type: 'four-octet-as', asn: ((b[start] << 24) | (b[start + 1] << 16) | (b[start + 2] << 8) | b[start + 3]) >>> 0 };
    case 9:
      need(len === 1);
      return { type: 'role', role: b[start] };
    case 64: {
      need(len >= 2 && (len - 2) % 4 === 0);
      const flags = b[start] >> 4;
      const families: GracefulRestartFamily[] = [];
      for (let i = start + 2; i < end; i += 4) {
        families.push({ afi: u16(i), safi: b[i + 2], forwarding: (b[i + 3] & 0x80) !== 0 });
      }
      return {
        type: 'graceful-restart', restarting: (flags & 0x8) !== 0, notification: (flags & 0x4) !== 0,
        restartTime: u16(start) & 0x0fff, families,
      };
    }
    case 71: {
      need(len % 7 === 0);
      const families: LlgrFamily[] = [];
      for (let i = start; i < end; i += 7) {
        families.push({
          afi: u16(i), safi: b[i + 2], forwarding: (b[i + 3] & 0x80) !== 0,
          staleTime: (b[i + 4] << 16) | (b[i + 5] << 8) | b[i + 6],
        });
      }
      return { type: 'long-lived-graceful-restart', families };
    }
    case 69: {
      need(len % 4 === 0);
      const families: AddPathFamily[] = [];
      for (let i = start; i < end; i += 4) families.push({ afi: u16(i), safi: b[i + 2], sendReceive: b[i + 3] });
      return { type: 'add-path', families };
    }
    case 5: {
      need(len % 6 === 0);
      const entries: ExtendedNextHopEntry[] = [];
      for (let i = start; i < end; i += 6) entries.push({ afi: u16(i), safi: u16(i + 2), nextHopAfi: u16(i + 4) });
      return { type: 'extended-next-hop', entries };
    }
    case 73: {
      need(len >= 1);
      const hl = b[start];
      need(1 + hl + 1 <= len);
      const dl = b[start + 1 + hl];
      need(2 + hl + dl === len);
      return {
        type: 'fqdn', hostname: utf8.decode(b.subarray(start + 1, start + 1 + hl)),
        domain: utf8.decode(b.subarray(start + 2 + hl, end)),
      };
    }
    default:
      return { type: 'unknown', code, data: copy(b, start, end) };
  }
}

/** Decodes the value of a Capabilities optional parameter: a list of (code, length, value). */
export function decodeCapabilities(b: Uint8Array, start: number, end: number): Capability[] {
  const out: Capability[] = [];
  let i = start;
  while (i < end) {
    if (i + 2 > end) capFail('capability header truncated', copy(b, i, end));
    const code = b[i];
    const len = b[i + 1];
    if (i + 2 + len > end) capFail(`capability ${capabilityName(code)} overruns its parameter`, copy(b, i, end));
    out.push(decodeOne(code, b, i + 2, i + 2 + len));
    i += 2 + len;
  }
  return out;
}

function encodeValue(c: Capability, w: ByteWriter): void {
  switch (c.type) {
    case 'multiprotocol':
      w.u16(checkUint(c.afi, 16, 'AFI')).u8(0).u8(checkUint(c.safi, 8, 'SAFI'));
      return;
    case 'route-refresh':
    case 'enhanced-route-refresh':
    case 'extended-message':
      return;
    case 'four-octet-as':
      w.u32(checkUint(c.asn, 32, 'AS'));
      return;
    case 'role':
      w.u8(checkUint(c.role, 8, 'role'));
      return;
    case 'graceful-restart':
      w.u16(((c.restarting ? 0x8 : 0) | (c.notification ? 0x4 : 0)) << 12 | checkUint(c.restartTime, 12, 'restart time'));
      for (const f of c.families) {
        w.u16(checkUint(f.afi, 16, 'AFI')).u8(checkUint(f.safi, 8, 'SAFI')).u8(f.forwarding ? 0x80 : 0);
      }
      return;
    case 'long-lived-graceful-restart':
      for (const f of c.families) {
        w.u16(checkUint(f.afi, 16, 'AFI')).u8(checkUint(f.safi, 8, 'SAFI')).u8(f.forwarding ? 0x80 : 0)
          .u24(checkUint(f.staleTime, 24, 'stale time'));
      }
      return;
    case 'add-path':
      for (const f of c.families) {
        w.u16(checkUint(f.afi, 16, 'AFI')).u8(checkUint(f.safi, 8, 'SAFI')).u8(checkUint(f.sendReceive, 8, 'send/receive'));
      }
      return;
    case 'extended-next-hop':
      for (const e of c.entries) {
        w.u16(checkUint(e.afi, 16, 'AFI')).u16(checkUint(e.safi, 16, 'SAFI')).u16(checkUint(e.nextHopAfi, 16, 'AFI'));
      }
      return;
    case 'fqdn': {
      const h = utf8enc.encode(c.hostname);
      const d = utf8enc.encode(c.domain);
      w.u8(checkUint(h.length, 8, 'hostname length')).bytes(h).u8(checkUint(d.length, 8, 'domain length')).bytes(d);
      return;
    }
    case 'unknown':
      w.bytes(c.data);
      return;
  }
}

export function encodeCapability(c: Capability, w: ByteWriter): void {
  w.u8(checkUint(capabilityCode(c), 8, 'capability code'));
  const lenAt = w.length;
  w.u8(0);
  encodeValue(c, w);
  const len = w.length - lenAt - 1;
  if (len > 255) throw new BgpEncodeError(`capability ${capabilityName(capabilityCode(c))} longer than 255 octets`);
  w.setU8(lenAt, len);
}

/** JSON details for `rackroute decode` (code and name are added by the caller). */
export function capabilityDetails(c: Capability): Record<string, unknown> {
  switch (c.type) {
    case 'multiprotocol': return { afi: c.afi, safi: c.safi };
    case 'four-octet-as': return { asn: c.asn };
    case 'role': return { role: ROLE_NAMES[c.role] ?? c.role };
    case 'graceful-restart':
      return { restarting: c.restarting, notification: c.notification, restartTime: c.restartTime,
        families: c.families.map((f) => ({ afi: f.afi, safi: f.safi, forwarding: f.forwarding })) };
    case 'long-lived-graceful-restart':
      return { families: c.families.map((f) => ({ afi: f.afi, safi: f.safi, forwarding: f.forwarding, staleTime: f.staleTime })) };
    case 'add-path':
      return { families: c.families.map((f) => ({ afi: f.afi, safi: f.safi,
        sendReceive: f.sendReceive === 1 ? 'receive' : f.sendReceive === 2 ? 'send' : f.sendReceive === 3 ? 'both' : f.sendReceive })) };
    case 'extended-next-hop':
      return { entries: c.entries.map((e) => ({ afi: e.afi, safi: e.safi, nextHopAfi: e.nextHopAfi })) };
    case 'fqdn': return { hostname: c.hostname, domain: c.domain };
    case 'unknown': return { data: toHex(c.data) };
    default: return {};
  }
}
