// Messages as the JSON of `rackroute decode` (the CLI's stable contract). Attribute values are formatted by their
// table row, so adding an attribute adds its JSON in one place.
import { ATTRIBUTES, formatNlri, type AttributeRow } from './attributes/table.js';
import type { KnownAttributeType, PathAttribute } from './attributes/types.js';
import { toHex } from './bytes.js';
import { capabilityCode, capabilityDetails, capabilityName } from './capabilities.js';
import { notificationName } from './constants.js';
import type { BgpCodecError, CodecErrorInfo } from './errors.js';
import { shutdownMessage } from './messages/notification.js';
import { openAsn } from './messages/open.js';
import type { BgpMessage } from './messages/types.js';
import { endOfRib } from './messages/update.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function attributesJson(attrs: readonly PathAttribute[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const unknown: unknown[] = [];
  for (const a of attrs) {
    if (a.type === 'unknown') {
      unknown.push({ code: a.code, flags: a.flags, data: toHex(a.value) });
    } else {
      const row = ATTRIBUTES[a.type] as AttributeRow<KnownAttributeType>;
      out[a.type] = row.format(a.value);
    }
  }
  if (unknown.length > 0) out.unknown = unknown;
  return out;
}

export function messageJson(m: BgpMessage): Json {
  switch (m.type) {
    case 'OPEN':
      return {
        type: 'OPEN', version: m.version, asn: openAsn(m), holdTime: m.holdTime, bgpId: m.bgpId,
        capabilities: m.capabilities.map((c) => {
          const code = capabilityCode(c);
          return { code, name: capabilityName(code), ...capabilityDetails(c) };
        }),
      } as Json;
    case 'UPDATE': {
      const eor = endOfRib(m);
      return {
        type: 'UPDATE', withdrawn: m.withdrawn.map(formatNlri), nlri: m.nlri.map(formatNlri),
        ...(eor === undefined ? {} : { endOfRib: eor }),
        attributes: attributesJson(m.attributes),
      } as Json;
    }
    case 'NOTIFICATION': {
      const text = shutdownMessage(m);
      return {
        type: 'NOTIFICATION', code: m.code, subcode: m.subcode, name: notificationName(m.code, m.subcode),
        data: toHex(m.data), ...(text === undefined ? {} : { shutdownMessage: text }),
      };
    }
    case 'KEEPALIVE':
      return { type: 'KEEPALIVE' };
    case 'ROUTE-REFRESH':
      return { type: 'ROUTE-REFRESH', afi: m.afi, safi: m.safi, subtype: m.subtype };
  }
}

export function errorJson(e: BgpCodecError | CodecErrorInfo): Json {
  return { error: { code: e.code, subcode: e.subcode, action: e.action, message: e.message } };
}
