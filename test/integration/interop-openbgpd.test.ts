// The real agent (rackroute agent) against OpenBGPD 7.7 in network namespaces (root): see session-helpers/interop.ts.
import test from 'ava';
import { openbgpdDaemon } from './session-helpers/interop-daemons.js';
import { interopTests } from './session-helpers/interop.js';
import { Lab } from './session-helpers/lab.js';

const lab = new Lab('obgpd', 74, { prefix: 'rrint', veth: 'ri' });
interopTests(test, lab, openbgpdDaemon(lab));
