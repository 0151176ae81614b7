// Each bad site file gives exactly the expected FILE:LINE:COL: message (expected ...).
import test from 'ava';
import { check, issues, small, SMALL } from './helpers.js';
import { ConfigError, parseSite } from '../../../src/config/index.js';

test('the small base site is valid', (t) => {
  t.deepEqual(issues(SMALL), []);
});

test('unknown key at the top level', (t) => {
  t.deepEqual(issues(`${SMALL}extra: 1\n`), [
    "site.yaml:14:1: unknown key 'extra' (expected one of: site, description, defaults, clusterCIDRs, racks, nodes, prefixLists, policies, bgp, nodeMesh, vxlan, ipip, datapath, api, metrics, log)",
  ]);
});

test('unknown key in defaults, with the key it resembles', (t) => {
  t.deepEqual(issues(small('  asn: 64512\n', '  asn: 64512\n  holdtime: 9\n')), [
    "site.yaml:4:3: unknown key 'holdtime' in defaults; did you mean 'holdTime'? (expected one of: asn, holdTime, encapsulation, tunnel, mtu, fib, peer)",
  ]);
});

test('unknown key in a peer written as a flow mapping', (t) => {
  const out = issues(small('{ address: 10.0.1.1, asn: 65001 }', '{ address: 10.0.1.1, asn: 65001, pasword: x }'));
  t.is(out.length, 1);
  t.true(out[0]!.startsWith("site.yaml:8:42: unknown key 'pasword' in racks[0].peers[0]; did you mean 'password'? (expected one of: address, asn, description, import, export, password,"));
});

test('unknown key five levels down, and the missing key beside it', (t) => {
  t.deepEqual(issues(small('{ address: 10.0.1.1, asn: 65001 }', '{ address: 10.0.1.1, asn: 65001, password: { path: /x } }')), [
    "site.yaml:8:42: racks[0].peers[0].password is missing the required key 'file' (expected file: a string)",
    "site.yaml:8:54: unknown key 'path' in racks[0].peers[0].password (expected one of: file)",
  ]);
});

test('unknown key in a policy term, in block style', (t) => {
  const text = `${SMALL}policies:
  tor-in:
    terms:
      - match: { prefixList: pods }
        then: { localPref: 200 }
`;
  t.deepEqual(issues(text), [
    "site.yaml:15:3: warning: policy 'tor-in' is not used by any peer",
    "site.yaml:17:30: prefix list 'pods' is not defined (expected a list defined under prefixLists)",
    "site.yaml:18:9: unknown key 'then' in policies.tor-in.terms[0] (expected one of: name, match, set, action)",
  ]);
});

test('unknown keys do not hide the semantic errors', (t) => {
  const text = small('  asn: 64512\n', '  asn: 64512\n  holdTim: 9\n').replace('subnet: 10.0.2.0/24', 'subnet: 10.0.2.5/24');
  t.deepEqual(issues(text), [
    "site.yaml:4:3: unknown key 'holdTim' in defaults; did you mean 'holdTime'? (expected one of: asn, holdTime, encapsulation, tunnel, mtu, fib, peer)",
    'site.yaml:11:13: "10.0.2.5/24" has host bits set (expected 10.0.2.0/24)',
  ]);
});

test('a prefix without a length', (t) => {
  t.deepEqual(issues(small('podCIDRs: [10.244.2.0/24]', 'podCIDRs: [10.244.2.0]')), [
    'site.yaml:13:62: "10.244.2.0" has no prefix length (expected 10.244.2.0/LENGTH)',
  ]);
});

test('a prefix that is not one', (t) => {
  t.deepEqual(issues(small('podCIDRs: [10.244.2.0/24]', 'podCIDRs: [10.244.256.0/24]')), [
    'site.yaml:13:62: "10.244.256.0/24" is not a prefix (expected ADDRESS/LENGTH, such as 10.244.1.0/24 or fd00:244:1::/64)',
  ]);
});

test('a prefix length too long for its family', (t) => {
  t.deepEqual(issues(small('subnet: 10.0.2.0/24', 'subnet: 10.0.2.0/33')), [
    'site.yaml:10:13: "10.0.2.0/33": the prefix length is too long (expected a length from 0 to 32)',
  ]);
});

test('host bits set', (t) => {
  t.deepEqual(issues(small('subnet: 10.0.2.0/24', 'subnet: 10.0.2.1/24')), [
    'site.yaml:10:13: "10.0.2.1/24" has host bits set (expected 10.0.2.0/24)',
  ]);
});

test('an IPv6 prefix not in canonical form', (t) => {
  t.deepEqual(issues(small('podCIDRs: [10.244.2.0/24]', 'podCIDRs: [10.244.2.0/24, "FD00:244:2:0::/64"]')), [
    'site.yaml:13:77: "FD00:244:2:0::/64" is not in canonical form (expected fd00:244:2::/64)',
  ]);
});

