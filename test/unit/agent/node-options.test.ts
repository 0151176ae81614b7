import test from 'ava';
import { readFileSync } from 'node:fs';
import { AGENT_NODE_OPTIONS } from '../../../src/agent/node-options.js';

test('the installed command starts node with the agent node options (shebang of bin/rackroute.js)', (t) => {
  const first = readFileSync(new URL('../../../bin/rackroute.js', import.meta.url), 'utf8').split('\n')[0];
  t.is(first, `#!/usr/bin/env -S node ${AGENT_NODE_OPTIONS.join(' ')}`);
});
