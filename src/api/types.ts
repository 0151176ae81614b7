// The admin API's JSON: the stable contract of `rackroute status|routes|neighbor|fib -o json` and of
// `curl --unix-socket`. Fields are only ever added.

export interface SessionStatus {
  readonly peer: string;
  readonly asn: number;
  readonly localAsn: number;
  readonly state: string;
  /** ISO time of the last state change. */
  readonly since: string | null;
  /** Seconds in the current state (Up/Down). */
  readonly upDownSeconds: number;
  readonly received: number;
  readonly accepted: number;
  readonly advertised: number;
  /** The last transition's reason: what an operator reads first. */
  readonly info: string;
  readonly dynamic: boolean;
  /** rack, node, mesh, or dynamic. */
  readonly origin: string;
}

export interface StatusResponse {
  readonly node: string;
  readonly site: string;
  readonly asn: number;
  readonly routerId: string;
  readonly sessions: readonly SessionStatus[];
  /** Encapsulation: mode, routes per transport, moves (total and by reason), per-node transport, the tunnel. */
  readonly transport?: TransportStatusView;
}

export interface TransportStatusView {
  readonly mode: string | null;
  readonly tunnel: string | null;
  readonly routes: Readonly<Record<string, number>>;
  readonly moves: number;
  readonly movesByReason: Readonly<Record<string, number>>;
  readonly nodes: readonly { readonly node: string; readonly address: string; readonly transport: string; readonly why: string }[];
  readonly tunnels: {
    readonly wanted: string | null;
    readonly tunnel: {
      readonly kind: string; readonly implementation: string; readonly device: string; readonly mtu: number; readonly up: boolean;
      readonly peers: number; readonly repairs: number; readonly lastError: string | null;
      readonly details: Readonly<Record<string, string | number | boolean>>;
    } | null;
    readonly unavailable: string | null;
    /** which implementation carries the tunnel and why: "ebpf: the kernel has no ipip driver ...", "kernel: ..." */
    readonly implementation: string | null;
    readonly passes: number;
    readonly failedPasses: number;
  };
}

export interface PathView {
  readonly peer: string;
  readonly pathId?: number;
  readonly nextHop: string;
  readonly asPath: string;
  readonly origin: string;
  readonly localPref?: number;
  readonly med?: number;
  readonly communities?: readonly string[];
  readonly largeCommunities?: readonly string[];
  /** Route reflection (RFC 4456), with --detail: the router id of the path's originator, and the clusters it crossed. */
  readonly originatorId?: string;
  readonly clusterList?: readonly string[];
  readonly best: boolean;
  readonly multipath: boolean;
  readonly stale: boolean;
  /** Why the best path won (the §9.1.2 step), on the best path. */
  readonly reason?: string;
}

export interface RouteView {
  readonly prefix: string;
  readonly family: 'ipv4' | 'ipv6';
  readonly paths: readonly PathView[];
  /** How the node forwards it: native, vxlan, ipip, local (its own pod CIDR), or none. */
  readonly transport?: string;
  /** Why that transport (fabric-routes, fabric-no-path, mode always, same-subnet, tunnel-unavailable...). */
  readonly transportReason?: string;
}

export interface RoutesResponse {
  readonly routes: readonly RouteView[];
  readonly total: number;
}

export interface TimerView {
  readonly configured: number;
  readonly negotiated: number | null;
  /** Seconds until it fires; null when not running. */
  readonly remaining: number | null;
}

export interface MessageCounters {
  readonly open: number;
  readonly update: number;
  readonly notification: number;
  readonly keepalive: number;
  readonly routeRefresh: number;
  readonly total: number;
}

export interface NeighborDetail extends SessionStatus {
  readonly localAddress: string | null;
  readonly remotePort: number | null;
  readonly routerId: string | null;
  readonly capabilities: {
    readonly sent: readonly unknown[];
    readonly received: readonly unknown[];
    readonly negotiated: unknown;
  };
  readonly timers: {
    readonly holdTime: TimerView;
    readonly keepalive: TimerView;
    readonly connectRetry: TimerView;
  };
  readonly messages: { readonly sent: MessageCounters; readonly received: MessageCounters };
  readonly lastError: { readonly reason: string; readonly at: string | null } | null;
  readonly lastNotificationSent: { readonly code: number; readonly subcode: number; readonly name: string; readonly message?: string } | null;
  readonly lastNotificationReceived: { readonly code: number; readonly subcode: number; readonly name: string; readonly message?: string } | null;
  readonly flaps: number;
}

export interface ActionResponse {
  readonly ok: true;
  readonly peer: string;
  readonly detail: string;
}
