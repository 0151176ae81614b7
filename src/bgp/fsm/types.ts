// Types of the BGP finite state machine (RFC 4271 §8): states, events, actions, configuration,
// and the small message shapes the FSM needs. Nothing here imports from the rest of src: glue code
// maps codec messages onto these shapes.

/** The six RFC 4271 states, as a closed set. */
export type StateName = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

/** Which side initiated the TCP connection, seen from this speaker. */
export type Direction = 'outbound' | 'inbound';

/** A transition reason, as shown in `rackroute status` (Info / last error). */
export type Reason = string;

// ---- message shapes -------------------------------------------------------------------------

export interface Family {
  readonly afi: number;
  readonly safi: number;
}

export interface AddPathEntry extends Family {
  /** RFC 7911 Send/Receive field: we/they are willing to receive and/or send multiple paths. */
  readonly receive: boolean;
  readonly send: boolean;
}

export interface ExtendedNextHopEntry extends Family {
  /** RFC 8950: NLRI of (afi, safi) may carry a next hop of this AFI. */
  readonly nextHopAfi: number;
}

export interface GracefulRestartFamily extends Family {
  /** F bit: forwarding state for this family was preserved across the restart. */
  readonly forwarding: boolean;
}

export interface GracefulRestartCapability {
  /** R bit: the sender has restarted. */
  readonly restarting: boolean;
  /** N bit (RFC 8538): graceful restart also applies to NOTIFICATIONs other than Hard Reset. */
  readonly notification: boolean;
  /** Seconds (12 bits on the wire). */
  readonly restartTime: number;
  readonly families: readonly GracefulRestartFamily[];
}

/**
 * The capabilities of one OPEN that the FSM negotiates. Absent means "not advertised".
 * `multiprotocol` absent or empty means IPv4 unicast only (RFC 4760 §8).
 */
export interface Capabilities {
  readonly multiprotocol?: readonly Family[];
  /** Capability 65 (RFC 6793) with the speaker's 4-octet AS. */
  readonly fourOctetAs?: number;
  readonly routeRefresh?: boolean;
  readonly enhancedRouteRefresh?: boolean;
  readonly extendedMessage?: boolean;
  readonly gracefulRestart?: GracefulRestartCapability;
  readonly addPath?: readonly AddPathEntry[];
  readonly extendedNextHop?: readonly ExtendedNextHopEntry[];
}

/** An OPEN message as the FSM sees it (sent or received). */
export interface OpenMessage {
  readonly version: number;
  /** The 2-octet "My Autonomous System" field (AS_TRANS 23456 when the AS needs 4 octets). */
  readonly asn: number;
  /** Seconds: 0, or at least 3. */
  readonly holdTime: number;
  /** Unsigned 32-bit BGP identifier (the codec's dotted quad, as a number: comparisons are numeric). */
  readonly bgpId: number;
  /**
   * Only what the FSM negotiates. Capabilities it does not model (FQDN, role, LLGR, unknown ones)
   * stay with the session layer, which adds them to the wire OPEN it builds from `send-open`.
   */
  readonly capabilities: Capabilities;
}

export interface Notification {
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
}

// ---- negotiation result ---------------------------------------------------------------------

export interface AddPathNegotiated extends Family {
  /** We may send multiple paths for this family. */
  readonly send: boolean;
  /** The peer may send us multiple paths (NLRI carry a path identifier). */
  readonly receive: boolean;
}

export interface GracefulRestartNegotiated {
  /** How long (s) to keep the peer's routes stale after it goes away. */
  readonly peerRestartTime: number;
  /** R bit in the peer's OPEN: the peer says it has just restarted. */
  readonly peerRestarting: boolean;
  /** RFC 8538 N bit set by both sides. */
  readonly notification: boolean;
  /** Families the peer listed in its GR capability that are also negotiated, with its F bits. */
  readonly families: readonly GracefulRestartFamily[];
}

/** What the session layer needs from both OPENs; put in OpenConfirm and Established. */
export interface Negotiated {
  readonly localAsn: number;
  readonly peerAsn: number;
  readonly localBgpId: number;
  readonly peerBgpId: number;
  readonly ibgp: boolean;
  /** Seconds; 0 means no hold timer and no keepalives. */
  readonly holdTime: number;
  /** Seconds; 0 when holdTime is 0. */
  readonly keepaliveTime: number;
  readonly fourOctetAs: boolean;
  readonly families: readonly Family[];
  readonly routeRefresh: boolean;
  readonly enhancedRouteRefresh: boolean;
  readonly extendedMessage: boolean;
  readonly addPath: readonly AddPathNegotiated[];
  readonly extendedNextHop: readonly ExtendedNextHopEntry[];
  readonly gracefulRestart: GracefulRestartNegotiated | null;
}

