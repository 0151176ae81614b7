// Built-in values for everything the site file may leave out. The schema's `default` annotations say the same.

export const BUILTIN = {
  holdTime: 9,
  encapsulation: 'auto',
  tunnel: 'vxlan',
  mtu: 1500,
  fib: { install: true, table: 254, protocol: 199, reconcileInterval: 30 },
  peer: {
    connectRetry: 5,
    port: 179,
    multihop: 1,
    maxPrefixRestartTime: 0,
    families: ['ipv4-unicast', 'ipv6-unicast'],
    addPath: 'none',
    advertisementInterval: 0,
  },
  bgp: {
    listenPort: 179,
    gracefulRestart: { enabled: true, restartTime: 120, stalePathsTime: 360 },
    multipath: { enabled: true, maxPaths: 8, relaxAsPath: false },
    dynamicNeighborLimit: 1000,
  },
  vxlan: { vni: 4096, port: 4789, device: 'rr.vxlan' },
  ipip: { implementation: 'auto', device: 'rr.ipip' },
  datapath: { ebpf: true, nexthopCache: true },
  api: { socket: '/run/rackroute/rackroute.sock' },
  metrics: { enabled: true, address: '127.0.0.1:9650' },
  log: { level: 'info' },
} as const;

/** Policy names that mean something else in `import`/`export`. */
export const RESERVED_POLICY_NAMES: readonly string[] = ['default', 'all', 'none'];

/** AS numbers a BGP speaker must not use: AS_TRANS (RFC 6793) and the last of each range (RFC 7300). */
export const RESERVED_ASNS: ReadonlyMap<number, string> = new Map([
  [0, 'AS 0 is reserved (RFC 7607)'],
  [23456, 'AS 23456 is AS_TRANS (RFC 6793), not a real AS'],
  [65535, 'AS 65535 is reserved (RFC 7300)'],
  [4294967295, 'AS 4294967295 is reserved (RFC 7300)'],
]);

export const WELL_KNOWN_COMMUNITIES: ReadonlyMap<string, number> = new Map([
  ['graceful-shutdown', 0xffff0000],
  ['accept-own', 0xffff0001],
  ['llgr-stale', 0xffff0006],
  ['no-llgr', 0xffff0007],
  ['blackhole', 0xffff029a],
  ['no-export', 0xffffff01],
  ['no-advertise', 0xffffff02],
  ['no-export-subconfed', 0xffffff03],
  ['no-peer', 0xffffff04],
]);
