// The TCP edge of a BGP session: client sockets with their options set before the SYN (TTL for eBGP single-hop
// or multihop, GTSM's minimum TTL, TCP MD5), listeners with per-peer MD5 keys. Integer options go through the
// `sockopt` package; TCP_MD5SIG needs a struct and goes through our addon (native/net.cc).
import net from 'node:net';
import { createRequire } from 'node:module';
import { setsockopt } from 'sockopt';

const require = createRequire(import.meta.url);

interface NativeNet {
  tcpSocket(family: 4 | 6): number;
  setMd5(fd: number, family: 4 | 6, address: string, prefixLength: number, key: Buffer): void;
  closeFd(fd: number): void;
}

let native: NativeNet | undefined;
function addon(): NativeNet {
  if (!native) {
    try {
      native = require('../../../native/build/Release/rackroute_net.node') as NativeNet;
    } catch (e) {
      throw new Error(`rackroute's native addon is not built (npm run build): ${(e as Error).message}`);
    }
  }
  return native;
}

const IPPROTO_IP = 0;
const IP_TTL = 2;
const IP_MINTTL = 21;
const IPPROTO_IPV6 = 41;
const IPV6_UNICAST_HOPS = 16;
const IPV6_MINHOPCOUNT = 73;

export const BGP_PORT = 179;

export interface ConnectOptions {
  readonly peer: string;
  readonly port?: number;
  readonly localAddress?: string;
  /** Outgoing TTL: 1 for directly connected eBGP, more for multihop, 255 with GTSM. */
  readonly ttl?: number;
  /** GTSM (RFC 5082): drop segments arriving with a TTL below this (254 for a direct neighbour). */
  readonly minTtl?: number;
  readonly md5Key?: Buffer;
}

export function familyOf(address: string): 4 | 6 {
  const f = net.isIP(address);
  if (f === 0) throw new Error(`not an IP address: ${address}`);
  return f as 4 | 6;
}

function setTtl(socket: net.Socket | net.Server, family: 4 | 6, ttl: number): void {
  if (family === 4) setsockopt(socket, IPPROTO_IP, IP_TTL, ttl);
  else setsockopt(socket, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl);
}

export function setMinTtl(socket: net.Socket | net.Server, family: 4 | 6, minTtl: number): void {
  if (family === 4) setsockopt(socket, IPPROTO_IP, IP_MINTTL, minTtl);
  else setsockopt(socket, IPPROTO_IPV6, IPV6_MINHOPCOUNT, minTtl);
}

/** Starts a connection with every option in place before the first SYN leaves. */
export function connectTcp(opts: ConnectOptions): net.Socket {
  const family = familyOf(opts.peer);
  const needsFd = opts.md5Key !== undefined || opts.ttl !== undefined || opts.minTtl !== undefined;
  if (!needsFd) return net.connect({ host: opts.peer, port: opts.port ?? BGP_PORT, localAddress: opts.localAddress });
  const { tcpSocket, setMd5, closeFd } = addon();
  const fd = tcpSocket(family);
  let socket: net.Socket;
  try {
    if (opts.md5Key) setMd5(fd, family, opts.peer, -1, opts.md5Key);
    socket = new net.Socket({ fd, readable: true, writable: true });
  } catch (e) {
    closeFd(fd);
    throw e;
  }
  if (opts.ttl !== undefined) setTtl(socket, family, opts.ttl);
  if (opts.minTtl !== undefined) setMinTtl(socket, family, opts.minTtl);
  return socket.connect({ host: opts.peer, port: opts.port ?? BGP_PORT, localAddress: opts.localAddress });
}

function serverFd(server: net.Server): number {
  const fd = (server as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (fd === undefined || fd < 0) throw new Error('the listener has no socket yet (call after listening)');
  return fd;
}

/** Adds (or, with an empty key, removes) the MD5 key for a peer or, with a prefix length, a listen range. */
export function setListenerMd5(server: net.Server, family: 4 | 6, address: string, key: Buffer, prefixLength = -1): void {
  addon().setMd5(serverFd(server), family, address, prefixLength, key);
}

/** Per-connection options on an accepted socket (the SYN already passed; these cover the rest of the session). */
export function setAcceptedOptions(socket: net.Socket, opts: { ttl?: number; minTtl?: number }): void {
  const family = familyOf(socket.remoteAddress?.replace(/^::ffff:/, '') ?? '');
  if (opts.ttl !== undefined) setTtl(socket, family, opts.ttl);
  if (opts.minTtl !== undefined) setMinTtl(socket, family, opts.minTtl);
}
