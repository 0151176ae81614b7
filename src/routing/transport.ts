// Per-destination transport: which of the other nodes' pod CIDRs go natively through the fabric and which through
// a tunnel to the node's underlay address. Pure: the site file's node list (membership) and what the Loc-RIB holds
// go in, a choice with its reason comes out. The planner (planner.ts) applies it per prefix.
//
// Modes (the site file's `encapsulation`, per rack with the defaults' value as fallback; the mode of THIS node's
// rack decides the routes this node installs):
//   never         native only: the Loc-RIB's path, or no route;
//   always        tunnel to every other node (native when no tunnel can carry the family);
//   cross-subnet  tunnel to nodes whose address is in none of this node's rack subnets; native to the others;
//   auto          native wherever the Loc-RIB has a BGP path for the pod CIDR (exact prefix: a default route or an
//                 aggregate does not count), tunnel to the node's underlay address otherwise.
//
// Tunnel addressing (no exchange between nodes: everything derives from the remote node's underlay address):
//   VTEP MAC       02:72:<the IPv4 underlay address's 4 bytes> (locally administered, unicast; 0x72 is 'r'); for an
//                  IPv6 underlay address, 02:72:<its last 4 bytes>. Every node sets its own VXLAN device's MAC so.
//   IPv4 gateway   the remote node's underlay address itself, on-link on the tunnel device (`via 10.0.1.10 dev
//                  rr.vxlan onlink`), with a permanent neighbour entry 10.0.1.10 -> its VTEP MAC on that device. The
//                  underlay's own route to 10.0.1.10 is untouched (neighbour tables are per device).
//   IPv6 gateway   the remote VTEP's EUI-64 link-local address (fe80::72:aff:fe00:10a for 02:72:0a:00:01:0a): what
//                  the kernel gives that device anyway, written as a permanent neighbour on our device.
import { createHash } from 'node:crypto';
import { formatAddress, parseAddress, parsePrefix, prefixContains, type IpPrefix } from '../config/ip.js';

export type Encapsulation = 'never' | 'always' | 'cross-subnet' | 'auto';
export type TunnelKind = 'vxlan' | 'ipip';
export type AddressFamily = 4 | 6;

/** Another node of the site, as the site file lists it. */
export interface Member {
  readonly name: string;
  /** underlay address (canonical text) */
  readonly address: string;
  readonly rack: string;
  readonly podCIDRs: readonly string[];
  /** its rack's underlay MTU */
  readonly mtu: number;
}

/** What the planner knows about the site, from this node's point of view. */
export interface Membership {
  readonly self: { readonly name: string; readonly address: string; readonly rack: string };
  /** this node's rack subnets */
  readonly localSubnets: readonly string[];
  /** this node's rack mode */
  readonly mode: Encapsulation;
  /** this node's rack underlay MTU */
  readonly mtu: number;
  /** the other nodes */
  readonly members: readonly Member[];
}

export interface TunnelHop {
  readonly gateway: string;
  readonly dev: string;
  readonly onlink: true;
}

/**
 * How routes through a tunnel look: provided by the tunnel implementation (kernel VXLAN, kernel ipip, eBPF ipip),
 * pure data for the planner. `hop` returns undefined when this tunnel cannot carry the family (ipip: IPv4 only).
 */
export interface TunnelSpec {
  readonly kind: TunnelKind;
  /** bytes the encapsulation adds: VXLAN 50, IP-in-IP 20 */
  readonly overhead: number;
  hop(member: Member, family: AddressFamily): TunnelHop | undefined;
}

export type Choice = 'native' | 'tunnel' | 'none';

/** Why a destination uses what it uses (shown by `rackroute routes`, logged on every move). */
export type ChoiceWhy =
  | 'mode never' | 'mode always' | 'mode cross-subnet'
  | 'same-subnet' | 'other-subnet'
  | 'fabric-routes' | 'fabric-no-path'
  | 'tunnel-unavailable' | 'not-a-node'
  /** auto at start: no tunnel route before the BGP sessions had their chance (End-of-RIB or a timeout) */
  | 'waiting-for-fabric';

