// Network namespaces for the BPF tests and the bench: created with a unique rrbpf- name, commands run in
// them through nsenter (network namespace only: /sys/fs/bpf pins stay visible), always deleted.
import { execFileSync } from 'node:child_process';

export function sh(argv: string[], opts: { netns?: string; allowFail?: boolean } = {}): string {
  const full = opts.netns ? ['nsenter', `--net=/run/netns/${opts.netns}`, '--', ...argv] : argv;
  try {
    return execFileSync(full[0], full.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    if (opts.allowFail) return '';
    const e = err as { stderr?: string; stdout?: string };
    throw new Error(`${full.join(' ')}: ${e.stderr ?? ''}${e.stdout ?? ''}`, { cause: err });
  }
}

/** Run a batch of `ip`-style lines inside a namespace, one command each. */
export function shLines(netns: string, lines: string): void {
  for (const line of lines.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))) {
    sh(line.split(/\s+/), { netns });
  }
}

export class Netns {
  private static seq = 0;
  readonly name: string;

  constructor(tag: string) {
    this.name = `rrbpf-${tag}${process.pid % 100000}${Netns.seq++}`;
    sh(['ip', 'netns', 'add', this.name]);
    sh(['ip', 'link', 'set', 'lo', 'up'], { netns: this.name });
    // No duplicate address detection: link-local addresses usable at once (neighbour discovery needs them).
    sh(['sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0'], { netns: this.name });
  }

  run(argv: string[]): string {
    return sh(argv, { netns: this.name });
  }

  lines(text: string): void {
    shLines(this.name, text);
  }

  ifindex(dev: string): number {
    const [link] = JSON.parse(this.run(['ip', '-j', 'link', 'show', 'dev', dev])) as { ifindex: number }[];
    return link.ifindex;
  }

  mac(dev: string): string {
    const [link] = JSON.parse(this.run(['ip', '-j', 'link', 'show', 'dev', dev])) as { address: string }[];
    return link.address;
  }

  delete(): void {
    sh(['ip', 'netns', 'del', this.name], { allowFail: true });
  }
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export function ensureBpffs(): void {
  const mounts = sh(['cat', '/proc/self/mounts']);
  if (!/^\S+ \/sys\/fs\/bpf bpf /m.test(mounts)) sh(['mount', '-t', 'bpf', 'bpf', '/sys/fs/bpf']);
}
