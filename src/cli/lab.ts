// `rackroute lab up|down|status FILE.clab.yml`: containerlab topologies in network namespaces, without Docker.
import type { Command } from 'commander';

export function registerLab(program: Command): void {
  program.command('lab').description('run containerlab topologies in network namespaces (up|down|status)');
}