test('an address that is not one, and one not canonical', (t) => {
  t.deepEqual(issues(small('address: 10.0.2.10', 'address: 10.0.2.010')), [
    'site.yaml:13:40: "10.0.2.010" is not an IP address (expected an IPv4 or IPv6 address, such as 10.0.1.1 or fd00::1)',
  ]);
  t.deepEqual(issues(small('{ address: 10.0.1.1, asn: 65001 }', '{ address: 10.0.1.1/32, asn: 65001 }')), [
    'site.yaml:8:20: "10.0.1.1/32" is a prefix, not an address (expected an address without /LENGTH)',
  ]);
});

test('overlapping pod CIDRs between nodes name both', (t) => {
  t.deepEqual(issues(small('podCIDRs: [10.244.2.0/24]', 'podCIDRs: [10.244.0.0/16]')), [
    "site.yaml:13:62: pod CIDR 10.244.0.0/16 overlaps 10.244.1.0/24 of node 'node-a' (line 12) (expected pod CIDRs that do not overlap)",
  ]);
});

test('a pod CIDR inside an underlay subnet', (t) => {
  t.deepEqual(issues(small('podCIDRs: [10.244.2.0/24]', 'podCIDRs: [10.0.1.128/25]')), [
    "site.yaml:13:62: pod CIDR 10.0.1.128/25 overlaps the underlay subnet 10.0.1.0/24 (racks[0].subnet) (expected pod CIDRs outside the racks' subnets)",
  ]);
});

test('a pod CIDR outside the clusterCIDRs', (t) => {
  t.deepEqual(issues(`${SMALL}clusterCIDRs: [10.244.0.0/24]\n`), [
    'site.yaml:13:62: pod CIDR 10.244.2.0/24 is outside the clusterCIDRs (10.244.0.0/24) (expected a prefix inside clusterCIDRs)',
    'site.yaml:12:62: pod CIDR 10.244.1.0/24 is outside the clusterCIDRs (10.244.0.0/24) (expected a prefix inside clusterCIDRs)',
  ].sort());
});

test('a node whose rack does not exist', (t) => {
  t.deepEqual(issues(small('rack: r2', 'rack: r3')), [
    "site.yaml:13:27: rack 'r3' is not defined (expected one of the racks: r1, r2)",
  ]);
});

test('duplicate node and rack names', (t) => {
  t.deepEqual(issues(small('name: node-b', 'name: node-a')), [
    "site.yaml:13:13: node 'node-a' is defined twice (first at line 12) (expected unique node names)",
  ]);
  t.deepEqual(issues(small('name: r2', 'name: r1').replace('rack: r2', 'rack: r1').replace('10.0.2.10', '10.0.1.11')), [
    "site.yaml:9:11: rack 'r1' is defined twice (first at line 5) (expected unique rack names)",
  ]);
});

test('a node address outside its rack subnet is an error', (t) => {
  t.deepEqual(issues(small('address: 10.0.2.10', 'address: 10.0.3.10')), [
    "site.yaml:13:40: address 10.0.3.10 is not a host address in rack r2's subnet (10.0.2.0/24) (expected an address in 10.0.2.0/24)",
  ]);
});

test('a peer in the wrong family for its rack', (t) => {
  t.deepEqual(issues(small('{ address: 10.0.1.1, asn: 65001 }', '{ address: "fd00::1", asn: 65001 }')), [
    'site.yaml:8:20: peer fd00::1 is IPv6 but rack r1 has only IPv4 subnets (10.0.1.0/24) (expected an IPv4 address, or a sourceAddress in IPv6, or an IPv6 subnet under additionalSubnets)',
  ]);
  // An IPv6 subnet in the rack makes it right.
  t.deepEqual(issues(small('{ address: 10.0.1.1, asn: 65001 }', '{ address: "fd00:10:1::1", asn: 65001 }')
    .replace('    subnet: 10.0.1.0/24\n', '    subnet: 10.0.1.0/24\n    additionalSubnets: ["fd00:10:1::/64"]\n')), []);
});

test('a sourceAddress in another family than its peer', (t) => {
  t.deepEqual(issues(small('{ address: 10.0.1.1, asn: 65001 }', '{ address: 10.0.1.1, asn: 65001, sourceAddress: "fd00::2" }')), [
    'site.yaml:8:57: "fd00::2" is an IPv6 address (expected an IPv4 address)',
  ]);
});

