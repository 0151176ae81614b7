// `rackroute datapath [-o json]`: the eBPF fast path as the kernel has it: program, attachments, maps and
// counters by reason. Reads the pinned objects directly (root needed); JSON is the contract.
import type { Command } from 'commander';
import { readDatapathStatus, type DatapathStatus } from '../dataplane/ebpf/status.js';
import { DEFAULT_PIN_DIR } from '../dataplane/ebpf/maps.js';
import { hostExec } from '../dataplane/ebpf/exec.js';
import { formatTable } from './table.js';

export function formatDatapath(s: DatapathStatus, all: boolean): string {
  if (!s.loaded || !s.program) return `datapath: not loaded (nothing pinned at ${s.pinDir})`;
  const p = s.program;
  const out = [
    `program ${p.name} id ${p.id} tag ${p.tag} loaded ${p.loadedAt}  pins ${s.pinDir}${s.redirectNeigh ? '  redirect-neigh on' : ''}${s.fibDirect ? '  fib-direct on' : ''}`,
    '',
    s.attachments.length
      ? formatTable(['Interface', 'Ifindex', 'Role', 'Program', 'State'],
        s.attachments.map((a) => [a.interface ?? '?', a.ifindex, a.role, a.programId ?? '-', a.state]))
      : 'no attachments',
    '',
    formatTable(['Map', 'Type', 'Entries', 'Max', 'Key', 'Value'],
      s.maps.map((m) => [m.name, m.type, m.entries, m.maxEntries, m.keySize, m.valueSize])),
    '',
    formatTable(['Reason', 'Kind', 'Packets', 'Bytes'],
      s.counters.filter((c) => all || c.packets > 0).map((c) => [c.label, c.kind, c.packets, c.bytes])),
  ];
  if (!all && s.counters.every((c) => c.packets === 0)) out.push('(no packets counted yet)');
  return out.join('\n');
}

export function registerDatapath(program: Command): void {
  program
    .command('datapath')
    .description('show the eBPF fast path: attachments, program id, map sizes and counters by reason')
    .option('-o, --output <format>', 'table | json', 'table')
    .option('--pin-dir <dir>', 'where the datapath is pinned', DEFAULT_PIN_DIR)
    .option('--netns <name>', 'look at the tc attachments of this network namespace')
    .option('-a, --all', 'list every reason, zero counters included')
    .action(async (opts: { output: string; pinDir: string; netns?: string; all?: boolean }) => {
      if (opts.output !== 'table' && opts.output !== 'json') throw new Error(`unknown output format ${opts.output} (table | json)`);
      const status = await readDatapathStatus({ pinDir: opts.pinDir, exec: hostExec(opts.netns) });
      console.log(opts.output === 'json' ? JSON.stringify(status, null, 2) : formatDatapath(status, opts.all ?? false));
    });
}
