// `rackroute agent`: run the speaker for one node.
import type { Command } from 'commander';
import { Agent, type ShutdownMode } from '../agent/agent.js';
import { ConfigError, formatIssue, NodeNotFoundError } from '../config/index.js';

export function registerAgent(program: Command): void {
  program.command('agent')
    .description('run the BGP speaker of one node (SIGHUP or a change of the file reloads; SIGTERM stops)')
    .requiredOption('--config <file>', 'the site file')
    .option('--node <name>', 'this node\'s name in the site file (default: the hostname)')
    .option('--socket <path>', 'admin API socket (default: the site file\'s api.socket, else /run/rackroute/rackroute.sock)')
    .option('--shutdown-mode <mode>', 'what SIGTERM does: restart (keep routes, no Cease: peers keep forwarding under graceful restart) or withdraw (withdraw, wait, then Cease)', 'restart')
    .option('--no-watch', 'do not watch the site file for changes (SIGHUP still reloads)')
    .action(async (opts: { config: string; node?: string; socket?: string; shutdownMode: string; watch: boolean }) => {
      if (opts.shutdownMode !== 'restart' && opts.shutdownMode !== 'withdraw') {
        throw new Error(`--shutdown-mode ${opts.shutdownMode}: expected restart or withdraw`);
      }
      let agent: Agent;
      try {
        agent = new Agent({ configPath: opts.config, nodeName: opts.node, socketPath: opts.socket, shutdownMode: opts.shutdownMode as ShutdownMode, watch: opts.watch });
      } catch (e) {
        if (e instanceof ConfigError) {
          for (const i of e.errors) console.error(formatIssue(i));
          throw new Error(`${opts.config}: ${e.errors.length} error(s); not starting`);
        }
        if (e instanceof NodeNotFoundError) throw new Error(e.message);
        throw e;
      }
      await agent.start();
      // Runs until a signal stops it.
      await new Promise<never>(() => undefined);
    });
}
