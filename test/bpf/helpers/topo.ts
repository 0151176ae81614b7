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

export interface UplinkNodeOptions {
  /** MAC of the host side of the pod veth lxc1, and of the pod side lxc1p. */
  readonly lxcMac: string;
  readonly podMac: string;
  /** MAC of the ToR 10.0.1.1 (and fd00:1::1), a permanent neighbour on up0. */
  readonly torMac: string;
  /** Move lxc1p into this pod namespace (else it stays in the node, up). */
  readonly podNs?: string;
  /** fd00:1::10/64 on up0 with the ToR's IPv6 neighbour, and the pod gateways 10.244.1.1 / fd00:244:1::1 on lo. */
  readonly dualStack: boolean;
}

/**
 * The node the fast-path tests run the program in: forwarding on, uplink veth up0 (10.0.1.10/24, MAC
 * 02:00:00:00:00:10) towards a ToR at 10.0.1.1 with a permanent neighbour entry, and a pod veth lxc1. Each test
 * adds its own routes.
 */
export function uplinkNode(ns: Netns, o: UplinkNodeOptions): void {
  ns.lines(`
    sysctl -qw net.ipv4.ip_forward=1
    sysctl -qw net.ipv6.conf.all.forwarding=1
    ip link add up0 address 02:00:00:00:00:10 type veth peer name up0p
    ip link add lxc1 address ${o.lxcMac} type veth peer name lxc1p address ${o.podMac}
    ${o.podNs ? `ip link set lxc1p netns ${o.podNs}` : 'ip link set lxc1p up'}
    ip link set up0 up
    ip link set up0p up
    ip link set lxc1 up
    ip addr add 10.0.1.10/24 dev up0
    ip neigh replace 10.0.1.1 lladdr ${o.torMac} dev up0 nud permanent
  `);
  if (o.dualStack) {
    ns.lines(`
      ip -6 addr add fd00:1::10/64 dev up0 nodad
      ip -6 neigh replace fd00:1::1 lladdr ${o.torMac} dev up0 nud permanent
      ip addr add 10.244.1.1/32 dev lo
      ip -6 addr add fd00:244:1::1/128 dev lo
    `);
  }
}
