// The BGP FSM of RFC 4271 §8.2.2 as a pure reducer: step(state, event, config) -> { state, actions }.
// This file is the one place where transitions happen. Each state has one handler; the comments
// name the RFC event numbers. Deviations from the RFC text are marked "Deviation".

import {
  CeaseSubcode, ErrorCode, FsmSubcode, encodeShutdownMessage, hardReset, notification,
  stopSubcode, wantsHardReset,
} from './codes.js';
import { type DownCause, isGracefulDown, staleInfo } from './graceful.js';
import { buildOpen, checkOpen } from './negotiate.js';
import {
  Reasons, automaticStopReason, notificationReason, unexpectedEvent, withDetail,
} from './reasons.js';
import {
  NO_TIMERS, backoffDelay, deadline, firstExpired, nextRandom, timerActions,
} from './timers.js';
import type {
  ActiveState, Connection, ConnectState, Direction, EstablishedState, FsmAction, FsmCommon, FsmConfig,
  FsmEvent, FsmState, IdleState, Negotiated, Notification, OpenConfirmState, OpenMessage, OpenSentState,
  Reason, StateName, StepResult, TimerName, Timers,
} from './types.js';

type Actions<U> = FsmAction<U>[];
type Ev<U, K extends FsmEvent['kind']> = Extract<FsmEvent<U>, { kind: K }>;

const EXPIRY_EVENT = {
  connectRetry: 'connect-retry-timer-expires',
  hold: 'hold-timer-expires',
  keepalive: 'keepalive-timer-expires',
  delayOpen: 'delay-open-timer-expires',
  idleHold: 'idle-hold-timer-expires',
} as const satisfies Record<TimerName, FsmEvent['kind']>;

const TIMER_OF_EVENT: Partial<Record<FsmEvent['kind'], TimerName>> = {
  'connect-retry-timer-expires': 'connectRetry',
  'hold-timer-expires': 'hold',
  'keepalive-timer-expires': 'keepalive',
  'delay-open-timer-expires': 'delayOpen',
  'idle-hold-timer-expires': 'idleHold',
};

/** Events that are BGP messages the peer sent (for the RFC 6608 FSM error subcodes). */
const MESSAGE_EVENTS: ReadonlySet<FsmEvent['kind']> = new Set([
  'open', 'keepalive', 'update', 'update-error', 'route-refresh', 'notification', 'header-error', 'open-error',
] as const);

/** Safety bound on timer expiries handled in one tick (each expiry re-arms at most into the future). */
const MAX_EXPIRIES_PER_TICK = 16;

// ---- helpers --------------------------------------------------------------------------------

function common(s: FsmState): FsmCommon {
  return {
    now: s.now,
    timers: s.timers,
    connectRetryCounter: s.connectRetryCounter,
    adminDown: s.adminDown,
    passiveStart: s.passiveStart,
    rng: s.rng,
    lastTransition: s.lastTransition,
    lastError: s.lastError,
  };
}

/** Record a change of state (and its reason) in the state and as the next action. */
function moved<S extends FsmState, U>(from: FsmState, to: S, reason: Reason, out: Actions<U>): S {
  if (from.name === to.name) return to;
  out.push({ type: 'state-change', from: from.name, to: to.name, reason });
  return { ...to, lastTransition: { from: from.name, to: to.name, reason, at: from.now } };
}

function withTimers<S extends FsmState>(s: S, timers: Partial<Timers>): S {
  return { ...s, timers: { ...s.timers, ...timers } };
}

/** A jittered, exponentially backed-off ConnectRetryTimer deadline, and the PRNG state after it. */
function connectRetryDeadline(s: FsmState, c: FsmConfig): { deadline: number; rng: number } {
  const [r, rng] = nextRandom(s.rng);
  const delay = backoffDelay(
    { base: c.connectRetryTime, cap: c.maxBackoffTime, jitter: c.jitter }, s.connectRetryCounter + 1, r);
  return { deadline: deadline(s.now, delay), rng };
}

function ceaseFor(
  s: FsmState, subcode: number, data: Uint8Array | undefined, allowHardReset: boolean,
): Notification {
  const n = notification(ErrorCode.Cease, subcode, data);
  const gr = s.name === 'Established' ? s.negotiated.gracefulRestart : null;
  return gr !== null && gr.notification && allowHardReset && wantsHardReset(subcode) ? hardReset(n) : n;
}

