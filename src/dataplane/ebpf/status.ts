// What `rackroute datapath` shows, read straight from the kernel: the pinned program, its tc attachments
// (cross-checked with the devices the maps say we manage), the maps' sizes and the counters by reason.
// Until the agent serves this over its API, any root process can read it from the pins.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hostExec, type Exec } from './exec.js';
import {
  CFG_F_FIB_DIRECT, CFG_F_REDIRECT_NEIGH, IFACE_F_ATTACHED, IFACE_F_POD, IFACE_F_UPLINK, PROGRAM_INGRESS, formatCidr, parseCidr,
  type DatapathConfig, type PrefixSummary,
} from './layout.js';
import { listTcAttachments } from './loader.js';
import { DEFAULT_PIN_DIR, PinnedBpfMaps } from './maps.js';
import type { BpfMapPort, MapSummary, PodCidrEntry, ReasonCount } from './port.js';

export type AttachmentState =
  | 'attached' // tc runs the pinned program, the maps know the device
  | 'stale' // tc runs an older rr_ingress than the pinned one
  | 'missing' // the maps say attached, tc has no rr_ingress there
  | 'unmanaged'; // tc runs rr_ingress on a device the maps do not know

export interface AttachmentStatus {
  readonly interface: string | null;
  readonly ifindex: number;
  readonly role: 'uplink' | 'pod' | 'unknown';
  readonly programId: number | null;
  /** tcx or tc (a clsact filter); null when missing. */
  readonly hook: 'tcx' | 'tc' | null;
  readonly state: AttachmentState;
}

export interface DatapathStatus {
  readonly pinDir: string;
  readonly loaded: boolean;
  readonly program: { name: string; id: number; tag: string; loadedAt: string } | null;
  readonly attachments: AttachmentStatus[];
  readonly maps: MapSummary[];
  readonly podCidrs: PodCidrEntry[];
  readonly redirectNeigh: boolean;
  readonly fibDirect: boolean;
  /** What rr_ingress reads before its lookups (rr_config_v2); null when nothing is loaded. */
  readonly summary: LookupSummary | null;
  /** The next-hop cache (rr_nh_v1): remote pod CIDRs whose traffic skips bpf_fib_lookup, with their next hops. */
  readonly nexthops: NexthopStatus[];
  readonly counters: ReasonCount[];
}

export interface NexthopStatus {
  readonly cidr: string;
  readonly nexthops: readonly { readonly ifindex: number; readonly interface: string | null; readonly dmac: string; readonly smac: string }[];
}

export interface FamilySummary {
  /** prefix lengths the program probes, longest first */
  readonly lens: readonly number[];
  /** a prefix holding every pod CIDR of the family (addresses outside it skip the pod lookups), null: none */
  readonly cover: string | null;
  /** lengths of pod CIDRs in the map that the program does not probe (over the limit): their traffic takes the stack */
  readonly unpublished: readonly number[];
}

export interface LookupSummary {
  readonly pod4: FamilySummary;
  readonly pod6: FamilySummary;
  /** a prefix holding every endpoint address (others skip the endpoint lookup), null: no endpoint */
  readonly endpoint4Cover: string | null;
  readonly endpoint6Cover: string | null;
}

/** The config map's summaries, and the pod CIDR lengths the map holds beyond what they publish. */
export function lookupSummary(cfg: DatapathConfig, podCidrs: readonly PodCidrEntry[]): LookupSummary {
  const fam = (s: PrefixSummary, family: 4 | 6): FamilySummary => {
    const held = new Set(podCidrs.map((e) => parseCidr(e.cidr)).filter((c) => c.family === family).map((c) => c.prefixLen));
    return {
      lens: s.lens, cover: s.cover ? formatCidr(s.cover) : null,
      unpublished: [...held].filter((l) => !s.lens.includes(l)).sort((a, b) => b - a),
    };
  };
  return {
    pod4: fam(cfg.pod4, 4), pod6: fam(cfg.pod6, 6),
    endpoint4Cover: cfg.endpoint4Cover ? formatCidr(cfg.endpoint4Cover) : null,
    endpoint6Cover: cfg.endpoint6Cover ? formatCidr(cfg.endpoint6Cover) : null,
  };
}

