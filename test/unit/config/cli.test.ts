// `rackroute config check` as users run it: the built CLI (npm run build first), stderr and exit status.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function rackroute(...args: string[]) {
  if (!existsSync(`${root}dist/cli/config.js`)) throw new Error('dist/cli/config.js is missing: run `npm run build` first');
  const r = spawnSync(process.execPath, ['bin/rackroute.js', ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('a bad file: every error as FILE:LINE:COL on stderr, exit status 1', (t) => {
  const r = rackroute('config', 'check', 'test/fixtures/config/bad.yaml');
  t.is(r.status, 1);
  t.is(r.stdout, '');
  t.is(r.stderr, [
    "test/fixtures/config/bad.yaml:4:3: unknown key 'holdTim' in defaults; did you mean 'holdTime'? (expected one of: asn, holdTime, encapsulation, tunnel, mtu, fib, peer)",
    'test/fixtures/config/bad.yaml:7:13: "10.0.1.5/24" has host bits set (expected 10.0.1.0/24)',
    'test/fixtures/config/bad.yaml:11:27: rack \'r9\' is not defined (expected one of the racks: r1)',
    "test/fixtures/config/bad.yaml:12:62: pod CIDR 10.244.0.0/16 overlaps 10.244.1.0/24 of node 'node-a' (line 11) (expected pod CIDRs that do not overlap)",
    'test/fixtures/config/bad.yaml: 4 errors',
    '',
  ].join('\n'));
});

test('-o json: {ok, errors} on stdout, exit status 1', (t) => {
  const r = rackroute('config', 'check', 'test/fixtures/config/bad.yaml', '-o', 'json');
  t.is(r.status, 1);
  const out = JSON.parse(r.stdout) as { ok: boolean; errors: { line: number; column: number; path: string }[] };
  t.false(out.ok);
  t.deepEqual(out.errors.map((e) => `${e.line}:${e.column} ${e.path}`),
    ['4:3 defaults.holdTim', '7:13 racks[0].subnet', '11:27 nodes[0].rack', '12:62 nodes[1].podCIDRs[0]']);
});

test('a good file: a short summary on stdout, exit status 0', (t) => {
  const r = rackroute('config', 'check', 'config/site.example.yaml', '--no-file-checks', '--node', 'node-d');
  t.is(r.stderr, '');
  t.is(r.status, 0);
  t.is(r.stdout, 'config/site.example.yaml: ok: site dc1, 3 racks, 4 nodes, 4 peers, 2 policies\n'
    + 'node node-d: rack r3, AS 64513, 2 sessions, pod CIDRs 10.244.4.0/24\n');
});

test('--node naming an absent node fails', (t) => {
  const r = rackroute('config', 'check', 'config/site.example.yaml', '--no-file-checks', '--node', 'node-z');
  t.is(r.status, 1);
  t.is(r.stderr, 'config/site.example.yaml: no node named by --node node-z under `nodes`; the nodes are: node-a, node-b, node-c, node-d\n'
    + 'config/site.example.yaml: 1 error\n');
});
