// Logs: winston JSON with stable fields. One root logger per agent (passed in, never a global) and one child per
// peer carrying `peer`, `asn` and, as it changes, `state`. Secrets never reach a log: `redact` scrubs known keys.
import winston from 'winston';

export type Logger = winston.Logger;

export interface LogOptions {
  readonly level?: string;
  /** Extra fields on every line (e.g. node, site). */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** Write here instead of stderr (tests collect lines). */
  readonly stream?: NodeJS.WritableStream;
}

const SECRET_KEYS = /^(password|key|secret|token)$/i;

/** Replaces the values of secret-looking keys, at any depth, so a config or error object can be logged. */
export function redact<T>(value: T): T {
  if (Array.isArray(value)) return value.map(redact) as T;
  if (value && typeof value === 'object' && !(value instanceof Error)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.test(k) ? '[redacted]' : redact(v)])) as T;
  }
  return value;
}

const redactFormat = winston.format((info) => {
  for (const k of Object.keys(info)) if (SECRET_KEYS.test(k)) info[k] = '[redacted]';
  return info;
});

export function createLogger(opts: LogOptions = {}): Logger {
  const transport = opts.stream
    ? new winston.transports.Stream({ stream: opts.stream })
    : new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug', 'verbose', 'silly'] });
  return winston.createLogger({
    level: opts.level ?? process.env.RACKROUTE_LOG_LEVEL ?? 'info',
    defaultMeta: opts.fields,
    format: winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.errors({ stack: false }), winston.format.json()),
    transports: [transport],
  });
}

/** A child logger for one BGP peer: every line carries `peer` and `asn`. */
export function peerLogger(root: Logger, peer: string, asn: number | string): Logger {
  return root.child({ peer, asn });
}
