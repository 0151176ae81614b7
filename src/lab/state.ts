// Where a running lab is recorded: one directory per lab under /run/rackroute/lab, holding state.json and each
// node's sockets, pid files and logs. `down` trusts this file when it is there and scans namespaces by prefix
// when it is not (a killed `up` leaves a partial state file, or none).
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LAB_ROOT = process.env.RACKROUTE_LAB_ROOT ?? '/run/rackroute/lab';
export const NS_PREFIX = 'rrlab-';

export interface ProcessRecord {
  readonly name: string; // e.g. zebra, bgpd, bird, rackroute
  readonly pid: number;
  /** Its start time (/proc/PID/stat): `down` signals the PID only while it still names this process. */
  readonly start?: number;
}

export interface NodeState {
  readonly ns: string;
  readonly role: string;
  readonly dir: string;
  readonly processes: ProcessRecord[];
  /** FRR vty socket directory, BIRD control socket, or rackroute admin socket. */
  control?: string;
}

export interface LabState {
  readonly name: string;
  readonly file: string;
  readonly startedAt: string;
  readonly nodes: Record<string, NodeState>;
  complete: boolean;
}

/**
 * Namespace of a node: unique per lab and node, and recognisable by prefix for cleanup. The dot cannot appear in
 * lab or node names, so lab `a`'s prefix `rrlab-a.` never matches lab `a-b`'s namespaces.
 */
export function nsName(lab: string, node: string): string {
  return `${labPrefix(lab)}${node}`;
}

export function labPrefix(lab: string): string {
  return `${NS_PREFIX}${lab}.`;
}

export function labDir(lab: string): string {
  return join(LAB_ROOT, lab);
}

export function readState(lab: string): LabState | undefined {
  const file = join(labDir(lab), 'state.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LabState;
  } catch {
    return undefined; // a torn write from a killed run: down falls back to the prefix scan
  }
}

/** Written after every step of `up`, atomically, so a killed run leaves an accurate record. */
export function writeState(state: LabState): void {
  const dir = labDir(state.name);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, 'state.json.tmp');
  writeFileSync(tmp, JSON.stringify(state, null, 2));
  renameSync(tmp, join(dir, 'state.json'));
}

export function removeLabDir(lab: string): void {
  rmSync(labDir(lab), { recursive: true, force: true });
}
