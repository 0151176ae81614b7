// `rackroute decode [FILE|-]`: raw BGP messages (binary, or lowercase hex one message per line) to JSON.
// The JSON is the contract of issue 3: one object per message, an array when there are several.
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import {
  BgpCodecError, BgpFramer, decode, errorJson, fromHex, makeContext, messageJson,
  type BgpMessage, type CodecContext, type Json, type Nlri,
} from '../bgp/codec/index.js';

interface DecodeOptions {
  as4?: boolean;
  addPath?: string;
  extendedMessage?: boolean;
  extendedNextHop?: boolean;
}

/** Session facts given on the command line; what is not given is inferred per message. */
interface Forced {
  as4?: boolean;
  addPath?: { ipv4: boolean; ipv6: boolean };
  extendedMessage: boolean;
  extendedNextHop: boolean;
}

function parseAddPath(text: string): { ipv4: boolean; ipv6: boolean } {
  const fams = text.split(',').map((s) => s.trim()).filter((s) => s !== '' && s !== 'none');
  for (const f of fams) if (f !== 'ipv4' && f !== 'ipv6') throw new Error(`--add-path takes ipv4,ipv6 or none, not ${f}`);
  return { ipv4: fams.includes('ipv4'), ipv6: fams.includes('ipv6') };
}

type Outcome = { ok: true; msg: BgpMessage } | { ok: false; err: BgpCodecError };

function attempt(bytes: Uint8Array, ctx: CodecContext): Outcome {
  try {
    return { ok: true, msg: decode(bytes, ctx) };
  } catch (e) {
    if (e instanceof BgpCodecError) return { ok: false, err: e };
    throw e;
  }
}

function clean(o: Outcome): boolean {
  return o.ok && !(o.msg.type === 'UPDATE' && o.msg.error !== undefined);
}

/**
 * How implausible a decode is: prefixes that repeat (same text and path id) or are shorter than /8 but not /0.
 * Reading ADD-PATH path ids as prefixes (or missing them) produces exactly those.
 */
function implausibility(m: BgpMessage): number {
  if (m.type !== 'UPDATE') return 0;
  const lists: (readonly Nlri[])[] = [m.withdrawn, m.nlri];
  for (const a of m.attributes) {
    if (a.type === 'mpReach') lists.push(a.value.nlri);
    if (a.type === 'mpUnreach') lists.push(a.value.withdrawn);
  }
  let score = 0;
  for (const list of lists) {
    const seen = new Set<string>();
    for (const n of list) {
      const key = `${n.prefix}#${n.pathId ?? ''}`;
      if (seen.has(key)) score++;
      seen.add(key);
      const bits = Number(n.prefix.slice(n.prefix.indexOf('/') + 1));
      if (bits > 0 && bits < 8) score++;
    }
  }
  return score;
}

/**
 * Decodes one message. Facts not forced come from OPENs seen earlier in the input, else from the message itself:
 * among the contexts (4- or 2-octet AS, with or without ADD-PATH) that decode without error, the most plausible.
 */
function decodeOne(bytes: Uint8Array, forced: Forced, learned: { as4?: boolean }): Json {
  const base = { extendedMessage: forced.extendedMessage, extendedNextHop: forced.extendedNextHop };
  const as4Choices = forced.as4 !== undefined ? [forced.as4] : learned.as4 !== undefined ? [learned.as4] : [true, false];
  const apChoices = forced.addPath !== undefined ? [forced.addPath]
    : [{ ipv4: false, ipv6: false }, { ipv4: true, ipv6: true }, { ipv4: true, ipv6: false }, { ipv4: false, ipv6: true }];
  let first: Outcome | undefined;
  let best: { o: Outcome; score: number } | undefined;
  for (const addPath of apChoices) {
    for (const as4 of as4Choices) {
      const o = attempt(bytes, makeContext({ ...base, as4, addPath }));
      first ??= o;
      if (!clean(o) || !o.ok) continue;
      const score = implausibility(o.msg);
      if (best === undefined || score < best.score) best = { o, score };
      if (score === 0) return finish(o, learned);
    }
  }
  return finish(best?.o ?? (first as Outcome), learned);
}

function finish(o: Outcome, learned: { as4?: boolean }): Json {
  if (!o.ok) return errorJson(o.err);
  const m = o.msg;
  if (m.type === 'OPEN') learned.as4 = m.capabilities.some((c) => c.type === 'four-octet-as');
  if (m.type === 'UPDATE' && m.error !== undefined) return errorJson(m.error);
  return messageJson(m);
}

function isHexText(data: Buffer): boolean {
  for (const c of data) {
    const hex = (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
    if (!hex && c !== 0x0a && c !== 0x0d && c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}

/** Decodes the whole input; exported for tests. */
export function decodeInput(data: Buffer, opts: DecodeOptions = {}): Json[] {
  const forced: Forced = {
    as4: opts.as4,
    addPath: opts.addPath === undefined ? undefined : parseAddPath(opts.addPath),
    extendedMessage: opts.extendedMessage ?? true,
    extendedNextHop: opts.extendedNextHop ?? true,
  };
  const learned: { as4?: boolean } = {};
  const out: Json[] = [];
  if (data.length > 0 && isHexText(data)) {
    for (const line of data.toString('latin1').split(/\r?\n/)) {
      if (line.trim() === '') continue;
      const bytes = fromHex(line);
      if (bytes === undefined) {
        out.push({ error: { code: 0, subcode: 0, action: 'session-reset', message: 'line is not hex' } });
        continue;
      }
      out.push(decodeOne(bytes, forced, learned));
    }
    return out;
  }
  const framer = new BgpFramer({ extendedMessage: forced.extendedMessage });
  try {
    framer.push(data, (m) => out.push(decodeOne(m, forced, learned)));
    if (framer.buffered > 0) {
      out.push({ error: { code: 1, subcode: 2, action: 'session-reset',
        message: `input ends inside a message (${framer.buffered} octets left)` } });
    }
  } catch (e) {
    if (!(e instanceof BgpCodecError)) throw e;
    out.push(errorJson(e));
  }
  return out;
}

export function registerDecode(program: Command): void {
  program
    .command('decode')
    .description('decode raw BGP messages (binary, or hex one message per line) to JSON')
    .argument('[file]', 'file to read, or - for standard input', '-')
    .option('--as4', 'the session uses 4-octet AS numbers (default: from an OPEN in the input, else inferred)')
    .option('--no-as4', 'the session uses 2-octet AS numbers')
    .option('--add-path <families>', 'ADD-PATH path identifiers present for: ipv4,ipv6 | ipv4 | ipv6 | none (default: inferred)')
    .option('--no-extended-message', 'limit messages to 4096 octets (RFC 8654 not negotiated)')
    .option('--no-extended-next-hop', 'reject IPv6 next hops for IPv4 NLRI (RFC 8950 not negotiated)')
    .action((file: string, opts: DecodeOptions) => {
      const data = file === '-' ? readFileSync(0) : readFileSync(file);
      const out = decodeInput(data, opts);
      process.stdout.write(`${JSON.stringify(out.length === 1 ? out[0] : out, null, 2)}\n`);
    });
}
