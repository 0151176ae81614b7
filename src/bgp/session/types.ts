// The session layer's contract with the rest of the agent: the hooks a PeerSession calls, the ports it is
// given (clock, dialer, logger), what it is configured with, and the snapshot `rackroute neighbor` shows.

import type { Duplex } from 'node:stream';
import type { CodecContext } from '../codec/index.js';
import type { Negotiated, PeerAsnSpec, StaleInfo, StateName } from '../fsm/index.js';
import type { AddPathMode, AddressFamilyName } from '../../config/types.js';
import type { Logger } from '../../util/log.js';
import type { PeerSession } from './session.js';

export type { Negotiated, StaleInfo, StateName } from '../fsm/index.js';
export type { CodecContext } from '../codec/index.js';

export interface SessionHooks {
  /** The session reached Established; `context` is the codec context negotiated for it. */
  established(session: PeerSession, negotiated: Negotiated, context: CodecContext): void;
  /** The session left Established. graceful: keep the peer's routes as stale (GR helper). */
  down(session: PeerSession, info: { reason: string; graceful: boolean; stale: StaleInfo | null }): void;
  /**
   * One whole UPDATE message (header included), in arrival order; the speaker decodes it (RFC 7606 handling there).
   * The bytes may be a view of the session's receive buffer: valid during the call only (copy them to keep them).
   */
  update(session: PeerSession, message: Uint8Array): void;
  routeRefresh(session: PeerSession, afi: number, safi: number, subtype: number): void;
  stateChange(session: PeerSession, from: string, to: string, reason: string): void;
}

/** Time in milliseconds and one-shot timers: the real clock by default, a fake one in tests. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * A TCP connection as the session uses it: a byte stream plus its addresses. `net.Socket` is one; tests use an
 * in-memory pair. An outbound one emits 'connect' when the handshake completes.
 */
export type SessionSocket = Duplex & {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
};

export interface DialOptions {
  readonly peer: string;
  readonly port: number;
  readonly localAddress?: string;
  readonly ttl?: number;
  readonly minTtl?: number;
  readonly md5Key?: Buffer;
}

/** Starts an outbound connection (connectTcp by default). May throw: the attempt then fails at once. */
export type Dialer = (options: DialOptions) => SessionSocket;

/** What a session needs of a neighbour: a subset of config's PeerSettings, so a PeerConfig fits as it is. */
export interface SessionPeerConfig {
  readonly address: string;
  /** A number, or for dynamic neighbours a class of AS. */
  readonly asn: PeerAsnSpec;
  readonly holdTime: number;
  readonly connectRetry: number;
  readonly port: number;
  readonly passive: boolean;
  /** TTL of our packets towards an eBGP peer (1: directly connected). */
  readonly multihop: number;
  /** GTSM hops (minimum TTL accepted is 256 - hops); null when off. */
  readonly ttlSecurity: number | null;
  readonly sourceAddress: string | null;
  readonly passwordFile: string | null;
  readonly gracefulRestart: boolean;
  readonly families: readonly AddressFamilyName[];
  readonly extendedNextHop: boolean;
  readonly addPath: AddPathMode;
}

export interface LocalSpeaker {
  readonly asn: number;
  /** Dotted quad. */
  readonly routerId: string;
  /** FQDN capability (73); default os.hostname(). Empty string: do not send the capability. */
  readonly hostname?: string;
  readonly domain?: string;
}

export interface GracefulRestartOptions {
  /** Seconds the peer should keep our routes after we go away (12 bits). */
  readonly restartTime: number;
  /** RFC 8538 N bit (default true). */
  readonly notification?: boolean;
  /** Asked at each OPEN: the agent has just restarted (R bit). */
  readonly restarting?: () => boolean;
  /** Asked at each OPEN: forwarding state was kept across the restart (F bit on every family). */
  readonly forwardingPreserved?: () => boolean;
}

/** FSM knobs a session may override (seconds). */
export interface SessionTimers {
  readonly idleHoldTime?: number;
  readonly maxBackoffTime?: number;
  readonly jitter?: number;
  readonly stableTime?: number;
  readonly openHoldTime?: number;
  readonly delayOpenTime?: number;
}

export interface PeerSessionOptions {
  readonly peer: SessionPeerConfig;
  readonly local: LocalSpeaker;
  readonly hooks: SessionHooks;
  readonly clock?: Clock;
  readonly dial?: Dialer;
  readonly logger?: Logger;
  readonly gracefulRestart?: GracefulRestartOptions;
  readonly timers?: SessionTimers;
  /** Seed of the FSM's jitter PRNG (random by default). */
  readonly seed?: number;
  /** A neighbour accepted from a listen range: passive, no automatic restart, gone once its connection ends. */
  readonly dynamic?: boolean;
  /** Reads the password file (tests replace it). */
  readonly readKey?: (file: string) => Buffer;
}

export interface MessageCounts {
  open: number;
  update: number;
  notification: number;
  keepalive: number;
  routeRefresh: number;
  total: number;
}

export interface NotificationRecord {
  readonly code: number;
  readonly subcode: number;
  /** `cease/administrative-shutdown`. */
  readonly name: string;
  /** RFC 9003 shutdown communication, when there was one. */
  readonly message: string | null;
  /** Hex of the data field. */
  readonly data: string;
  /** Milliseconds on the session clock. */
  readonly at: number;
}

export interface TimerSnapshot {
  /** Seconds. */
  readonly configured: number;
  /** Seconds; null before OpenConfirm. */
  readonly negotiated: number | null;
  /** Seconds left on the running timer; null when it is not running. */
  readonly remaining: number | null;
}

/** JSON-ready capability list: `{ code, name, ...details }`. */
export type CapabilityJson = Readonly<Record<string, unknown>>;

export interface SessionSnapshot {
  readonly peer: string;
  readonly asn: number | string;
  readonly localAsn: number;
  readonly dynamic: boolean;
  readonly state: StateName;
  /** Milliseconds on the session clock since the state was entered. */
  readonly since: number;
  /** The last transition's reason (status "Info"). */
  readonly info: string;
  /** The last transition into Idle other than an administrative stop. */
  readonly lastError: string | null;
  readonly capabilities: {
    readonly sent: readonly CapabilityJson[];
    readonly received: readonly CapabilityJson[];
    readonly negotiated: Negotiated | null;
  };
  readonly timers: {
    readonly hold: TimerSnapshot;
    readonly keepalive: TimerSnapshot;
    readonly connectRetry: TimerSnapshot;
  };
  readonly messages: { readonly sent: MessageCounts; readonly received: MessageCounts };
  readonly lastNotification: { readonly sent: NotificationRecord | null; readonly received: NotificationRecord | null };
  /** Times the session left Established. */
  readonly flaps: number;
  readonly collisions: number;
  readonly establishedAt: number | null;
  readonly local: { readonly address: string | null; readonly port: number | null };
  readonly remote: { readonly address: string; readonly port: number | null };
  /** The peer's BGP identifier, dotted; null before its OPEN. */
  readonly peerRouterId: string | null;
  /** Who opened the session's TCP connection; null without one. */
  readonly direction: 'outbound' | 'inbound' | null;
  /** Connections currently open (2 while a collision is being resolved). */
  readonly connections: number;
}
