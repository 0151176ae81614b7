// The daemons under test for bench:ingest, each in the DUT namespace with its own config, pid and socket files in
// the harness's temp dir, dialling out to the generator, kernel export off, and each with a cheap route count:
//   rackroute  GET /v1/counts on its admin socket (O(1) counters), keep-alive HTTP
//   BIRD 2     `show protocols all gen` on its control socket (the Routes: line), one persistent connection
//   FRR        `show bgp summary json` (pfxRcd) on bgpd's vty socket, as vtysh sends it; zebra runs, bgpd -n
//   GoBGP      `gobgp neighbor ADDR -j` (walks the table: polled every 1 s)
import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile, spawnSync } from 'node:child_process';
import { alive, cpuSeconds, procStatus, sleep, type Harness, type Proc } from './harness.js';
import { AGENT_NODE_OPTIONS } from '../../src/agent/node-options.js';

export interface DutContext {
  readonly h: Harness;
  readonly ns: string;
  /** The DUT's address and AS, and the generator's. */
  readonly local: string;
  readonly localAsn: number;
  readonly peer: string;
  readonly peerAsn: number;
  readonly subnet: string;
}

export interface Dut {
  readonly name: string;
  /** How often the benchmark may poll count(). */
  readonly pollMs: number;
  /** What is measured and how (printed with the results). */
  readonly notes: string;
  start(): Promise<void>;
  /** Routes from the generator in the DUT's RIB; undefined when not answerable right now. */
  count(): Promise<number | undefined>;
  /** CPU seconds used so far by the process(es) doing the work (bgpd for FRR). */
  cpu(): number;
  /** The main process's peak RSS (bytes) and any helper process's. */
  memory(): { peak: number; helpers: Record<string, number> };
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The rackroute command under test (RACKROUTE_BIN: another build, e.g. to compare a change). */
const RACKROUTE_BIN = process.env.RACKROUTE_BIN ?? join(ROOT, 'bin/rackroute.js');

function subdir(h: Harness, name: string): string {
  const d = join(h.dir, name);
  mkdirSync(d, { recursive: true });
  return d;
}

async function waitUntil<T>(what: string, ms: number, f: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function readPid(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- rackroute

export class Rackroute implements Dut {
  readonly name: string;
  readonly pollMs = 20;
  readonly notes = 'agent (node bin/rackroute.js), fib.install false, ebpf off; count: GET /v1/counts (Loc-RIB size, O(1)) minus its own pod CIDR';
  private proc?: Proc;
  private readonly sock: string;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  readonly site: string;
  private readonly own = 1;

  private readonly bin: string;

  constructor(private readonly c: DutContext, extra: {
    listen?: string; dynamicRange?: string; holdTime?: number; peers?: boolean;
    /** Another build of the rackroute command (A/B runs), and the name it is reported under. */
    bin?: string; name?: string;
  } = {}) {
    this.name = extra.name ?? 'rackroute';
    this.bin = extra.bin ?? RACKROUTE_BIN;
    const dir = subdir(c.h, this.name);
    this.sock = join(dir, 'api.sock');
    this.site = join(dir, 'site.yaml');
    const lines = [
      'site: rrbench',
      'defaults:',
      '  asn: ' + c.localAsn,
      `  holdTime: ${extra.holdTime ?? 90}`,
      '  fib: { install: false }',
      '  peer: { import: all, gracefulRestart: false, families: [ipv4-unicast] }',
      'clusterCIDRs: [10.244.0.0/16]',
      'datapath: { ebpf: false }',
      'log: { level: warn }',
      'bgp:',
      extra.listen ? `  listen: { address: ${extra.listen}, port: 179 }` : '  listen: false',
      '  gracefulRestart: { enabled: false }',
      ...(extra.dynamicRange ? [
        '  dynamicNeighbors:',
        `    - { range: ${extra.dynamicRange}, asn: ${c.peerAsn}, import: all, limit: 1000 }`,
      ] : []),
      'racks:',
      '  - name: r1',
      `    subnet: ${c.subnet}`,
      extra.peers === false ? '    peers: []' : `    peers: [{ address: ${c.peer}, asn: ${c.peerAsn} }]`,
      'nodes:',
      `  - { name: dut, rack: r1, address: ${c.local}, podCIDRs: [10.244.1.0/24] }`,
      '',
    ];
    writeFileSync(this.site, lines.join('\n'));
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** The agent's node options plus RACKROUTE_NODE_ARGS (for rackroute-alt: RACKROUTE_ALT_NODE_ARGS when set, to A/B a flag). */
  private nodeArgs(): string[] {
    const alt = this.name === 'rackroute-alt' ? process.env.RACKROUTE_ALT_NODE_ARGS : undefined;
    const extra = (alt ?? process.env.RACKROUTE_NODE_ARGS ?? '').split(' ').filter(Boolean);
    return [...AGENT_NODE_OPTIONS, ...extra];
  }

  get socketPath(): string {
    return this.sock;
  }

  async start(): Promise<void> {
    const check = spawnSync(process.execPath, [this.bin, 'config', 'check', this.site], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`site file rejected: ${check.stdout}${check.stderr}`);
    this.proc = this.c.h.spawn(this.name, this.c.ns,
      [process.execPath, ...this.nodeArgs(), this.bin, 'agent', '--config', this.site, '--node', 'dut', '--socket', this.sock]);
    await waitUntil('the rackroute admin API', 20_000, async () => {
      if (this.proc?.exited) throw new Error(`rackroute exited:\n${this.c.h.tail(this.proc)}`);
      return (await this.get('/v1/counts').catch(() => undefined)) !== undefined ? true : undefined;
    });
  }

  get(path: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req = http.get({ socketPath: this.sock, path, agent: this.agent, timeout: 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (e) {
            reject(e);
          }
        });
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('admin API timeout')));
    });
  }

