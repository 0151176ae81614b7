// `rackroute config check FILE [--node NAME] [-o json]`: validate a site file; every error names
// FILE:LINE:COL and what was expected there. Exit status 1 when the file has errors.
import type { Command } from 'commander';
import { Option } from 'commander';
import type { CheckResult, ConfigIssue, SiteConfig } from '../config/index.js';
import { NodeNotFoundError, checkSiteFile, formatIssue, peersOf, selectNode } from '../config/index.js';

interface CheckFlags {
  node?: string;
  output: 'text' | 'json';
  fileChecks: boolean;
}

export interface CheckSummary {
  readonly site: string;
  readonly racks: number;
  readonly nodes: number;
  readonly peers: number;
  readonly policies: number;
  readonly node?: { readonly name: string; readonly rack: string; readonly asn: number; readonly peers: number; readonly podCIDRs: readonly string[] };
}

function summarize(config: SiteConfig, nodeName: string | undefined): CheckSummary {
  const base = {
    site: config.site,
    racks: config.racks.length,
    nodes: config.nodes.length,
    peers: config.racks.reduce((n, r) => n + r.peers.length, 0) + config.nodes.reduce((n, x) => n + x.peers.length, 0),
    policies: Object.keys(config.policies).length,
  };
  if (nodeName === undefined) return base;
  const node = selectNode(config, nodeName);
  return { ...base, node: { name: node.name, rack: node.rack, asn: node.asn, peers: peersOf(config, node).length, podCIDRs: node.podCIDRs } };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Runs the check and writes its report; returns the exit status. */
export function runConfigCheck(file: string, flags: CheckFlags, out: (s: string) => void, err: (s: string) => void): number {
  const result: CheckResult = checkSiteFile(file, flags.fileChecks ? {} : { probe: () => ({ kind: 'ok', size: 1, mode: 0o600 }) });
  const errors: ConfigIssue[] = result.issues.filter((i) => i.severity === 'error');
  const warnings = result.issues.filter((i) => i.severity === 'warning');
  let summary: CheckSummary | undefined;
  if (result.config) {
    try {
      summary = summarize(result.config, flags.node);
    } catch (e) {
      if (!(e instanceof NodeNotFoundError)) throw e;
      errors.push({ severity: 'error', file, line: 0, column: 0, path: 'nodes', message: e.message.replace(`${file}: `, '') });
    }
  }
  const ok = errors.length === 0;
  if (flags.output === 'json') {
    out(`${JSON.stringify({ ok, file, errors, warnings, ...(summary ? { summary } : {}) }, null, 2)}\n`);
    return ok ? 0 : 1;
  }
  for (const i of [...errors, ...warnings].sort((a, b) => a.line - b.line || a.column - b.column)) err(`${formatIssue(i)}\n`);
  if (!ok) {
    err(`${file}: ${plural(errors.length, 'error')}${warnings.length ? `, ${plural(warnings.length, 'warning')}` : ''}\n`);
    return 1;
  }
  const s = summary!;
  out(`${file}: ok: site ${s.site}, ${plural(s.racks, 'rack')}, ${plural(s.nodes, 'node')}, ${plural(s.peers, 'peer')}, ${plural(s.policies, 'policy').replace(/policys$/, 'policies')}`
    + `${warnings.length ? `, ${plural(warnings.length, 'warning')}` : ''}\n`);
  if (s.node) {
    out(`node ${s.node.name}: rack ${s.node.rack}, AS ${s.node.asn}, ${plural(s.node.peers, 'session')}, pod CIDRs ${s.node.podCIDRs.join(' ') || '(none)'}\n`);
  }
  return 0;
}

export function registerConfig(program: Command): void {
  const config = program.command('config').description('work with site files');
  config
    .command('check')
    .description('validate a site file: every error as FILE:LINE:COL: message (expected ...); exit status 1 on errors')
    .argument('<file>', 'the site file (YAML)')
    .option('--node <name>', 'also check that this node is in the file, and summarize it')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--no-file-checks', 'do not look at the files the site names (password files), e.g. when checking off the node')
    .action((file: string, flags: CheckFlags) => {
      const status = runConfigCheck(file, flags, (s) => process.stdout.write(s), (s) => process.stderr.write(s));
      if (status !== 0) process.exitCode = status;
    });
}
