// RIB UPDATE plans -> wire messages for one session. IPv4 goes through the codec's hot-path writer (prefixes as
// numbers, one pre-encoded attribute block per set); IPv6 through MP_REACH/MP_UNREACH, split to the message size.
import {
  AttrFlag, encode, encodeAttributes, endOfRibMessage, Ipv4UpdateWriter, MAX_EXTENDED_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH,
  type CodecContext, type Nlri, type PathAttribute,
} from '../codec/index.js';
import { formatPrefix, v4Addr, v4Len, type AttrSet, type PrefixKey, type UpdatePlan } from '../rib/index.js';
import { toWireAttributes } from './attributes.js';

const IPV6 = 2;
const UNICAST = 1;
/** Worst case bytes of one IPv6 NLRI entry: path id + length + 16 octets. */
const V6_ENTRY_MAX = 4 + 1 + 16;

export class UpdateEmitter {
  private readonly v4: Ipv4UpdateWriter;
  private readonly max: number;
  private readonly addrs: number[] = [];
  private readonly lens: number[] = [];

  constructor(private readonly ctx: CodecContext) {
    this.max = ctx.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
    // Small at first: most sessions of a node carry a few prefixes; the writer grows for a large run.
    this.v4 = new Ipv4UpdateWriter(ctx, 512);
  }

  /** Encodes plans in order; returns the messages (IPv4 ones packed back to back in one buffer per run). */
  encode(plans: readonly UpdatePlan[]): Uint8Array[] {
    const out: Uint8Array[] = [];
    const blocks = new Map<number, Uint8Array>(); // attribute set id -> encoded block (IPv4, with NEXT_HOP)
    const flush4 = (): void => {
      const b = this.v4.take();
      if (b.length) out.push(b);
    };
    for (const p of plans) {
      if (p.family === 'ipv4' && p.kind !== 'end-of-rib') {
        this.keys(p.kind === 'announce' ? p.nlri : p.withdrawn);
        if (p.kind === 'announce') {
          let block = blocks.get(p.attrs.id);
          if (!block) {
            block = encodeAttributes(this.ipv4Attributes(p.attrs), this.ctx);
            blocks.set(p.attrs.id, block);
          }
          this.v4.announce(block, this.addrs, this.lens, 0, this.addrs.length, p.pathIds);
        } else {
          this.v4.withdraw(this.addrs, this.lens, 0, this.addrs.length, p.pathIds);
        }
        continue;
      }
      flush4();
      if (p.kind === 'end-of-rib') out.push(encode(endOfRibMessage(p.family === 'ipv4' ? 1 : IPV6, UNICAST), this.ctx));
      else if (p.kind === 'announce') out.push(...this.ipv6Announce(p.attrs, p.nlri, p.pathIds));
      else out.push(...this.ipv6Withdraw(p.withdrawn, p.pathIds));
    }
    flush4();
    return out;
  }

  private keys(keys: readonly PrefixKey[]): void {
    this.addrs.length = this.lens.length = 0;
    for (const k of keys) {
      this.addrs.push(v4Addr(k as number));
      this.lens.push(v4Len(k as number));
    }
  }

  private ipv4Attributes(a: AttrSet): PathAttribute[] {
    const attrs = toWireAttributes(a);
    attrs.splice(2, 0, { type: 'nextHop', flags: AttrFlag.TRANSITIVE, value: a.nextHop });
    return attrs;
  }

  private nlri(keys: readonly PrefixKey[], pathIds: readonly number[] | undefined, from: number, to: number): Nlri[] {
    const out: Nlri[] = [];
    for (let i = from; i < to; i++) out.push(pathIds ? { prefix: formatPrefix(keys[i]), pathId: pathIds[i] } : { prefix: formatPrefix(keys[i]) });
    return out;
  }

  /** How many IPv6 prefixes fit in one message next to `fixed` bytes of header and attributes. */
  private perMessage(fixed: number): number {
    return Math.max(1, Math.floor((this.max - fixed) / V6_ENTRY_MAX));
  }

  private ipv6Announce(a: AttrSet, keys: readonly PrefixKey[], pathIds?: readonly number[]): Uint8Array[] {
    const base = toWireAttributes(a);
    const nextHops = a.nextHopLinkLocal ? [a.nextHop, a.nextHopLinkLocal] : [a.nextHop];
    const fixed = 19 + 4 + encodeAttributes(base, this.ctx).length + 4 + 5 + 16 * nextHops.length;
    const step = this.perMessage(fixed);
    const out: Uint8Array[] = [];
    for (let i = 0; i < keys.length; i += step) {
      const nlri = this.nlri(keys, pathIds, i, Math.min(keys.length, i + step));
      out.push(encode({ type: 'UPDATE', withdrawn: [], nlri: [], attributes: [
        ...base,
        { type: 'mpReach', flags: AttrFlag.OPTIONAL | AttrFlag.EXTENDED_LENGTH, value: { afi: IPV6, safi: UNICAST, nextHops, nlri } },
      ] }, this.ctx));
    }
    return out;
  }

  private ipv6Withdraw(keys: readonly PrefixKey[], pathIds?: readonly number[]): Uint8Array[] {
    const step = this.perMessage(19 + 4 + 4 + 3);
    const out: Uint8Array[] = [];
    for (let i = 0; i < keys.length; i += step) {
      const withdrawn = this.nlri(keys, pathIds, i, Math.min(keys.length, i + step));
      out.push(encode({ type: 'UPDATE', withdrawn: [], nlri: [], attributes: [
        { type: 'mpUnreach', flags: AttrFlag.OPTIONAL | AttrFlag.EXTENDED_LENGTH, value: { afi: IPV6, safi: UNICAST, withdrawn } },
      ] }, this.ctx));
    }
    return out;
  }
}
