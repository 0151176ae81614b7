// Shared by the config tests: check YAML text and get the issues as `FILE:LINE:COL: message (expected ...)`.
import { readFileSync } from 'node:fs';
import type { CheckResult, FileProbe } from '../../../src/config/index.js';
import { checkSite, formatIssue } from '../../../src/config/index.js';

export const repo = new URL('../../../', import.meta.url);
export const readRepoFile = (p: string): string => readFileSync(new URL(p, repo), 'utf8');

/** Every password file exists, mode 0600. */
export const okProbe: FileProbe = () => ({ kind: 'ok', size: 16, mode: 0o100600 });

export function check(text: string, probe: FileProbe = okProbe, file = 'site.yaml'): CheckResult {
  return checkSite(text, file, { probe });
}

export function issues(text: string, probe: FileProbe = okProbe): string[] {
  return check(text, probe).issues.map(formatIssue);
}

/** A small valid site; tests change one thing in it. */
export const SMALL = `site: dc1
defaults:
  asn: 64512
racks:
  - name: r1
    subnet: 10.0.1.0/24
    peers:
      - { address: 10.0.1.1, asn: 65001 }
  - name: r2
    subnet: 10.0.2.0/24
nodes:
  - { name: node-a, rack: r1, address: 10.0.1.10, podCIDRs: [10.244.1.0/24] }
  - { name: node-b, rack: r2, address: 10.0.2.10, podCIDRs: [10.244.2.0/24] }
`;

/** SMALL with `from` replaced by `to` (which must occur). */
export function small(from: string, to: string): string {
  if (!SMALL.includes(from)) throw new Error(`not in SMALL: ${from}`);
  return SMALL.replace(from, to);
}
