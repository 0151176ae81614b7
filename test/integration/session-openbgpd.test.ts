// PeerSession against OpenBGPD 7.7 in network namespaces (root): see session-helpers/common.ts. OpenBGPD forks
// (parent, session engine, RDE): the hold-timer test stops every process in its namespace.
import test from 'ava';
import { peerTests } from './session-helpers/common.js';
import { Lab, matrix } from './session-helpers/lab.js';

const lab = new Lab('obgpd', 65);
const verified: Record<string, string> = {};
test.before(async () => {
  lab.up();
  await lab.openbgpd(`AS 65001
router-id ${lab.peerIp}
listen on ${lab.peerIp}
holdtime 9
fib-update no
socket "@RUN@/bgpd.sock"
neighbor ${lab.usIp} {
	remote-as 65010
	announce IPv4 unicast
	announce IPv6 unicast
}
allow from any
allow to any
`);
});
test.after.always(async (t) => {
  t.log(matrix('OpenBGPD 7.7', verified));
  console.log(matrix('OpenBGPD 7.7', verified));
  await lab.close();
});
peerTests(test, lab, verified, { gr: false });
