#!/usr/bin/env bash
# capture-bgp.sh: capture real BGP sessions between real daemons for the codec's fixture corpus.
#
#   sudo scripts/capture-bgp.sh [PAIR...]        PAIR: frr-bird gobgp-openbgpd exabgp-frr bird-gobgp (default: all)
#
# For each pair it makes two network namespaces (rrcap-a, rrcap-b) joined by one veth (rrcap-a0 <-> rrcap-b0,
# 192.0.2.1/24 + 2001:db8:ff::1/64 <-> 192.0.2.2/24 + 2001:db8:ff::2/64, MTU 1280, TSO/GSO/GRO off so the
# pcap shows the real TCP segments), starts one daemon in each (never through systemd; configs, pid files, sockets and logs
# in a mktemp directory), captures TCP port 179 on the veth with tcpdump, drives the session through a
# script of events (withdrawals, route refresh, a NOTIFICATION...), stops everything by PID and removes the
# namespaces. Then scripts/capture-extract.py turns each pcap into PAIR.hex (one BGP message per line) and
# PAIR.tshark.jsonl (tshark's decode of the same messages, line for line).
#
# Output: test/fixtures/captures/ (override with RRCAP_OUT=DIR). Configs are the templates in
# test/fixtures/captures/configs/PAIR/, with @RUN@ replaced by the daemon's runtime directory.
# Set RRCAP_KEEP=1 to keep the temporary directory (daemon logs) for debugging.
# Traffic stays inside the two namespaces this script makes. Run as root. Idempotent: a rerun overwrites,
# and leftover rrcap-a/rrcap-b namespaces from an interrupted run are removed first (with what runs in them).
# Needs: iproute2, ethtool, tcpdump, tshark, python3, and the daemons of the pairs asked for.
set -Eeuo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${RRCAP_OUT:-$REPO/test/fixtures/captures}
CONFIGS=$REPO/test/fixtures/captures/configs
NS_A=rrcap-a
NS_B=rrcap-b
IF_A=rrcap-a0
IF_B=rrcap-b0
A4=192.0.2.1
B4=192.0.2.2
A6=2001:db8:ff::1
B6=2001:db8:ff::2
ALL_PAIRS=(frr-bird gobgp-openbgpd exabgp-frr bird-gobgp)

[[ $(id -u) -eq 0 ]] || { echo "capture-bgp.sh: run as root" >&2; exit 1; }
for tool in ip tcpdump tshark ethtool ss python3; do
  command -v "$tool" >/dev/null || { echo "capture-bgp.sh: missing $tool" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/rrcap.XXXXXX)
chmod 755 "$WORK"
PIDS=()          # every process this script started, killed by PID on exit
EXA_FD_OPEN=0

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# Kill one PID we started: TERM, wait up to 5 s, then KILL.
stop_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

stop_all() {
  local i
  if ((EXA_FD_OPEN)); then exec 7>&-; EXA_FD_OPEN=0; fi
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}"; done
  PIDS=()
}

