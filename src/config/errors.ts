// Problems found in a site file, each naming file:line:column, and the errors that carry them.
import type { PathSegment } from './yaml-source.js';

export type Severity = 'error' | 'warning';

/**
 * One problem in a site file. `path` is where in the data (`racks[0].peers[1].asn`); line and column are
 * 1-based (0 when the problem is the whole file, such as a file that cannot be read).
 */
export interface ConfigIssue {
  readonly severity: Severity;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: string;
  readonly message: string;
  /** What would have been accepted, when that can be said briefly. */
  readonly expected?: string;
}

/** `racks[0].peers[1].asn`: the path as people read it (and as `-o json` reports it). */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** `FILE:LINE:COL: message (expected ...)`, the form compilers use, so editors can jump to it. */
export function formatIssue(issue: ConfigIssue): string {
  const sev = issue.severity === 'warning' ? 'warning: ' : '';
  const exp = issue.expected ? ` (expected ${issue.expected})` : '';
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.column}` : issue.file;
  return `${where}: ${sev}${issue.message}${exp}`;
}

/** The site file is unusable: every error found (not only the first), with warnings alongside. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly errors: readonly ConfigIssue[];
  readonly warnings: readonly ConfigIssue[];

  constructor(file: string, issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    const errors = issues.filter((i) => i.severity === 'error');
    const first = errors[0];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    super(first ? `${formatIssue(first)}${more}` : `${file}: invalid site file`, options);
    this.errors = errors;
    this.warnings = issues.filter((i) => i.severity === 'warning');
  }
}

/** This host's node is not in the site file. */
export class NodeNotFoundError extends Error {
  override readonly name = 'NodeNotFoundError';
  constructor(
    readonly file: string,
    readonly wanted: string,
    readonly how: 'option' | 'hostname',
    readonly known: readonly string[],
  ) {
    const source = how === 'option' ? `--node ${wanted}` : `hostname "${wanted}" (pass --node NAME to choose another)`;
    const list = known.length <= 10 ? known.join(', ') : `${known.slice(0, 10).join(', ')}, ... (${known.length} in all)`;
    super(`${file}: no node named by ${source} under \`nodes\`; the nodes are: ${list}`);
  }
}
