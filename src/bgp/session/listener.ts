// BgpListener: the optional passive side. It listens on one address and port, puts the MD5 keys of configured
// peers and listen ranges on the listening socket, and routes each accepted connection to the PeerSession of
// its source address, to a dynamic PeerSession made for a matching listen range, or closes it.

import net from 'node:net';
import { readFileSync } from 'node:fs';
import { parseAddress, parsePrefix, prefixContains, type IpPrefix } from '../../config/ip.js';
import type { PeerAsnSpec } from '../fsm/index.js';
import type { Logger } from '../../util/log.js';
import type { PeerSession } from './session.js';
import { familyOf, setAcceptedOptions, setListenerMd5 } from './socket.js';
import type { SessionPeerConfig } from './types.js';

/** A listen range (config's DynamicNeighborConfig fits): who may connect, with which AS, how many at once. */
export interface ListenRange extends Omit<SessionPeerConfig, 'address' | 'asn'> {
  readonly range: string;
  readonly asn: PeerAsnSpec;
  readonly limit: number;
}

export interface BgpListenerOptions {
  /** null: every address (dual-stack `::`). */
  readonly address: string | null;
  readonly port: number;
  readonly logger?: Logger;
  /** The configured session for a source address (canonical text), if any. */
  readonly sessionFor: (address: string) => PeerSession | undefined;
  /** Configured sessions, for their MD5 keys on the listening socket. */
  readonly sessions?: () => Iterable<PeerSession>;
  readonly ranges?: readonly ListenRange[];
  /** Makes (and remembers) a dynamic session for a source in a range; null refuses the connection. */
  readonly createDynamic?: (address: string, range: ListenRange) => PeerSession | null;
  readonly readKey?: (file: string) => Buffer;
}

export class ListenError extends Error {
  override readonly name = 'ListenError';
  constructor(readonly code: string, readonly address: string, readonly port: number, options?: { cause?: unknown }) {
    super(`cannot listen for BGP on ${address.includes(':') ? `[${address}]` : address}:${port}: ${ListenError.explain(code)}`, options);
  }

  private static explain(code: string): string {
    switch (code) {
      case 'EADDRINUSE':
        return 'the port is in use (another BGP daemon on this host?); run with listening off (bgp.listen: null) and dial out only';
      case 'EACCES':
        return 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)';
      case 'EADDRNOTAVAIL':
        return 'the address is not configured on this host';
      default:
        return code;
    }
  }
}

export interface ListenerCounters {
  accepted: number;
  /** Sources that match neither a peer nor a range. */
  rejected: number;
  /** Refused by a session (administratively down, collision already in progress) or a full range. */
  refused: number;
}

function canonical(remote: string | undefined): string {
  if (remote === undefined) return '';
  const plain = remote.startsWith('::ffff:') && remote.includes('.') ? remote.slice(7) : remote;
  const parsed = parseAddress(plain);
  if (parsed === undefined) return plain;
  return net.isIPv6(plain) ? plain.toLowerCase() : plain;
}

function defaultReadKey(file: string): Buffer {
  return Buffer.from(readFileSync(file, 'utf8').replace(/\r?\n$/, ''), 'utf8');
}

export class BgpListener {
  readonly counters: ListenerCounters = { accepted: 0, rejected: 0, refused: 0 };
  private server: net.Server | null = null;
  private readonly ranges: { readonly range: ListenRange; readonly prefix: IpPrefix }[];
  private readonly dynamic = new Map<string, { session: PeerSession; range: ListenRange }>();
  private readonly keys = new Map<string, { family: 4 | 6; address: string; prefixLength: number }>();

  constructor(private readonly options: BgpListenerOptions) {
    this.ranges = (options.ranges ?? []).map((range) => {
      const p = parsePrefix(range.range);
      if (!p.ok) throw new Error(`listen range ${range.range} is not a prefix`);
      return { range, prefix: p.value };
    });
  }

