// Two pods joined through a node, each in its own namespace (the shape of a Kubernetes node with a
// routed CNI): pod A (10.244.1.2, fd00:244:1::2) and pod B (10.244.2.2, fd00:244:2::2) behind host-side
// veths lxca / lxcb of the node namespace, which routes between them. Used by the loader test and the bench.
import { Netns } from './netns.js';

export interface TwoPods {
  readonly node: Netns;
  readonly podA: Netns;
  readonly podB: Netns;
  readonly a: { v4: string; v6: string };
  readonly b: { v4: string; v6: string };
  delete(): void;
}

export function twoPods(tag: string): TwoPods {
  const node = new Netns(`${tag}n`);
  const podA = new Netns(`${tag}a`);
  const podB = new Netns(`${tag}b`);
  try {
    node.lines(`
      sysctl -qw net.ipv4.ip_forward=1
      sysctl -qw net.ipv6.conf.all.forwarding=1
      ip link add lxca type veth peer name eth0 netns ${podA.name}
      ip link add lxcb type veth peer name eth0 netns ${podB.name}
      ip link set lxca up
      ip link set lxcb up
      ip addr add 10.244.1.1/24 dev lxca
      ip addr add 10.244.2.1/24 dev lxcb
      ip -6 addr add fd00:244:1::1/64 dev lxca nodad
      ip -6 addr add fd00:244:2::1/64 dev lxcb nodad
    `);
    for (const [pod, n] of [[podA, 1], [podB, 2]] as const) {
      pod.lines(`
        ip link set eth0 up
        ip addr add 10.244.${n}.2/24 dev eth0
        ip -6 addr add fd00:244:${n}::2/64 dev eth0 nodad
        ip route add default via 10.244.${n}.1
        ip -6 route add default via fd00:244:${n}::1
      `);
    }
  } catch (err) {
    for (const ns of [podA, podB, node]) ns.delete();
    throw err;
  }
  return {
    node, podA, podB,
    a: { v4: '10.244.1.2', v6: 'fd00:244:1::2' },
    b: { v4: '10.244.2.2', v6: 'fd00:244:2::2' },
    delete() {
      for (const ns of [podA, podB, node]) ns.delete();
    },
  };
}