function received(ev: Ev<unknown, 'notification'>): Notification {
  return notification(ev.code, ev.subcode, ev.data);
}

// ---- transitions ----------------------------------------------------------------------------

interface IdleOptions {
  /** Sent before closing; null closes without one. */
  readonly notification: Notification | null;
  /** For the graceful decision when leaving Established; derived from `notification` if absent. */
  readonly cause?: DownCause;
  /** ManualStop resets the failure counter and disables automatic restart. */
  readonly manual?: boolean;
  /** 'backoff' (default), 'never', or seconds. */
  readonly restart?: 'backoff' | 'never' | number;
}

/**
 * Every way down to Idle: close (with the NOTIFICATION), tell the RIB (session-down), release
 * resources, count the failure and arm the IdleHoldTimer for the automatic restart.
 * Deviation: the RFC increments ConnectRetryCounter in most but not all of these transitions;
 * here every failure counts, because the counter is the backoff exponent.
 */
function toIdle<U>(s: FsmState, c: FsmConfig, out: Actions<U>, reason: Reason, o: IdleOptions): IdleState {
  const manual = o.manual === true;
  let counter: number;
  if (manual) counter = 0;
  else {
    const stable = s.name === 'Established' && s.now - s.establishedAt >= c.stableTime * 1000;
    counter = (stable ? 0 : s.connectRetryCounter) + 1;
  }
  const adminDown = s.adminDown || manual;
  let rng = s.rng;
  let idleHold: number | null = null;
  const restart = o.restart ?? 'backoff';
  if (!adminDown && c.automaticRestart && restart !== 'never') {
    if (typeof restart === 'number') idleHold = deadline(s.now, restart);
    else {
      const [r, next] = nextRandom(rng);
      rng = next;
      idleHold = deadline(s.now, backoffDelay(
        { base: c.idleHoldTime, cap: c.maxBackoffTime, jitter: c.jitter }, counter, r));
    }
  }
  const next: IdleState = {
    ...common(s), name: 'Idle', connectRetryCounter: counter, adminDown, rng,
    timers: { ...NO_TIMERS, idleHold },
  };
  const idle = moved(s, next, reason, out);
  out.push({ type: 'close', notification: o.notification });
  if (s.name === 'Established') {
    const cause: DownCause = o.cause ?? (o.notification === null
      ? { kind: 'silent-close' }
      : { kind: 'notification', direction: 'sent', notification: o.notification });
    const gr = s.negotiated.gracefulRestart;
    const graceful = isGracefulDown(gr, cause);
    out.push({
      type: 'session-down', reason, graceful, stale: graceful && gr !== null ? staleInfo(gr) : null,
    });
  }
  out.push({ type: 'release-resources' });
  return manual ? idle : { ...idle, lastError: idle.lastTransition };
}

/** Idle -> Connect (dial out) or Active (wait for the peer). */
function start<U>(s: IdleState, c: FsmConfig, out: Actions<U>, passive: boolean, reason: Reason): ConnectState | ActiveState {
  const crt = connectRetryDeadline(s, c);
  const base = { ...common(s), rng: crt.rng, timers: { ...NO_TIMERS, connectRetry: crt.deadline }, connection: null };
  if (passive || c.passive) return moved(s, { ...base, name: 'Active' }, reason, out);
  const next = moved(s, { ...base, name: 'Connect' }, reason, out);
  out.push({ type: 'connect' });
  return next;
}

/** TCP is up and we do not delay: send OPEN, hold timer to the large value, OpenSent. */
function sendOpen<U>(
  s: ConnectState | ActiveState, c: FsmConfig, out: Actions<U>, connection: Connection, reason: Reason,
): OpenSentState {
  const open = buildOpen(c);
  const next = moved(s, {
    ...common(s), name: 'OpenSent', connection, sentOpen: open,
    timers: {
      ...s.timers, connectRetry: null, delayOpen: null,
      hold: c.openHoldTime > 0 ? deadline(s.now, c.openHoldTime) : null,
    },
  }, reason, out);
  out.push({ type: 'send-open', open });
  return next;
}

