// The fuzz target over the codec, in Jazzer.js's shape (`fuzz(data)`), also driven by our own mutation fuzzer
// (run.ts). Properties: decode, scanUpdate and the framer throw nothing but BgpCodecError; whatever decode
// accepts, encode can write back, and decode∘encode is then stable (a second round trip changes nothing).
import {
  BgpCodecError, BgpFramer, decode, encode, makeContext, scanUpdate, type BgpMessage, type CodecContext,
} from '../../src/bgp/codec/index.js';

const CONTEXTS: readonly CodecContext[] = [
  makeContext({ as4: true, extendedMessage: true, extendedNextHop: true }),
  makeContext({ as4: false, addPath: { ipv4: true, ipv6: true } }),
];

/** Stable text of a message, Uint8Arrays as hex, for equality checks. */
function canon(m: BgpMessage): string {
  return JSON.stringify(m, (_k, v: unknown) => (v instanceof Uint8Array ? `hex:${Buffer.from(v).toString('hex')}` : v));
}

/** The oracle: rethrows (as a finding) anything that is not a well-formed BgpCodecError. */
export function expectCodecError(e: unknown, where: string): void {
  if (!(e instanceof BgpCodecError)) {
    const err = new Error(`${where} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    (err as Error & { cause?: unknown }).cause = e;
    throw err;
  }
  if (e.name !== 'BgpCodecError' || typeof e.code !== 'number' || typeof e.subcode !== 'number') {
    throw new Error(`${where}: malformed BgpCodecError`);
  }
}

function roundTrip(m: BgpMessage, ctx: CodecContext): void {
  if (m.type === 'UPDATE' && m.error !== undefined) return;
  const once = decode(encode(m, ctx), ctx);
  const twice = decode(encode(once, ctx), ctx);
  if (canon(once) !== canon(twice)) throw new Error(`decode∘encode not stable:\n${canon(once)}\n${canon(twice)}`);
}

export function fuzz(data: Buffer): void {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.length);
  for (const ctx of CONTEXTS) {
    let m: BgpMessage | undefined;
    try {
      m = decode(bytes, ctx);
    } catch (e) {
      expectCodecError(e, 'decode');
    }
    if (m !== undefined) roundTrip(m, ctx);
    if (bytes.length > 18 && bytes[18] === 2) {
      try {
        scanUpdate(bytes, ctx, { announce4: () => undefined, withdraw6: () => undefined, attributes: () => undefined });
      } catch (e) {
        expectCodecError(e, 'scanUpdate');
      }
    }
  }
  // The framer over the input cut in two.
  try {
    const f = new BgpFramer({ extendedMessage: true });
    const cut = data.length >> 1;
    f.push(bytes.subarray(0, cut), () => undefined);
    f.push(bytes.subarray(cut), () => undefined);
  } catch (e) {
    expectCodecError(e, 'framer');
  }
}
