// BPF_PROG_TEST_RUN through bpftool, in a network namespace (bpf_fib_lookup looks in the caller's
// namespace; the device is the ifindex given in the __sk_buff passed as ctx_in).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sh } from './netns.js';

/** struct __sk_buff (192 bytes on 6.x): only the fields test_run accepts are set. */
/** A __sk_buff for BPF_PROG_TEST_RUN; `gso`: a GSO packet of `segs` segments of `size` bytes of payload each. */
export function skbCtx(opts: { ifindex: number; ingressIfindex: number; gso?: { segs: number; size: number } }): Buffer {
  const ctx = Buffer.alloc(192);
  ctx.writeUInt32LE(opts.ingressIfindex, 36);
  ctx.writeUInt32LE(opts.ifindex, 40);
  if (opts.gso) {
    ctx.writeUInt32LE(opts.gso.segs, 164); // gso_segs
    ctx.writeUInt32LE(opts.gso.size, 176); // gso_size
  }
  return ctx;
}

export interface RunResult {
  readonly retval: number;
  readonly out: Buffer;
  readonly durationNs: number;
}

export function progRun(netns: string, progPin: string, pkt: Buffer, ctx: Buffer, repeat = 1): RunResult {
  const dir = mkdtempSync(join(tmpdir(), 'rrbpf-run-'));
  try {
    const files = { in: join(dir, 'in'), out: join(dir, 'out'), ctx: join(dir, 'ctx') };
    writeFileSync(files.in, pkt);
    writeFileSync(files.ctx, ctx);
    const json = sh(['bpftool', '-j', 'prog', 'run', 'pinned', progPin, 'data_in', files.in, 'data_out', files.out,
      'ctx_in', files.ctx, 'repeat', String(repeat)], { netns });
    const r = JSON.parse(json) as { retval: number; duration: number };
    return { retval: r.retval, durationNs: r.duration, out: readFileSync(files.out) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
