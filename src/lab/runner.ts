// `rackroute lab up|down|status`: a containerlab topology run in network namespaces, one per node.
import { mkdirSync, rmSync } from 'node:fs';
import { NETNS_PIN_ROOT, pinDirForNetns } from '../dataplane/ebpf/pins.js';
import { join } from 'node:path';
import { hostCommand, type LabNode, type Topology } from './topology.js';
import { run, sh } from './sh.js';
import { alive, procRef, running, stopProcs, type ProcRef } from '../util/proc.js';
import { startAgent, startBird, startFrr } from './daemons.js';
import {
  labDir, labPrefix, nsName, readState, removeLabDir, writeState, type LabState, type NodeState, type ProcessRecord,
} from './state.js';

export interface UpOptions {
  /** Start the rackroute agent on rackroute-image nodes. */
  readonly agents: boolean;
  readonly log?: (line: string) => void;
}

export function listNamespaces(): string[] {
  return run('ip', ['netns', 'list'], { allowFail: true })
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter(Boolean);
}

function labNamespaces(lab: string): string[] {
  const prefix = labPrefix(lab);
  return listNamespaces().filter((n) => n.startsWith(prefix));
}

/** Brings a lab up. Refuses when any of its namespaces already exists. */
export async function labUp(topo: Topology, opts: UpOptions): Promise<LabState> {
  const log = opts.log ?? (() => undefined);
  const existing = labNamespaces(topo.name);
  if (existing.length > 0) {
    throw new Error(`lab ${topo.name} is already (partly) up (${existing.length} namespaces); run \`rackroute lab down\` first`);
  }
  removeLabDir(topo.name);
  const state: LabState = { name: topo.name, file: topo.file, startedAt: new Date().toISOString(), nodes: {}, complete: false };
  writeState(state);

  log(`namespaces: ${topo.nodes.length} nodes`);
  for (const node of topo.nodes) {
    const ns = nsName(topo.name, node.name);
    const dir = join(labDir(topo.name), node.name);
    mkdirSync(dir, { recursive: true });
    state.nodes[node.name] = { ns, role: node.role, dir, processes: [] };
    writeState(state);
    run('ip', ['netns', 'add', ns]);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }

  log(`links: ${topo.links.length} veth pairs`);
  for (const { a, b } of topo.links) {
    const nsA = nsName(topo.name, a.node);
    const nsB = nsName(topo.name, b.node);
    run('ip', ['link', 'add', 'name', a.iface, 'netns', nsA, 'type', 'veth', 'peer', 'name', b.iface, 'netns', nsB]);
    run('ip', ['-n', nsA, 'link', 'set', a.iface, 'up']);
    run('ip', ['-n', nsB, 'link', 'set', b.iface, 'up']);
  }

  const recorder = (node: NodeState) => (p: ProcessRecord) => {
    node.processes.push({ ...p, start: p.start ?? procRef(p.pid)?.start });
    writeState(state);
  };
  // As under containerlab: the image's own processes start first, then the `exec` commands run.
  for (const node of topo.nodes) {
    const ns = state.nodes[node.name];
    if (node.role === 'frr') {
      log(`${node.name}: starting FRR`);
      await startFrr(node, ns, recorder(ns));
    } else if (node.role === 'bird') {
      log(`${node.name}: starting BIRD`);
      await startBird(node, ns, recorder(ns));
    }
    writeState(state);
  }
  for (const node of topo.nodes) runExec(topo, node, state.nodes[node.name]);
  for (const node of topo.nodes) {
    if (node.role !== 'rackroute' || !opts.agents) continue;
    const ns = state.nodes[node.name];
    log(`${node.name}: starting the rackroute agent`);
    startAgent(node, ns, recorder(ns));
  }
  state.complete = true;
  writeState(state);
  return state;
}

function runExec(topo: Topology, node: LabNode, ns: NodeState): void {
  const env = { ...node.env, RR_LAB_NS_PREFIX: `${ns.ns}-`, RR_LAB_NODE: node.name };
  for (const command of node.exec) {
    try {
      sh(hostCommand(node, command), { ns: ns.ns, env });
    } catch (e) {
      throw new Error(`${topo.file}:${node.line}: node ${node.name}: exec \`${command}\`: ${(e as Error).message}`);
    }
  }
}


export interface DownReport {
  readonly namespaces: number;
  readonly processes: number;
}

/**
 * Tears a lab down: the processes it recorded, then every process in every namespace with the lab's prefix (pods
 * included), then the namespaces (which takes their veths with them). Works after a killed `up`, with or without
 * a state file.
 */
export async function labDown(lab: string): Promise<DownReport> {
  const state = readState(lab);
  // A recorded PID counts only with its start time: the lab may have been up for days, its PID long reused.
  const recorded = Object.values(state?.nodes ?? {}).flatMap((n) => n.processes)
    .flatMap((p): ProcRef[] => (p.start === undefined ? [] : [{ pid: p.pid, start: p.start }]));
  const namespaces = labNamespaces(lab);
  const inNamespaces = namespaces.flatMap((ns) =>
    run('ip', ['netns', 'pids', ns], { allowFail: true }).split('\n').filter(Boolean).map(Number))
    .flatMap((pid) => procRef(pid) ?? []);
  const refs = [...new Map([...recorded, ...inNamespaces].map((r) => [`${r.pid}/${r.start}`, r])).values()]
    .filter((r) => r.pid > 1 && r.pid !== process.pid);
  await stopProcs(refs);
  // The agents' eBPF pins live under a directory named after each namespace's inode: gone with the namespace.
  const pinDirs = namespaces.flatMap((ns) => {
    try {
      return [pinDirForNetns(ns)];
    } catch {
      return [];
    }
  });
  for (const ns of namespaces) run('ip', ['netns', 'del', ns], { allowFail: true });
  for (const dir of pinDirs) if (dir.startsWith(`${NETNS_PIN_ROOT}/`)) rmSync(dir, { recursive: true, force: true });
  removeLabDir(lab);
  return { namespaces: namespaces.length, processes: refs.length };
}

export interface NodeStatus {
  readonly node: string;
  readonly role: string;
  readonly namespace: string;
  readonly present: boolean;
  readonly processes: ReadonlyArray<ProcessRecord & { alive: boolean }>;
}

export interface LabStatus {
  readonly name: string;
  readonly up: boolean;
  readonly complete: boolean;
  readonly nodes: readonly NodeStatus[];
  /** Namespaces with the lab's prefix that the state file does not know (pods, or leftovers of a killed run). */
  readonly otherNamespaces: readonly string[];
}

export function labStatus(lab: string): LabStatus {
  const state = readState(lab);
  const namespaces = new Set(labNamespaces(lab));
  const nodes = Object.entries(state?.nodes ?? {}).map(([node, n]): NodeStatus => ({
    node,
    role: n.role,
    namespace: n.ns,
    present: namespaces.has(n.ns),
    processes: n.processes.map((p) => ({ ...p, alive: p.start === undefined ? alive(p.pid) : running({ pid: p.pid, start: p.start }) })),
  }));
  const known = new Set(nodes.map((n) => n.namespace));
  return {
    name: lab,
    up: namespaces.size > 0,
    complete: state?.complete ?? false,
    nodes,
    otherNamespaces: [...namespaces].filter((n) => !known.has(n)),
  };
}
