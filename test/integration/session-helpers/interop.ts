// The interop suite: the real agent (`rackroute agent`, fib and eBPF off) in the `us` namespace against one daemon
// (interop-daemons.ts) in the other, over one IPv4 session carrying IPv4 and IPv6 unicast. It checks, in order:
// Established; prefixes both ways in both families; our export policy (community, large community, prepend) as the
// daemon sees it; our import policy (local-pref and a large community on the daemon's tagged prefix) in
// `rackroute routes --detail`; route refresh; withdrawals both ways; graceful restart of the daemon (our routes
// from it stay, stale, while it is gone; fresh after it is back; the prefix it no longer has goes at End-of-RIB).
// Each file prints its matrix row; rows are also kept in a shared directory and the full matrix printed with them.

import type { ExecutionContext, TestFn } from 'ava';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ActionResponse, NeighborDetail, RoutesResponse } from '../../../src/api/types.js';
import { PEER_AS, TAG, THEIRS, type InteropDaemon, type Learned } from './interop-daemons.js';
import { sleep, type Lab } from './lab.js';
import { pathsOf, RealAgent, siteFor } from './rackroute.js';

export const OURS = { keep4: '10.244.1.0/24', keep6: 'fd00:244:1::/64', drop4: '10.244.11.0/24', drop6: 'fd00:244:11::/64' } as const;
const OUR_COMMUNITY = '65010:100';
const OUR_LARGE = '65010:1:2';
const IMPORT_LARGE = '65010:9:9';

export const FEATURES = [
  'established', 'v4+v6 both ways', 'export policy', 'import policy', 'route refresh', 'withdraw both ways',
  'GR helper (peer restarts)', 'hold timer (SIGSTOP)', 'wrong peer AS',
] as const;
export type Feature = (typeof FEATURES)[number];
export type Row = Partial<Record<Feature, string>>;

/** What the session tests (session-*.test.ts, the session-only child agent) verify for each daemon: read from them. */
const SESSION_TESTS: Readonly<Record<string, Row>> = {
  'FRR 8.4': {
    'hold timer (SIGSTOP)': '✔ session-frr.test.ts: 4/0 sent after 9 s, re-established after SIGCONT',
    'wrong peer AS': '✔ session-frr.test.ts: 2/2 sent + backoff; 2/2 received when FRR expects another AS',
  },
  'BIRD 2.0': {
    'hold timer (SIGSTOP)': '✔ session-bird.test.ts: 4/0 sent, re-established after SIGCONT',
    'wrong peer AS': '✔ session-bird.test.ts: 2/2 sent',
  },
  'GoBGP 3.10': {
    'hold timer (SIGSTOP)': '✔ session-gobgp.test.ts: 4/0 sent, re-established after SIGCONT',
    'wrong peer AS': '✔ session-gobgp.test.ts: 2/2 sent',
  },
  'OpenBGPD 7.7': {
    'hold timer (SIGSTOP)': '✔ session-openbgpd.test.ts: 4/0 sent, re-established after SIGCONT',
    'wrong peer AS': '✔ session-openbgpd.test.ts: 2/2 sent',
  },
};

const MATRIX_DIR = path.join(tmpdir(), 'rrint-matrix');

function formatMatrix(rows: Readonly<Record<string, Row>>): string {
  const lines: string[] = ['interop matrix (rackroute agent x daemon):'];
  for (const [peer, row] of Object.entries(rows)) {
    lines.push(`  ${peer}`);
    for (const f of FEATURES) lines.push(`    ${f.padEnd(26)} ${row[f] ?? '✘ not verified'}`);
  }
  return lines.join('\n');
}

/** Rows written by the interop files in the last 10 minutes (this run, when they ran together). */
function allRows(): Record<string, Row> {
  const out: Record<string, Row> = {};
  try {
    for (const f of readdirSync(MATRIX_DIR).sort()) {
      const file = path.join(MATRIX_DIR, f);
      if (Date.now() - statSync(file).mtimeMs > 10 * 60_000) continue;
      const { peer, row } = JSON.parse(readFileSync(file, 'utf8')) as { peer: string; row: Row };
      out[peer] = row;
    }
  } catch {
    /* none yet */
  }
  return out;
}

const has = (l: Learned | undefined, what: readonly string[], key: 'communities' | 'largeCommunities'): boolean =>
  l !== undefined && what.every((c) => l[key].includes(c));

