// Map key/value layouts and the pod CIDR sync, without root (the in-memory port).
import test from 'ava';
import {
  CidrError, addressBytes, decodePodKey, encodePodKey, formatAddress, formatCidr, parseCidr, parseCpuList, sumPerCpuStat,
} from '../../src/dataplane/ebpf/layout.js';
import { MemoryBpfMaps } from '../../src/dataplane/ebpf/memory.js';
import { syncPodCidrs } from '../../src/dataplane/ebpf/sync.js';
import { Reason } from '../../src/dataplane/ebpf/reasons.generated.js';

test('addresses parse to network-order bytes and print canonically', (t) => {
  t.deepEqual([...addressBytes('10.244.1.5')], [10, 244, 1, 5]);
  t.is(addressBytes('fd00:244:1::5').toString('hex'), 'fd000244000100000000000000000005');
  t.is(addressBytes('::ffff:10.1.2.3').toString('hex'), '00000000000000000000ffff0a010203');
  t.is(addressBytes('::').toString('hex'), '0'.repeat(32));
  for (const a of ['fd00:244:1::5', '::1', '1::', 'fe80::1:0:0:1', '2001:db8:0:1:1:1:1:1', '::']) t.is(formatAddress(addressBytes(a)), a);
  t.throws(() => addressBytes('10.0.0.256'), { instanceOf: CidrError });
});

test('CIDRs clear host bits; pod keys are prefixlen then address', (t) => {
  t.is(formatCidr(parseCidr('10.244.1.77/24')), '10.244.1.0/24');
  t.is(formatCidr(parseCidr('fd00:244:1::1/64')), 'fd00:244:1::/64');
  t.is(formatCidr(parseCidr('10.1.2.3/0')), '0.0.0.0/0');
  const key = encodePodKey(parseCidr('10.244.1.0/24'));
  t.is(key.length, 8);
  t.is(key.readUInt32LE(0), 24);
  t.deepEqual([...key.subarray(4)], [10, 244, 1, 0]);
  t.is(encodePodKey(parseCidr('fd00::/8')).length, 20);
  t.is(formatCidr(decodePodKey(key)), '10.244.1.0/24');
  t.throws(() => parseCidr('10.0.0.0/33'), { instanceOf: CidrError });
  t.throws(() => parseCidr('10.0.0.0'), { instanceOf: CidrError });
});

test('per-CPU counters are summed over the possible CPUs', (t) => {
  t.is(parseCpuList('0-3\n'), 4);
  t.is(parseCpuList('0,2-3,7'), 4);
  const v = Buffer.alloc(32);
  v.writeBigUInt64LE(3n, 0); v.writeBigUInt64LE(300n, 8); v.writeBigUInt64LE(2n, 16); v.writeBigUInt64LE(200n, 24);
  t.deepEqual(sumPerCpuStat(v, 2), { packets: 5, bytes: 500 });
});

test('syncPodCidrs converges the map to the desired set, idempotently', (t) => {
  const maps = new MemoryBpfMaps();
  maps.upsertPodCidr('10.9.9.0/24', 2); // drift: not wanted
  maps.upsertPodCidr('10.244.2.0/24', 1); // wrong flags
  const want = new Map([['10.244.1.7/24', 1], ['10.244.2.0/24', 2], ['fd00:244:1::/64', 1]]);
  t.deepEqual(syncPodCidrs(maps, want), { added: ['10.244.1.0/24', 'fd00:244:1::/64'], updated: ['10.244.2.0/24'], removed: ['10.9.9.0/24'] });
  t.deepEqual(syncPodCidrs(maps, want), { added: [], updated: [], removed: [] });
  maps.count(Reason.FWD_REDIRECT, 2, 200);
  t.like(maps.readCounters().find((c) => c.id === Reason.FWD_REDIRECT), { packets: 2, bytes: 200, label: 'fwd_redirect', kind: 'redirect' });
});
