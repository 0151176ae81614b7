import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostCommand, loadTopology, parseTopology, roleOfImage, TopologyError } from '../../../src/lab/topology.js';
import { frrDaemons } from '../../../src/lab/daemons.js';

const labs = fileURLToPath(new URL('../../../labs/', import.meta.url));
const file = join(labs, 'probe.clab.yml'); // a name inside labs/, so binds resolve against the real files

const base = `name: probe
topology:
  nodes:
    tor1:
      kind: linux
      image: quay.io/frrouting/frr:8.4.4
      binds:
        - frr/daemons:/etc/frr/daemons
        - basic/tor1.conf:/etc/frr/frr.conf
    node1:
      kind: linux
      image: ghcr.io/rackroute/rackroute:latest
      binds:
        - basic/site.yaml:/etc/rackroute/site.yaml
        - scripts/pods.sh:/lab/pods.sh
      exec:
        - sh /lab/pods.sh 10.244.1.0/24 fd00:244:1::/64 2
  links:
    - endpoints: ["tor1:eth1", "node1:eth1"]
`;

function failsWith(t: import('ava').ExecutionContext, text: string, line: number, where: string, detail: RegExp): void {
  const err = t.throws(() => parseTopology(text, file), { instanceOf: TopologyError });
  t.is(err?.line, line, err?.message);
  t.is(err?.where, where);
  t.regex(err?.detail ?? '', detail);
  t.true(err?.message.startsWith(`${file}:${line}: ${where}: `));
}

test('every lab in labs/ parses, with its roles, binds and links', (t) => {
  const files = readdirSync(labs).filter((f) => f.endsWith('.clab.yml')).sort();
  t.deepEqual(files, ['basic.clab.yml', 'dual-homed.clab.yml', 'fallback.clab.yml', 'leaf-spine.clab.yml']);
  for (const f of files) {
    const topo = loadTopology(join(labs, f));
    t.is(`${topo.name}.clab.yml`, f);
    t.true(topo.nodes.some((n) => n.role === 'frr'), f);
    t.true(topo.nodes.filter((n) => n.role === 'rackroute').length >= 2, f);
    for (const l of topo.links) t.not(l.a.node, l.b.node);
  }
  const ls = loadTopology(join(labs, 'leaf-spine.clab.yml'));
  t.deepEqual(ls.nodes.map((n) => `${n.name}:${n.role}`),
    ['spine1:frr', 'leaf1:frr', 'leaf2:frr', 'node1:rackroute', 'node2:rackroute', 'node3:rackroute', 'node4:rackroute']);
  t.is(ls.links.length, 6);
  t.deepEqual(ls.links[0], { a: { node: 'spine1', iface: 'eth1' }, b: { node: 'leaf1', iface: 'eth1' }, line: ls.links[0].line });
  t.regex(readFileSync(join(labs, 'leaf-spine.clab.yml'), 'utf8').split('\n')[ls.links[0].line - 1], /spine1:eth1/);
});

test('the parsed node records its line, binds resolved to host paths', (t) => {
  const topo = parseTopology(base, file);
  const node1 = topo.nodes[1];
  t.is(node1.line, 10);
  t.deepEqual(node1.binds.map((b) => b.host), [join(labs, 'basic/site.yaml'), join(labs, 'scripts/pods.sh')]);
  t.is(hostCommand(node1, node1.exec[0]), `sh ${join(labs, 'scripts/pods.sh')} 10.244.1.0/24 fd00:244:1::/64 2`);
});

test('an unknown image fails before anything runs, naming the node and its line', (t) => {
  failsWith(t, base.replace('ghcr.io/rackroute/rackroute:latest', 'nginx:1.25'), 10, 'node node1', /unknown image nginx:1.25/);
});

test('a missing bind file names the node and the path', (t) => {
  failsWith(t, base.replace('basic/tor1.conf', 'basic/nope.conf'), 4, 'node tor1', /nope\.conf does not exist/);
});

test('a role without its required bind is refused', (t) => {
  failsWith(t, base.replace('        - basic/tor1.conf:/etc/frr/frr.conf\n', ''), 4, 'node tor1', /needs a bind for \/etc\/frr\/frr\.conf/);
});

test('a malformed bind is refused', (t) => {
  failsWith(t, base.replace('frr/daemons:/etc/frr/daemons', 'frr/daemons'), 4, 'node tor1', /is not "host:container\[:ro\]"/);
});

test('a kind other than linux is refused', (t) => {
  failsWith(t, base.replace('kind: linux', 'kind: srl'), 4, 'node tor1', /kind "srl" is not supported/);
});

test('bad endpoints name the link and its line', (t) => {
  failsWith(t, base.replace('"node1:eth1"]', '"node9:eth1"]'), 19, 'link 1', /no node node9/);
  failsWith(t, base.replace('"node1:eth1"]', '"node1"]'), 19, 'link 1', /is not "node:iface"/);
  failsWith(t, base.replace('"node1:eth1"]', '"node1:averyveryverylongname"]'), 19, 'link 1', /not a valid interface name/);
  failsWith(t, base.replace('"node1:eth1"]', '"node1:eth0"]'), 19, 'link 1', /reserved/);
  failsWith(t, `${base}    - endpoints: ["tor1:eth1", "node1:eth2"]\n`, 20, 'link 2', /tor1:eth1 is used by another link/);
  failsWith(t, base.replace('endpoints: ["tor1:eth1", "node1:eth1"]', 'endpoints: ["tor1:eth1"]'), 19, 'link 1', /expected `endpoints/);
});

test('YAML syntax errors and bad names carry their line', (t) => {
  failsWith(t, base.replace('      exec:\n', '      exec: [\n'), 17, 'yaml', /missed comma/);
  failsWith(t, base.replace('name: probe', 'name: Probe_Lab'), 1, 'name', /lowercase/);
  failsWith(t, 'name: x\n', 1, 'topology', /topology\.nodes/);
});

test('images map to roles', (t) => {
  t.is(roleOfImage('quay.io/frrouting/frr:8.4.4'), 'frr');
  t.is(roleOfImage('frr'), 'frr');
  t.is(roleOfImage('ghcr.io/acme/bird2:2.0.12'), 'bird');
  t.is(roleOfImage('ghcr.io/rackroute/rackroute:latest'), 'rackroute');
  t.is(roleOfImage('alpine:3.20'), 'host');
  t.is(roleOfImage('nginx'), undefined);
});

test('the FRR daemons file selects daemons, zebra first', (t) => {
  t.deepEqual(frrDaemons(readFileSync(join(labs, 'frr/daemons'), 'utf8')), ['zebra', 'staticd', 'bgpd', 'bfdd']);
  t.deepEqual(frrDaemons(readFileSync(join(labs, 'frr/daemons-static'), 'utf8')), ['zebra', 'staticd']);
  t.deepEqual(frrDaemons('bgpd=no\n#bfdd=yes\n  ospfd=yes\n'), ['zebra', 'ospfd']);
});

test('a lab\'s namespace prefix never matches another lab whose name extends it', async (t) => {
  const { labPrefix, nsName } = await import('../../../src/lab/state.js');
  t.is(nsName('t-fallback', 'node1'), 'rrlab-t-fallback.node1');
  t.false(nsName('t-fallback-vxlan', 'node1').startsWith(labPrefix('t-fallback')));
  t.true(`${nsName('t-fallback', 'node1')}-pod1`.startsWith(labPrefix('t-fallback')), 'pods belong to their lab');
});
