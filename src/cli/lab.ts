// `rackroute lab up|down|status|run FILE.clab.yml`: containerlab topologies in network namespaces, without Docker.
import type { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { loadTopology, type Topology } from '../lab/topology.js';
import { labDown, labStatus, labUp } from '../lab/runner.js';
import { readState } from '../lab/state.js';
import { fabricEstablished, fabricSessions, type FabricSession } from '../lab/fabric.js';
import { podReachability } from '../lab/pods.js';
import { sleep } from '../lab/sh.js';
import { printTable } from './table.js';
import { agentNodes, agentViews, allEstablished, podMatrix } from '../lab/agents.js';
import { formatDuration } from './client-commands.js';

export const DEFAULT_LAB = fileURLToPath(new URL('../../labs/leaf-spine.clab.yml', import.meta.url));

const progress = (line: string): void => console.log(`[lab] ${line}`);

interface NameOpt {
  readonly name?: string;
}

/** The topology of FILE, renamed by --name (as `containerlab deploy --name` does). */
function topologyOf(file: string, opts: NameOpt): Topology {
  const topo = loadTopology(file);
  if (!opts.name) return topo;
  if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(opts.name)) throw new Error(`--name ${opts.name}: lowercase letters, digits and dashes`);
  return { ...topo, name: opts.name };
}

/** down and status take a topology file or a lab name. */
function labNameOf(fileOrName: string, opts: NameOpt): string {
  return opts.name ?? (/\.ya?ml$/.test(fileOrName) ? loadTopology(fileOrName).name : fileOrName);
}

const NAME_HELP = "lab name, instead of the file's";

function agentsAvailable(program: Command): boolean {
  return program.commands.some((c) => c.name() === 'agent');
}

async function showLab(name: string, waitSeconds: number): Promise<boolean> {
  const state = readState(name);
  if (!state) throw new Error(`lab ${name} is not up`);
  progress(`waiting up to ${waitSeconds} s for the fabric's BGP sessions`);
  const deadline = Date.now() + waitSeconds * 1000;
  // Established, and the prefix counts unchanged for two seconds: the fabric has converged.
  const counts = (s: readonly FabricSession[]): string => s.map((x) => `${x.peer}=${x.prefixesReceived}`).join(',');
  let sessions = fabricSessions(state);
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    await sleep(500);
    const next = fabricSessions(state);
    if (counts(next) !== counts(sessions) || !fabricEstablished(next)) stableSince = Date.now();
    sessions = next;
    if (fabricEstablished(sessions) && Date.now() - stableSince >= 2000) break;
  }
  console.log('\nFabric BGP sessions (from vtysh in each router namespace):');
  printTable(['Router', 'Peer', 'Hostname', 'AS', 'State', 'PfxRcd'],
    sessions.map((s) => [s.router, s.peer + (s.dynamic ? ' (dynamic)' : ''), s.hostname ?? '', s.remoteAs, s.state, s.prefixesReceived]));
  const agents = agentNodes(state);
  let views = await agentViews(state);
  if (agents.length > 0) {
    progress(`waiting for the rackroute agents' sessions (${agents.length} nodes)`);
    while (!allEstablished(views) && Date.now() < deadline) {
      await sleep(500);
      views = await agentViews(state);
    }
    await sleep(1000); // routes follow Established within a moment
    views = await agentViews(state);
    console.log('\nrackroute agents (rackroute status on each node):');
    printTable(['Node', 'Peer', 'AS', 'State', 'Up/Down', 'Rcvd', 'Accepted', 'Adv', 'Info'], views.flatMap((v) => v.status
      ? v.status.sessions.map((x) => [v.node, x.peer, x.asn, x.state, formatDuration(x.upDownSeconds), x.received, x.accepted, x.advertised, x.info])
      : [[v.node, '-', '-', 'NO AGENT', '-', '-', '-', '-', v.error ?? '']]));
  }
  const reach = podReachability(state);
  console.log('\nPods reaching their node (ping from each pod namespace to its node\'s underlay address):');
  printTable(['Node', 'Pod', 'Address', 'Node address', 'Reached'], reach.map((r) => [r.node, r.pod, r.podAddress, r.nodeAddress, r.ok ? 'yes' : 'NO']));
  let matrixOk = true;
  if (agents.length > 0) {
    const matrix = podMatrix(state);
    console.log('\nPod to pod across nodes (natively routed through the fabric):');
    printTable(['From', 'To', 'Address', 'Reached'], matrix.map((m) => [m.from, m.to, m.address, m.ok ? 'yes' : 'NO']));
    matrixOk = matrix.every((m) => m.ok);
    console.log(`${matrix.filter((m) => m.ok).length} of ${matrix.length} pod pairs reached`);
  }
  const agentsOk = agents.length === 0 || allEstablished(views);
  return fabricEstablished(sessions) && reach.every((r) => r.ok) && agentsOk && matrixOk;
}