/** Restart the KeepaliveTimer, unless the negotiated hold time is 0 (no keepalives at all). */
function rearmKeepalive<S extends OpenConfirmState | EstablishedState>(s: S): S {
  const n = s.negotiated;
  return withTimers(s, { keepalive: n.holdTime > 0 ? deadline(s.now, n.keepaliveTime) : null });
}

function negotiatedTimers(now: number, n: Negotiated): Partial<Timers> {
  return n.holdTime > 0
    ? { hold: deadline(now, n.holdTime), keepalive: deadline(now, n.keepaliveTime) }
    : { hold: null, keepalive: null };
}

/** A valid OPEN: send KEEPALIVE (and our OPEN first under DelayOpen), start negotiated timers. */
function openConfirm<U>(
  s: ConnectState | ActiveState | OpenSentState, out: Actions<U>, connection: Connection,
  sentOpen: OpenMessage, peerOpen: OpenMessage, negotiated: Negotiated, sendOurOpen: boolean,
): OpenConfirmState {
  const next = moved(s, {
    ...common(s), name: 'OpenConfirm', connection, sentOpen, peerOpen, negotiated,
    timers: { ...s.timers, connectRetry: null, delayOpen: null, ...negotiatedTimers(s.now, negotiated) },
  }, Reasons.openReceived, out);
  if (sendOurOpen) out.push({ type: 'send-open', open: sentOpen });
  out.push({ type: 'send-keepalive' });
  return next;
}

/** An event OpenSent, OpenConfirm or Established does not expect: NOTIFICATION FSM Error (RFC 6608). */
function fsmError<U>(
  s: OpenSentState | OpenConfirmState | EstablishedState, c: FsmConfig, out: Actions<U>, kind: FsmEvent['kind'],
): IdleState {
  const byState: Record<typeof s.name, number> = {
    OpenSent: FsmSubcode.UnexpectedInOpenSent,
    OpenConfirm: FsmSubcode.UnexpectedInOpenConfirm,
    Established: FsmSubcode.UnexpectedInEstablished,
  };
  const subcode = MESSAGE_EVENTS.has(kind) ? byState[s.name] : FsmSubcode.Unspecified;
  const n = notification(ErrorCode.Fsm, subcode);
  return toIdle(s, c, out, withDetail(notificationReason('sent', n), kind), { notification: n });
}

/** Event 10 in OpenSent, OpenConfirm and Established: NOTIFICATION Hold Timer Expired, then Idle. */
function holdTimerExpired<U>(s: FsmState, c: FsmConfig, out: Actions<U>): IdleState {
  const n = notification(ErrorCode.HoldTimerExpired, 0);
  return toIdle(s, c, out, Reasons.holdTimerExpired, { notification: n, cause: { kind: 'hold-timer-expired' } });
}

function sentError<U>(s: FsmState, c: FsmConfig, out: Actions<U>, n: Notification): IdleState {
  return toIdle(s, c, out, notificationReason('sent', n), { notification: n });
}

function receivedNotification<U>(s: FsmState, c: FsmConfig, out: Actions<U>, ev: Ev<U, 'notification'>): IdleState {
  const n = received(ev);
  return toIdle(s, c, out, notificationReason('received', n), {
    notification: null, cause: { kind: 'notification', direction: 'received', notification: n },
  });
}

function tcpFailed<U>(s: FsmState, c: FsmConfig, out: Actions<U>, ev: Ev<U, 'tcp-connection-fails'>): IdleState {
  return toIdle(s, c, out, withDetail(Reasons.tcpConnectionFailed, ev.detail), {
    notification: null, cause: { kind: 'tcp-connection-failed' },
  });
}

function automaticStop<U>(s: FsmState, c: FsmConfig, out: Actions<U>, ev: Ev<U, 'automatic-stop'>, sendCease: boolean): IdleState {
  const n = ceaseFor(s, stopSubcode(ev.subcode ?? 'administrative-reset'), ev.data, true);
  return toIdle(s, c, out, automaticStopReason(n), {
    notification: sendCease ? n : null,
    cause: { kind: 'notification', direction: 'sent', notification: n },
    restart: ev.restartAfter === undefined ? 'backoff' : ev.restartAfter === 'never' ? 'never' : ev.restartAfter,
  });
}

