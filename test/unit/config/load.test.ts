// Valid site files: the shipped example, the design's snippet, defaults and inheritance, YAML anchors.
import test from 'ava';
import { check, issues, readRepoFile, small, SMALL } from './helpers.js';
import { checkSiteFile, parseSite } from '../../../src/config/index.js';

test('config/site.example.yaml validates (password files present)', (t) => {
  const r = check(readRepoFile('config/site.example.yaml'), undefined, 'config/site.example.yaml');
  t.deepEqual(r.issues, []);
  t.true(r.ok);
  t.is(r.config!.site, 'dc1');
  t.deepEqual(r.config!.racks.map((x) => x.name), ['r1', 'r2', 'r3']);
});

test('the site file snippet in DESIGN.md validates as written', (t) => {
  const r = check(readRepoFile('test/fixtures/config/design.yaml'));
  t.deepEqual(r.issues, []);
  const c = r.config!;
  t.deepEqual(c.nodes.map((n) => [n.name, n.rack, n.address, n.asn, n.podCIDRs]), [
    ['node-a', 'r1', '10.0.1.10', 64512, ['10.244.1.0/24', 'fd00:244:1::/64']],
    ['node-b', 'r2', '10.0.2.10', 64512, ['10.244.2.0/24']],
  ]);
  t.deepEqual(c.racks[0]!.peers.map((p) => [p.address, p.asn, p.import, p.passwordFile]), [
    ['10.0.1.1', 65001, 'default', null],
    ['10.0.1.2', 65001, 'all', '/etc/rackroute/tor.key'],
  ]);
  t.deepEqual(c.fib, { install: true, table: 254, protocol: 199, reconcileInterval: 30 });
});

test('checkSiteFile reads the file and looks at the password files', (t) => {
  const r = checkSiteFile('test/fixtures/config/design.yaml');
  // /etc/rackroute/tor.key is not on a test machine: that is the one error.
  t.deepEqual(r.issues.map((i) => `${i.line}:${i.column} ${i.path}`), r.ok ? [] : ['14:73 racks[0].peers[1].password.file']);
  const missing = checkSiteFile('test/fixtures/config/no-such-file.yaml');
  t.deepEqual(missing.issues.map((i) => i.message), ['cannot read the site file: no such file']);
});

test('defaults: built-in values, and racks and peers inheriting from defaults', (t) => {
  const text = small('  asn: 64512\n', '  asn: 64512\n  holdTime: 30\n  tunnel: ipip\n  peer: { import: all, maxPrefix: 100 }\n')
    .replace('    subnet: 10.0.2.0/24\n', '    subnet: 10.0.2.0/24\n    holdTime: 90\n    mtu: 9000\n    asn: 64600\n    peers: [{ address: 10.0.2.1, asn: 65002, import: none }]\n');
  const { config } = parseSite(text, 'site.yaml');
  const [r1, r2] = config.racks;
  t.deepEqual([r1!.holdTime, r1!.tunnel, r1!.mtu, r1!.encapsulation, r1!.asn], [30, 'ipip', 1500, 'auto', 64512]);
  t.deepEqual([r2!.holdTime, r2!.tunnel, r2!.mtu, r2!.asn], [90, 'ipip', 9000, 64600]);
  const p1 = r1!.peers[0]!;
  t.like(p1, { holdTime: 30, keepalive: 10, import: 'all', export: 'default', port: 179, multihop: 1, ttlSecurity: null,
    passive: false, gracefulRestart: true, maxPrefix: { limit: 100, warningOnly: false, restartTime: 0 } });
  t.deepEqual(p1.families, ['ipv4-unicast', 'ipv6-unicast']);
  t.like(r2!.peers[0]!, { holdTime: 90, keepalive: 30, import: 'none' });
  t.is(config.nodes[1]!.asn, 64600);
  t.is(config.nodes[0]!.routerId, '10.0.1.10');
  t.deepEqual(config.bgp.listen, { address: null, port: 179 });
  t.deepEqual(config.bgp.gracefulRestart, { enabled: true, restartTime: 120, stalePathsTime: 360 });
  t.deepEqual(config.vxlan, { vni: 4096, port: 4789, device: 'rr.vxlan' });
  t.is(config.datapath.ebpf, true);
  t.is(config.api.socket, '/run/rackroute/rackroute.sock');
  t.is(config.nodeMesh.mode, 'none');
});

test('the resolved config is deeply frozen', (t) => {
  const { config } = parseSite(SMALL, 'site.yaml');
  t.true(Object.isFrozen(config));
  t.true(Object.isFrozen(config.racks[0]!.peers[0]!));
  t.true(Object.isFrozen(config.nodes[0]!.podCIDRs));
  t.throws(() => { (config.nodes as unknown as unknown[]).push({}); });
});

test('policies are resolved: prefix lists inlined, communities as numbers', (t) => {
  const { config } = parseSite(readRepoFile('config/site.example.yaml'), 'x.yaml');
  const torIn = config.policies['tor-in']!;
  t.is(torIn.default, 'reject');
  t.deepEqual(torIn.terms[0]!.match.prefixes, [
    { prefix: '10.244.0.0/16', family: 4, ge: 24, le: 24 },
    { prefix: 'fd00:244::/32', family: 6, ge: 64, le: 64 },
  ]);
  t.deepEqual(torIn.terms[1]!.match.prefixes, [
    { prefix: '0.0.0.0/0', family: 4, ge: 0, le: 0 },
    { prefix: '::/0', family: 6, ge: 0, le: 0 },
  ]);
  t.deepEqual(torIn.terms[1]!.set.communities, { add: [64513 * 65536 + 100], remove: [], removeAll: false });
  t.deepEqual(torIn.terms[1]!.set.largeCommunities?.add, [[64513, 1, 1]]);
  const out = config.policies['pods-out']!.terms[0]!;
  t.deepEqual(out.set.prepend, { count: 2, asn: null });
  t.is(out.set.nextHop, 'self');
  t.deepEqual(out.set.communities?.add, [0xffffff01]);
  t.deepEqual(config.racks[2]!.peers[0]!.import, { policy: 'tor-in' });
  t.is(config.racks[2]!.peers[0]!.ttlSecurity, 1);
});

test('anchors and merge keys: errors point where the value was written', (t) => {
  const text = `site: dc1
tor: &tor
  asn: 65001
  holdTime: 2
racks:
  - name: r1
    subnet: 10.0.1.0/24
    peers:
      - { <<: *tor, address: 10.0.1.1 }
nodes:
  - { name: node-a, rack: r1, address: 10.0.1.10, asn: 64512 }
`;
  // `tor` is not a site key; the hold time comes in through the merge and is reported at line 4.
  t.deepEqual(issues(text), [
    "site.yaml:2:1: unknown key 'tor' (expected one of: site, description, defaults, clusterCIDRs, racks, nodes, prefixLists, policies, bgp, nodeMesh, vxlan, ipip, datapath, api, metrics, log)",
    'site.yaml:4:13: hold time 2 is not allowed (RFC 4271 §4.2) (expected 0 (no keepalives) or 3 to 65535 seconds)',
  ]);
});

test('a byte order mark and CRLF line ends keep positions right', (t) => {
  const text = `\ufeff${small('subnet: 10.0.2.0/24', 'subnet: 10.0.2.1/24').replace(/\n/g, '\r\n')}`;
  t.deepEqual(issues(text), ['site.yaml:10:13: "10.0.2.1/24" has host bits set (expected 10.0.2.0/24)']);
});
