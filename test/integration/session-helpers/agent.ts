// A small agent of ours for the real-peer tests, run inside a network namespace with
//   nsenter --net=/run/netns/NS node --import tsx agent.ts '<config JSON>'
// (node cannot setns itself). It runs PeerSessions (and optionally a BgpListener) and prints one JSON line per
// hook call or state change; it reads commands as JSON lines on stdin:
//   {"cmd":"start"}  {"cmd":"stop","peer":"A","message":"..."}  {"cmd":"status","peer":"A"}  {"cmd":"exit"}

import { createInterface } from 'node:readline';
import { BgpListener, type ListenRange } from '../../../src/bgp/session/listener.js';
import { PeerSession } from '../../../src/bgp/session/session.js';
import type { SessionHooks, SessionPeerConfig, SessionTimers } from '../../../src/bgp/session/types.js';

export interface AgentConfig {
  readonly local: { readonly asn: number; readonly routerId: string; readonly hostname?: string };
  readonly peers: readonly SessionPeerConfig[];
  readonly listen?: { readonly address: string | null; readonly port: number; readonly ranges?: readonly ListenRange[] };
  readonly timers?: SessionTimers;
  readonly gracefulRestart?: { readonly restartTime: number };
  /** Start the sessions at once (else wait for {"cmd":"start"}). */
  readonly autostart?: boolean;
}

const config = JSON.parse(process.argv[2] ?? '{}') as AgentConfig;
const print = (o: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ t: Date.now(), ...o })}\n`);
};

const hooks: SessionHooks = {
  established: (s, n) => print({
    ev: 'established', peer: s.address, negotiated: n,
    sent: s.status().capabilities.sent, received: s.status().capabilities.received,
  }),
  down: (s, info) => print({ ev: 'down', peer: s.address, ...info }),
  update: (s, m) => print({ ev: 'update', peer: s.address, length: m.length }),
  routeRefresh: (s, afi, safi, subtype) => print({ ev: 'refresh', peer: s.address, afi, safi, subtype }),
  stateChange: (s, from, to, reason) => print({ ev: 'state', peer: s.address, from, to, reason }),
};

const sessions = new Map<string, PeerSession>();
const make = (peer: SessionPeerConfig, dynamic: boolean): PeerSession => new PeerSession({
  peer, local: config.local, hooks, dynamic,
  ...(config.timers !== undefined ? { timers: config.timers } : {}),
  ...(config.gracefulRestart !== undefined ? { gracefulRestart: config.gracefulRestart } : {}),
});
for (const p of config.peers) sessions.set(p.address, make(p, false));

let listener: BgpListener | null = null;
async function startAll(): Promise<void> {
  if (config.listen !== undefined && listener === null) {
    listener = new BgpListener({
      address: config.listen.address, port: config.listen.port, ranges: config.listen.ranges ?? [],
      sessionFor: (a) => sessions.get(a), sessions: () => sessions.values(),
      createDynamic: (address, r) => {
        const s = make({ ...r, address }, true);
        sessions.set(address, s);
        s.onGone(() => { if (sessions.get(address) === s) sessions.delete(address); });
        print({ ev: 'dynamic', peer: address, range: r.range });
        return s;
      },
    });
    try {
      const a = await listener.listen();
      print({ ev: 'listening', ...a });
    } catch (e) {
      print({ ev: 'listen-error', code: (e as { code?: string }).code, message: (e as Error).message });
      listener = null;
    }
  }
  for (const s of sessions.values()) if (!s.dynamic) s.start();
}

async function command(line: string): Promise<void> {
  const c = JSON.parse(line) as { cmd: string; peer?: string; message?: string; silent?: boolean };
  const s = c.peer === undefined ? undefined : sessions.get(c.peer);
  switch (c.cmd) {
    case 'start':
      await startAll();
      return;
    case 'stop':
      await s?.stop({ ...(c.message !== undefined ? { message: c.message } : {}), ...(c.silent ? { silent: true } : {}) });
      print({ ev: 'stopped', peer: c.peer });
      return;
    case 'status':
      print({ ev: 'status', peer: c.peer, status: s?.status() ?? null, listener: listener?.counters ?? null });
      return;
    case 'exit':
      await Promise.all([...sessions.values()].map((x) => x.stop({ silent: true })));
      await listener?.close();
      process.exit(0);
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  command(line).catch((e: Error) => print({ ev: 'error', message: e.message }));
}).on('close', () => process.exit(0));
print({ ev: 'ready', pid: process.pid });
if (config.autostart === true) void startAll();