function manualStop<U>(s: FsmState, c: FsmConfig, out: Actions<U>, ev: Ev<U, 'manual-stop'>, sendCease: boolean): IdleState {
  const subcode = stopSubcode(ev.subcode ?? 'administrative-shutdown');
  const shutdownText = ev.message !== undefined
    && (subcode === CeaseSubcode.AdministrativeShutdown || subcode === CeaseSubcode.AdministrativeReset);
  const n = ceaseFor(s, subcode, shutdownText ? encodeShutdownMessage(ev.message ?? '') : undefined, ev.hardReset !== false);
  const silent = ev.silent === true || !sendCease;
  return toIdle(s, c, out, Reasons.manualStop, {
    notification: silent ? null : n,
    cause: silent ? { kind: 'silent-close' } : { kind: 'notification', direction: 'sent', notification: n },
    manual: true,
  });
}

function collisionDump<U>(s: FsmState, c: FsmConfig, out: Actions<U>, sendCease: boolean): IdleState {
  // The other connection carries on with the session: this FSM does not restart by itself.
  const n = notification(ErrorCode.Cease, CeaseSubcode.ConnectionCollisionResolution);
  return toIdle(s, c, out, Reasons.collisionDump, { notification: sendCease ? n : null, restart: 'never' });
}

function tcpUp(kind: 'tcp-cr-acked' | 'tcp-connection-confirmed'): Connection {
  const direction: Direction = kind === 'tcp-cr-acked' ? 'outbound' : 'inbound';
  return { direction };
}

// ---- states ---------------------------------------------------------------------------------

function idle<U>(s: IdleState, ev: FsmEvent<U>, c: FsmConfig, out: Actions<U>): FsmState {
  switch (ev.kind) {
    case 'manual-start': // 1
    case 'manual-start-passive': { // 4
      const passive = ev.kind === 'manual-start-passive';
      const fresh: IdleState = {
        ...s, adminDown: false, passiveStart: passive, connectRetryCounter: 0, timers: NO_TIMERS,
      };
      return start(fresh, c, out, passive, passive ? Reasons.manualStartPassive : Reasons.manualStart);
    }
    case 'automatic-start': // 3
    case 'automatic-start-passive': { // 5
      // Deviation: the counter is kept (it is the backoff exponent), and an automatic start waits
      // for a running IdleHoldTimer (damping) and never overrides a ManualStop.
      if (s.adminDown || s.timers.idleHold !== null) return s;
      const passive = ev.kind === 'automatic-start-passive';
      return start({ ...s, passiveStart: passive }, c, out, passive,
        passive ? Reasons.automaticStartPassive : Reasons.automaticStart);
    }
    case 'idle-hold-timer-expires':
      if (s.adminDown || !c.automaticRestart) return s;
      return start(s, c, out, s.passiveStart, Reasons.automaticRestart);
    case 'manual-stop': // 2: ignored by the RFC; here it also cancels a pending automatic restart
      return { ...s, adminDown: true, connectRetryCounter: 0, timers: NO_TIMERS };
    case 'tcp-cr-acked':
    case 'tcp-connection-confirmed':
      // Idle refuses connections.
      out.push({ type: 'close', notification: null });
      return s;
    default:
      return s;
  }
}

