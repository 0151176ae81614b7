// Map key/value layouts and the pod CIDR sync, without root (the in-memory port).
import test from 'ava';
import {
  CONFIG_SIZE, CidrError, MAP_LAYOUT, MAP_NAMES, NH_GROUPS, NH_MAX, POD_F_LOCAL, POD_F_REMOTE, POD_LENS_MAX, ZERO_CONFIG, addressBytes, commonPrefix,
  decodeConfig, decodeIfSlot, decodeNexthopGroup, decodePodInfo, decodePodKey, encodeConfig, encodeFlags, encodeIfSlot, encodeNexthopGroup,
  encodePodInfo, encodePodKey, formatAddress, formatCidr, parseCidr, parseCpuList, summarize, sumPerCpuStat, widenSummary,
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

const text = (c: { cover: Parameters<typeof formatCidr>[0] | null }) => (c.cover ? formatCidr(c.cover) : null);

test('pod CIDR summaries: lengths longest first, the covering prefix, widened by an upsert', (t) => {
  t.is(formatCidr(commonPrefix(parseCidr('10.244.1.0/24'), parseCidr('10.244.2.0/24'))), '10.244.0.0/22');
  t.is(formatCidr(commonPrefix(parseCidr('10.244.1.0/24'), parseCidr('10.244.0.0/16'))), '10.244.0.0/16');
  t.is(formatCidr(commonPrefix(parseCidr('10.0.0.0/8'), parseCidr('192.168.0.0/16'))), '0.0.0.0/0');
  t.is(formatCidr(commonPrefix(parseCidr('fd00:244:1::/64'), parseCidr('fd00:244:3::/64'))), 'fd00:244::/46');
  const s = summarize(['10.244.1.0/24', '10.244.0.0/16', '10.244.2.0/24'].map(parseCidr));
  t.deepEqual(s.lens, [24, 16]);
  t.is(text(s), '10.244.0.0/16');
  t.deepEqual(summarize([]), { lens: [], cover: null });
  const w = widenSummary(s, parseCidr('10.96.0.0/12'));
  t.deepEqual(w.lens, [24, 16, 12]);
  t.is(text(w), '10.0.0.0/8'); // 244 = 0b11110100, 96 = 0b01100000
  t.is(widenSummary(w, parseCidr('10.244.7.0/24')).lens, w.lens, 'a length already in use: the same list');
  t.is(text(widenSummary({ lens: [], cover: null }, parseCidr('fd00::/8'))), 'fd00::/8');
});

test('rr_config_v2 encodes switches and summaries; a config never written covers every endpoint and no pod', (t) => {
  const cfg = {
    flags: 3,
    pod4: summarize(['10.244.1.0/24', '10.244.0.0/16'].map(parseCidr)),
    pod6: summarize(['fd00:244:1::/64', 'fd00:244:1::4/126'].map(parseCidr)),
    endpoint4Cover: parseCidr('10.244.1.4/30'),
    endpoint6Cover: null,
  };
  const b = encodeConfig(cfg);
  t.is(b.length, CONFIG_SIZE);
  t.is(b.readUInt32LE(0), 3);
  t.deepEqual([b[4], b[5], b[8], b[9], b[24], b[25]], [2, 2, 24, 16, 126, 64]);
  t.is(b.subarray(40, 48).toString('hex'), '0af40000' + 'ffff0000', 'pod4_cover: address then mask, network order');
  t.is(b.subarray(88, 120).toString('hex'), 'ff'.repeat(16) + '00'.repeat(16), 'no endpoint: mask 0, address all ones');
  const back = decodeConfig(b);
  t.is(back.flags, 3);
  t.deepEqual([back.pod4.lens, text(back.pod4), back.pod6.lens, text(back.pod6)], [[24, 16], '10.244.0.0/16', [126, 64], 'fd00:244:1::/64']);
  t.is(back.endpoint4Cover && formatCidr(back.endpoint4Cover), '10.244.1.4/30');
  t.is(back.endpoint6Cover, null);
  t.deepEqual([ZERO_CONFIG.pod4.lens, ZERO_CONFIG.pod4.cover], [[], null]);
  t.is(ZERO_CONFIG.endpoint4Cover && formatCidr(ZERO_CONFIG.endpoint4Cover), '0.0.0.0/0');
  // More lengths than published: the longest POD_LENS_MAX.
  const many = summarize(Array.from({ length: 20 }, (_, i) => parseCidr(`10.0.0.0/${i + 8}`)));
  const kept = decodeConfig(encodeConfig({ ...cfg, pod4: many })).pod4.lens;
  t.is(kept.length, POD_LENS_MAX);
  t.deepEqual(kept, many.lens.slice(0, POD_LENS_MAX));
  t.is(kept[0], 27);
});

test('rr_ifslots_v1 values: ifindex << 32 | flags, 0 free', (t) => {
  const b = encodeIfSlot(4100, 3);
  t.is(b.readBigUInt64LE(0), (4100n << 32n) | 3n);
  t.deepEqual(decodeIfSlot(b), { ifindex: 4100, flags: 3 });
  t.is(decodeIfSlot(Buffer.alloc(8)), null);
});

test('the in-memory port reports exact summaries', (t) => {
  const maps = new MemoryBpfMaps();
  syncPodCidrs(maps, new Map([['10.244.1.0/24', 1], ['10.244.0.0/16', 2], ['fd00:244:1::/64', 1]]));
  maps.upsertEndpoint({ ip: '10.244.1.5', ifindex: 7, flags: 1, podMac: '02:00:00:00:00:01', hostMac: '02:00:00:00:00:02' });
  maps.setConfigFlags(2);
  const cfg = maps.readConfig();
  t.deepEqual([cfg.flags, cfg.pod4.lens, text(cfg.pod4), cfg.pod6.lens, text(cfg.pod6)], [2, [24, 16], '10.244.0.0/16', [64], 'fd00:244:1::/64']);
  t.is(cfg.endpoint4Cover && formatCidr(cfg.endpoint4Cover), '10.244.1.5/32');
  t.is(cfg.endpoint6Cover, null);
});

test('rr_nh_v1 and the pod entry\'s nh: layouts', (t) => {
  t.is(MAP_NAMES.nh, 'rr_nh_v1');
  t.deepEqual(MAP_LAYOUT.nh, { keySize: 4, valueSize: 72 });
  t.deepEqual(MAP_LAYOUT.pod4, { keySize: 8, valueSize: 8 }, 'the pod maps keep their layout (and names): reserved became nh');
  const info = encodePodInfo({ flags: POD_F_REMOTE, nh: 7 });
  t.deepEqual([info.readUInt32LE(0), info.readUInt32LE(4)], [POD_F_REMOTE, 7]);
  t.deepEqual(decodePodInfo(encodeFlags(POD_F_LOCAL)), { flags: POD_F_LOCAL, nh: 0 }, 'what writers before the cache wrote: no next hops');
  const g = encodeNexthopGroup([{ ifindex: 3, dmac: '02:00:00:00:AA:01', smac: '02:00:00:00:00:10' }, { ifindex: 4, dmac: '02:00:00:00:aa:02', smac: '02:00:00:00:00:20' }]);
  t.is(g.length, 72);
  t.is(g.subarray(0, 8).toString('hex'), '02000000' + '00000000', 'count 2, reserved 0');
  t.is(g.subarray(8, 24).toString('hex'), '03000000' + '020000' + '00aa01' + '020000000010', 'ifindex, dmac, smac');
  t.is(g.subarray(40).toString('hex'), '00'.repeat(32), 'unused slots are zeros');
  t.deepEqual(decodeNexthopGroup(g), [{ ifindex: 3, dmac: '02:00:00:00:aa:01', smac: '02:00:00:00:00:10' }, { ifindex: 4, dmac: '02:00:00:00:aa:02', smac: '02:00:00:00:00:20' }]);
  t.is(decodeNexthopGroup(Buffer.alloc(72)), null, 'count 0: unused');
  const five = Buffer.from(g);
  five.writeUInt32LE(NH_MAX + 1, 0);
  t.is(decodeNexthopGroup(five), null);
  t.throws(() => encodeNexthopGroup([]));
  t.throws(() => encodeNexthopGroup(new Array(NH_MAX + 1).fill({ ifindex: 1, dmac: '02:00:00:00:00:01', smac: '02:00:00:00:00:02' })));
  t.throws(() => encodeNexthopGroup([{ ifindex: 0, dmac: '02:00:00:00:00:01', smac: '02:00:00:00:00:02' }]));
  t.throws(() => encodeNexthopGroup([{ ifindex: 1, dmac: '02:00:00:00:00', smac: '02:00:00:00:00:02' }]));
});

const hop = (ifindex: number, last: number) => ({ ifindex, dmac: `02:00:00:00:aa:${last.toString(16).padStart(2, '0')}`, smac: '02:00:00:00:00:10' });

test('next-hop writer (in memory): a released group is written again only from the next sync on, oldest released first', (t) => {
  const maps = new MemoryBpfMaps({ nexthopGroups: 4 });
  syncPodCidrs(maps, new Map(['10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/24', '10.244.4.0/24', '10.244.5.0/24'].map((c) => [c, POD_F_REMOTE])));
  const idx = () => ['10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/24', '10.244.4.0/24', '10.244.5.0/24'].map((c) => maps.nexthopIndex(c));
  t.deepEqual(maps.syncNexthops([{ cidr: '10.244.1.0/24', nexthops: [hop(1, 1)] }]), { added: ['10.244.1.0/24'], updated: [], removed: [] });
  t.deepEqual(idx(), [1, 0, 0, 0, 0]);
  // 1 changes (group 0 released, not free yet); 2, 3 and 4 want three more groups: only two are free.
  const r = maps.syncNexthops([{ cidr: '10.244.1.0/24', nexthops: [hop(1, 2)] }, { cidr: '10.244.2.0/24', nexthops: [hop(1, 3)] },
    { cidr: '10.244.3.0/24', nexthops: [hop(1, 4)] }, { cidr: '10.244.4.0/24', nexthops: [hop(1, 5)] }]);
  t.deepEqual(r, { added: ['10.244.2.0/24', '10.244.3.0/24'], updated: ['10.244.1.0/24'], removed: [], skipped: ['10.244.4.0/24'] });
  t.deepEqual(idx(), [2, 3, 4, 0, 0], 'group 0 (nh 1) is not reused in the pass that released it');
  t.deepEqual(maps.nexthopGroup(0), [hop(1, 1)], 'and not rewritten');
  t.deepEqual(maps.nexthopUsage(), { live: 3, released: 1, free: 0 });
  t.is(maps.clearNexthops(['10.244.2.0/24']), 1);
  const again = maps.syncNexthops([{ cidr: '10.244.1.0/24', nexthops: [hop(1, 2)] }, { cidr: '10.244.3.0/24', nexthops: [hop(1, 4)] },
    { cidr: '10.244.4.0/24', nexthops: [hop(1, 5)] }, { cidr: '10.244.5.0/24', nexthops: [hop(1, 6)] }]);
  t.deepEqual(again, { added: ['10.244.4.0/24', '10.244.5.0/24'], updated: [], removed: [] });
  t.deepEqual(idx(), [2, 0, 4, 1, 3], 'released before this sync: free now, oldest first (group 0, then group 2)');
  t.deepEqual(maps.groupWrites, [0, 1, 2, 3, 0, 2], 'every write went to a group no pod entry named');
  // All four in use: a CIDR that changes now has no group to go to, and is left to the FIB path (never rewritten in place).
  t.deepEqual(maps.syncNexthops([{ cidr: '10.244.1.0/24', nexthops: [hop(1, 9)] }, { cidr: '10.244.3.0/24', nexthops: [hop(1, 4)] },
    { cidr: '10.244.4.0/24', nexthops: [hop(1, 5)] }, { cidr: '10.244.5.0/24', nexthops: [hop(1, 6)] }]),
  { added: [], updated: [], removed: ['10.244.1.0/24'], skipped: ['10.244.1.0/24'] });
  t.is(maps.clearNexthops(), 3);
  // Sharing: the same next hops (in any order, MACs in any case) are one group.
  maps.syncNexthops([{ cidr: '10.244.1.0/24', nexthops: [hop(2, 7), hop(1, 7)] }, { cidr: '10.244.2.0/24', nexthops: [hop(1, 7), { ...hop(2, 7), dmac: '02:00:00:00:AA:07' }] }]);
  t.is(maps.nexthopIndex('10.244.1.0/24'), maps.nexthopIndex('10.244.2.0/24'));
  t.deepEqual(maps.listNexthops(), ['10.244.1.0/24', '10.244.2.0/24'].map((cidr) => ({ cidr, nexthops: [hop(1, 7), hop(2, 7)] })));
});

test('next-hop writer (in memory): only REMOTE pod CIDRs, 1..4 valid next hops; drift is repaired; reopening rebuilds the state', (t) => {
  const maps = new MemoryBpfMaps();
  syncPodCidrs(maps, new Map([['10.244.1.0/24', POD_F_LOCAL], ['10.244.2.0/24', POD_F_REMOTE], ['10.244.3.0/24', POD_F_REMOTE], ['fd00:244:2::/64', POD_F_REMOTE]]));
  const r = maps.syncNexthops([
    { cidr: '10.244.1.0/24', nexthops: [hop(1, 1)] }, // LOCAL
    { cidr: '10.244.9.0/24', nexthops: [hop(1, 1)] }, // not a pod CIDR
    { cidr: 'bogus', nexthops: [hop(1, 1)] },
    { cidr: '10.244.2.0/24', nexthops: [] },
    { cidr: '10.244.3.0/24', nexthops: [hop(1, 1), hop(1, 2), hop(1, 3), hop(1, 4), hop(1, 5)] },
    { cidr: 'fd00:244:2::1/64', nexthops: [{ ...hop(1, 1), smac: 'zz' }] },
  ]);
  t.deepEqual(r, { added: [], updated: [], removed: [], skipped: ['10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/24', '10.244.9.0/24', 'bogus', 'fd00:244:2::/64'] });
  t.deepEqual(maps.groupWrites, []);
  // A later entry for the same CIDR wins.
  t.deepEqual(maps.syncNexthops([{ cidr: '10.244.2.0/24', nexthops: [] }, { cidr: '10.244.2.7/24', nexthops: [hop(1, 1)] }]).added, ['10.244.2.0/24']);
  // Drift: a LOCAL entry naming a group, a REMOTE one naming an index out of the table.
  maps.setRawPodInfo('10.244.1.0/24', { flags: POD_F_LOCAL, nh: 1 });
  maps.setRawPodInfo('10.244.3.0/24', { flags: POD_F_REMOTE, nh: 99_999 });
  maps.reopen();
  t.deepEqual(maps.nexthopUsage(), { live: 1, released: 0, free: NH_GROUPS - 1 }, 'index 0, named twice, is live');
  t.deepEqual(maps.syncNexthops([{ cidr: '10.244.2.0/24', nexthops: [hop(1, 1)] }]), { added: [], updated: [], removed: ['10.244.1.0/24', '10.244.3.0/24'] });
  t.is(maps.nexthopIndex('10.244.2.0/24'), 1, 'unchanged, still in group 0');
  t.deepEqual(maps.nexthopUsage(), { live: 1, released: 0, free: NH_GROUPS - 1 }, 'group 0 still named by 10.244.2.0/24');
  t.is(maps.clearNexthops(), 1);
  t.deepEqual(maps.listNexthops(), []);
  t.is(maps.summaries().find((s) => s.name === 'rr_nh_v1')?.entries, NH_GROUPS);
});
