// `rackroute datapath [-o json]`: the eBPF fast path as the kernel has it: program, attachments, maps and
// counters by reason. With --socket it asks the agent (GET /v1/datapath: the same, plus what the agent
// attached and its errors); without, it reads the pinned objects directly (root needed). JSON is the contract.
import type { Command } from 'commander';
import { readDatapathStatus, type DatapathApiStatus, type DatapathStatus, type FamilySummary, type LookupSummary } from '../dataplane/ebpf/status.js';
import { pinDirForNamespace, pinDirForNetns } from '../dataplane/ebpf/pins.js';
import { hostExec } from '../dataplane/ebpf/exec.js';
import { apiRequest } from '../api/client.js';
import { formatTable } from './table.js';

export function formatDatapath(s: DatapathStatus, all: boolean): string {
  if (!s.loaded || !s.program) return `datapath: not loaded (nothing pinned at ${s.pinDir})`;
  const p = s.program;
  const out = [
    `program ${p.name} id ${p.id} tag ${p.tag} loaded ${p.loadedAt}  pins ${s.pinDir}${s.redirectNeigh ? '  redirect-neigh on' : ''}${s.fibDirect ? '  fib-direct on' : ''}`,
    ...(s.summary ? [formatSummary(s.summary)] : []),
    '',
    s.attachments.length
      ? formatTable(['Interface', 'Ifindex', 'Role', 'Program', 'Hook', 'State'],
        s.attachments.map((a) => [a.interface ?? '?', a.ifindex, a.role, a.programId ?? '-', a.hook ?? '-', a.state]))
      : 'no attachments',
    '',
    s.nexthops.length
      ? formatTable(['Next-hop cache', 'Via', 'Gateway MAC'],
        s.nexthops.flatMap((e) => e.nexthops.map((n, i) => [i === 0 ? e.cidr : '', n.interface ?? `ifindex ${n.ifindex}`, n.dmac])))
      : 'next-hop cache empty (remote pod traffic asks bpf_fib_lookup)',
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

function formatSummary(m: LookupSummary): string {
  const fam = (f: FamilySummary) => `/${f.lens.join(' /') || '-'} within ${f.cover ?? '-'}${f.unpublished.length ? `  NOT probed: /${f.unpublished.join(' /')} (kernel path)` : ''}`;
  return [
    `pod CIDR lookups: IPv4 ${fam(m.pod4)}; IPv6 ${fam(m.pod6)}`,
    `endpoint lookups within: IPv4 ${m.endpoint4Cover ?? '-'}; IPv6 ${m.endpoint6Cover ?? '-'}`,
  ].join('\n');
}

function formatAgent(s: DatapathApiStatus): string {
  const a = s.agent;
  const errors = Object.entries(a.errors).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  return [
    `agent: fast path ${s.enabled ? a.state : 'off (datapath.ebpf false)'}  passes ${a.passes}${a.lastPass ? ` (last ${a.lastPass})` : ''}`,
    `  uplinks (${a.uplinksFrom}): ${a.uplinks.join(' ') || '-'}   pod veths: ${a.pods.join(' ') || '-'}`,
    `  errors: ${errors}${a.lastError ? `; last: ${a.lastError.stage} at ${a.lastError.at}: ${a.lastError.message}` : ''}`,
  ].join('\n');
}

export function registerDatapath(program: Command): void {
  program
    .command('datapath')
    .description('show the eBPF fast path: attachments, program id, map sizes and counters by reason')
    .option('-o, --output <format>', 'table | json', 'table')
    .option('--socket <path>', 'ask the agent on this admin socket instead of reading the pins')
    .option('--pin-dir <dir>', 'where the datapath is pinned (default: the namespace\'s own: /sys/fs/bpf/rackroute on the host, /sys/fs/bpf/rackroute/netns/INODE elsewhere)')
    .option('--netns <name>', 'the node in this network namespace (its pins and tc attachments)')
    .option('-a, --all', 'list every reason, zero counters included')
    .action(async (opts: { output: string; socket?: string; pinDir?: string; netns?: string; all?: boolean }) => {
      if (opts.output !== 'table' && opts.output !== 'json') throw new Error(`unknown output format ${opts.output} (table | json)`);
      if (opts.socket) {
        const s = await apiRequest<DatapathApiStatus>(opts.socket, 'GET', '/v1/datapath');
        console.log(opts.output === 'json' ? JSON.stringify(s, null, 2) : `${formatAgent(s)}\n\n${formatDatapath(s, opts.all ?? false)}`);
        return;
      }
      const pinDir = opts.pinDir ?? (opts.netns ? pinDirForNetns(opts.netns) : pinDirForNamespace());
      const status = await readDatapathStatus({ pinDir, exec: hostExec(opts.netns) });
      console.log(opts.output === 'json' ? JSON.stringify(status, null, 2) : formatDatapath(status, opts.all ?? false));
    });
}