/** Connect and Active share most of their table; the differences are marked. */
function connectOrActive<U>(s: ConnectState | ActiveState, ev: FsmEvent<U>, c: FsmConfig, out: Actions<U>): FsmState {
  // A connection in Connect/Active exists only while DelayOpen waits for the peer's OPEN.
  const delayOpenRunning = s.connection !== null;
  switch (ev.kind) {
    case 'manual-start':
    case 'manual-start-passive':
    case 'automatic-start':
    case 'automatic-start-passive':
      return s; // 1, 3-7: ignored
    case 'manual-stop': { // 2
      // Active: a NOTIFICATION only if DelayOpen runs and SendNOTIFICATIONwithoutOPEN is set.
      const notify = s.name === 'Active' && s.connection !== null && c.sendNotificationWithoutOpen;
      return manualStop(s, c, out, ev, notify);
    }
    case 'automatic-stop': // 8: "any other event"
      return automaticStop(s, c, out, ev, false);
    case 'connect-retry-timer-expires': { // 9
      if (s.name === 'Active' && c.passive) {
        // Deviation: a passive-only peer never dials; keep waiting.
        const crt = connectRetryDeadline(s, c);
        return { ...withTimers(s, { connectRetry: crt.deadline }), rng: crt.rng };
      }
      // Connect: drop the attempt and dial again. Deviation: the failed attempt is counted.
      const counted = s.name === 'Connect' ? { ...s, connectRetryCounter: s.connectRetryCounter + 1 } : s;
      const crt = connectRetryDeadline(counted, c);
      const next: ConnectState = {
        ...common(counted), name: 'Connect', connection: null, rng: crt.rng,
        timers: { ...counted.timers, connectRetry: crt.deadline, delayOpen: null },
      };
      const moved2 = moved(s, next, Reasons.connectRetryTimerExpired, out);
      if (s.name === 'Connect' || s.connection !== null) out.push({ type: 'close', notification: null });
      out.push({ type: 'connect' });
      return moved2;
    }
    case 'delay-open-timer-expires': // 12
      if (s.connection === null) return s; // stale: no connection is waiting
      return sendOpen(s, c, out, s.connection, Reasons.delayOpenTimerExpired);
    case 'tcp-cr-acked': // 16
    case 'tcp-connection-confirmed': { // 17
      if (s.connection !== null) return s; // a second connection: the session layer's business
      const connection = tcpUp(ev.kind);
      if (c.delayOpenTime > 0) {
        return withTimers({ ...s, connection }, { connectRetry: null, delayOpen: deadline(s.now, c.delayOpenTime) });
      }
      return sendOpen(s, c, out, connection, Reasons.tcpConnected);
    }
    case 'tcp-connection-fails': // 18
      if (s.name === 'Connect' && delayOpenRunning) {
        // Back to Active, keep listening. Deviation: the failure is counted.
        const counted = { ...s, connectRetryCounter: s.connectRetryCounter + 1 };
        const crt = connectRetryDeadline(counted, c);
        const next: ActiveState = {
          ...common(counted), name: 'Active', connection: null, rng: crt.rng,
          timers: { ...s.timers, connectRetry: crt.deadline, delayOpen: null },
        };
        const m = moved(s, next, withDetail(Reasons.tcpConnectionFailed, ev.detail), out);
        out.push({ type: 'close', notification: null });
        return m;
      }
      return tcpFailed(s, c, out, ev);
    case 'open': { // 19 (20: BGPOpen with the DelayOpenTimer running)
      if (s.connection === null || !delayOpenRunning) break;
      const sent = buildOpen(c);
      const check = checkOpen(sent, ev, c);
      if (!check.ok) {
        // 22 for errors the FSM finds.
        return toIdle(s, c, out, notificationReason('sent', check.notification), {
          notification: c.sendNotificationWithoutOpen ? check.notification : null,
        });
      }
      return openConfirm(s, out, s.connection, sent, stripKind(ev), check.negotiated, true);
    }
    case 'header-error': // 21
    case 'open-error': { // 22
      const n = notification(ev.kind === 'header-error' ? ErrorCode.MessageHeader : ErrorCode.Open, ev.subcode, ev.data);
      return toIdle(s, c, out, notificationReason('sent', n), {
        notification: c.sendNotificationWithoutOpen ? n : null,
      });
    }
    case 'notification': // 24 NotifMsgVerErr, 25 NotifMsg ("any other event")
      return receivedNotification(s, c, out, ev);
    case 'idle-hold-timer-expires':
    case 'update-sent':
    case 'tick':
      return s; // stale or local: nothing to do
    default:
      break;
  }
  // Any other event (8, 10-11, 13, 19, 23, 25-28): down to Idle, no NOTIFICATION (no OPEN sent).
  return toIdle(s, c, out, unexpectedEvent(ev.kind), { notification: null });
}

function stripKind(ev: Ev<unknown, 'open'>): OpenMessage {
  return {
    version: ev.version, asn: ev.asn, holdTime: ev.holdTime, bgpId: ev.bgpId, capabilities: ev.capabilities,
  };
}