interface BpftoolProg { id: number; name: string; tag: string; loaded_at: number | string }

export async function readDatapathStatus(opts: { pinDir?: string; exec?: Exec; openMaps?: (dir: string) => BpfMapPort } = {}): Promise<DatapathStatus> {
  const pinDir = opts.pinDir ?? DEFAULT_PIN_DIR;
  const exec = opts.exec ?? hostExec();
  const progPin = join(pinDir, 'progs', PROGRAM_INGRESS);
  if (!existsSync(progPin)) {
    return { pinDir, loaded: false, program: null, attachments: [], maps: [], podCidrs: [], redirectNeigh: false, fibDirect: false, summary: null, nexthops: [], counters: [] };
  }
  const prog = JSON.parse(await exec.run(['bpftool', '-j', 'prog', 'show', 'pinned', progPin])) as BpftoolProg;
  const loadedAt = typeof prog.loaded_at === 'number' ? new Date(prog.loaded_at * 1000).toISOString() : prog.loaded_at;
  const maps = (opts.openMaps ?? ((d) => new PinnedBpfMaps(d)))(pinDir);
  try {
    const tc = await listTcAttachments(exec);
    const links = JSON.parse(await exec.run(['ip', '-j', 'link', 'show'])) as { ifindex: number; ifname: string }[];
    const nameOf = (i: number) => links.find((l) => l.ifindex === i)?.ifname ?? null;
    const managed = maps.listIfaces();
    const attachments: AttachmentStatus[] = [];
    for (const m of managed) {
      const t = tc.find((a) => a.ifindex === m.ifindex);
      if (!t && !(m.flags & IFACE_F_ATTACHED)) continue; // a pod device we only mark, not attached by us
      const role = m.flags & IFACE_F_POD ? 'pod' : m.flags & IFACE_F_UPLINK ? 'uplink' : 'unknown';
      let state: AttachmentState = 'attached';
      if (!t) state = 'missing';
      else if (t.programId !== prog.id) state = 'stale';
      attachments.push({ interface: nameOf(m.ifindex), ifindex: m.ifindex, role, programId: t?.programId ?? null, hook: t?.hook ?? null, state });
    }
    for (const t of tc) {
      if (managed.some((m) => m.ifindex === t.ifindex)) continue;
      attachments.push({ interface: t.ifname, ifindex: t.ifindex, role: 'unknown', programId: t.programId, hook: t.hook, state: 'unmanaged' });
    }
    const podCidrs = maps.listPodCidrs();
    return {
      pinDir, loaded: true,
      program: { name: prog.name, id: prog.id, tag: prog.tag, loadedAt },
      attachments,
      maps: maps.summaries(),
      podCidrs,
      redirectNeigh: (maps.getConfigFlags() & CFG_F_REDIRECT_NEIGH) !== 0,
      fibDirect: (maps.getConfigFlags() & CFG_F_FIB_DIRECT) !== 0,
      summary: lookupSummary(maps.readConfig(), podCidrs),
      nexthops: maps.listNexthops().map((e) => ({ cidr: e.cidr, nexthops: e.nexthops.map((n) => ({ ...n, interface: nameOf(n.ifindex) })) })),
      counters: maps.readCounters(),
    };
  } finally {
    maps.close();
  }
}

/** What the agent itself knows of its datapath: what it attached, when it last looked, what went wrong. */
export interface DatapathAgentInfo {
  /** disabled: datapath.ebpf is false; degraded: the last pass failed somewhere (retried) */
  readonly state: 'disabled' | 'starting' | 'running' | 'degraded' | 'stopped';
  readonly uplinksFrom: 'site' | 'routes';
  readonly uplinks: readonly string[];
  readonly pods: readonly string[];
  readonly passes: number;
  readonly lastPass: string | null;
  /** errors per stage (load, maps, discover, attach, detach, cleanup) since the agent started */
  readonly errors: Readonly<Record<string, number>>;
  readonly lastError: { readonly stage: string; readonly message: string; readonly at: string } | null;
}

/** GET /v1/datapath: the kernel's view (as `rackroute datapath` reads it from the pins) plus the agent's. */
export interface DatapathApiStatus extends DatapathStatus {
  readonly enabled: boolean;
  readonly agent: DatapathAgentInfo;
}