// ---- configuration --------------------------------------------------------------------------

/** Expected peer AS: a number, or a class of AS for dynamic neighbours. */
export type PeerAsnSpec = number | 'external' | 'internal' | 'any';

/** All times in seconds. Build one with `fsmConfig()`, which fills defaults and checks values. */
export interface FsmConfig {
  readonly localAsn: number;
  readonly localBgpId: number;
  readonly peerAsn: PeerAsnSpec;
  /** Our proposed hold time: 0 or >= 3. */
  readonly holdTime: number;
  /** Keepalive override; null means negotiated hold time / 3. Never more than hold / 3. */
  readonly keepaliveTime: number | null;
  /** Base of the ConnectRetryTimer; doubles with each consecutive failure up to maxBackoffTime. */
  readonly connectRetryTime: number;
  /** Base of the IdleHoldTimer before an automatic restart; doubles likewise. */
  readonly idleHoldTime: number;
  readonly maxBackoffTime: number;
  /** Fraction taken off a backoff at random: 0.25 gives a delay in [0.75, 1] of its value (RFC 4271 §10). */
  readonly jitter: number;
  /** A session Established at least this long resets the failure counter when it drops. */
  readonly stableTime: number;
  /** The "large value" the hold timer gets in OpenSent (RFC 4271 suggests 4 minutes). */
  readonly openHoldTime: number;
  /** DelayOpenTimer; 0 disables DelayOpen. */
  readonly delayOpenTime: number;
  /** Never initiate a TCP connection; wait in Active. */
  readonly passive: boolean;
  /** After a drop, restart automatically once the IdleHoldTimer expires. */
  readonly automaticRestart: boolean;
  /** RFC 4271 SendNOTIFICATIONwithoutOPEN. */
  readonly sendNotificationWithoutOpen: boolean;
  /** What we advertise in our OPEN. */
  readonly capabilities: Capabilities;
}

// ---- timers ---------------------------------------------------------------------------------

export type TimerName = 'connectRetry' | 'hold' | 'keepalive' | 'delayOpen' | 'idleHold';

/** Absolute deadlines in milliseconds on the caller's clock; null when the timer is not running. */
export type Timers = { readonly [K in TimerName]: number | null };

// ---- state ----------------------------------------------------------------------------------

export interface Transition {
  readonly from: StateName;
  readonly to: StateName;
  readonly reason: Reason;
  /** Milliseconds on the caller's clock. */
  readonly at: number;
}

export interface Connection {
  readonly direction: Direction;
}

/** Fields every state carries. */
export interface FsmCommon {
  /** The latest time seen in an event (ms). */
  readonly now: number;
  readonly timers: Timers;
  /** Consecutive failures: the backoff exponent. Reset by ManualStop and by a stable session. */
  readonly connectRetryCounter: number;
  /** ManualStop was the last administrative event: no automatic restart. */
  readonly adminDown: boolean;
  /** The last start was passive (ManualStart_with_PassiveTcpEstablishment). */
  readonly passiveStart: boolean;
  /** PRNG state for jitter (seeded by the caller). */
  readonly rng: number;
  readonly lastTransition: Transition | null;
  /** The last transition into Idle other than a ManualStop. */
  readonly lastError: Transition | null;
}

export interface IdleState extends FsmCommon {
  readonly name: 'Idle';
}
export interface ConnectState extends FsmCommon {
  readonly name: 'Connect';
  /** Set while DelayOpen waits for the peer's OPEN. */
  readonly connection: Connection | null;
}
export interface ActiveState extends FsmCommon {
  readonly name: 'Active';
  readonly connection: Connection | null;
}
export interface OpenSentState extends FsmCommon {
  readonly name: 'OpenSent';
  readonly connection: Connection;
  readonly sentOpen: OpenMessage;
}
export interface OpenConfirmState extends FsmCommon {
  readonly name: 'OpenConfirm';
  readonly connection: Connection;
  readonly sentOpen: OpenMessage;
  readonly peerOpen: OpenMessage;
  readonly negotiated: Negotiated;
}
export interface EstablishedState extends FsmCommon {
  readonly name: 'Established';
  readonly connection: Connection;
  readonly sentOpen: OpenMessage;
  readonly peerOpen: OpenMessage;
  readonly negotiated: Negotiated;
  readonly establishedAt: number;
}

export type FsmState =
  | IdleState
  | ConnectState
  | ActiveState
  | OpenSentState
  | OpenConfirmState
  | EstablishedState;

// ---- events ---------------------------------------------------------------------------------

/** Cease subcodes an administrative stop may use. */
export type StopSubcode =
  | 'maximum-prefixes-reached'
  | 'administrative-shutdown'
  | 'peer-deconfigured'
  | 'administrative-reset'
  | 'other-configuration-change'
  | 'out-of-resources';