/**
 * The events OpenSent, OpenConfirm and Established handle alike (a connection is open): starts are ignored (1, 3-7);
 * stops (2, 8), hold timer expiry (10), a header error we found (21), a collision dump (23) and a NOTIFICATION
 * received (24, 25) all end in Idle; a second connection (16-17) is the session layer's business (one FSM per
 * connection). undefined: the state decides.
 */
function connected<U>(s: OpenSentState | OpenConfirmState | EstablishedState, ev: FsmEvent<U>, c: FsmConfig, out: Actions<U>): FsmState | undefined {
  switch (ev.kind) {
    case 'manual-start':
    case 'manual-start-passive':
    case 'automatic-start':
    case 'automatic-start-passive':
    case 'tcp-cr-acked':
    case 'tcp-connection-confirmed':
    case 'idle-hold-timer-expires':
    case 'tick':
      return s;
    case 'manual-stop': // 2
      return manualStop(s, c, out, ev, true);
    case 'automatic-stop': // 8
      return automaticStop(s, c, out, ev, true);
    case 'hold-timer-expires': // 10
      return holdTimerExpired(s, c, out);
    case 'header-error': // 21. Established: the RFC table lists it under FSM Error; §6.1 requires the header error itself.
      return sentError(s, c, out, notification(ErrorCode.MessageHeader, ev.subcode, ev.data));
    case 'open-collision-dump': // 23
      return collisionDump(s, c, out, true);
    case 'notification':
      // 24 NotifMsgVerErr: Idle. Deviation for 25 (NotifMsg) in OpenSent: the RFC answers with an FSM Error
      // NOTIFICATION; a NOTIFICATION is never answered (§6), so this only closes.
      return receivedNotification(s, c, out, ev);
    default:
      return undefined;
  }
}

/** OpenConfirm and Established, beyond connected(): the KeepaliveTimer runs, and a lost connection ends in Idle. */
function keepaliving<U>(s: OpenConfirmState | EstablishedState, ev: FsmEvent<U>, c: FsmConfig, out: Actions<U>): FsmState | undefined {
  switch (ev.kind) {
    case 'keepalive-timer-expires': // 11
      out.push({ type: 'send-keepalive' });
      return rearmKeepalive(s);
    case 'tcp-connection-fails': // 18
      return tcpFailed(s, c, out, ev);
    default:
      return connected(s, ev, c, out);
  }
}

function openSent<U>(s: OpenSentState, ev: FsmEvent<U>, c: FsmConfig, out: Actions<U>): FsmState {
  const handled = connected(s, ev, c, out);
  if (handled !== undefined) return handled;
  switch (ev.kind) {
    case 'tcp-connection-fails': { // 18: back to Active, keep listening. Deviation: counted.
      const counted = { ...s, connectRetryCounter: s.connectRetryCounter + 1 };
      const crt = connectRetryDeadline(counted, c);
      const next: ActiveState = {
        ...common(counted), name: 'Active', connection: null, rng: crt.rng,
        timers: { ...NO_TIMERS, connectRetry: crt.deadline },
      };
      const m = moved(s, next, withDetail(Reasons.tcpConnectionFailed, ev.detail), out);
      out.push({ type: 'close', notification: null });
      return m;
    }
    case 'open': { // 19
      const check = checkOpen(s.sentOpen, ev, c);
      if (!check.ok) return sentError(s, c, out, check.notification); // 22
      return openConfirm(s, out, s.connection, s.sentOpen, stripKind(ev), check.negotiated, false);
    }
    case 'open-error': // 22
      return sentError(s, c, out, notification(ErrorCode.Open, ev.subcode, ev.data));
    case 'update-sent':
      return s;
    default:
      // 9, 11-13, 20, 26-28: FSM Error.
      return fsmError(s, c, out, ev.kind);
  }
}

