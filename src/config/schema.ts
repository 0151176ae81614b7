// JSON Schema validation of the site file (config/site.schema.json) with ajv, every error turned into a
// ConfigIssue that names the key or value at fault and what was expected there.
import { readFileSync } from 'node:fs';
import * as ajv2020 from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { ConfigIssue } from './errors.js';
import { formatPath } from './errors.js';
import type { PathSegment, YamlSource } from './yaml-source.js';

type JsonSchema = { [key: string]: unknown };

export interface SchemaReport {
  readonly issues: ConfigIssue[];
  readonly unknownKeys: readonly (readonly PathSegment[])[];
  readonly onlyUnknownKeys: boolean;
}

/** config/site.schema.json, beside src/ and dist/ alike. */
export const schemaUrl = new URL('../../config/site.schema.json', import.meta.url);

export function readSiteSchema(): JsonSchema {
  return JSON.parse(readFileSync(schemaUrl, 'utf8')) as JsonSchema;
}

// ajv is CommonJS: under NodeNext its class is the `default` of the module object.
const Ajv2020 = ajv2020.default.default ?? ajv2020.default;

export class SchemaValidator {
  private readonly validate: ValidateFunction;

  constructor(private readonly schema: JsonSchema = readSiteSchema()) {
    const ajv = new Ajv2020({ allErrors: true, strict: true, verbose: true, allowUnionTypes: true });
    ajv.addKeyword('x-expected');
    this.validate = ajv.compile(schema);
  }

