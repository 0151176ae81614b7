// Loads the datapath object and attaches its ingress program at tc, idempotently.
//
// Loading: bpf/build/rr_load (libbpf; bpf/tools/rr_load.c) opens bpf/build/rr_tc.o with the pin root set to
// the pin directory, so the LIBBPF_PIN_BY_NAME maps are created there once and reused by every later load
// (pod CIDRs and counters survive an agent restart), and pins each program at PIN_DIR/progs/NAME, replacing
// the previous pin atomically. bpftool cannot move by-name pins out of /sys/fs/bpf, and `tc ... bpf obj`
// would load a private copy of the program per device; one program pinned once and attached by
// `object-pinned` everywhere keeps a single program id for `rackroute datapath`.
//
// Attaching, two hooks:
// - tcx (kernel 6.6+), on pod veths: bpf/tools/rr_tcx attaches the pinned program at the device's tcx ingress,
//   replacing our program of the same name in place (BPF_F_REPLACE). The packet skips the clsact qdisc's
//   classifier chain, which costs about as much as the program: the node forwards 4-6% more 60-byte frames
//   between pods (bench:datapath). A tcx verdict other than "next" is final, so a tc filter of ours left from
//   an older agent stops mattering the moment the tcx program is in, and is removed right after.
// - tc everywhere else (uplinks, where the IP-in-IP decapsulation filter must run first, at pref 1000; and
//   kernels without tcx): a clsact qdisc (added only when missing, never replaced: other tools may hang filters
//   on it) and `tc filter replace ... pref 1100 handle 1`: the same pref/handle makes a re-attach swap the
//   program in place (cls_bpf replaces the filter under RCU: no window without a program).
// After a load, every device the ifaces map says is attached gets the new program the same way.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { hostExec, type Exec } from './exec.js';
import { IFACE_F_ATTACHED, IFACE_F_POD, IFACE_F_UPLINK, PROGRAM_INGRESS, RETIRED_MAP_NAMES } from './layout.js';
import { DEFAULT_PIN_DIR, PinnedBpfMaps } from './maps.js';
import type { BpfMapPort } from './port.js';

export const TC_PREF = 1100;
export const TC_HANDLE = 1;

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const DEFAULT_BUILD_DIR = join(repoRoot, 'bpf', 'build');

export type AttachRole = 'uplink' | 'pod';

export interface LoadedObject {
  readonly programs: { name: string; id: number; pin: string }[];
  readonly maps: { name: string; id: number; pin: string }[];
}

/** Where a program runs on a device's ingress: tcx (kernel 6.6+) or a clsact tc filter. */
export type AttachHook = 'tcx' | 'tc';

export interface TcAttachment {
  readonly ifname: string;
  readonly ifindex: number;
  readonly programId: number;
  readonly programName: string;
  readonly hook: AttachHook;
}

