// The real-peer checks every daemon gets: Established with its capabilities, hold-timer expiry while the daemon
// is SIGSTOPped and recovery after SIGCONT, and a wrong peer AS (we send 2/2 and back off).

import type { ExecutionContext, TestFn } from 'ava';
import { capNames, type AgentEvent, type Lab } from './lab.js';

const isEstablished = (e: AgentEvent): boolean => e.ev === 'established';

type SessionAgent = ReturnType<Lab['agent']>;

/**
 * Freezes the daemon (SIGSTOP) until our hold timer expires, then thaws it (SIGCONT, also on failure). Returns the
 * `down` event and the index of the first event after the freeze.
 */
export async function holdTimerExpiry(lab: Lab, a: SessionAgent): Promise<{ down: AgentEvent; from: number }> {
  const from = a.events.length;
  lab.signalPeer('SIGSTOP');
  try {
    return { down: await a.wait('hold timer expiry', (x) => x.ev === 'down', 15000, from), from };
  } finally {
    lab.signalPeer('SIGCONT');
  }
}

export function peerTests(test: TestFn, lab: Lab, verified: Record<string, string>, o: { gr: boolean }): void {
  test.serial('Established, with the capabilities the daemon negotiates', async (t: ExecutionContext) => {
    const a = lab.agent({ peers: [lab.peer()], autostart: true, listen: { address: null, port: 179 } });
    const e = await a.wait('Established', isEstablished, 40000);
    const n = e['negotiated'] as Record<string, unknown>;
    t.log('daemon sent:', capNames(e['received']).join(' '));
    t.log('negotiated:', JSON.stringify(n));
    t.is(n['holdTime'], 9);
    t.true(n['fourOctetAs']);
    t.true(n['routeRefresh']);
    t.deepEqual(n['families'], [{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }]);
    if (o.gr) t.truthy(n['gracefulRestart']);
    verified['established'] = 'ok';
    verified['capabilities received'] = capNames(e['received']).join(',');
    verified['negotiated'] = ['routeRefresh', 'enhancedRouteRefresh', 'extendedMessage', 'fourOctetAs']
      .filter((k) => n[k] === true).join(',') + (n['gracefulRestart'] !== null ? ',gracefulRestart' : '');
    await a.exit();
  });

  test.serial('hold timer expires while the daemon is stopped; recovery after SIGCONT', async (t: ExecutionContext) => {
    const a = lab.agent({ peers: [lab.peer()], autostart: true, listen: { address: null, port: 179 } });
    await a.wait('Established', isEstablished, 40000);
    const { down, from } = await holdTimerExpiry(lab, a);
    t.is(down['reason'], 'hold-timer-expired');
    const back = await a.wait('Established again', isEstablished, 60000, from);
    t.log(`re-established ${back.t - down.t} ms after the hold timer expired`);
    verified['hold-timer expiry (SIGSTOP)'] = 'ok, NOTIFICATION 4/0 sent';
    verified['recovery after SIGCONT'] = `ok, ${((back.t - down.t) / 1000).toFixed(1)} s`;
    await a.exit();
  });

  test.serial('wrong peer AS: we send NOTIFICATION 2/2 and back off', async (t: ExecutionContext) => {
    const a = lab.agent({ peers: [lab.peer({ asn: 65099 })], autostart: true });
    await a.wait('NOTIFICATION 2/2', (x) => x.ev === 'state' && String(x['reason']).includes('open/bad-peer-as'), 40000);
    const st = await a.status(lab.peerIp);
    t.like(st['lastNotification'] as object, { sent: { code: 2, subcode: 2 } });
    t.false(a.events.some(isEstablished));
    verified['wrong peer AS'] = 'ok, 2/2 sent';
    await a.exit();
  });
}