  async count(): Promise<number | undefined> {
    const r = (await this.get('/v1/counts')) as { prefixes: { ipv4: number } };
    return r.prefixes.ipv4 - this.own;
  }

  memory(): { peak: number; helpers: Record<string, number> } {
    return { peak: procStatus(this.proc!.pid)?.hwm ?? NaN, helpers: {} };
  }

  cpu(): number {
    return this.proc ? cpuSeconds(this.proc.pid) : NaN;
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    if (this.proc) await this.c.h.stop(this.proc, 10_000);
  }
}

// ---------------------------------------------------------------- BIRD 2

/** BIRD's control socket: a greeting, then per command lines `NNNN-...`/` ...` ending with a line `NNNN ...`. */
class BirdControl {
  private socket?: net.Socket;
  private buf = '';
  private pending?: { resolve: (s: string) => void; reject: (e: Error) => void };

  constructor(private readonly path: string) {}

  async connect(): Promise<void> {
    this.socket = net.connect(this.path);
    this.socket.setEncoding('utf8');
    this.socket.on('data', (d: string) => {
      this.buf += d;
      const m = /(^|\n)\d{4} [^\n]*\n/.exec(this.buf);
      if (m && this.pending) {
        const end = m.index + m[0].length;
        const reply = this.buf.slice(0, end);
        this.buf = this.buf.slice(end);
        const p = this.pending;
        this.pending = undefined;
        p.resolve(reply);
      }
    });
    this.socket.on('error', (e) => this.pending?.reject(e));
    await new Promise<string>((resolve, reject) => {
      this.pending = { resolve, reject };
    });
  }

  command(cmd: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket!.write(`${cmd}\n`);
    });
  }

  close(): void {
    this.socket?.destroy();
  }
}

export class Bird implements Dut {
  readonly name = 'BIRD';
  readonly pollMs = 20;
  readonly notes = 'bird -f, no kernel protocol; count: `show protocols all gen` Routes: imported (control socket)';
  private proc?: Proc;
  private ctl?: BirdControl;
  private readonly dir: string;

  constructor(private readonly c: DutContext) {
    this.dir = subdir(c.h, 'bird');
    writeFileSync(join(this.dir, 'bird.conf'), [
      `log "${join(this.dir, 'bird-daemon.log')}" { warning, error, fatal };`,
      `router id ${c.local};`,
      'protocol device { scan time 10; }',
      'protocol bgp gen {',
      `  local ${c.local} as ${c.localAsn};`,
      `  neighbor ${c.peer} as ${c.peerAsn};`,
      '  hold time 90;',
      '  start delay time 1;',
      '  connect retry time 1;',
      '  error wait time 1, 10;',
      '  ipv4 { import all; export none; };',
      '}',
      '',
    ].join('\n'));
  }

  async start(): Promise<void> {
    const sock = join(this.dir, 'bird.ctl');
    this.proc = this.c.h.spawn('bird', this.c.ns, ['bird', '-f', '-c', join(this.dir, 'bird.conf'), '-s', sock, '-P', join(this.dir, 'bird.pid')]);
    await waitUntil('the BIRD control socket', 10_000, async () => {
      if (this.proc?.exited) throw new Error(`bird exited:\n${this.c.h.tail(this.proc)}`);
      const ctl = new BirdControl(sock);
      try {
        await ctl.connect();
        this.ctl = ctl;
        return true;
      } catch {
        ctl.close();
        return undefined;
      }
    });
  }