export function registerLab(program: Command): void {
  const lab = program.command('lab').description('run containerlab topologies in network namespaces, without Docker');

  lab.command('up')
    .argument('<file>', 'topology (*.clab.yml)')
    .option('--name <name>', NAME_HELP)
    .description('create the namespaces and links, start the routers and agents, run the exec commands')
    .action(async (file: string, opts: NameOpt) => {
      const topo = topologyOf(file, opts);
      const state = await labUp(topo, { agents: agentsAvailable(program), log: progress });
      progress(`lab ${topo.name} is up: ${Object.keys(state.nodes).length} nodes, ${topo.links.length} links`);
    });

  lab.command('down')
    .argument('<file>', 'topology (*.clab.yml), or the lab name')
    .option('--name <name>', NAME_HELP)
    .description('stop every process and remove every namespace and link of the lab (also after a killed `up`)')
    .action(async (file: string, opts: NameOpt) => {
      const name = labNameOf(file, opts);
      const r = await labDown(name);
      progress(`lab ${name} is down: ${r.processes} processes stopped, ${r.namespaces} namespaces removed`);
    });

  lab.command('status')
    .argument('<file>', 'topology (*.clab.yml), or the lab name')
    .option('-o, --output <format>', 'table or json', 'table')
    .option('--name <name>', NAME_HELP)
    .description('nodes, their processes and whether they are alive')
    .action((file: string, opts: NameOpt & { output: string }) => {
      const name = labNameOf(file, opts);
      const st = labStatus(name);
      if (opts.output === 'json') {
        console.log(JSON.stringify(st, null, 2));
        return;
      }
      console.log(`lab ${st.name}: ${st.up ? (st.complete ? 'up' : 'partly up') : 'down'}`);
      printTable(['Node', 'Role', 'Namespace', 'Present', 'Processes'], st.nodes.map((n) => [n.node, n.role, n.namespace,
        n.present ? 'yes' : 'no', n.processes.map((p) => `${p.name}[${p.pid}]${p.alive ? '' : ' DEAD'}`).join(' ') || '-']));
      if (st.otherNamespaces.length) console.log(`other namespaces of the lab: ${st.otherNamespaces.join(' ')}`);
    });

  lab.command('run')
    .argument('[file]', 'topology (*.clab.yml)', DEFAULT_LAB)
    .option('--keep', 'leave the lab up afterwards')
    .option('--wait <seconds>', 'how long to wait for the fabric', '60')
    .option('--name <name>', NAME_HELP)
    .description('the main job: bring a lab up (leaf-spine by default), show what it did, and tear it down')
    .action(async (file: string, opts: NameOpt & { keep?: boolean; wait: string }) => {
      const topo = topologyOf(file, opts);
      const leftover = await labDown(topo.name);
      if (leftover.namespaces > 0) progress(`removed leftovers of an earlier run (${leftover.namespaces} namespaces)`);
      let ok = false;
      try {
        const t0 = Date.now();
        await labUp(topo, { agents: agentsAvailable(program), log: progress });
        progress(`up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        ok = await showLab(topo.name, Number(opts.wait));
      } finally {
        if (opts.keep) {
          progress(`left up; \`rackroute lab down ${file}\` removes it`);
        } else {
          const r = await labDown(topo.name);
          progress(`torn down: ${r.processes} processes stopped, ${r.namespaces} namespaces removed`);
        }
      }
      if (!ok) throw new Error('the lab did not converge (see the tables above)');
    });
}
