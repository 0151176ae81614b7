// The forwarding rate of the node between two pods (bench:datapath): how many packets per second the node's
// forwarding (the kernel's own, or rr_ingress) carries from pod A's veth to pod B's when the traffic source and
// sink cost almost nothing, as a router benchmark measures it (RFC 2544 throughput, minimum-size frames).
//
// Pod A's side is the kernel's traffic generator mode: bpf/rr_bench.c's rr_bench_gen run by bpf/tools/rr_fwd_rate
// through BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES, sending one 60-byte UDP frame out of pod A's eth0 as
// fast as the node takes it. Pod B's side is rr_bench_sink at tc ingress of its eth0, counting and dropping. The
// generator, the node's forwarding and the sink run on one CPU (the veth NAPI poll runs where the frames were sent),
// so the rate is 1 / (generator + forwarding + sink) per packet, and forwarding is most of it.
//
// XDP frames need NAPI on the receiving veth (lxca): GRO is switched on there for the measurement and back off
// after, so the iperf3 rounds see the veths as before.
import { join } from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { DEFAULT_BUILD_DIR } from '../../src/dataplane/ebpf/loader.js';
import type { TwoPods } from '../../test/bpf/helpers/topo.js';

const TOOL = join(DEFAULT_BUILD_DIR, 'rr_fwd_rate');
const OBJ = join(DEFAULT_BUILD_DIR, 'rr_bench.o');

export interface RateSample {
  /** Frames the generator sent out of pod A (more than `forwarded` when frames are lost on the way). */
  readonly sent: number;
  /** Frames counted at pod B's sink. */
  readonly forwarded: number;
  readonly seconds: number;
  /** Forwarded frames per second, thousands. */
  readonly kpps: number;
}

export class ForwardingRate {
  private readonly dir = mkdtempSync(join(tmpdir(), 'rrbpf-fwdrate-'));
  private readonly pin: string;
  private readonly frameFile = join(this.dir, 'frame');

  /** frame: 60 bytes, pod A -> pod B, addressed to lxca's MAC. pinDir: a bpffs directory for the sink's counter. */
  constructor(private readonly topo: TwoPods, frame: Buffer, pinDir: string) {
    if (frame.length !== 60) throw new Error(`the forwarding-rate frame must be 60 bytes, not ${frame.length}`);
    writeFileSync(this.frameFile, frame);
    this.pin = join(pinDir, 'rr_bench_count');
  }

  private count(): number {
    return Number(this.topo.node.run([TOOL, 'count', this.pin]).trim());
  }

  measure(seconds: number): RateSample {
    // The sink drops everything pod B receives: attached for the measurement only.
    rmSync(this.pin, { force: true });
    this.topo.podB.run([TOOL, 'sink', OBJ, 'eth0', this.pin]);
    this.topo.node.run(['ethtool', '-K', 'lxca', 'gro', 'on']);
    try {
      const out = JSON.parse(this.topo.podA.run([TOOL, 'gen', OBJ, 'eth0', this.frameFile, String(seconds)])) as { runs: number; seconds: number };
      const forwarded = this.count();
      return { sent: out.runs, forwarded, seconds: out.seconds, kpps: forwarded / out.seconds / 1e3 };
    } finally {
      this.topo.node.run(['ethtool', '-K', 'lxca', 'gro', 'off']);
      this.topo.podB.run(['tc', 'qdisc', 'del', 'dev', 'eth0', 'clsact']);
      rmSync(this.pin, { force: true });
    }
  }

  close(): void {
    rmSync(this.pin, { force: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