type Ev<K extends string, X = object> = { readonly kind: K; readonly now: number } & X;

/** RFC 4271 events. Every event carries the caller's clock `now` in milliseconds. */
export type FsmEvent<U = unknown> =
  // administrative (events 1-8)
  | Ev<'manual-start'>
  | Ev<'manual-start-passive'>
  | Ev<'manual-stop', {
    readonly subcode?: StopSubcode;
    /** RFC 9003 shutdown communication. */
    readonly message?: string;
    /** Close without a NOTIFICATION (our own restart: peers keep our routes under GR). */
    readonly silent?: boolean;
    /** With the N bit negotiated, send Cease/Hard Reset for subcodes 1-4 (default true). */
    readonly hardReset?: boolean;
  }>
  | Ev<'automatic-start'>
  | Ev<'automatic-start-passive'>
  | Ev<'automatic-stop', {
    readonly subcode?: StopSubcode;
    readonly data?: Uint8Array;
    /** Seconds before the automatic restart (e.g. the max-prefix restart timer); 'never' to stay down. */
    readonly restartAfter?: number | 'never';
  }>
  // timers (events 9-13); usually produced by `tick`
  | Ev<'connect-retry-timer-expires'>
  | Ev<'hold-timer-expires'>
  | Ev<'keepalive-timer-expires'>
  | Ev<'delay-open-timer-expires'>
  | Ev<'idle-hold-timer-expires'>
  /** The caller's clock moved: every timer whose deadline is <= now expires, earliest first. */
  | Ev<'tick'>
  // TCP (events 16-18)
  /** Tcp_CR_Acked: our outbound connection completed. */
  | Ev<'tcp-cr-acked'>
  /** TcpConnectionConfirmed: an inbound connection from the peer completed. */
  | Ev<'tcp-connection-confirmed'>
  | Ev<'tcp-connection-fails', { readonly detail?: string }>
  // messages (events 19-28)
  | Ev<'open', OpenMessage>
  /** BGPHeaderErr: the codec found a bad header; code 1 and this subcode are sent. */
  | Ev<'header-error', { readonly subcode: number; readonly data?: Uint8Array }>
  /** BGPOpenMsgErr found by the codec (e.g. unsupported optional parameter); code 2. */
  | Ev<'open-error', { readonly subcode: number; readonly data?: Uint8Array }>
  /** NotifMsg; a version error (2/1) is NotifMsgVerErr. */
  | Ev<'notification', { readonly code: number; readonly subcode: number; readonly data?: Uint8Array }>
  | Ev<'keepalive'>
  | Ev<'update', { readonly update: U }>
  /** UpdateMsgErr that needs a session reset (RFC 7606); code 3. */
  | Ev<'update-error', { readonly subcode: number; readonly data?: Uint8Array }>
  | Ev<'route-refresh', { readonly afi: number; readonly safi: number; readonly subtype: number }>
  | Ev<'open-collision-dump'>
  // local
  /** We sent an UPDATE: the KeepaliveTimer restarts (RFC 4271 §8.2.2, Established). */
  | Ev<'update-sent'>;

export type EventKind = FsmEvent['kind'];

// ---- actions --------------------------------------------------------------------------------

export interface StaleInfo {
  /** Seconds to keep the routes stale (the peer's restart time). */
  readonly restartTime: number;
  readonly families: readonly GracefulRestartFamily[];
}

/** What the session layer must do, in order. */
export type FsmAction<U = unknown> =
  | { readonly type: 'state-change'; readonly from: StateName; readonly to: StateName; readonly reason: Reason }
  /** Initiate a TCP connection to the peer. */
  | { readonly type: 'connect' }
  /** Send the NOTIFICATION (if any), then close the connection or abort the connection attempt. */
  | { readonly type: 'close'; readonly notification: Notification | null }
  | { readonly type: 'send-open'; readonly open: OpenMessage }
  | { readonly type: 'send-keepalive' }
  | { readonly type: 'deliver-update'; readonly update: U }
  | { readonly type: 'deliver-route-refresh'; readonly afi: number; readonly safi: number; readonly subtype: number }
  | { readonly type: 'session-up'; readonly negotiated: Negotiated }
  /** Leaving Established. graceful: keep the peer's routes as stale (GR helper), else flush them. */
  | { readonly type: 'session-down'; readonly reason: Reason; readonly graceful: boolean; readonly stale: StaleInfo | null }
  | { readonly type: 'release-resources' }
  | { readonly type: 'timer-start'; readonly timer: TimerName; readonly deadline: number }
  | { readonly type: 'timer-stop'; readonly timer: TimerName };

export interface StepResult<U = unknown> {
  readonly state: FsmState;
  readonly actions: readonly FsmAction<U>[];
}
