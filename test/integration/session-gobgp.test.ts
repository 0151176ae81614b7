// PeerSession against GoBGP 3.10 in network namespaces (root): see session-helpers/common.ts.
import test from 'ava';
import { peerTests } from './session-helpers/common.js';
import { Lab, matrix } from './session-helpers/lab.js';

const lab = new Lab('gobgp', 64);
const verified: Record<string, string> = {};
test.before(async () => {
  lab.up();
  await lab.gobgp(`[global.config]
  as = 65001
  router-id = "${lab.peerIp}"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${lab.usIp}"
    peer-as = 65010
  [neighbors.timers.config]
    connect-retry = 3
    hold-time = 9
    keepalive-interval = 3
  [neighbors.graceful-restart.config]
    enabled = true
    restart-time = 90
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
`);
});
test.after.always(async (t) => {
  t.log(matrix('GoBGP 3.10', verified));
  console.log(matrix('GoBGP 3.10', verified));
  await lab.close();
});
peerTests(test, lab, verified, { gr: true });
