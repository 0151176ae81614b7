// `rackroute lab up|status|down` of the leaf-spine lab, for real: namespaces, veths, FRR, pods.
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { CLI, lab, namespacesWithPrefix, processesMentioning, rackroute, requireRoot, sleep } from './helpers.js';
import { fabricSessions } from '../../src/lab/fabric.js';
import { labDir, labPrefix, readState } from '../../src/lab/state.js';
import { nodeAddress, ping, podsOf } from '../../src/lab/pods.js';
import type { LabStatus } from '../../src/lab/runner.js';

test.before(() => requireRoot());

test.serial('leaf-spine: up, fabric Established, pods reach their node, status, down leaves nothing', async (t) => {
  const name = 't-leaf-spine';
  t.teardown(() => void rackroute(['lab', 'down', '--name', name, lab('leaf-spine')]));
  rackroute(['lab', 'down', '--name', name, lab('leaf-spine')]); // leftovers of an earlier failed run

  const up = rackroute(['lab', 'up', '--name', name, lab('leaf-spine')]);
  t.is(up.status, 0, up.stderr);
  t.regex(up.stdout, /lab t-leaf-spine is up: 7 nodes, 6 links/);

  // Spine-leaf sessions (unnumbered eBGP) reach Established, and routes for both racks' subnets arrive.
  const state = readState(name);
  if (!state) return t.fail('no state file after up');
  // The nodes' agents dial in to the leaves' listen ranges: those sessions are dynamic on the FRR side.
  const settled = (all: ReturnType<typeof fabricSessions>): boolean =>
    all.filter((s) => !s.dynamic).length === 4 && all.filter((s) => s.dynamic).length === 4 &&
    all.every((s) => s.state === 'Established' && s.prefixesReceived > 0);
  let sessions = fabricSessions(state);
  for (let i = 0; i < 120 && !settled(sessions); i++) {
    await sleep(500);
    sessions = fabricSessions(state);
  }
  t.deepEqual(sessions.filter((s) => !s.dynamic).map((s) => `${s.router}>${s.hostname}:${s.state}`).sort(),
    ['leaf1>spine1:Established', 'leaf2>spine1:Established', 'spine1>leaf1:Established', 'spine1>leaf2:Established']);
  t.deepEqual(sessions.filter((s) => s.dynamic).map((s) => `${s.router}>${s.hostname}:${s.state}`).sort(),
    ['leaf1>node1:Established', 'leaf1>node2:Established', 'leaf2>node3:Established', 'leaf2>node4:Established']);

  // Every pod reaches its node; the servers reach each other across racks through the fabric (underlay).
  const pods = podsOf(state);
  t.is(pods.length, 8);
  for (const p of pods) {
    const target = nodeAddress(state.nodes[p.node].ns);
    t.truthy(target);
    t.true(ping(p.ns, target as string), `${p.node}/${p.pod} -> ${target}`);
  }
  t.true(ping(state.nodes.node1.ns, '10.0.2.11', 1, 3), 'node1 reaches node4 across the fabric');

  const status = rackroute(['lab', 'status', '--name', name, lab('leaf-spine'), '-o', 'json']);
  t.is(status.status, 0, status.stderr);
  const st = JSON.parse(status.stdout) as LabStatus;
  t.true(st.up && st.complete);
  t.is(st.nodes.length, 7);
  t.true(st.nodes.every((n) => n.present));
  const spine = st.nodes.find((n) => n.node === 'spine1');
  t.deepEqual(spine?.processes.map((p) => `${p.name}:${p.alive}`), ['zebra:true', 'staticd:true', 'bgpd:true', 'bfdd:true']);
  t.is(st.otherNamespaces.length, 8, 'the eight pod namespaces');
  const table = rackroute(['lab', 'status', '--name', name, lab('leaf-spine')]);
  t.regex(table.stdout, /spine1\s+frr\s+rrlab-t-leaf-spine\.spine1\s+yes\s+zebra\[\d+\]/);

  const down = rackroute(['lab', 'down', '--name', name, lab('leaf-spine')]);
  t.is(down.status, 0, down.stderr);
  t.regex(down.stdout, /15 namespaces removed/);
  t.deepEqual(namespacesWithPrefix(labPrefix(name)), []);
  t.deepEqual(processesMentioning(labDir(name)), []);
  t.false(existsSync(labDir(name)));
});

test.serial('a killed `lab up` followed by `lab down` cleans everything', async (t) => {
  const name = 't-killed';
  t.teardown(() => void rackroute(['lab', 'down', '--name', name, lab('leaf-spine')]));
  rackroute(['lab', 'down', '--name', name, lab('leaf-spine')]);

  const child = spawn(process.execPath, [CLI, 'lab', 'up', '--name', name, lab('leaf-spine')], { stdio: 'ignore' });
  // Kill it in the middle: once some routers run, before it finishes.
  const stateFile = `${labDir(name)}/state.json`;
  for (let i = 0; i < 200; i++) {
    await sleep(25);
    if (!existsSync(stateFile)) continue;
    try {
      const s = JSON.parse(readFileSync(stateFile, 'utf8')) as { nodes: Record<string, { processes: unknown[] }> };
      if (Object.values(s.nodes).some((n) => n.processes.length >= 2)) break;
    } catch {
      /* mid-write */
    }
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  t.true(namespacesWithPrefix(labPrefix(name)).length > 0, 'the killed run left namespaces behind');
  t.true(processesMentioning(labDir(name)).length > 0, 'and FRR daemons');

  const down = rackroute(['lab', 'down', '--name', name, lab('leaf-spine')]);
  t.is(down.status, 0, down.stderr);
  t.deepEqual(namespacesWithPrefix(labPrefix(name)), []);
  t.deepEqual(processesMentioning(labDir(name)), []);

  // And once more without any state file: the prefix scan alone finds what a run left.
  const again = rackroute(['lab', 'up', '--name', name, lab('basic')]);
  t.is(again.status, 0, again.stderr);
  rackroute(['lab', 'status', '--name', name, lab('basic')]);
  const { rmSync } = await import('node:fs');
  rmSync(stateFile);
  const down2 = rackroute(['lab', 'down', '--name', name, lab('basic')]);
  t.is(down2.status, 0, down2.stderr);
  t.deepEqual(namespacesWithPrefix(labPrefix(name)), []);
  t.deepEqual(processesMentioning(labDir(name)), []);
});

test.serial('`lab up` refuses a lab that is already up, and a topology it cannot run creates nothing', (t) => {
  const name = 't-refuse';
  t.teardown(() => void rackroute(['lab', 'down', '--name', name, lab('basic')]));
  t.is(rackroute(['lab', 'up', '--name', name, lab('basic')]).status, 0);
  const twice = rackroute(['lab', 'up', '--name', name, lab('basic')]);
  t.is(twice.status, 1);
  t.regex(twice.stderr, /already \(partly\) up/);
  t.is(rackroute(['lab', 'down', '--name', name, lab('basic')]).status, 0);

  const bad = rackroute(['lab', 'up', '--name', name, '/nonexistent/x.clab.yml']);
  t.is(bad.status, 1);
  t.regex(bad.stderr, /no such file/i);
  t.deepEqual(namespacesWithPrefix(labPrefix(name)), []);
});