  async count(): Promise<number | undefined> {
    const r = await this.ctl!.command('show protocols all gen');
    const m = /Routes:\s+(\d+) imported/.exec(r);
    return m ? Number(m[1]) : 0;
  }

  memory(): { peak: number; helpers: Record<string, number> } {
    return { peak: procStatus(this.proc!.pid)?.hwm ?? NaN, helpers: {} };
  }

  cpu(): number {
    return this.proc ? cpuSeconds(this.proc.pid) : NaN;
  }

  async stop(): Promise<void> {
    this.ctl?.close();
    if (this.proc) await this.c.h.stop(this.proc);
  }
}

// ---------------------------------------------------------------- FRR

/** A daemon's vty socket as vtysh uses it: the command and a NUL; the answer ends with three NULs and a status. */
class Vty {
  private socket?: net.Socket;
  private chunks: Buffer[] = [];
  private pending?: { resolve: (s: string) => void; reject: (e: Error) => void };

  constructor(private readonly path: string) {}

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket = net.connect(this.path, () => resolve());
      this.socket.on('error', (e) => {
        reject(e);
        this.pending?.reject(e);
      });
      this.socket.on('data', (d: Buffer) => {
        this.chunks.push(d);
        const all = Buffer.concat(this.chunks);
        const n = all.length;
        if (n >= 4 && all[n - 4] === 0 && all[n - 3] === 0 && all[n - 2] === 0 && this.pending) {
          this.chunks = [];
          const p = this.pending;
          this.pending = undefined;
          p.resolve(all.subarray(0, n - 4).toString('utf8'));
        } else this.chunks = [all];
      });
    });
  }

  command(cmd: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket!.write(Buffer.concat([Buffer.from(cmd, 'utf8'), Buffer.from([0])]));
    });
  }

  close(): void {
    this.socket?.destroy();
  }
}

function frrIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('frr:'));
  if (!line) throw new Error('the frr user is missing (is the frr package installed?)');
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

export class Frr implements Dut {
  readonly name = 'FRR';
  readonly pollMs = 50;
  readonly notes = 'zebra + bgpd -n (no kernel install), as user frr; count: `show bgp summary json` pfxRcd (vty socket); peak RSS is bgpd\'s (zebra\'s shown apart)';
  private zebra?: Proc;
  private bgpd?: Proc;
  private vty?: Vty;
  private readonly dir: string;

  constructor(private readonly c: DutContext) {
    this.dir = subdir(c.h, 'frr');
    const { uid, gid } = frrIds();
    chownSync(this.dir, uid, gid);
    const conf = join(this.dir, 'bgpd.conf');
    writeFileSync(conf, [
      'frr defaults traditional',
      'hostname rrbench-dut',
      'router bgp ' + c.localAsn,
      ` bgp router-id ${c.local}`,
      ' no bgp ebgp-requires-policy',
      ' no bgp network import-check',
      ` neighbor ${c.peer} remote-as ${c.peerAsn}`,
      ` neighbor ${c.peer} timers 30 90`,
      ` neighbor ${c.peer} timers connect 1`,
      '!',
      '',
    ].join('\n'));
    chownSync(conf, uid, gid);
    const empty = join(this.dir, 'zebra.conf');
    writeFileSync(empty, '');
    chownSync(empty, uid, gid);
  }

  private common(d: string): string[] {
    return ['-u', 'frr', '-g', 'frr', '-i', join(this.dir, `${d}.pid`), '-z', join(this.dir, 'zserv.api'),
      '--vty_socket', this.dir, '-A', '127.0.0.1', '-P', '0', '--log', `file:${join(this.dir, `${d}-daemon.log`)}`, '--log-level', 'warnings'];
  }