export function interopTests(test: TestFn, lab: Lab, daemon: InteropDaemon): void {
  const row: Row = { ...SESSION_TESTS[daemon.name] };
  const peer = lab.peerIp;
  const failed = (f: Feature, e: unknown): never => {
    row[f] = `✘ ${(e as Error).message.split('\n')[0]}`;
    throw e;
  };
  const site = (podCIDRs: readonly string[]): Record<string, unknown> => siteFor(lab, {
    podCIDRs,
    peers: [{ address: peer, asn: PEER_AS, import: 'tor-in', export: 'pods-out' }],
    over: {
      prefixLists: {
        pods: [{ prefix: '10.244.0.0/16', ge: 24, le: 24 }, { prefix: 'fd00:244::/32', ge: 64, le: 64 }],
        own: Object.values(OURS).map((prefix) => ({ prefix })),
      },
      policies: {
        'tor-in': {
          terms: [
            { name: 'tagged', match: { community: [TAG] }, set: { localPref: 250, largeCommunities: { add: [IMPORT_LARGE] } }, action: 'accept' },
            { name: 'pods', match: { prefixList: 'pods' }, action: 'accept' },
          ],
          default: 'reject',
        },
        'pods-out': {
          terms: [{
            match: { prefixList: 'own' },
            set: { communities: { add: [OUR_COMMUNITY] }, largeCommunities: { add: [OUR_LARGE] }, prepend: 2 },
            action: 'accept',
          }],
          default: 'reject',
        },
      },
    },
  });
  const agent = new RealAgent(lab, site(Object.values(OURS)));
  let startedAt = 0;

  test.before(async () => {
    lab.up();
    await daemon.start();
    startedAt = Date.now();
    await agent.start();
  });

  test.after.always(async (t) => {
    mkdirSync(MATRIX_DIR, { recursive: true });
    writeFileSync(path.join(MATRIX_DIR, `${daemon.name.replace(/\W+/g, '-')}.json`), JSON.stringify({ peer: daemon.name, row }));
    const mine = formatMatrix({ [daemon.name]: row });
    t.log(mine);
    console.log(mine);
    console.log(formatMatrix(allRows()).replace('interop matrix', 'interop matrix, every daemon run in the last 10 min'));
    if (!agent.alive()) console.log(`agent died:\n${agent.logTail(30)}`);
    await agent.stop();
    await lab.close();
  });

  test.serial('Established, and IPv4 + IPv6 prefixes both ways over one session', async (t: ExecutionContext) => {
    await agent.established(peer).catch((e) => failed('established', e));
    const took = Date.now() - startedAt;
    const n = await agent.neighbor(peer);
    t.is(n.state, 'Established');
    row.established = `✔ ${(took / 1000).toFixed(1)} s after the agent started, families ${JSON.stringify((n.capabilities.negotiated as { families?: unknown }).families ?? '')}`;
    try {
      const want = [THEIRS.tagged4, THEIRS.plain4, THEIRS.plain6, THEIRS.kept6];
      await agent.waitFor('the daemon\'s prefixes in our RIB', async () => {
        const r = await agent.routes(false, peer);
        return want.every((p) => pathsOf(r, p).length > 0);
      }, 30000);
      await agent.waitFor('our prefixes at the daemon', async () => Object.values(OURS).every((p) => daemon.learned(p) !== undefined), 30000);
      // The stable contract: the CLI's JSON.
      const cli = agent.cli<RoutesResponse>('routes', '--peer', peer);
      for (const p of want) t.true(cli.routes.some((r) => r.prefix === p), `${p} in rackroute routes -o json`);
      const v6 = cli.routes.find((r) => r.prefix === THEIRS.plain6);
      t.log(`their IPv6 next hop as we hold it: ${v6?.paths[0]?.nextHop}`);
      row['v4+v6 both ways'] = `✔ ours at the daemon: ${Object.values(OURS).join(' ')}; theirs in routes -o json: ${want.join(' ')} (v6 next hop ${v6?.paths[0]?.nextHop})`;
    } catch (e) {
      failed('v4+v6 both ways', e);
    }
  });

  test.serial('export policy: community, large community and prepend on our pod CIDRs, as the daemon sees them', (t: ExecutionContext) => {
    try {
      const seen = [OURS.keep4, OURS.keep6].map((p) => [p, daemon.learned(p)] as const);
      for (const [p, l] of seen) {
        t.log(`${daemon.name} holds ${p}: ${JSON.stringify(l)}`);
        t.truthy(l, p);
        t.is(l?.asPath, '65010 65010 65010', `${p}: AS path with two prepends`);
        t.true(has(l, [OUR_COMMUNITY], 'communities'), `${p}: community ${OUR_COMMUNITY}`);
        t.true(has(l, [OUR_LARGE], 'largeCommunities'), `${p}: large community ${OUR_LARGE}`);
      }
      const [p, l] = seen[0]!;
      if (!t.passed) throw new Error(`daemon sees ${JSON.stringify(seen)}`);
      row['export policy'] = `✔ ${p} (and v6): as-path "${l?.asPath}", communities ${l?.communities.join(',')}, large ${l?.largeCommunities.join(',')}`;
    } catch (e) {
      failed('export policy', e);
    }
  });

  test.serial('import policy: local-pref 250 and a large community on the prefix tagged with the daemon\'s community', async (t: ExecutionContext) => {
    try {
      const r = agent.cli<RoutesResponse>('routes', '--peer', peer, '--detail');
      const tagged = pathsOf(r.routes, THEIRS.tagged4)[0];
      const plain = pathsOf(r.routes, THEIRS.plain4)[0];
      t.log('tagged:', JSON.stringify(tagged), 'plain:', JSON.stringify(plain));
      t.true(tagged?.communities?.includes(TAG) ?? false, 'the daemon\'s community arrived');
      t.is(tagged?.localPref, 250);
      t.true(tagged?.largeCommunities?.includes(IMPORT_LARGE) ?? false);
      t.not(plain?.localPref, 250);
      t.false(plain?.largeCommunities?.includes(IMPORT_LARGE) ?? false);
      if (!t.passed) throw new Error(`tagged ${JSON.stringify(tagged)} plain ${JSON.stringify(plain)}`);
      row['import policy'] = `✔ ${THEIRS.tagged4} (community ${TAG}): localPref ${tagged?.localPref}, large ${IMPORT_LARGE} added; ${THEIRS.plain4}: localPref ${plain?.localPref ?? 'unset'}`;
      await Promise.resolve();
    } catch (e) {
      failed('import policy', e);
    }
  });

  test.serial('route refresh: `rackroute refresh` makes the daemon send its routes again', async (t: ExecutionContext) => {
    try {
      const before = await agent.neighbor(peer);
      const theirBefore = daemon.refreshReceived();
      const r = agent.cli<ActionResponse>('refresh', peer);
      t.log(r.detail);
      if (daemon.refreshIgnored !== undefined) {
        // The daemon counts our ROUTE-REFRESH (well-formed, session kept) but answers nothing: its own bug.
        const counted = await agent.waitFor('the daemon to count our ROUTE-REFRESH', async () => {
          const n = daemon.refreshReceived();
          return n !== null && theirBefore !== null && n >= theirBefore + 2 ? n : undefined;
        }, 10000);
        t.is((await agent.neighbor(peer)).state, 'Established');
        row['route refresh'] = `✔ (our side) sent 2, the daemon counted ${counted - (theirBefore ?? 0)} received, session kept; `
          + `no UPDATEs back: ${daemon.refreshIgnored}`;
        return;
      }
      const after = await agent.waitFor('UPDATEs after the refresh', async () => {
        const n = await agent.neighbor(peer);
        return n.messages.received.update >= before.messages.received.update + 2 ? n : undefined;
      }, 15000);
      await sleep(300);
      const last = await agent.neighbor(peer);
      const theirAfter = daemon.refreshReceived();
      const updates = last.messages.received.update - before.messages.received.update;
      const rr = last.messages.received.routeRefresh - before.messages.received.routeRefresh;
      t.true(after.messages.sent.routeRefresh >= before.messages.sent.routeRefresh + 2);
      if (theirAfter !== null && theirBefore !== null) t.true(theirAfter >= theirBefore + 2, 'the daemon counted our ROUTE-REFRESH');
      row['route refresh'] = `✔ sent ${last.messages.sent.routeRefresh - before.messages.sent.routeRefresh} ROUTE-REFRESH; received ${updates} UPDATEs${rr ? ` + ${rr} BoRR/EoRR` : ''}`
        + (theirAfter !== null && theirBefore !== null ? `; daemon counted ${theirAfter - theirBefore} received` : '; (no refresh counter in the daemon)');
    } catch (e) {
      failed('route refresh', e);
    }
  });

  test.serial('withdrawals both ways (IPv4 and IPv6)', async (t: ExecutionContext) => {
    try {
      daemon.withdraw([THEIRS.plain4, THEIRS.plain6]);
      const t0 = Date.now();
      await agent.waitFor('their withdrawals in our RIB', async () => {
        const r = await agent.routes(false, peer);
        return pathsOf(r, THEIRS.plain4).length === 0 && pathsOf(r, THEIRS.plain6).length === 0 && pathsOf(r, THEIRS.tagged4).length > 0;
      }, 20000, 50);
      const theirs = Date.now() - t0;
      await agent.reload(site([OURS.keep4, OURS.keep6]));
      const t1 = Date.now();
      await agent.waitFor('our withdrawals at the daemon', async () =>
        daemon.learned(OURS.drop4) === undefined && daemon.learned(OURS.drop6) === undefined && daemon.learned(OURS.keep4) !== undefined, 20000, 100);
      const ours = Date.now() - t1;
      t.pass();
      row['withdraw both ways'] = `✔ theirs ${THEIRS.plain4} ${THEIRS.plain6} gone from our RIB in ${theirs} ms; ours ${OURS.drop4} ${OURS.drop6} (reload) gone at the daemon in ${ours} ms`;
    } catch (e) {
      failed('withdraw both ways', e);
    }
  });

  test.serial('graceful restart of the daemon: its routes stay stale while it is gone, fresh when it is back, the one it lost goes at End-of-RIB', async (t: ExecutionContext) => {
    if (!daemon.gr) {
      row['GR helper (peer restarts)'] = '— not applicable: OpenBGPD 7.7 has no restarting-speaker side (helper only, PEERS.md)';
      t.pass();
      return;
    }
    try {
      await daemon.announceExtra(THEIRS.extra4);
      const kept = [THEIRS.tagged4, THEIRS.kept6];
      await agent.waitFor('the runtime prefix and the kept ones in our RIB, fresh', async () => {
        const r = await agent.routes(false, peer);
        return [...kept, THEIRS.extra4].every((p) => pathsOf(r, p).length === 1 && !pathsOf(r, p)[0]!.stale);
      }, 20000);
      const n = await agent.neighbor(peer);
      const grCap = (n.capabilities.received as { name: string; families?: { afi: number; forwarding: boolean }[]; restartTime?: number }[])
        .find((c) => c.name === 'graceful-restart');
      t.log('their graceful-restart capability:', JSON.stringify(grCap));
      const stopNote = await daemon.grStop();
      t.log(stopNote);
      const tStop = Date.now();
      await agent.waitFor('session down', async () => (await agent.state(peer)) !== 'Established', 15000, 50);
      const tDown = Date.now();
      // While the daemon is gone: every path stays, stale.
      let samples = 0;
      while (Date.now() - tDown < 3000) {
        const r = await agent.routes(false, peer);
        for (const p of [...kept, THEIRS.extra4]) {
          const paths = pathsOf(r, p);
          t.true(paths.length === 1 && paths[0]!.stale, `${p} stale while the daemon is down: ${JSON.stringify(paths)}`);
        }
        samples++;
        await sleep(200);
      }
      const cli = agent.cli<RoutesResponse>('routes', '--peer', peer);
      t.true(pathsOf(cli.routes, THEIRS.tagged4)[0]?.stale ?? false, 'stale: true in rackroute routes -o json');
      const startNote = await daemon.grStart();
      t.log(startNote);
      // Sample every 25 ms until the lost prefix is gone and the kept ones are fresh.
      let tEst: number | undefined;
      let staleAfterEst = false;
      let extraGoneAt: number | undefined;
      let freshAt: number | undefined;
      /** Kept prefixes swept after the session was back (End-of-RIB before the daemon re-announced them). */
      const gaps: string[] = [];
      // Each change of (state, every prefix: F fresh, S stale, - absent), with its time since the session went down.
      const timeline: string[] = [];
      let last = '';
      const end = Date.now() + 60000;
      t.teardown(() => { if (!t.passed) t.log(`timeline:\n${timeline.join('\n')}`); });
      while (Date.now() < end) {
        const [st, r] = await Promise.all([agent.state(peer), agent.routes(false, peer)]);
        const now = Date.now();
        const mark = (p: string): string => { const x = pathsOf(r, p)[0]; return x === undefined ? '-' : x.stale ? 'S' : 'F'; };
        const snap = `${st} ${[...kept, THEIRS.extra4].map((p) => `${p}:${mark(p)}`).join(' ')}`;
        if (snap !== last) timeline.push(`+${now - tDown} ms ${snap}`);
        last = snap;
        // Before the session is back nothing may go; after it, only End-of-RIB removes what is still stale.
        if (tEst === undefined && st !== 'Established') for (const p of kept) t.is(mark(p), 'S', `${p} stays, stale, while the daemon is away`);
        for (const p of kept) if (mark(p) === '-' && tEst !== undefined && !gaps.includes(p)) gaps.push(p);
        if (st === 'Established' && tEst === undefined) tEst = now;
        const extra = pathsOf(r, THEIRS.extra4);
        if (extra.length === 0 && extraGoneAt === undefined) extraGoneAt = now;
        if (extra.length > 0) t.true(extra[0]!.stale, 'the lost prefix is stale until it goes');
        if (tEst !== undefined && extra.length > 0 && extra[0]!.stale) staleAfterEst = true;
        if (kept.every((p) => pathsOf(r, p).length === 1 && !pathsOf(r, p)[0]!.stale) && freshAt === undefined) freshAt = now;
        if (extraGoneAt !== undefined && freshAt !== undefined) break;
        await sleep(25);
      }
      if (extraGoneAt === undefined || freshAt === undefined) throw new Error(`after the restart: lost prefix gone ${extraGoneAt !== undefined}, kept prefixes fresh ${freshAt !== undefined}`);
      const back = await agent.neighbor(peer);
      const grBack = (back.capabilities.received as { name: string; restarting?: boolean; families?: { afi: number; forwarding: boolean }[] }[]).find((c) => c.name === 'graceful-restart');
      t.log('their graceful-restart capability after the restart:', JSON.stringify(grBack));
      const fbit = (grBack?.families ?? []).filter((f) => f.forwarding).map((f) => (f.afi === 1 ? 'ipv4' : 'ipv6'));
      t.log(`timeline (ms after the session went down):\n${timeline.join('\n')}`);
      t.log(`down ${tDown - tStop} ms after the stop; stale over ${samples} samples; Established again +${(tEst ?? NaN) - tDown} ms; `
        + `kept fresh +${freshAt - tDown} ms; lost prefix gone +${extraGoneAt - tDown} ms; seen stale after Established: ${staleAfterEst}`);
      const st = (await agent.status()).sessions.find((s) => s.peer === peer);
      t.is(st?.state, 'Established');
      row['GR helper (peer restarts)'] = `✔ ${[...kept, THEIRS.extra4].length} routes stale:true for ${((tEst ?? Date.now()) - tDown) / 1000} s down; `
        + `back (R bit ${grBack && 'restarting' in grBack ? String(grBack.restarting) : '?'}, F bit ${fbit.join('+') || 'none'}): ${kept.join(' ')} fresh, `
        + `${THEIRS.extra4} (not re-announced) swept ${extraGoneAt - (tEst ?? extraGoneAt)} ms after Established${staleAfterEst ? ', seen stale while Established (waiting for End-of-RIB)' : ''}`
        + (gaps.length ? `; NOTE ${gaps.join(' ')} swept too: the daemon sent End-of-RIB before re-announcing it, back fresh +${freshAt - (tEst ?? freshAt)} ms` : '');
    } catch (e) {
      failed('GR helper (peer restarts)', e);
    }
  });

  test.serial('the agent is still the same process, every session Established', async (t: ExecutionContext) => {
    t.true(agent.alive());
    const n = await agent.neighbor(peer);
    t.is(n.state, 'Established');
    t.log(`flaps ${n.flaps}, last notification sent ${JSON.stringify(n.lastNotificationSent)}, received ${JSON.stringify(n.lastNotificationReceived)}`);
    const detail: NeighborDetail = n;
    t.truthy(detail.messages.received.update);
  });
}