export interface ChoiceInput {
  readonly mode: Encapsulation;
  /** the remote node's address is in one of this node's rack subnets */
  readonly sameSubnet: boolean;
  /** the Loc-RIB has a usable path for the destination */
  readonly fabricPath: boolean;
  /** a tunnel can carry this destination (device up, family supported) */
  readonly tunnel: boolean;
}

/** The decision table (test/unit/routing/transport.test.ts walks every row). */
export function chooseTransport(i: ChoiceInput): { readonly choice: Choice; readonly why: ChoiceWhy } {
  const native = (why: ChoiceWhy): { choice: Choice; why: ChoiceWhy } => ({ choice: i.fabricPath ? 'native' : 'none', why });
  switch (i.mode) {
    case 'never':
      return native('mode never');
    case 'always':
      return i.tunnel ? { choice: 'tunnel', why: 'mode always' } : native('tunnel-unavailable');
    case 'cross-subnet':
      if (i.sameSubnet) return native('same-subnet');
      return i.tunnel ? { choice: 'tunnel', why: 'other-subnet' } : native('tunnel-unavailable');
    case 'auto':
      if (i.fabricPath) return { choice: 'native', why: 'fabric-routes' };
      return i.tunnel ? { choice: 'tunnel', why: 'fabric-no-path' } : { choice: 'none', why: 'tunnel-unavailable' };
  }
}

/** The reason logged when a destination moves between native and tunnel (or between tunnel kinds). */
export function moveReason(from: Choice, to: Choice, why: ChoiceWhy, modeChanged: boolean, mode: Encapsulation): string {
  if (modeChanged) return `mode ${mode}`;
  if (why === 'fabric-no-path' && from === 'native') return 'fabric-withdrew';
  if (why === 'fabric-routes' && to === 'native') return 'fabric-routes-again';
  if (why === 'tunnel-unavailable') return 'tunnel-unavailable';
  return why;
}

const parsed = (p: string): IpPrefix | undefined => {
  const r = parsePrefix(p);
  return r.ok ? r.value : undefined;
};

/** Is `address` in one of `subnets`? */
export function inSubnets(address: string, subnets: readonly string[]): boolean {
  const a = parseAddress(address);
  if (!a) return false;
  return subnets.some((s) => {
    const p = parsed(s);
    return p !== undefined && prefixContains(p, a);
  });
}

/** The VTEP MAC of a node, derived from its underlay address (see the header). */
export function vtepMac(underlay: string): string {
  const a = parseAddress(underlay);
  if (!a) throw new Error(`not an address: ${underlay}`);
  let tail: number[];
  if (a.family === 4) tail = [24n, 16n, 8n, 0n].map((s) => Number((a.value >> s) & 0xffn));
  else tail = [24n, 16n, 8n, 0n].map((s) => Number((a.value >> s) & 0xffn));
  // Two IPv6 nodes with the same last 4 bytes would collide: mix in a hash of the rest for IPv6.
  if (a.family === 6) {
    const h = createHash('sha256').update(formatAddress(a)).digest();
    tail = tail.map((b, i) => b ^ (i === 0 ? h[0]! : 0));
  }
  return ['02', '72', ...tail.map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/** The EUI-64 link-local address (RFC 4291 appendix A) of a MAC: the IPv6 tunnel gateway. */
export function linkLocalOf(mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  if (b.length !== 6 || b.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`not a MAC: ${mac}`);
  const eui = [b[0]! ^ 0x02, b[1]!, b[2]!, 0xff, 0xfe, b[3]!, b[4]!, b[5]!];
  let v = 0xfe80n << 112n;
  for (let i = 0; i < 8; i++) v |= BigInt(eui[i]!) << BigInt(56 - i * 8);
  return formatAddress({ family: 6, value: v });
}

/** The next hop of a VXLAN route to `member` for `family`, on `device`. */
export function vxlanHop(device: string, member: Member, family: AddressFamily): TunnelHop | undefined {
  const a = parseAddress(member.address);
  if (!a) return undefined;
  if (family === 4) return a.family === 4 ? { gateway: member.address, dev: device, onlink: true } : undefined;
  return { gateway: linkLocalOf(vtepMac(member.address)), dev: device, onlink: true };
}

/** The family of a prefix's text. */
export const familyOf = (prefix: string): AddressFamily => (prefix.includes(':') ? 6 : 4);
