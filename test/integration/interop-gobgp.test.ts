// The real agent (rackroute agent) against GoBGP 3.10 in network namespaces (root): see session-helpers/interop.ts.
import test from 'ava';
import { gobgpDaemon } from './session-helpers/interop-daemons.js';
import { interopTests } from './session-helpers/interop.js';
import { Lab } from './session-helpers/lab.js';

const lab = new Lab('gobgp', 73, { prefix: 'rrint', veth: 'ri' });
interopTests(test, lab, gobgpDaemon(lab));
