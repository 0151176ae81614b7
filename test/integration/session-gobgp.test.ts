// PeerSession against GoBGP 3.10 in network namespaces (root): see session-helpers/common.ts.
import test from 'ava';
import { peerTests } from './session-helpers/common.js';
import { Lab, matrix } from './session-helpers/lab.js';
import { gobgpToml } from './session-helpers/interop-daemons.js';

const lab = new Lab('gobgp', 64);
const verified: Record<string, string> = {};
test.before(async () => {
  lab.up();
  await lab.gobgp(gobgpToml(lab, 65001));
});
test.after.always(async (t) => {
  t.log(matrix('GoBGP 3.10', verified));
  console.log(matrix('GoBGP 3.10', verified));
  await lab.close();
});
peerTests(test, lab, verified, { gr: true });