export class AttachError extends Error {
  override readonly name = 'AttachError';
  constructor(message: string, readonly ifname: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface LoaderOptions {
  /** where maps and programs are pinned; /sys/fs/bpf/rackroute by default */
  readonly pinDir?: string;
  /** where rr_tc.o and rr_load are; bpf/build by default */
  readonly buildDir?: string;
  /** run tc/ip/bpftool through this (a network namespace in tests) */
  readonly exec?: Exec;
  /** opens the map port once the maps exist; PinnedBpfMaps by default */
  readonly openMaps?: (pinDir: string) => BpfMapPort;
  /** 'auto' (default): tcx on pod veths where the kernel has it, tc elsewhere; 'tc': tc everywhere */
  readonly hook?: 'auto' | 'tc';
}

export class DatapathLoader {
  readonly pinDir: string;
  readonly buildDir: string;
  private readonly exec: Exec;
  private readonly openMaps: (pinDir: string) => BpfMapPort;
  private mapsPort: BpfMapPort | undefined;
  private readonly hookMode: 'auto' | 'tc';
  private tcx: Promise<boolean> | undefined;

  constructor(opts: LoaderOptions = {}) {
    this.pinDir = opts.pinDir ?? DEFAULT_PIN_DIR;
    this.buildDir = opts.buildDir ?? DEFAULT_BUILD_DIR;
    this.exec = opts.exec ?? hostExec();
    this.openMaps = opts.openMaps ?? ((dir) => new PinnedBpfMaps(dir));
    this.hookMode = opts.hook ?? 'auto';
  }

  /** The kernel has tcx (asked once). */
  hasTcx(): Promise<boolean> {
    this.tcx ??= this.exec.run([join(this.buildDir, 'rr_tcx'), 'probe']).then(() => true, () => false);
    return this.tcx;
  }

  /** The hook a device of this role gets. */
  async hookFor(role: AttachRole): Promise<AttachHook> {
    return role === 'pod' && this.hookMode === 'auto' && (await this.hasTcx()) ? 'tcx' : 'tc';
  }

  get programPin(): string {
    return join(this.pinDir, 'progs', PROGRAM_INGRESS);
  }

  /** The map port (opened on first use; the maps must be loaded). */
  maps(): BpfMapPort {
    this.mapsPort ??= this.openMaps(this.pinDir);
    return this.mapsPort;
  }

  /**
   * Loads (or reloads) the object: maps created or reused, the program pinned anew, and every device
   * already attached switched to the new program without a gap.
   */
  async load(): Promise<LoadedObject> {
    await this.ensureBpffs();
    const out = await this.exec.run([join(this.buildDir, 'rr_load'), join(this.buildDir, 'rr_tc.o'), this.pinDir]);
    const loaded = JSON.parse(out) as LoadedObject;
    // Earlier layouts' maps: the program just loaded does not use them (the old one keeps its references until
    // replaced below), and nobody writes them any more.
    for (const name of RETIRED_MAP_NAMES) rmSync(join(this.pinDir, name), { force: true });
    const maps = this.maps();
    // What the program reads beside the maps, rebuilt from them: new after an upgrade, repaired otherwise.
    maps.refreshIfaceSlots();
    maps.refreshPodSummary();
    maps.refreshEndpointSummary();
    for (const ifc of maps.listIfaces()) {
      if (!(ifc.flags & IFACE_F_ATTACHED)) continue;
      const name = await this.ifname(ifc.ifindex);
      if (name) await this.hook(name, ifc.flags & IFACE_F_POD ? 'pod' : 'uplink');
      else maps.deleteIface(ifc.ifindex); // the device is gone
    }
    return loaded;
  }

  /** Attach at the ingress of `ifname` (the hook its role gets); attaching again replaces the program in place. */
  async attach(ifname: string, role: AttachRole): Promise<number> {
    const link = await this.link(ifname);
    if (link.link_type !== 'ether') throw new AttachError(`${ifname} is not an Ethernet device (${link.link_type})`, ifname);
    await this.hook(ifname, role);
    this.maps().setIface(link.ifindex, IFACE_F_ATTACHED | (role === 'pod' ? IFACE_F_POD : IFACE_F_UPLINK));
    return link.ifindex;
  }

  /** Remove our program from `ifname` (both hooks; nothing if it is not there) and forget the device. */
  async detach(ifname: string): Promise<void> {
    const link = await this.link(ifname).catch(() => undefined);
    if (!link) return;
    await this.unhook(ifname);
    this.maps().deleteIface(link.ifindex);
  }

  /** Remove our program from `ifname`'s ingress, from both hooks, leaving the maps alone. */
  async unhook(ifname: string): Promise<void> {
    if (await this.ourFilter(ifname)) await this.delFilter(ifname);
    if (await this.hasTcx()) await this.exec.run([join(this.buildDir, 'rr_tcx'), 'detach', ifname, 'ingress', PROGRAM_INGRESS]);
  }

  /** The program on `ifname`'s ingress at the hook for `role`, then gone from the other one (in that order: no gap). */
  private async hook(ifname: string, role: AttachRole): Promise<void> {
    if ((await this.hookFor(role)) === 'tcx') {
      try {
        await this.exec.run([join(this.buildDir, 'rr_tcx'), 'attach', this.programPin, ifname, 'ingress']);
      } catch (cause) {
        throw new AttachError(`cannot attach ${PROGRAM_INGRESS} at ${ifname} tcx ingress`, ifname, { cause });
      }
      if (await this.ourFilter(ifname)) await this.delFilter(ifname);
      return;
    }
    const qdiscs = JSON.parse(await this.exec.run(['tc', '-j', 'qdisc', 'show', 'dev', ifname])) as { kind: string }[];
    if (!qdiscs.some((q) => q.kind === 'clsact')) await this.exec.run(['tc', 'qdisc', 'add', 'dev', ifname, 'clsact']);
    await this.replaceFilter(ifname);
    if (await this.hasTcx()) await this.exec.run([join(this.buildDir, 'rr_tcx'), 'detach', ifname, 'ingress', PROGRAM_INGRESS]);
  }

  private async delFilter(ifname: string): Promise<void> {
    await this.exec.run(['tc', 'filter', 'del', 'dev', ifname, 'ingress', 'pref', String(TC_PREF), 'handle', String(TC_HANDLE), 'bpf']);
  }

  /** Every attachment of our ingress program in this namespace, tcx and tc (any program id: older loads too). */
  async attachments(): Promise<TcAttachment[]> {
    return listTcAttachments(this.exec, this.buildDir);
  }

  /** Detach everywhere, close the maps and remove the pins (tests and `uninstall`; a restart never does this). */
  async destroy(): Promise<void> {
    for (const a of await this.attachments()) await this.detach(a.ifname);
    this.close();
    await rm(this.pinDir, { recursive: true, force: true });
  }

  close(): void {
    this.mapsPort?.close();
    this.mapsPort = undefined;
  }

  private async replaceFilter(ifname: string): Promise<void> {
    try {
      await this.exec.run(['tc', 'filter', 'replace', 'dev', ifname, 'ingress', 'pref', String(TC_PREF), 'handle',
        String(TC_HANDLE), 'bpf', 'direct-action', 'object-pinned', this.programPin]);
    } catch (cause) {
      throw new AttachError(`cannot attach ${PROGRAM_INGRESS} at ${ifname} ingress`, ifname, { cause });
    }
  }

  private async ourFilter(ifname: string): Promise<boolean> {
    const filters = JSON.parse(await this.exec.run(['tc', '-j', 'filter', 'show', 'dev', ifname, 'ingress'])) as
      { pref?: number; options?: { handle?: string } }[];
    return filters.some((f) => f.pref === TC_PREF && f.options?.handle === `0x${TC_HANDLE.toString(16)}`);
  }

  private async link(ifname: string): Promise<{ ifindex: number; link_type: string }> {
    try {
      const [link] = JSON.parse(await this.exec.run(['ip', '-j', 'link', 'show', 'dev', ifname])) as { ifindex: number; link_type: string }[];
      return link;
    } catch (cause) {
      throw new AttachError(`no device ${ifname}`, ifname, { cause });
    }
  }

  private async ifname(ifindex: number): Promise<string | undefined> {
    const links = JSON.parse(await this.exec.run(['ip', '-j', 'link', 'show'])) as { ifindex: number; ifname: string }[];
    return links.find((l) => l.ifindex === ifindex)?.ifname;
  }

  private async ensureBpffs(): Promise<void> {
    const mounts = await this.exec.run(['cat', '/proc/self/mounts']);
    if (!/^\S+ \/sys\/fs\/bpf bpf /m.test(mounts)) await this.exec.run(['mount', '-t', 'bpf', 'bpf', '/sys/fs/bpf']);
  }
}

/**
 * Ingress attachments of our program: tcx ones from `rr_tcx show` (an empty list on kernels without tcx), tc ones
 * from `bpftool net show` (names look like "rr_ingress:[*fsobj]"). A device may briefly have both while it moves.
 */
export async function listTcAttachments(exec: Exec, buildDir = DEFAULT_BUILD_DIR): Promise<TcAttachment[]> {
  const tcx = (JSON.parse(await exec.run([join(buildDir, 'rr_tcx'), 'show'])) as
    { ifname: string; ifindex: number; direction: string; id: number; name: string }[])
    .filter((t) => t.direction === 'ingress' && t.name === PROGRAM_INGRESS)
    .map((t) => ({ ifname: t.ifname, ifindex: t.ifindex, programId: t.id, programName: PROGRAM_INGRESS, hook: 'tcx' as const }));
  const out = JSON.parse(await exec.run(['bpftool', '-j', 'net', 'show'])) as
    { tc?: { devname: string; ifindex: number; kind: string; name?: string; id: number }[] }[];
  const tc = out.flatMap((o) => o.tc ?? [])
    .filter((t) => t.kind === 'clsact/ingress' && (t.name ?? '').startsWith(PROGRAM_INGRESS))
    .map((t) => ({ ifname: t.devname, ifindex: t.ifindex, programId: t.id, programName: PROGRAM_INGRESS, hook: 'tc' as const }));
  return [...tcx, ...tc];
}

/**
 * True when the namespace has only the kernel's default routing rules (local, main and, for IPv4, default):
 * then BPF_FIB_LOOKUP_DIRECT (CFG_F_FIB_DIRECT) gives the same answers as a full lookup, faster.
 */
export async function onlyDefaultRules(exec: Exec): Promise<boolean> {
  const defaults: Record<string, number> = { local: 0, main: 32766, default: 32767 };
  for (const fam of ['-4', '-6']) {
    const rules = JSON.parse(await exec.run(['ip', fam, '-j', 'rule', 'show'])) as Record<string, unknown>[];
    const isDefault = (r: Record<string, unknown>) => Object.keys(r).length === 3 && r.src === 'all'
      && typeof r.table === 'string' && defaults[r.table] === r.priority;
    if (!rules.every(isDefault)) return false;
  }
  return true;
}