test('a peer import naming an undefined policy', (t) => {
  t.deepEqual(issues(small('{ address: 10.0.1.1, asn: 65001 }', '{ address: 10.0.1.1, asn: 65001, import: tor-in }')), [
    "site.yaml:8:50: policy 'tor-in' is not defined (expected default, all, none, or a policy defined under policies)",
  ]);
});

test('a term naming an undefined prefix list, and an unused policy', (t) => {
  const text = `${SMALL}prefixLists:
  pods: [{ prefix: 10.244.0.0/16, ge: 24 }]
policies:
  tor-in:
    terms:
      - match: { prefixList: pod }
`;
  t.deepEqual(issues(text), [
    "site.yaml:17:3: warning: policy 'tor-in' is not used by any peer",
    "site.yaml:19:30: prefix list 'pod' is not defined (expected one of the prefixLists: pods)",
  ]);
});

test('ge and le outside the prefix', (t) => {
  const text = `${SMALL}prefixLists:
  pods:
    - { prefix: 10.244.0.0/16, ge: 8 }
    - { prefix: 10.244.0.0/16, ge: 24, le: 20 }
`;
  t.deepEqual(issues(text), [
    'site.yaml:16:36: ge 8 is outside 10.244.0.0/16 (expected a length from 16 to 32)',
    'site.yaml:17:44: le 20 is outside 10.244.0.0/16 with ge 24 (expected a length from 24 to 32)',
  ]);
});

test('reserved and out-of-range AS numbers', (t) => {
  t.deepEqual(issues(small('asn: 65001', 'asn: 23456')), [
    'site.yaml:8:35: AS 23456 is AS_TRANS (RFC 6793), not a real AS (expected an AS number from 1 to 4294967294, except 23456 and 65535)',
  ]);
  t.deepEqual(issues(small('asn: 65001', 'asn: 4294967296')), [
    'site.yaml:8:35: racks[0].peers[0].asn: 4294967296 is out of range (expected an integer from 1 to 4294967294)',
  ]);
  t.deepEqual(issues(small('asn: 65001', 'asn: 0')), [
    'site.yaml:8:35: racks[0].peers[0].asn: 0 is out of range (expected an integer from 1 to 4294967294)',
  ]);
});

test('hold times 1 and 2 and above 65535', (t) => {
  t.deepEqual(issues(small('  asn: 64512\n', '  asn: 64512\n  holdTime: 2\n')), [
    'site.yaml:4:13: hold time 2 is not allowed (RFC 4271 §4.2) (expected 0 (no keepalives) or 3 to 65535 seconds)',
  ]);
  t.deepEqual(issues(small('{ address: 10.0.1.1, asn: 65001 }', '{ address: 10.0.1.1, asn: 65001, holdTime: 1 }')), [
    'site.yaml:8:52: hold time 1 is not allowed (RFC 4271 §4.2) (expected 0 (no keepalives) or 3 to 65535 seconds)',
  ]);
  t.deepEqual(issues(small('  asn: 64512\n', '  asn: 64512\n  holdTime: 70000\n')), [
    'site.yaml:4:13: defaults.holdTime: 70000 is out of range (expected an integer from 0 to 65535)',
  ]);
});

test('wrong types, including YAML 1.1 booleans that YAML 1.2 reads as strings', (t) => {
  t.deepEqual(issues(small('  asn: 64512\n', '  asn: "64512"\n')), [
    'site.yaml:3:8: defaults.asn is a string ("64512") (expected an integer)',
  ]);
  t.deepEqual(issues(small('  asn: 64512\n', '  asn: 64512\n  fib: { install: yes }\n')), [
    'site.yaml:4:19: defaults.fib.install is a string ("yes") (expected true or false)',
  ]);
  t.deepEqual(issues(`${SMALL}bgp: { listen: 179 }\n`), [
    'site.yaml:14:16: bgp.listen is the number 179 (expected true or false or a mapping)',
  ]);
  t.deepEqual(issues(small('podCIDRs: [10.244.2.0/24]', 'podCIDRs: 10.244.2.0/24')), [
    'site.yaml:13:61: nodes[1].podCIDRs is a string ("10.244.2.0/24") (expected a list)',
  ]);
});

test('a value outside an enumeration', (t) => {
  t.deepEqual(issues(small('  asn: 64512\n', '  asn: 64512\n  encapsulation: sometimes\n')), [
    'site.yaml:4:18: defaults.encapsulation: "sometimes" is not allowed (expected one of: never, always, cross-subnet, auto)',
  ]);
});

test('a missing required key', (t) => {
  t.deepEqual(issues(small('    subnet: 10.0.2.0/24\n', '')), [
    "site.yaml:9:5: racks[1] is missing the required key 'subnet' (expected subnet: a prefix in CIDR notation, such as 10.244.1.0/24 or fd00:244:1::/64)",
  ]);
});

