// The real agent (rackroute agent) against FRR 8.4 in network namespaces (root): see session-helpers/interop.ts.
import test from 'ava';
import { frrDaemon } from './session-helpers/interop-daemons.js';
import { interopTests } from './session-helpers/interop.js';
import { Lab } from './session-helpers/lab.js';

const lab = new Lab('frr', 71, { prefix: 'rrint', veth: 'ri' });
interopTests(test, lab, frrDaemon(lab));
