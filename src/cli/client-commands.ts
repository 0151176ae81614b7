// The operator commands that talk to a running agent over its admin socket: status, routes, neighbor, refresh,
// shutdown. Every one takes -o json (the stable contract) and --socket.
import type { Command } from 'commander';
import { apiRequest, defaultSocket } from '../api/client.js';
import type { ActionResponse, NeighborDetail, RoutesResponse, StatusResponse } from '../api/types.js';
import type { FibView } from '../dataplane/netlink/index.js';
import { printTable } from './table.js';

interface Common {
  readonly output: string;
  readonly socket: string;
}

function withCommon(cmd: Command): Command {
  return cmd
    .option('-o, --output <format>', 'table or json', 'table')
    .option('--socket <path>', 'the agent\'s admin socket', defaultSocket());
}

function json(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/** 3d04h, 02:13:45, as routers print Up/Down. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return d > 0 ? `${d}d${pad(h)}h${pad(m)}m` : `${pad(h)}:${pad(m)}:${pad(s % 60)}`;
}

const enc = encodeURIComponent;

export function registerClientCommands(program: Command): void {
  withCommon(program.command('status'))
    .description('BGP sessions: Peer AS LocalAS State Up/Down Rcvd Accepted Adv Info')
    .action(async (opts: Common) => {
      const st = await apiRequest<StatusResponse>(opts.socket, 'GET', '/v1/status');
      if (opts.output === 'json') return json(st);
      console.log(`node ${st.node} (site ${st.site}), AS ${st.asn}, router id ${st.routerId}`);
      printTable(['Peer', 'AS', 'LocalAS', 'State', 'Up/Down', 'Rcvd', 'Accepted', 'Adv', 'Info'], st.sessions.map((s) => [
        s.peer, s.asn, s.localAsn, s.state, formatDuration(s.upDownSeconds), s.received, s.accepted, s.advertised, s.info]));
      const tr = st.transport;
      if (tr) {
        const tun = tr.tunnels.tunnel;
        console.log(`\nencapsulation ${tr.mode ?? '-'}; tunnel ${tun ? `${tun.kind} (${tun.implementation}) dev ${tun.device} mtu ${tun.mtu}${tun.up ? '' : ' DOWN'}`
          : tr.tunnels.wanted ? `${tr.tunnels.wanted} UNAVAILABLE: ${tr.tunnels.unavailable ?? ''}` : 'none'}; `
          + `routes ${Object.entries(tr.routes).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}; moves ${tr.moves}`
          + `${tr.moves ? ` (${Object.entries(tr.movesByReason).map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`);
        if (tr.tunnels.implementation) console.log(`tunnel implementation ${tr.tunnels.implementation}`);
        if (tr.nodes.length) printTable(['Node', 'Address', 'Transport', 'Why'], tr.nodes.map((n) => [n.node, n.address, n.transport, n.why]));
      }
    });

  withCommon(program.command('routes'))
    .description('the Loc-RIB: paths with best (*>) and multipath (*=) markers, and the chosen transport')
    .option('--peer <address>', 'only paths from this peer')
    .option('--detail', 'attributes and the reason the best path won')
    .action(async (opts: Common & { peer?: string; detail?: boolean }) => {
      const q = new URLSearchParams();
      if (opts.peer) q.set('peer', opts.peer);
      if (opts.detail) q.set('detail', '1');
      const r = await apiRequest<RoutesResponse>(opts.socket, 'GET', `/v1/routes?${q}`);
      if (opts.output === 'json') return json(r);
      const transport = (route: RoutesResponse['routes'][number]): string =>
        `${route.transport ?? ''}${route.transportReason && route.transport !== 'local' ? ` (${route.transportReason})` : ''}`;
      const rows = r.routes.flatMap((route) => (route.paths.length === 0
        // a tunnel route to a pod CIDR the Loc-RIB does not have (from the site file's node list)
        ? [[' ', route.prefix, '-', 'site file', '-', transport(route), ...(opts.detail ? ['', '', '', '', '', ''] : [])]]
        : route.paths.map((p, i) => {
        const mark = `${p.stale ? 'S' : ''}${p.best ? '*>' : p.multipath ? '*=' : ' '}`;
        const base = [mark, i === 0 ? route.prefix : '', p.nextHop, p.peer, p.asPath || '-', i === 0 ? transport(route) : ''];
        // Route reflection (RFC 4456): "originator / cluster list", as FRR's "Originator: ..., Cluster list: ...".
        const reflected = p.originatorId ? `${p.originatorId} / ${(p.clusterList ?? []).join(' ')}` : '';
        return opts.detail ? [...base, p.origin, p.localPref ?? '', p.med ?? '', (p.communities ?? []).join(' '), reflected, p.reason ?? ''] : base;
      })));
      const headers = ['', 'Prefix', 'NextHop', 'Peer', 'AS path', 'Transport'];
      printTable(opts.detail ? [...headers, 'Origin', 'LocPrf', 'MED', 'Communities', 'Originator / clusters', 'Reason'] : headers, rows);
      console.log(`${r.total} prefixes`);
    });

  withCommon(program.command('fib'))
    .description('desired vs kernel routes: state per route (ok, missing, changed, extra, conflict), drift marked')
    .option('--drift', 'only the routes that are not as desired')
    .action(async (opts: Common & { drift?: boolean }) => {
      const v = await apiRequest<FibView>(opts.socket, 'GET', `/v1/fib${opts.drift ? '?drift=1' : ''}`);
      if (opts.output === 'json') return json(v);
      const hops = (r?: { nexthops?: ReadonlyArray<{ gateway?: string; dev?: string }>; type?: string }): string =>
        !r ? '-' : r.type && r.type !== 'unicast' ? r.type : (r.nexthops ?? []).map((h) => h.gateway ?? h.dev ?? '?').join(', ');
      printTable(['State', 'Drift', 'Route', 'Desired', 'Kernel', 'Error'], v.rows.map((r) => [
        r.state, r.drift ? 'DRIFT' : '', r.key, hops(r.desired), hops(r.kernel), r.error ?? '']));
      const s = v.summary;
      console.log(`ok ${s.ok}, missing ${s.missing}, changed ${s.changed}, extra ${s.extra}, conflict ${s.conflict}; foreign routes ${s.foreign}`);
    });

  withCommon(program.command('neighbor'))
    .argument('<peer>', 'peer address')
    .description('one session in detail: capabilities, timers, message counters, last error')
    .action(async (peer: string, opts: Common) => {
      const n = await apiRequest<NeighborDetail>(opts.socket, 'GET', `/v1/neighbors/${enc(peer)}`);
      if (opts.output === 'json') return json(n);
      const t = (x: { configured: number; negotiated: number | null; remaining: number | null }): string =>
        `${x.remaining === null ? '-' : x.remaining.toFixed(1)} s left of ${x.negotiated ?? '-'} s (configured ${x.configured} s)`;
      console.log([
        `BGP neighbor ${n.peer}, remote AS ${n.asn}, local AS ${n.localAsn}, ${n.origin}${n.dynamic ? ' (dynamic)' : ''}`,
        `  state ${n.state} for ${formatDuration(n.upDownSeconds)}; ${n.info}`,
        `  router id ${n.routerId ?? '-'}, local ${n.localAddress ?? '-'}, flaps ${n.flaps}`,
        `  hold timer: ${t(n.timers.holdTime)}`,
        `  keepalive:  ${t(n.timers.keepalive)}`,
        `  connect retry: ${t(n.timers.connectRetry)}`,
        `  messages sent: ${JSON.stringify(n.messages.sent)}`,
        `  messages received: ${JSON.stringify(n.messages.received)}`,
        `  prefixes: received ${n.received}, accepted ${n.accepted}, advertised ${n.advertised}`,
        `  last error: ${n.lastError ? `${n.lastError.reason} at ${n.lastError.at}` : '-'}`,
        `  capabilities negotiated: ${JSON.stringify(n.capabilities.negotiated)}`,
      ].join('\n'));
    });

  withCommon(program.command('refresh'))
    .argument('<peer>', 'peer address')
    .description('ask the peer to send its routes again (ROUTE-REFRESH, RFC 2918 / RFC 7313)')
    .action(async (peer: string, opts: Common) => {
      const r = await apiRequest<ActionResponse>(opts.socket, 'POST', `/v1/neighbors/${enc(peer)}/refresh`);
      if (opts.output === 'json') return json(r);
      console.log(r.detail);
    });

  withCommon(program.command('shutdown'))
    .argument('<peer>', 'peer address')
    .option('--message <text>', 'shutdown communication for the peer (RFC 9003)')
    .option('--start', 'bring an administratively shut session back up')
    .description('administratively shut a session down (Cease, administrative shutdown) or, with --start, up again')
    .action(async (peer: string, opts: Common & { message?: string; start?: boolean }) => {
      const path = `/v1/neighbors/${enc(peer)}/${opts.start ? 'start' : 'shutdown'}`;
      const r = await apiRequest<ActionResponse>(opts.socket, 'POST', path, opts.start ? undefined : { message: opts.message ?? '' });
      if (opts.output === 'json') return json(r);
      console.log(r.detail);
    });
}
