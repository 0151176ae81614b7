// Community text: "asn:value" (RFC 1997), well-known names, and "global:local1:local2" large communities (RFC 8092).

import type { LargeCommunity } from '../rib/attrs.js';
import { WELL_KNOWN } from '../rib/attrs.js';
import { PolicyError } from './types.js';

const NAMED: Readonly<Record<string, number>> = {
  'no-export': WELL_KNOWN.NO_EXPORT,
  'no-advertise': WELL_KNOWN.NO_ADVERTISE,
  'no-export-subconfed': WELL_KNOWN.NO_EXPORT_SUBCONFED,
  'graceful-shutdown': 0xffff0000, // RFC 8326
  blackhole: 0xffff029a, // RFC 7999
};

function u(text: string, max: number, path: string): number {
  if (!/^\d+$/.test(text)) throw new PolicyError(path, `"${text}" is not a number`);
  const n = Number(text);
  if (n > max) throw new PolicyError(path, `${n} is above ${max}`);
  return n;
}

export function parseCommunity(text: string, path = 'community'): number {
  const named = NAMED[text.toLowerCase()];
  if (named !== undefined) return named;
  const parts = text.split(':');
  if (parts.length === 1) return u(parts[0]!, 0xffffffff, path);
  if (parts.length !== 2) throw new PolicyError(path, `"${text}" is not asn:value`);
  return u(parts[0]!, 0xffff, path) * 65536 + u(parts[1]!, 0xffff, path);
}

export function formatCommunity(c: number): string {
  return `${Math.floor(c / 65536)}:${c % 65536}`;
}

export function parseLargeCommunity(text: string, path = 'largeCommunity'): LargeCommunity {
  const parts = text.split(':');
  if (parts.length !== 3) throw new PolicyError(path, `"${text}" is not global:local1:local2`);
  return [u(parts[0]!, 0xffffffff, path), u(parts[1]!, 0xffffffff, path), u(parts[2]!, 0xffffffff, path)];
}

export function largeKey(l: LargeCommunity): string {
  return `${l[0]}:${l[1]}:${l[2]}`;
}