test('YAML syntax errors', (t) => {
  t.deepEqual(issues(small('  - name: r2\n', '  - name: r2\n   subnet: x\n')), [
    'site.yaml:10:4: YAML syntax: bad indentation of a sequence entry',
  ]);
  t.deepEqual(issues(small('  asn: 64512\n', '  asn: 64512\n  asn: 64513\n')), [
    'site.yaml:4:3: YAML syntax: duplicated mapping key',
  ]);
  t.deepEqual(issues(small('podCIDRs: [10.244.2.0/24] }', 'podCIDRs: [10.244.2.0/24 }')), [
    'site.yaml:13:76: YAML syntax: missed comma between flow collection entries',
  ]);
});

test('an empty file and a file that is not a mapping', (t) => {
  t.deepEqual(issues(''), ['site.yaml:1:1: the file is empty (expected a mapping)']);
  t.deepEqual(issues('hello\n'), ['site.yaml:1:1: the file is a string ("hello") (expected a mapping)']);
});

test('a missing password file is an error at check time; an unreadable one a warning', (t) => {
  const text = small('{ address: 10.0.1.1, asn: 65001 }', '{ address: 10.0.1.1, asn: 65001, password: { file: /etc/rackroute/tor.key } }');
  t.deepEqual(issues(text, () => ({ kind: 'missing' })), [
    'site.yaml:8:60: password file /etc/rackroute/tor.key does not exist (expected a file holding the TCP MD5 key)',
  ]);
  t.deepEqual(issues(text, () => ({ kind: 'unreadable', code: 'EACCES' })), [
    'site.yaml:8:60: warning: password file /etc/rackroute/tor.key cannot be read here (EACCES); the agent must be able to read it',
  ]);
  t.deepEqual(issues(text, () => ({ kind: 'ok', size: 8, mode: 0o100644 })), [
    'site.yaml:8:60: warning: password file /etc/rackroute/tor.key is readable by everyone (mode 0644) (expected mode 0600 or 0640)',
  ]);
  // Relative paths are relative to the site file.
  const rel = small('{ address: 10.0.1.1, asn: 65001 }', '{ address: 10.0.1.1, asn: 65001, password: { file: tor.key } }');
  const seen: string[] = [];
  check(rel, (p) => { seen.push(p); return { kind: 'ok', size: 8, mode: 0o100600 }; }, '/etc/rackroute/site.yaml');
  t.deepEqual(seen, ['/etc/rackroute/tor.key']);
});

test('ttlSecurity and multihop exclude each other', (t) => {
  t.deepEqual(issues(small('{ address: 10.0.1.1, asn: 65001 }', '{ address: 10.0.1.1, asn: 65001, multihop: 2, ttlSecurity: true }')), [
    'site.yaml:8:68: ttlSecurity and multihop cannot both be set (expected one of them (ttlSecurity: N allows N hops))',
  ]);
});

test('a node without an AS, and an IPv6-only node without a router ID', (t) => {
  t.deepEqual(issues(small('defaults:\n  asn: 64512\n', '')), [
    "site.yaml:10:5: node 'node-a' has no AS number (expected asn on the node, its rack, or defaults.asn)",
    "site.yaml:11:5: node 'node-b' has no AS number (expected asn on the node, its rack, or defaults.asn)",
  ]);
  const v6 = small('subnet: 10.0.2.0/24', 'subnet: "fd00:10:2::/64"').replace('address: 10.0.2.10', 'address: "fd00:10:2::10"');
  t.deepEqual(issues(v6), [
    "site.yaml:13:40: node 'node-b' has an IPv6 address, so it needs a routerId (expected routerId: an IPv4 address unique in the site)",
  ]);
  t.deepEqual(issues(v6.replace('podCIDRs: [10.244.2.0/24]', 'podCIDRs: [10.244.2.0/24], routerId: 10.0.1.10')), [
    "site.yaml:13:94: router ID 10.0.1.10 is also node 'node-a''s (expected a router ID unique in the site)",
  ]);
});

test('parseSite throws a ConfigError listing every error', (t) => {
  const text = small('rack: r2', 'rack: r3').replace('subnet: 10.0.1.0/24', 'subnet: 10.0.1.1/24');
  const err = t.throws(() => parseSite(text, 'site.yaml'), { instanceOf: ConfigError });
  t.is(err!.name, 'ConfigError');
  t.is(err!.errors.length, 2);
  t.deepEqual(err!.errors.map((e) => [e.line, e.column, e.path]), [[6, 13, 'racks[0].subnet'], [13, 27, 'nodes[1].rack']]);
  t.regex(err!.message, /^site\.yaml:6:13: "10\.0\.1\.1\/24" has host bits set \(expected 10\.0\.1\.0\/24\) \(and 1 more\)$/);
});