  async start(): Promise<void> {
    this.zebra = this.c.h.spawn('zebra', this.c.ns, ['/usr/lib/frr/zebra', '-f', join(this.dir, 'zebra.conf'), ...this.common('zebra')]);
    await waitUntil('zebra', 10_000, () => {
      if (this.zebra?.exited) throw new Error(`zebra exited:\n${this.c.h.tail(this.zebra)}`);
      return readPid(join(this.dir, 'zebra.pid')) && alive(this.zebra!.pid) ? true : undefined;
    });
    await sleep(300);
    this.bgpd = this.c.h.spawn('bgpd', this.c.ns, ['/usr/lib/frr/bgpd', '-n', '-f', join(this.dir, 'bgpd.conf'), ...this.common('bgpd')]);
    await waitUntil('the bgpd vty socket', 10_000, async () => {
      if (this.bgpd?.exited) throw new Error(`bgpd exited:\n${this.c.h.tail(this.bgpd)}`);
      const v = new Vty(join(this.dir, 'bgpd.vty'));
      try {
        await v.connect();
        this.vty = v;
        return true;
      } catch {
        v.close();
        return undefined;
      }
    });
  }

  async count(): Promise<number | undefined> {
    const text = await this.vty!.command('show bgp summary json');
    try {
      const j = JSON.parse(text) as { ipv4Unicast?: { peers?: Record<string, { pfxRcd?: number }> } };
      return j.ipv4Unicast?.peers?.[this.c.peer]?.pfxRcd ?? 0;
    } catch {
      return undefined;
    }
  }

  memory(): { peak: number; helpers: Record<string, number> } {
    return { peak: procStatus(this.bgpd!.pid)?.hwm ?? NaN, helpers: { zebra: procStatus(this.zebra!.pid)?.hwm ?? NaN } };
  }

  cpu(): number {
    return this.bgpd && this.zebra ? cpuSeconds(this.bgpd.pid) + cpuSeconds(this.zebra.pid) : NaN;
  }

  async stop(): Promise<void> {
    this.vty?.close();
    if (this.bgpd) await this.c.h.stop(this.bgpd);
    if (this.zebra) await this.c.h.stop(this.zebra);
  }
}

// ---------------------------------------------------------------- GoBGP

export class GoBgp implements Dut {
  readonly name = 'GoBGP';
  readonly pollMs = 1000;
  readonly notes = 'gobgpd without zebra; count: `gobgp neighbor ADDR -j` accepted (walks the table: polled every 1 s)';
  private proc?: Proc;
  private readonly dir: string;

  constructor(private readonly c: DutContext) {
    this.dir = subdir(c.h, 'gobgp');
    writeFileSync(join(this.dir, 'gobgpd.toml'), [
      '[global.config]',
      `  as = ${c.localAsn}`,
      `  router-id = "${c.local}"`,
      '[[neighbors]]',
      '  [neighbors.config]',
      `    neighbor-address = "${c.peer}"`,
      `    peer-as = ${c.peerAsn}`,
      '  [neighbors.timers.config]',
      '    connect-retry = 1',
      '    hold-time = 90',
      '    keepalive-interval = 30',
      '  [[neighbors.afi-safis]]',
      '    [neighbors.afi-safis.config]',
      '      afi-safi-name = "ipv4-unicast"',
      '',
    ].join('\n'));
  }

  async start(): Promise<void> {
    this.proc = this.c.h.spawn('gobgpd', this.c.ns, ['gobgpd', '-f', join(this.dir, 'gobgpd.toml'), '-t', 'toml', '-p',
      '-l', 'warn', '--api-hosts', '127.0.0.1:50051', '--pprof-disable']);
    await waitUntil('the gobgpd API', 10_000, () => {
      if (this.proc?.exited) throw new Error(`gobgpd exited:\n${this.c.h.tail(this.proc)}`);
      const r = spawnSync('nsenter', [`--net=/run/netns/${this.c.ns}`, 'gobgp', 'global'], { encoding: 'utf8' });
      return r.status === 0 ? true : undefined;
    });
  }

  async count(): Promise<number | undefined> {
    const r = await spawnAsync(['nsenter', `--net=/run/netns/${this.c.ns}`, 'gobgp', 'neighbor', this.c.peer, '-j']).catch(() => '');
    try {
      const j = JSON.parse(r) as { afi_safis?: Array<{ state?: { accepted?: number; received?: number } }> };
      const s = j.afi_safis?.[0]?.state;
      return s?.accepted ?? s?.received ?? 0;
    } catch {
      return undefined;
    }
  }

  memory(): { peak: number; helpers: Record<string, number> } {
    return { peak: procStatus(this.proc!.pid)?.hwm ?? NaN, helpers: {} };
  }

  cpu(): number {
    return this.proc ? cpuSeconds(this.proc.pid) : NaN;
  }

  async stop(): Promise<void> {
    if (this.proc) await this.c.h.stop(this.proc);
  }
}

function spawnAsync(argv: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 20_000, maxBuffer: 16 << 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}