  /**
   * Every schema error in `data`, located in `source`. `unknownKeys` lists the paths of the unknown keys, and
   * `onlyUnknownKeys` says whether they are all that is wrong (then the data less those keys is valid).
   */
  check(data: unknown, source: YamlSource, file: string): SchemaReport {
    if (this.validate(data)) return { issues: [], unknownKeys: [], onlyUnknownKeys: true };
    const out: ConfigIssue[] = [];
    const unknownKeys: PathSegment[][] = [];
    let onlyUnknownKeys = true;
    const seen = new Set<string>();
    for (const err of this.validate.errors ?? []) {
      const issue = this.translate(err, data, source, file);
      if (!issue) continue;
      if (err.keyword === 'additionalProperties' || err.keyword === 'unevaluatedProperties') {
        unknownKeys.push([...toPath(err.instancePath, data), String(err.params.additionalProperty ?? err.params.unevaluatedProperty)]);
      } else onlyUnknownKeys = false;
      const key = `${issue.line}:${issue.column}:${issue.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(issue);
    }
    return { issues: out, unknownKeys, onlyUnknownKeys };
  }

  private translate(err: ErrorObject, data: unknown, source: YamlSource, file: string): ConfigIssue | undefined {
    const path = toPath(err.instancePath, data);
    const parent = (err.parentSchema ?? {}) as JsonSchema;
    let at: PathSegment[] = path;
    let where: 'key' | 'value' = 'value';
    let message: string;
    let expected: string | undefined;
    const label = formatPath(path) || 'the file';
    const propertyName = (err as ErrorObject & { propertyName?: string }).propertyName;

    switch (err.keyword) {
      case 'additionalProperties':
      case 'unevaluatedProperties': {
        const key = String(err.params.additionalProperty ?? err.params.unevaluatedProperty);
        const allowed = this.propertiesOf(parent);
        at = [...path, key];
        where = 'key';
        const hint = suggest(key, allowed);
        message = `unknown key '${key}'${path.length ? ` in ${label}` : ''}${hint ? `; did you mean '${hint}'?` : ''}`;
        expected = allowed.length ? `one of: ${allowed.join(', ')}` : undefined;
        break;
      }
      case 'required': {
        const key = String(err.params.missingProperty);
        where = typeof path[path.length - 1] === 'string' ? 'key' : 'value';
        message = `${label} is missing the required key '${key}'`;
        expected = describeSchema(this.resolve(((parent.properties ?? {}) as JsonSchema)[key]));
        expected = expected ? `${key}: ${expected}` : undefined;
        break;
      }
      case 'propertyNames':
        return undefined; // reported by the inner error, which names the property
      case 'type': {
        const value = valueAt(data, path);
        message = `${label} is ${describeValue(value)}`;
        expected = typeNames(err.params.type as string | string[]);
        break;
      }
      case 'enum':
      case 'const': {
        const allowed = (err.keyword === 'enum' ? err.params.allowedValues : [err.params.allowedValue]) as unknown[];
        message = `${label}: ${JSON.stringify(valueAt(data, path))} is not allowed`;
        expected = allowed.length === 1 ? JSON.stringify(allowed[0]) : `one of: ${allowed.map(String).join(', ')}`;
        break;
      }
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum': {
        message = `${label}: ${String(valueAt(data, path))} is out of range`;
        expected = rangeText(parent);
        break;
      }
      case 'pattern':
      case 'minLength':
      case 'maxLength':
      case 'format': {
        if (propertyName !== undefined) {
          at = [...path, propertyName];
          where = 'key';
          message = `${label}: '${propertyName}' is not a valid name`;
        } else {
          message = `${label}: ${JSON.stringify(valueAt(data, path))} is not valid`;
        }
        expected = typeof parent['x-expected'] === 'string' ? parent['x-expected'] : err.message;
        break;
      }
      case 'minItems':
        message = `${label} has too few items`;
        expected = `at least ${String(err.params.limit)}`;
        break;
      case 'uniqueItems':
        at = [...path, Number(err.params.i)];
        message = `${label}: items ${String(err.params.j)} and ${String(err.params.i)} are the same`;
        expected = 'each item once';
        break;
      default:
        message = `${label} ${err.message ?? 'is not valid'}`;
    }
    const pos = source.locate(at, where);
    return { severity: 'error', file, line: pos.line, column: pos.column, path: formatPath(at), message,
      ...(expected ? { expected } : {}) };
  }

  /** The keys a mapping schema accepts, following $ref. */
  private propertiesOf(schema: JsonSchema): string[] {
    const keys: string[] = [];
    let s: JsonSchema | undefined = schema;
    for (let depth = 0; s && depth < 8; depth++) {
      keys.push(...Object.keys((s.properties ?? {}) as JsonSchema));
      s = typeof s.$ref === 'string' ? this.resolve({ $ref: s.$ref }) : undefined;
    }
    return [...new Set(keys)];
  }

  private resolve(schema: unknown): JsonSchema | undefined {
    let s = schema as JsonSchema | undefined;
    for (let depth = 0; s && typeof s.$ref === 'string' && s.$ref.startsWith('#/') && depth < 8; depth++) {
      const ref: string = s.$ref;
      let target: unknown = this.schema;
      for (const part of ref.slice(2).split('/')) target = (target as JsonSchema | undefined)?.[part];
      // A $ref beside other keywords (a description) keeps them: merge, the local ones first.
      const rest = { ...s };
      delete rest.$ref;
      s = { ...(target as JsonSchema), ...rest };
      if (Object.keys(rest).length === 0) s = target as JsonSchema;
    }
    return s;
  }
}

function toPath(pointer: string, data: unknown): PathSegment[] {
  if (pointer === '') return [];
  const out: PathSegment[] = [];
  let cur = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      out.push(Number(seg));
      cur = cur[Number(seg)];
    } else {
      out.push(seg);
      cur = typeof cur === 'object' && cur !== null ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let cur = data;
  for (const seg of path) cur = typeof cur === 'object' && cur !== null ? (cur as Record<string, unknown>)[seg] : undefined;
  return cur;
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping', array: 'a list', string: 'a string', integer: 'an integer', number: 'a number',
  boolean: 'true or false', null: 'nothing',
};

function typeNames(t: string | string[]): string {
  const list = (Array.isArray(t) ? t : [t]).map((x) => TYPE_NAMES[x] ?? x);
  return list.length <= 1 ? list.join('') : `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`;
}

export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'empty';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)})`;
  if (typeof v === 'number') return Number.isInteger(v) ? `the number ${v}` : `the number ${v}, not an integer`;
  if (typeof v === 'boolean') return `${v}`;
  return typeof v;
}

function rangeText(s: JsonSchema): string {
  const min = typeof s.minimum === 'number' ? s.minimum : undefined;
  const max = typeof s.maximum === 'number' ? s.maximum : undefined;
  const kind = s.type === 'integer' || (Array.isArray(s.type) && s.type.includes('integer')) ? 'an integer' : 'a number';
  if (min !== undefined && max !== undefined) return `${kind} from ${min} to ${max}`;
  if (min !== undefined) return `${kind} of at least ${min}`;
  if (max !== undefined) return `${kind} of at most ${max}`;
  return kind;
}

function describeSchema(s: JsonSchema | undefined): string | undefined {
  if (!s) return undefined;
  if (typeof s['x-expected'] === 'string') return s['x-expected'];
  if (Array.isArray(s.enum)) return `one of: ${s.enum.map(String).join(', ')}`;
  if (s.type) return typeNames(s.type as string | string[]);
  return undefined;
}

/** The allowed key closest to a mistyped one (case, or an edit distance of at most 2, and 1 for short keys). */
export function suggest(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Math.min(2, Math.max(1, Math.floor(key.length / 3))) + 1;
  for (const a of allowed) {
    if (a.toLowerCase() === key.toLowerCase()) return a;
    const d = editDistance(key.toLowerCase(), a.toLowerCase());
    if (d < bestDist) { best = a; bestDist = d; }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
