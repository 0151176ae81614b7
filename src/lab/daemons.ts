// Starting the processes of a node inside its namespace: FRR daemons as its `daemons` file says, BIRD, and the
// rackroute agent. Each returns the processes it started so `down` can stop them by PID.
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bindFor, type LabNode } from './topology.js';
import { inNamespace, run, waitFor, type RunOptions } from './sh.js';
import type { NodeState, ProcessRecord } from './state.js';
import { AGENT_NODE_OPTIONS } from '../agent/node-options.js';

const FRR_BIN = '/usr/lib/frr';
/** Start order: zebra first (the others connect to it), then the rest. */
const FRR_DAEMONS = ['zebra', 'staticd', 'bgpd', 'bfdd', 'ospfd', 'ospf6d', 'isisd', 'ripd', 'ripngd', 'pimd', 'vrrpd'];

/** Daemons switched on in an FRR `daemons` file (`bgpd=yes`); zebra always runs. */
export function frrDaemons(daemonsFile: string): string[] {
  const on = new Set(['zebra']);
  for (const line of daemonsFile.split('\n')) {
    const m = /^\s*([a-z0-9]+d)\s*=\s*yes\b/.exec(line);
    if (m) on.add(m[1]);
  }
  return FRR_DAEMONS.filter((d) => on.has(d));
}

function frrUser(): { uid: number; gid: number } {
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('frr:'));
  if (!passwd) throw new Error('the `frr` user is missing: is the Debian frr package installed? (npm run lab installs it)');
  const f = passwd.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** FRR refuses to run as root here: every daemon runs as `frr`, with its sockets and pid files in `dir`. */
export async function startFrr(node: LabNode, state: NodeState, record: (p: ProcessRecord) => void): Promise<void> {
  const dir = join(state.dir, 'frr');
  mkdirSync(dir, { recursive: true });
  const { uid, gid } = frrUser();
  chownSync(dir, uid, gid);
  const empty = join(dir, 'empty.conf');
  writeFileSync(empty, '');
  chownSync(empty, uid, gid);
  const daemons = frrDaemons(readFileSync(bindFor(node, '/etc/frr/daemons') as string, 'utf8'));
  for (const d of daemons) {
    const args = ['-d', '-u', 'frr', '-g', 'frr', '-f', empty, '-i', join(dir, `${d}.pid`), '-z', join(dir, 'zserv.api'),
      '--vty_socket', dir, '-P', '0', '--log', `file:${join(dir, `${d}.log`)}`];
    if (d === 'bfdd') args.push('--bfdctl', join(dir, 'bfdd.sock'));
    run(join(FRR_BIN, d), args, { ns: state.ns, hostname: node.name });
    const pid = await waitFor(`${node.name}: ${d} to write its pid file`, 10_000, () => readPid(join(dir, `${d}.pid`)));
    await waitFor(`${node.name}: ${d} vty socket`, 10_000, () => (existsSync(join(dir, `${d}.vty`)) ? true : undefined));
    record({ name: d, pid });
  }
  state.control = dir;
  // The bound frr.conf is an integrated configuration: vtysh hands each daemon its part.
  run('vtysh', ['--vty_socket', dir, '-f', bindFor(node, '/etc/frr/frr.conf') as string], { ns: state.ns });
}

export function vtysh(state: NodeState, command: string, opts: RunOptions = {}): string {
  return run('vtysh', ['--vty_socket', state.control as string, '-c', command], { ns: state.ns, timeoutMs: 15_000, ...opts });
}

export async function startBird(node: LabNode, state: NodeState, record: (p: ProcessRecord) => void): Promise<void> {
  const ctl = join(state.dir, 'bird.ctl');
  const pidFile = join(state.dir, 'bird.pid');
  run('bird', ['-c', bindFor(node, '/etc/bird/bird.conf') as string, '-s', ctl, '-P', pidFile], { ns: state.ns, hostname: node.name });
  record({ name: 'bird', pid: await waitFor(`${node.name}: bird pid file`, 10_000, () => readPid(pidFile)) });
  state.control = ctl;
}

const CLI = fileURLToPath(new URL('../../bin/rackroute.js', import.meta.url));

/** The agent for a rackroute-image node: its bound site file, its own admin socket, its log in the node dir. */
export function startAgent(node: LabNode, state: NodeState, record: (p: ProcessRecord) => void): void {
  const socket = join(state.dir, 'rackroute.sock');
  const log = openSync(join(state.dir, 'rackroute.log'), 'a');
  const [cmd, ...args] = inNamespace(state.ns, [process.execPath, ...AGENT_NODE_OPTIONS, CLI, 'agent',
    '--config', bindFor(node, '/etc/rackroute/site.yaml') as string, '--node', node.name, '--socket', socket], node.name);
  const child = spawn(cmd, args, {
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new Error(`${node.name}: could not start the rackroute agent`);
  record({ name: 'rackroute', pid: child.pid });
  state.control = socket;
}