function openConfirmState<U>(s: OpenConfirmState, ev: FsmEvent<U>, c: FsmConfig, out: Actions<U>): FsmState {
  const handled = keepaliving(s, ev, c, out);
  if (handled !== undefined) return handled;
  switch (ev.kind) {
    case 'open-error':
      return sentError(s, c, out, notification(ErrorCode.Open, ev.subcode, ev.data));
    case 'keepalive': { // 26
      const next: EstablishedState = {
        ...common(s), name: 'Established', connection: s.connection, sentOpen: s.sentOpen, peerOpen: s.peerOpen,
        negotiated: s.negotiated, establishedAt: s.now,
        timers: { ...s.timers, hold: s.negotiated.holdTime > 0 ? deadline(s.now, s.negotiated.holdTime) : null },
      };
      const m = moved(s, next, Reasons.keepaliveReceived, out);
      out.push({ type: 'session-up', negotiated: s.negotiated });
      return m;
    }
    case 'update-sent':
      return s;
    default:
      // 9, 12-13, 19 (Deviation: an OPEN on this same connection; collisions between connections
      // are resolved by the session layer with resolveCollision), 20, 27-28: FSM Error.
      return fsmError(s, c, out, ev.kind);
  }
}

function established<U>(s: EstablishedState, ev: FsmEvent<U>, c: FsmConfig, out: Actions<U>): FsmState {
  const holdRestart = (): EstablishedState => s.negotiated.holdTime > 0
    ? withTimers(s, { hold: deadline(s.now, s.negotiated.holdTime) })
    : s;
  const handled = keepaliving(s, ev, c, out);
  if (handled !== undefined) return handled;
  switch (ev.kind) {
    case 'update-sent': // each UPDATE we send restarts the KeepaliveTimer
      return rearmKeepalive(s);
    case 'keepalive': // 26
      return holdRestart();
    case 'update': // 27
      out.push({ type: 'deliver-update', update: ev.update });
      return holdRestart();
    case 'route-refresh':
      out.push({ type: 'deliver-route-refresh', afi: ev.afi, safi: ev.safi, subtype: ev.subtype });
      return holdRestart();
    case 'update-error': // 28
      return sentError(s, c, out, notification(ErrorCode.Update, ev.subcode, ev.data));
    default:
      // 9, 12-13, 19 (an OPEN on this connection), 20, 22: FSM Error.
      return fsmError(s, c, out, ev.kind);
  }
}

function dispatch<U>(s: FsmState, ev: FsmEvent<U>, c: FsmConfig, out: Actions<U>): FsmState {
  switch (s.name) {
    case 'Idle': return idle(s, ev, c, out);
    case 'Connect':
    case 'Active': return connectOrActive(s, ev, c, out);
    case 'OpenSent': return openSent(s, ev, c, out);
    case 'OpenConfirm': return openConfirmState(s, ev, c, out);
    case 'Established': return established(s, ev, c, out);
  }
}

function clearTimer<S extends FsmState>(s: S, timer: TimerName): S {
  return s.timers[timer] === null ? s : withTimers(s, { [timer]: null });
}

/**
 * Apply one event. Timer events (and the timers a `tick` finds due) stop their timer before they
 * are handled; the handler re-arms it if the RFC says so. Timer changes are reported at the end as
 * timer-start / timer-stop actions with absolute deadlines.
 */
export function step<U = unknown>(state: FsmState, event: FsmEvent<U>, config: FsmConfig): StepResult<U> {
  const out: Actions<U> = [];
  let s: FsmState = { ...state, now: event.now };
  if (event.kind === 'tick') {
    for (let i = 0; i < MAX_EXPIRIES_PER_TICK; i++) {
      const due = firstExpired(s.timers, s.now);
      if (due === null) break;
      s = dispatch(clearTimer(s, due), { kind: EXPIRY_EVENT[due], now: s.now }, config, out);
    }
  } else {
    const timer = TIMER_OF_EVENT[event.kind];
    s = dispatch(timer === undefined ? s : clearTimer(s, timer), event, config, out);
  }
  return { state: s, actions: [...out, ...timerActions<U>(state.timers, s.timers)] };
}

/** Run events in order from a state; the trace of (state name, actions) per event is what tests assert. */
export function run<U = unknown>(
  state: FsmState, events: readonly FsmEvent<U>[], config: FsmConfig,
): { readonly state: FsmState; readonly trace: readonly { readonly state: StateName; readonly actions: readonly FsmAction<U>[] }[] } {
  let s = state;
  const trace: { state: StateName; actions: readonly FsmAction<U>[] }[] = [];
  for (const ev of events) {
    const r = step(s, ev, config);
    s = r.state;
    trace.push({ state: s.name, actions: r.actions });
  }
  return { state: s, trace };
}
