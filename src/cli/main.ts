// The `rackroute` command line. Each subcommand lives in its own module and registers itself here.
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { registerLab } from './lab.js';
import { registerDatapath } from './datapath.js';
import { registerConfig } from './config.js';
import { registerDecode } from './decode.js';
import { registerAgent } from './agent.js';
import { registerClientCommands } from './client-commands.js';

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('rackroute')
    .description('Per-node BGP speaker for underlay networking: announces pod CIDRs to the ToRs, installs the fabric\'s routes with ECMP, falls back to VXLAN/IP-in-IP, and runs an eBPF fast path.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError();
  registerAgent(program);
  registerClientCommands(program);
  registerLab(program);
  registerDatapath(program);
  registerConfig(program);
  registerDecode(program);
  return program;
}

export async function run(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    console.error(`rackroute: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = process.exitCode || 1;
  }
}