  /** Starts listening; a busy port or a missing permission rejects with a ListenError (the agent carries on). */
  async listen(): Promise<{ address: string; port: number }> {
    const host = this.options.address ?? '::';
    const server = net.createServer({ pauseOnConnect: false }, (socket) => this.onConnection(socket));
    await new Promise<void>((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException): void => {
        server.close();
        reject(new ListenError(e.code ?? e.message, host, this.options.port, { cause: e }));
      };
      server.once('error', onError);
      server.listen({ host, port: this.options.port, ipv6Only: false }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (e) => this.options.logger?.error('listener error', { error: e.message }));
    this.server = server;
    this.updateKeys();
    const a = server.address() as net.AddressInfo;
    this.options.logger?.info('listening for BGP', { address: a.address, port: a.port });
    return { address: a.address, port: a.port };
  }

  get listening(): boolean {
    return this.server !== null;
  }

  /** Puts the MD5 keys of the configured peers and ranges on the listening socket (again after a reload). */
  updateKeys(): void {
    const server = this.server;
    if (server === null) return;
    const serverFamily: 4 | 6 = familyOf((server.address() as net.AddressInfo).address);
    const wanted = new Map<string, { family: 4 | 6; address: string; prefixLength: number; key: Buffer }>();
    const add = (address: string, prefixLength: number, key: Buffer): void => {
      const fam = familyOf(address);
      // On a dual-stack socket an IPv4 peer's key is set for its IPv4-mapped address.
      const target = serverFamily === 6 && fam === 4
        ? { family: 6 as const, address: `::ffff:${address}`, prefixLength: prefixLength < 0 ? -1 : prefixLength + 96 }
        : { family: fam, address, prefixLength };
      wanted.set(`${target.address}/${target.prefixLength}`, { ...target, key });
    };
    for (const s of this.options.sessions?.() ?? []) {
      try {
        const key = s.md5Key();
        if (key !== undefined) add(s.address, -1, key);
      } catch (e) {
        this.options.logger?.error('cannot read the MD5 key', { peer: s.address, error: (e as Error).message });
      }
    }
    for (const { range, prefix } of this.ranges) {
      if (range.passwordFile === null) continue;
      try {
        add(range.range.split('/')[0] as string, prefix.length, (this.options.readKey ?? defaultReadKey)(range.passwordFile));
      } catch (e) {
        this.options.logger?.error('cannot read the MD5 key', { range: range.range, error: (e as Error).message });
      }
    }
    for (const [k, old] of this.keys) {
      if (wanted.has(k)) continue;
      setListenerMd5(server, old.family, old.address, Buffer.alloc(0), old.prefixLength);
      this.keys.delete(k);
    }
    for (const [k, w] of wanted) {
      setListenerMd5(server, w.family, w.address, w.key, w.prefixLength);
      this.keys.set(k, { family: w.family, address: w.address, prefixLength: w.prefixLength });
    }
  }

  /** The dynamic sessions alive now. */
  dynamicSessions(): PeerSession[] {
    return [...this.dynamic.values()].map((d) => d.session);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Routes one accepted connection. Public for tests that hand in sockets. */
  onConnection(socket: net.Socket): void {
    socket.on('error', () => undefined);
    const remote = canonical(socket.remoteAddress);
    const log = this.options.logger;
    const configured = this.options.sessionFor(remote);
    if (configured !== undefined) {
      this.counters.accepted++;
      this.applyTtl(socket, configured);
      if (!configured.accept(socket)) this.counters.refused++;
      return;
    }
    const known = this.dynamic.get(remote);
    if (known !== undefined) {
      this.counters.accepted++;
      this.applyTtl(socket, known.session);
      if (!known.session.accept(socket)) this.counters.refused++;
      return;
    }
    const addr = parseAddress(remote);
    const match = addr === undefined ? undefined : this.ranges.find((r) => prefixContains(r.prefix, addr));
    if (match === undefined || this.options.createDynamic === undefined) {
      this.counters.rejected++;
      log?.info('connection from an unknown source closed', { remote, remotePort: socket.remotePort });
      socket.destroy();
      return;
    }
    const inRange = [...this.dynamic.values()].filter((d) => d.range === match.range).length;
    if (inRange >= match.range.limit) {
      this.counters.refused++;
      log?.warn('listen range full', { range: match.range.range, limit: match.range.limit, remote });
      socket.destroy();
      return;
    }
    const session = this.options.createDynamic(remote, match.range);
    if (session === null) {
      this.counters.refused++;
      socket.destroy();
      return;
    }
    this.counters.accepted++;
    this.dynamic.set(remote, { session, range: match.range });
    session.onGone(() => {
      if (this.dynamic.get(remote)?.session === session) this.dynamic.delete(remote);
    });
    log?.info('dynamic neighbor', { remote, range: match.range.range });
    this.applyTtl(socket, session);
    session.start();
    if (!session.accept(socket)) this.counters.refused++;
  }

  private applyTtl(socket: net.Socket, session: PeerSession): void {
    const ttl = session.socketTtl();
    if (ttl.ttl === undefined && ttl.minTtl === undefined) return;
    try {
      setAcceptedOptions(socket, ttl);
    } catch (e) {
      this.options.logger?.warn('cannot set TTL options on an accepted socket', { error: (e as Error).message });
    }
  }
}