# Remove our namespaces; anything still running inside them was started by this script (rrcap- prefix).
del_netns() {
  local ns pid
  for ns in "$NS_A" "$NS_B"; do
    if ip netns list | grep -qw "^$ns"; then
      for pid in $(ip netns pids "$ns" 2>/dev/null); do stop_pid "$pid"; done
      ip netns del "$ns" 2>/dev/null || true
    fi
  done
  ip link del "$IF_A" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_all
  del_netns
  if [[ ${RRCAP_KEEP:-0} == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_a() { ip netns exec "$NS_A" "$@"; }
in_b() { ip netns exec "$NS_B" "$@"; }

make_netns() {
  del_netns
  ip netns add "$NS_A"
  ip netns add "$NS_B"
  ip link add "$IF_A" type veth peer name "$IF_B"
  ip link set "$IF_A" netns "$NS_A"
  ip link set "$IF_B" netns "$NS_B"
  in_a ip link set lo up
  in_b ip link set lo up
  in_a ip addr add "$A4/24" dev "$IF_A"
  in_b ip addr add "$B4/24" dev "$IF_B"
  in_a ip addr add "$A6/64" dev "$IF_A" nodad
  in_b ip addr add "$B6/64" dev "$IF_B" nodad
  # OpenBGPD takes its IPv6 next hop for an IPv4 session from lo (PEERS.md): give lo a routable address.
  in_a ip addr add 2001:db8:fe::1/128 dev lo
  in_b ip addr add 2001:db8:fe::2/128 dev lo
  in_a ethtool -K "$IF_A" tso off gso off gro off >/dev/null 2>&1 || true
  in_b ethtool -K "$IF_B" tso off gso off gro off >/dev/null 2>&1 || true
  # MTU 1280 (the IPv6 minimum): MSS 1228, so a large UPDATE or a burst of them straddles segments.
  in_a ip link set "$IF_A" mtu 1280 up
  in_b ip link set "$IF_B" mtu 1280 up
  in_a ping -c1 -W2 "$B4" >/dev/null
}

# render PAIR FILE RUNDIR -> RUNDIR/FILE with @RUN@ substituted
render() {
  local pair=$1 file=$2 run=$3
  sed "s|@RUN@|$run|g" "$CONFIGS/$pair/$file" >"$run/$file"
}

wait_for() { # wait_for SECONDS DESCRIPTION CMD...
  local secs=$1 what=$2 i
  shift 2
  for ((i = 0; i < secs * 5; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  log "timed out waiting for: $what"
  return 1
}

established() { ip netns exec "$NS_A" ss -Htn state established '( sport = :179 or dport = :179 )' | grep -q .; }
not_established() { ! established; }

start_capture() { # start_capture PAIR
  local pcap=$WORK/$1.pcap
  ip netns exec "$NS_A" tcpdump -i "$IF_A" -s 0 -U -n -w "$pcap" 'tcp port 179' 2>"$WORK/$1.tcpdump.log" &
  CAP_PID=$!
  PIDS+=("$CAP_PID")
  wait_for 10 "tcpdump" grep -q "listening on" "$WORK/$1.tcpdump.log"
}

stop_capture() { # stop_capture PAIR
  kill -INT "$CAP_PID" 2>/dev/null || true
  wait "$CAP_PID" 2>/dev/null || true
  cp "$WORK/$1.pcap" "$OUT/$1.pcap"
}

# ---------------------------------------------------------------- daemons

pidfile_pid() { wait_for 15 "pid file $1" test -s "$1"; cat "$1"; }

start_frr() { # start_frr NS PAIR -> FRR_RUN, vty socket dir
  local ns=$1 pair=$2
  FRR_RUN=$WORK/$pair-frr
  mkdir -p "$FRR_RUN"
  render "$pair" zebra.conf "$FRR_RUN"
  render "$pair" bgpd.conf "$FRR_RUN"
  chown -R frr:frr "$FRR_RUN"
  local common=(-u frr -g frr --vty_socket "$FRR_RUN" -z "$FRR_RUN/zserv.api" -A 127.0.0.1 -P 0 -d)
  ip netns exec "$ns" /usr/lib/frr/zebra "${common[@]}" -f "$FRR_RUN/zebra.conf" -i "$FRR_RUN/zebra.pid"
  PIDS+=("$(pidfile_pid "$FRR_RUN/zebra.pid")")
  ip netns exec "$ns" /usr/lib/frr/bgpd "${common[@]}" -f "$FRR_RUN/bgpd.conf" -i "$FRR_RUN/bgpd.pid"
  PIDS+=("$(pidfile_pid "$FRR_RUN/bgpd.pid")")
  FRR_NS=$ns
}
frr() { ip netns exec "$FRR_NS" vtysh --vty_socket "$FRR_RUN" -d bgpd "$@"; }
frr_conf() { # frr_conf LINE... (inside "configure terminal")
  local args=(-c "configure terminal") l
  for l in "$@"; do args+=(-c "$l"); done
  frr "${args[@]}"
}

start_bird() { # start_bird NS PAIR
  local ns=$1 pair=$2
  BIRD_RUN=$WORK/$pair-bird
  mkdir -p "$BIRD_RUN"
  render "$pair" bird.conf "$BIRD_RUN"
  ip netns exec "$ns" bird -c "$BIRD_RUN/bird.conf" -s "$BIRD_RUN/bird.ctl" -P "$BIRD_RUN/bird.pid"
  PIDS+=("$(pidfile_pid "$BIRD_RUN/bird.pid")")
}
birdc_() { birdc -s "$BIRD_RUN/bird.ctl" "$@"; }

start_gobgp() { # start_gobgp NS PAIR
  local ns=$1 pair=$2
  GOBGP_RUN=$WORK/$pair-gobgp
  mkdir -p "$GOBGP_RUN"
  render "$pair" gobgpd.toml "$GOBGP_RUN"
  ip netns exec "$ns" gobgpd -f "$GOBGP_RUN/gobgpd.toml" -t toml -p --api-hosts 127.0.0.1:50051 \
    --log-plain >"$GOBGP_RUN/gobgpd.log" 2>&1 &
  PIDS+=("$!")
  GOBGP_NS=$ns
  wait_for 15 "gobgpd API" ip netns exec "$ns" gobgp -u 127.0.0.1 -p 50051 global
}
gobgp_() { ip netns exec "$GOBGP_NS" gobgp -u 127.0.0.1 -p 50051 "$@"; }

start_openbgpd() { # start_openbgpd NS PAIR
  local ns=$1 pair=$2
  OBGPD_RUN=$WORK/$pair-openbgpd
  mkdir -p "$OBGPD_RUN" /run/openbgpd
  render "$pair" openbgpd.conf "$OBGPD_RUN"
  chmod 600 "$OBGPD_RUN/openbgpd.conf"
  ip netns exec "$ns" bgpd -d -v -f "$OBGPD_RUN/openbgpd.conf" >"$OBGPD_RUN/openbgpd.log" 2>&1 &
  PIDS+=("$!")
  wait_for 15 "openbgpd socket" test -S "$OBGPD_RUN/bgpd.sock"
}
bgpctl_() { timeout 5 bgpctl -s "$OBGPD_RUN/bgpd.sock" "$@"; }

start_exabgp() { # start_exabgp NS PAIR: commands go to the API process through fd 7 (exa_cmd)
  local ns=$1 pair=$2
  EXA_RUN=$WORK/$pair-exabgp
  mkdir -p "$EXA_RUN"
  render "$pair" exabgp.conf "$EXA_RUN"
  mkfifo "$EXA_RUN/cmd.fifo"
  # The API process forwards whatever this script writes into the FIFO to ExaBGP.
  printf '#!/bin/sh\nexec cat "%s"\n' "$EXA_RUN/cmd.fifo" >"$EXA_RUN/api.sh"
  chmod 755 "$EXA_RUN/api.sh"
  exec 7<>"$EXA_RUN/cmd.fifo"
  EXA_FD_OPEN=1
  ip netns exec "$ns" env exabgp_daemon_user=root exabgp_daemon_daemonize=false \
    exabgp_log_destination="$EXA_RUN/exabgp.log" exabgp_log_level=INFO exabgp_log_packets=true \
    exabgp_api_cli=false exabgp_daemon_pid="$EXA_RUN/exabgp.pid" \
    exabgp "$EXA_RUN/exabgp.conf" >"$EXA_RUN/exabgp.out" 2>&1 &
  PIDS+=("$!")
}
exa_cmd() { log "exabgp <- $*"; printf '%s\n' "$*" >&7; }

# ---------------------------------------------------------------- pairs

pair_frr_bird() {
  local p=frr-bird
  make_netns
  start_capture $p
  start_frr "$NS_A" $p
  start_bird "$NS_B" $p
  wait_for 60 "frr-bird established" established
  sleep 8                                                      # OPENs, initial tables, End-of-RIBs
  log "$p: FRR withdraws 10.1.6.0/24 and 2001:db8:1:200::/64, announces 10.1.7.0/24"
  frr_conf "router bgp 65001" "address-family ipv4 unicast" "no network 10.1.6.0/24" "network 10.1.7.0/24" \
    "exit-address-family" "address-family ipv6 unicast" "no network 2001:db8:1:200::/64"
  sleep 3
  log "$p: BIRD withdraws rrcap_v4_extra"
  birdc_ disable rrcap_v4_extra
  sleep 3
  log "$p: FRR asks for a route refresh (clear soft in), both families"
  frr -c "clear bgp ipv4 unicast 192.0.2.2 soft in"
  sleep 2
  frr -c "clear bgp ipv6 unicast 192.0.2.2 soft in"
  sleep 3
  log "$p: BIRD asks for a route refresh (reload in)"
  birdc_ reload in frr
  sleep 3
  log "$p: FRR shuts the neighbor down with an RFC 9003 message"
  frr_conf "router bgp 65001" "neighbor 192.0.2.2 shutdown message rrcap: planned maintenance of tor1"
  wait_for 20 "frr-bird down" not_established
  sleep 1
  stop_capture $p
  stop_all
}

pair_gobgp_openbgpd() {
  local p=gobgp-openbgpd nh=(nexthop 192.0.2.1)
  make_netns
  start_capture $p
  start_openbgpd "$NS_B" $p
  start_gobgp "$NS_A" $p
  gobgp_ global rib add -a ipv4 10.3.0.0/24 origin igp "${nh[@]}" med 15 local-pref 200 \
    community 65003:30,65003:31 large-community 65003:3:1
  gobgp_ global rib add -a ipv4 10.3.1.0/24 identifier 1 origin igp "${nh[@]}" local-pref 200
  gobgp_ global rib add -a ipv4 10.3.1.0/24 identifier 2 origin igp nexthop 192.0.2.11 local-pref 150 med 70
  gobgp_ global rib add -a ipv4 10.3.2.0/24 origin egp "${nh[@]}" aspath "64600 {64601,64602}" \
    aggregator 64600:192.0.2.66
  gobgp_ global rib add -a ipv4 10.3.3.0/24 "${nh[@]}" community no-advertise aigp metric 100
  gobgp_ global rib add -a ipv4 10.3.64.0/18 origin igp "${nh[@]}" aspath 4200000099,64700 local-pref 100
  gobgp_ global rib add -a ipv6 2001:db8:3::/48 origin igp nexthop 2001:db8:ff::1 local-pref 210 \
    large-community 65003:6:3
  gobgp_ global rib add -a ipv6 2001:db8:3:1::/64 origin igp nexthop 2001:db8:ff::1 med 5
  wait_for 60 "$p established" established
  sleep 8
  log "$p: GoBGP withdraws 10.3.2.0/24 and 2001:db8:3:1::/64, OpenBGPD withdraws 10.4.3.128/25"
  gobgp_ global rib del -a ipv4 10.3.2.0/24
  gobgp_ global rib del -a ipv6 2001:db8:3:1::/64
  bgpctl_ network delete 10.4.3.128/25
  sleep 3
  log "$p: OpenBGPD asks for a route refresh"
  bgpctl_ neighbor 192.0.2.1 refresh
  sleep 3
  log "$p: OpenBGPD takes the session down with a shutdown communication"
  bgpctl_ neighbor 192.0.2.1 down "rrcap: draining openbgpd"
  wait_for 20 "$p down" not_established
  sleep 1
  stop_capture $p
  stop_all
}

pair_exabgp_frr() {
  local p=exabgp-frr nh=next-hop\ 192.0.2.1 lc i big=""
  make_netns
  start_capture $p
  start_frr "$NS_B" $p
  start_exabgp "$NS_A" $p
  wait_for 60 "$p established" established
  sleep 2
  exa_cmd "announce route 10.10.1.0/24 $nh origin igp as-path [ 65010 65020 ] med 10 community [ 65010:1 65010:2 ] large-community [ 65010:1:1 ] extended-community [ target:65010:1 origin:65010:2 ]"
  exa_cmd "announce route 10.10.2.0/24 $nh origin egp as-path [ 65010 65030 65031 ] community [ no-export ]"
  exa_cmd "announce route 10.10.3.0/24 $nh origin incomplete as-path [ 65010 ( 65040 65041 ) ] atomic-aggregate aggregator ( 65040:192.0.2.40 )"
  exa_cmd "announce route 10.10.4.0/24 $nh path-information 1 as-path [ 65010 65050 ] med 50"
  exa_cmd "announce route 10.10.4.0/24 next-hop 192.0.2.9 path-information 2 as-path [ 65010 65060 65061 ] med 60"
  exa_cmd "announce route 10.10.5.0/25 $nh as-path [ 65010 4200000010 ] large-community [ 4200000010:0:1 4200000010:0:2 ]"
  exa_cmd "announce route 2001:db8:10::/48 next-hop 2001:db8:ff::1 as-path [ 65010 ] community [ 65010:6 ]"
  exa_cmd "announce route 2001:db8:10:1::/64 next-hop 2001:db8:ff::1 path-information 7 as-path [ 65010 65070 ] med 7"
  exa_cmd "announce attributes $nh origin igp as-path [ 65010 ] nlri 10.10.100.0/24 10.10.101.0/24 10.10.102.0/24 10.10.103.0/24 10.10.104.0/24 10.10.105.0/24"
  # One UPDATE bigger than the 1228-byte MSS: 110 large communities (extended-length attribute).
  for ((i = 0; i < 110; i++)); do big+=" 65010:110:$i"; done
  exa_cmd "announce route 10.10.110.0/24 $nh as-path [ 65010 ] large-community [$big ]"
  sleep 6
  log "$p: ExaBGP withdraws 10.10.2.0/24, path 2 of 10.10.4.0/24 and 2001:db8:10:1::/64"
  exa_cmd "withdraw route 10.10.2.0/24 $nh"
  exa_cmd "withdraw route 10.10.4.0/24 next-hop 192.0.2.9 path-information 2"
  exa_cmd "withdraw route 2001:db8:10:1::/64 next-hop 2001:db8:ff::1 path-information 7"
  exa_cmd "withdraw attributes $nh nlri 10.10.104.0/24 10.10.105.0/24"
  sleep 4
  log "$p: FRR soft-clears inbound (served from its soft-reconfiguration copy); ExaBGP asks FRR for a refresh"
  frr -c "clear bgp ipv4 unicast 192.0.2.1 soft in"
  sleep 2
  exa_cmd "announce route-refresh ipv4 unicast"
  sleep 3
  log "$p: FRR resets the session (Cease/administrative reset); it comes back up"
  frr -c "clear bgp 192.0.2.1"
  sleep 2
  wait_for 60 "$p re-established" established
  sleep 5
  log "$p: FRR shuts the neighbor down (Cease/administrative shutdown, no message)"
  frr_conf "router bgp 65001" "neighbor 192.0.2.1 shutdown"
  wait_for 20 "$p down" not_established
  sleep 1
  stop_capture $p
  stop_all
}

pair_bird_gobgp() {
  local p=bird-gobgp
  make_netns
  start_capture $p
  start_bird "$NS_A" $p
  start_gobgp "$NS_B" $p
  gobgp_ global rib add -a ipv4 10.6.0.0/24 origin igp nexthop 192.0.2.2 local-pref 120 community 65000:6
  gobgp_ global rib add -a ipv4 10.6.1.0/24 identifier 10 origin igp nexthop 192.0.2.2 med 1
  gobgp_ global rib add -a ipv4 10.6.1.0/24 identifier 11 origin igp nexthop 192.0.2.12 med 2
  gobgp_ global rib add -a ipv6 2001:db8:6::/48 origin igp nexthop 2001:db8:ff::2 large-community 4200000005:6:6
  wait_for 60 "$p established" established
  sleep 8
  log "$p: BIRD withdraws the second path of 10.5.0.0/24; GoBGP withdraws path 11 of 10.6.1.0/24"
  birdc_ disable rrcap_v4_alt
  gobgp_ global rib del -a ipv4 10.6.1.0/24 identifier 11
  sleep 3
  log "$p: BIRD asks for a route refresh"
  birdc_ reload in gobgp
  sleep 3
  log "$p: GoBGP disables the neighbor with a shutdown communication"
  gobgp_ neighbor 192.0.2.1 shutdown --reason "rrcap: gobgp going away"
  wait_for 20 "$p down" not_established
  sleep 1
  stop_capture $p
  stop_all
}

# ---------------------------------------------------------------- main

PAIRS=("$@")
((${#PAIRS[@]})) || PAIRS=("${ALL_PAIRS[@]}")
mkdir -p "$OUT"
for pair in "${PAIRS[@]}"; do
  fn=pair_${pair//-/_}
  declare -F "$fn" >/dev/null || { log "unknown pair $pair"; exit 2; }
  log "=== $pair"
  "$fn"
  python3 "$REPO/scripts/capture-extract.py" "$OUT/$pair.pcap"
done
del_netns
log "done: ${PAIRS[*]} -> $OUT"
