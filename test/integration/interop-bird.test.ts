// The real agent (rackroute agent) against BIRD 2 in network namespaces (root): see session-helpers/interop.ts.
import test from 'ava';
import { birdDaemon } from './session-helpers/interop-daemons.js';
import { interopTests } from './session-helpers/interop.js';
import { Lab } from './session-helpers/lab.js';

const lab = new Lab('bird', 72, { prefix: 'rrint', veth: 'ri' });
interopTests(test, lab, birdDaemon(lab));
