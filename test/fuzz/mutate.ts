// A small coverage-less mutation engine: bit flips, interesting bytes, length-field arithmetic, insertions,
// deletions, truncations and splices over a seed corpus. Deterministic for a given seed.

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  below(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
}

const INTERESTING = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x0f, 0x10, 0x1f, 0x20, 0x21, 0x3f, 0x40, 0x7f, 0x80, 0x81, 0xc0,
  0xfe, 0xff];

/** Rewrites the header's length field to the input's size, so mutations reach past the framing checks. */
function fixLength(b: Uint8Array): void {
  if (b.length >= 19) {
    b[16] = (b.length >> 8) & 0xff;
    b[17] = b.length & 0xff;
  }
}

export function mutate(input: Uint8Array, corpus: readonly Uint8Array[], rng: Rng): Uint8Array {
  let b = input.slice();
  const rounds = 1 + rng.below(4);
  for (let r = 0; r < rounds; r++) {
    const op = rng.below(10);
    const pos = rng.below(Math.max(1, b.length));
    switch (op) {
      case 0: // bit flip
        if (b.length > 0) b[pos] ^= 1 << rng.below(8);
        break;
      case 1: // interesting byte
        if (b.length > 0) b[pos] = INTERESTING[rng.below(INTERESTING.length)];
        break;
      case 2: { // 1-octet length field +/- small
        if (b.length > 0) b[pos] = (b[pos] + rng.below(9) - 4) & 0xff;
        break;
      }
      case 3: { // 2-octet big-endian length field +/- small, or extreme
        if (b.length > 1) {
          const p = Math.min(pos, b.length - 2);
          const v = rng.below(4) === 0 ? [0, 0xffff, 0x100, 0xff][rng.below(4)] : (((b[p] << 8) | b[p + 1]) + rng.below(17) - 8) & 0xffff;
          b[p] = v >> 8;
          b[p + 1] = v & 0xff;
        }
        break;
      }
      case 4: { // insert random bytes
        const n = 1 + rng.below(8);
        const ins = new Uint8Array(n).map(() => rng.below(256));
        b = Uint8Array.from([...b.subarray(0, pos), ...ins, ...b.subarray(pos)]);
        break;
      }
      case 5: { // delete a range
        const n = 1 + rng.below(8);
        b = Uint8Array.from([...b.subarray(0, pos), ...b.subarray(Math.min(b.length, pos + n))]);
        break;
      }
      case 6: // truncate
        b = b.slice(0, pos);
        break;
      case 7: { // splice with another corpus entry
        const other = corpus[rng.below(corpus.length)];
        const at = rng.below(other.length + 1);
        b = Uint8Array.from([...b.subarray(0, pos), ...other.subarray(at)]);
        break;
      }
      case 8: { // duplicate a chunk (repeated attributes, repeated prefixes)
        const n = 1 + rng.below(16);
        const chunk = b.slice(pos, pos + n);
        b = Uint8Array.from([...b.subarray(0, pos), ...chunk, ...b.subarray(pos)]);
        break;
      }
      default: // random byte
        if (b.length > 0) b[pos] = rng.below(256);
    }
  }
  if (rng.below(4) !== 0) fixLength(b);
  return b;
}
