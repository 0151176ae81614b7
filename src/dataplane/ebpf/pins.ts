// Where one node's datapath is pinned, and removing those pins.
//
// One bpffs serves the whole machine, while tc attachments, ifindexes and the FIB belong to a network
// namespace. In production there is one node per machine and it runs in the host's namespace: its pins are
// /sys/fs/bpf/rackroute (DEFAULT_PIN_DIR). Several lab or test nodes share one machine (and two labs of the
// same site run node1 side by side), so a node in any other namespace pins under
// /sys/fs/bpf/rackroute/netns/<inode of its network namespace>: unique among live namespaces, the same again
// when the agent restarts in the same namespace (pins found, maps reused), and computable from outside with
// `stat /run/netns/NAME` (so `rackroute datapath --netns NAME` finds them). The node name would not do:
// it is not unique across labs. An inode can be given again to a new namespace after the old one is deleted;
// the agent treats pins whose program runs on no device of its namespace as stale (see AgentDatapath).
import { existsSync, readdirSync, readlinkSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MAP_NAMES, PROGRAM_INGRESS, RETIRED_MAP_NAMES } from './layout.js';
import { DEFAULT_PIN_DIR } from './maps.js';

/** IP-in-IP's destination maps, which rr_tc.o defines too (bpf/lib/ipip_dst.h), and its program (see ipip.ts). */
const IPIP_SHARED_MAPS = ['rr_ipip_dst_v1', 'rr_ipip_dst6_v1', 'rr_ipip_dst_used_v1'] as const;
const IPIP_PROGRAM_EGRESS = 'rr_ipip_egress';

export const NETNS_PIN_ROOT = join(DEFAULT_PIN_DIR, 'netns');

/** The inode of a network namespace file (/proc/PID/ns/net or a /run/netns bind mount). */
export function netnsInode(path: string): number {
  return statSync(path).ino;
}

function sameNamespaceAsHost(ino: number): boolean {
  try {
    return netnsInode('/proc/1/ns/net') === ino;
  } catch {
    return false;
  }
}

/** The pin directory of the node whose network namespace is `nsFile` (this process's by default). */
export function pinDirForNamespace(nsFile = '/proc/self/ns/net'): string {
  const ino = netnsInode(nsFile);
  return sameNamespaceAsHost(ino) ? DEFAULT_PIN_DIR : join(NETNS_PIN_ROOT, String(ino));
}

/** The pin directory of a named namespace (`ip netns add NAME`). */
export function pinDirForNetns(name: string): string {
  return pinDirForNamespace(`/run/netns/${name}`);
}

function rmdirIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    /* not empty (other programs' pins, other namespaces' directories) or already gone */
  }
}

/**
 * Removes the fast path's pins (its maps by name, progs/rr_ingress) and the directories left empty. Never
 * recursive: /sys/fs/bpf/rackroute also holds the other namespaces' directories, and other program sets of the
 * same node (IP-in-IP) pin beside ours; the IP-in-IP destination maps both sets use stay while IP-in-IP is
 * pinned. Attached programs keep running until detached (tc holds them); unpinned maps live as long as a program
 * uses them.
 */
export function removePins(pinDir: string): void {
  for (const name of [...Object.values(MAP_NAMES), ...RETIRED_MAP_NAMES]) rmSync(join(pinDir, name), { force: true });
  // rr_ingress also uses IP-in-IP's destination maps (bpf/lib/ipip_dst.h): they go with the last of the two.
  if (!existsSync(join(pinDir, 'progs', IPIP_PROGRAM_EGRESS))) {
    for (const name of IPIP_SHARED_MAPS) rmSync(join(pinDir, name), { force: true });
  }
  rmSync(join(pinDir, 'progs', PROGRAM_INGRESS), { force: true });
  rmdirIfEmpty(join(pinDir, 'progs'));
  rmdirIfEmpty(pinDir);
}

/** Inodes of every network namespace alive now: those of processes, and those kept by /run/netns bind mounts. */
export function liveNamespaceInodes(): Set<number> {
  const out = new Set<number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const m = /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/net`));
      if (m) out.add(Number(m[1]));
    } catch {
      /* gone meanwhile, or not ours to read */
    }
  }
  if (existsSync('/run/netns')) {
    for (const name of readdirSync('/run/netns')) {
      try {
        out.add(netnsInode(join('/run/netns', name)));
      } catch {
        /* not a namespace mount */
      }
    }
  }
  return out;
}

/**
 * Removes the pins of namespaces that no longer exist (a lab torn down with its agents' pins left behind):
 * they hold kernel memory and would be mistaken for a restart by a new namespace given the same inode.
 * Returns the directories removed.
 */
export function collectStalePins(root = NETNS_PIN_ROOT): string[] {
  if (!existsSync(root)) return [];
  const live = liveNamespaceInodes();
  const removed: string[] = [];
  for (const entry of readdirSync(root)) {
    if (!/^\d+$/.test(entry) || live.has(Number(entry))) continue;
    // The namespace is gone, and with it every attachment: everything pinned for it goes.
    const dir = join(root, entry);
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}
