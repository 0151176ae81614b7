// The codec's one error type. Every decode failure is a BgpCodecError carrying the NOTIFICATION code/subcode/data
// the RFCs prescribe and the RFC 7606 action the receiver should take. Encode failures (a message that cannot be put
// on the wire, e.g. a 4-octet AS on a 2-octet session) are BgpEncodeError: they are programming errors, not peers'.

/** RFC 7606 §2 approaches, weakest first. */
export type ErrorAction = 'attribute-discard' | 'treat-as-withdraw' | 'afi-safi-disable' | 'session-reset';

const RANK: Readonly<Record<ErrorAction, number>> = {
  'attribute-discard': 1,
  'treat-as-withdraw': 2,
  'afi-safi-disable': 3,
  'session-reset': 4,
};

/** none (undefined) < attribute-discard < treat-as-withdraw < afi-safi-disable < session-reset (GoBGP's order). */
export function actionRank(action: ErrorAction | undefined): number {
  return action === undefined ? 0 : RANK[action];
}

/** Plain-data form of an error, as it travels inside a decoded UPDATE and in JSON. */
export interface CodecErrorInfo {
  readonly code: number;
  readonly subcode: number;
  readonly action: ErrorAction;
  readonly data: Uint8Array;
  readonly message: string;
}

export interface BgpCodecErrorFields {
  readonly code: number;
  readonly subcode: number;
  readonly action?: ErrorAction;
  readonly data?: Uint8Array;
  readonly cause?: unknown;
}

export class BgpCodecError extends Error {
  override readonly name = 'BgpCodecError';
  readonly code: number;
  readonly subcode: number;
  readonly action: ErrorAction;
  readonly data: Uint8Array;

  constructor(message: string, fields: BgpCodecErrorFields) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.code = fields.code;
    this.subcode = fields.subcode;
    this.action = fields.action ?? 'session-reset';
    this.data = fields.data ?? new Uint8Array(0);
  }

  info(): CodecErrorInfo {
    return { code: this.code, subcode: this.subcode, action: this.action, data: this.data, message: this.message };
  }

  static from(info: CodecErrorInfo): BgpCodecError {
    return new BgpCodecError(info.message, info);
  }
}

export class BgpEncodeError extends Error {
  override readonly name = 'BgpEncodeError';
}

/** Throws the session-reset error every short read becomes unless a caller knows better. */
export function fail(message: string, code: number, subcode: number, data?: Uint8Array,
  action: ErrorAction = 'session-reset'): never {
  throw new BgpCodecError(message, { code, subcode, data, action });
}
