// Running the tools the loader drives (tc, ip, bpftool, bpf/build/rr_load), optionally inside a network
// namespace. `nsenter --net` rather than `ip netns exec`: it switches only the network namespace, so the
// pinned objects under /sys/fs/bpf stay visible to the command.
import { execFile } from 'node:child_process';

export class CommandFailedError extends Error {
  override readonly name = 'CommandFailedError';
  constructor(readonly argv: readonly string[], readonly code: number | null, readonly stderr: string, options?: { cause?: unknown }) {
    super(`${argv.join(' ')} failed (exit ${code ?? 'signal'}): ${stderr.trim() || 'no output'}`, options);
  }
}

export interface Exec {
  /** Runs argv[0] with the rest as arguments; resolves with stdout, rejects with CommandFailedError. */
  run(argv: readonly string[]): Promise<string>;
}

export function hostExec(netns?: string): Exec {
  const prefix = netns ? ['nsenter', `--net=/run/netns/${netns}`, '--'] : [];
  return {
    run(argv) {
      const full = [...prefix, ...argv];
      return new Promise((resolve, reject) => {
        execFile(full[0], full.slice(1), { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
          if (err) {
            const code = typeof err.code === 'number' ? err.code : null;
            reject(new CommandFailedError(full, code, String(stderr), { cause: err }));
          } else {
            resolve(String(stdout));
          }
        });
      });
    },
  };
}
