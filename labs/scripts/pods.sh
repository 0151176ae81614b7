#!/bin/sh
# Creates COUNT "pods" on this node: network namespaces joined to the node by a veth, as a CNI plugin would
# (Calico's shape: the pod's address is a /32 and /128, its gateway 169.254.1.1 / fe80::1 answered by the host side).
# Runs the same inside a containerlab container and inside a `rackroute lab` node namespace; under the latter
# RR_LAB_NS_PREFIX makes the pod namespace names unique on the machine.
#
# usage: pods.sh IPV4_POD_CIDR [IPV6_POD_CIDR|-] [COUNT]
#   e.g. pods.sh 10.244.1.0/24 fd00:244:1::/64 2   -> pod1 10.244.1.2 fd00:244:1::2, pod2 10.244.1.3 fd00:244:1::3
set -eu
v4=$1
v6=${2:--}
count=${3:-2}
prefix=${RR_LAB_NS_PREFIX:-}

net4=${v4%/*}            # 10.244.1.0
base4=${net4%.*}         # 10.244.1
base6=${v6%%::*}         # fd00:244:1

sysctl -qw net.ipv4.ip_forward=1
sysctl -qw net.ipv6.conf.all.forwarding=1

i=1
while [ "$i" -le "$count" ]; do
  ns="${prefix}pod$i"
  host="vpod$i"
  host4="$base4.$((i + 1))"
  ip netns add "$ns"
  ip link add "$host" type veth peer name eth0 netns "$ns"
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
  ip -n "$ns" addr add "$host4/32" dev eth0
  ip -n "$ns" route add 169.254.1.1 dev eth0 scope link
  ip -n "$ns" route add default via 169.254.1.1 dev eth0
  sysctl -qw "net.ipv4.conf.$host.proxy_arp=1"
  sysctl -qw "net.ipv4.neigh.$host.proxy_delay=0"
  ip link set "$host" up
  ip route add "$host4/32" dev "$host"
  if [ "$v6" != "-" ]; then
    host6="$base6::$((i + 1))"
    ip -n "$ns" addr add "$host6/128" dev eth0 nodad
    ip addr add fe80::1/64 dev "$host" nodad
    ip -n "$ns" -6 route add default via fe80::1 dev eth0
    ip -6 route add "$host6/128" dev "$host"
  fi
  i=$((i + 1))
done
