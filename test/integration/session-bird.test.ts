// PeerSession against BIRD 2.0.12 in network namespaces (root): see session-helpers/common.ts.
import test from 'ava';
import { peerTests } from './session-helpers/common.js';
import { Lab, matrix } from './session-helpers/lab.js';

const lab = new Lab('bird', 63);
const verified: Record<string, string> = {};
test.before(async () => {
  lab.up();
  await lab.bird(`log "@RUN@/bird.log" all;
router id ${lab.peerIp};
protocol device { scan time 10; }
protocol bgp rrpeer {
  local ${lab.peerIp} as 65001;
  neighbor ${lab.usIp} as 65010;
  hold time 9; keepalive time 3; connect retry time 3; error wait time 1, 10;
  graceful restart on;
  ipv4 { import all; export none; };
  ipv6 { import all; export none; };
}
`);
});
test.after.always(async (t) => {
  t.log(matrix('BIRD 2.0', verified));
  console.log(matrix('BIRD 2.0', verified));
  await lab.close();
});
peerTests(test, lab, verified, { gr: true });
