// Loading a site file: YAML with positions -> JSON Schema -> semantic checks -> defaults, frozen.
// The core (checkSite, parseSite) takes the text and the file's name and touches nothing else but the
// optional FileProbe; loadSiteFile and checkSiteFile are the thin file-system wrappers.
import { readFileSync, statSync, accessSync, constants as fsConstants } from 'node:fs';
import type { ConfigIssue } from './errors.js';
import { ConfigError } from './errors.js';
import type { RawSite } from './raw.js';
import { resolveSite } from './resolve.js';
import { SchemaValidator } from './schema.js';
import type { FileProbe } from './semantic.js';
import { SemanticChecker } from './semantic.js';
import type { SiteConfig } from './types.js';
import type { PathSegment } from './yaml-source.js';
import { YamlSource, YamlSyntaxError } from './yaml-source.js';

export interface CheckOptions {
  /** Looks at the password files the site names; without it those checks are skipped. */
  readonly probe?: FileProbe;
  /** A validator to reuse (the schema is compiled once per process otherwise). */
  readonly validator?: SchemaValidator;
}

export interface CheckResult {
  readonly ok: boolean;
  /** Set when ok. */
  readonly config: SiteConfig | null;
  /** Errors and warnings, in file order. */
  readonly issues: readonly ConfigIssue[];
}

let sharedValidator: SchemaValidator | undefined;

function byPosition(a: ConfigIssue, b: ConfigIssue): number {
  return a.line - b.line || a.column - b.column;
}

function withoutKeys(data: unknown, paths: readonly (readonly PathSegment[])[]): unknown {
  const copy = structuredClone(data);
  for (const path of paths) {
    let cur: unknown = copy;
    for (const seg of path.slice(0, -1)) cur = (cur as Record<string, unknown>)[seg];
    delete (cur as Record<string, unknown>)[path[path.length - 1]!];
  }
  return copy;
}

/**
 * Checks a site file's text and, when it has no errors, resolves it. Never throws for a bad file:
 * every problem found is in `issues`. Semantic checks run once the schema is satisfied (unknown keys aside).
 */
export function checkSite(text: string, file: string, options: CheckOptions = {}): CheckResult {
  let source: YamlSource;
  try {
    source = YamlSource.parse(text);
  } catch (err) {
    if (!(err instanceof YamlSyntaxError)) throw err;
    const issue: ConfigIssue = { severity: 'error', file, line: err.position.line, column: err.position.column, path: '',
      message: `YAML syntax: ${err.message}` };
    return { ok: false, config: null, issues: [issue] };
  }
  const validator = options.validator ?? (sharedValidator ??= new SchemaValidator());
  const schema = validator.check(source.data, source, file);
  if (!schema.onlyUnknownKeys) return { ok: false, config: null, issues: schema.issues.sort(byPosition) };
  // Unknown keys alone do not stop the semantic checks: they run on the data without those keys.
  const raw = (schema.unknownKeys.length ? withoutKeys(source.data, schema.unknownKeys) : source.data) as RawSite;
  const issues = [...schema.issues, ...new SemanticChecker(raw, source, file, options.probe).run()].sort(byPosition);
  if (issues.some((i) => i.severity === 'error')) return { ok: false, config: null, issues };
  return { ok: true, config: resolveSite(raw, file), issues };
}

/** Like checkSite, but throws ConfigError on errors; returns the config and the warnings. */
export function parseSite(text: string, file: string, options: CheckOptions = {}): { config: SiteConfig; warnings: ConfigIssue[] } {
  const r = checkSite(text, file, options);
  if (!r.ok || !r.config) throw new ConfigError(file, r.issues);
  return { config: r.config, warnings: r.issues.filter((i) => i.severity === 'warning') };
}

/** Password files as this host sees them. */
export const fsProbe: FileProbe = (path) => {
  try {
    const st = statSync(path);
    if (!st.isFile()) return { kind: 'not-a-file' };
    try {
      accessSync(path, fsConstants.R_OK);
    } catch (err) {
      return { kind: 'unreadable', code: (err as NodeJS.ErrnoException).code ?? 'EACCES' };
    }
    return { kind: 'ok', size: st.size, mode: st.mode };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    return { kind: 'unreadable', code };
  }
};

function readIssue(file: string, err: unknown): ConfigIssue {
  const e = err as NodeJS.ErrnoException;
  const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : e.code ?? e.message;
  return { severity: 'error', file, line: 0, column: 0, path: '', message: `cannot read the site file: ${why}` };
}

/** Reads and checks a site file, password files included. */
export function checkSiteFile(file: string, options: CheckOptions = {}): CheckResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, config: null, issues: [readIssue(file, err)] };
  }
  return checkSite(text, file, { probe: fsProbe, ...options });
}

/** Reads a site file; throws ConfigError when it cannot be read or has errors. */
export function loadSiteFile(file: string, options: CheckOptions = {}): { config: SiteConfig; warnings: ConfigIssue[] } {
  const r = checkSiteFile(file, options);
  if (!r.ok || !r.config) throw new ConfigError(file, r.issues);
  return { config: r.config, warnings: r.issues.filter((i) => i.severity === 'warning') };
}
