#!/usr/bin/env bash
# A cluster of N "hosts" on this machine: network namespaces nnplug-h0 .. nnplug-h<N-1>, each with an eth0 joined by
# a veth pair to one bridge (in namespace nnplug-sw), addresses 10.222.0.1 .. 10.222.0.N. Optionally each eth0 is
# shaped by tc to a rate (tbf) or to a rate and a one-way delay (netem, e.g. 10gbit and 50us): the traffic of a real
# network, without one. Traffic stays between these namespaces; nothing is routed anywhere else.
#   netns_cluster.sh up N [RATE [DELAY]]    create (replacing a cluster left over)
#   netns_cluster.sh down N                 remove
#   netns_cluster.sh mpirun N MPIRUN_ARGS... -- COMMAND...
#                                           run COMMAND as N ranks, rank i on host i, Open MPI over TCP on eth0
# mpirun starts in host 0 and reaches the other hosts as it reaches real ones, through a remote shell: this script
# is that shell ("agent"), and runs Open MPI's daemon in the host's namespace instead of over ssh. The daemons and
# the ranks then talk over the namespaces' network only, as on a cluster.
# Needs root (namespaces, veth, tc) and iproute2.
set -euo pipefail
action=${1:?usage: netns_cluster.sh up|down|mpirun N ...}
shift
n=0
if [ "$action" != agent ]; then
  n=${1:?the number of hosts}
  shift
fi
prefix=nnplug
sw=$prefix-sw

down() {
  for ((i = 0; i < n; i++)); do ip netns del "$prefix-h$i" 2> /dev/null || true; done
  ip netns del "$sw" 2> /dev/null || true
}

up() {
  local rate=${1:-} delay=${2:-}
  down
  ip netns add "$sw"
  ip -n "$sw" link add br0 type bridge
  ip -n "$sw" link set br0 up
  for ((i = 0; i < n; i++)); do
    local host=$prefix-h$i
    ip netns add "$host"
    ip link add "nnp$i" netns "$sw" type veth peer name eth0 netns "$host"
    ip -n "$sw" link set "nnp$i" master br0 up
    ip -n "$host" addr add "10.222.0.$((i + 1))/24" dev eth0
    ip -n "$host" link set eth0 up
    ip -n "$host" link set lo up
    if [ -n "$delay" ]; then
      # netem shapes both the rate and the delay; a kernel without sch_netem refuses, and says so.
      ip netns exec "$host" tc qdisc add dev eth0 root netem rate "$rate" delay "$delay" limit 100000 || {
        echo "netns_cluster.sh: tc netem failed (a kernel without sch_netem cannot add a delay); give a rate alone" >&2
        exit 1
      }
    elif [ -n "$rate" ]; then
      ip netns exec "$host" tc qdisc add dev eth0 root tbf rate "$rate" burst 4mb latency 10ms
    fi
  done
}

run_mpi() {
  local mpirun_args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do mpirun_args+=("$1"); shift; done
  shift  # the --
  local hosts=10.222.0.1
  for ((i = 1; i < n; i++)); do hosts+=",10.222.0.$((i + 1))"; done
  # TCP alone (no shared memory between the "hosts"), daemons and ranks on the namespaces' eth0. Unbound: each
  # host's daemon would pin its rank to "its" first core, the same core for all of them on this one machine.
  ip netns exec "$prefix-h0" mpirun --allow-run-as-root --host "$hosts" -np "$n" --bind-to none \
    --mca plm_rsh_agent "$(realpath "$0") agent" --mca btl tcp,self --mca btl_tcp_if_include eth0 \
    --mca oob_tcp_if_include eth0 "${mpirun_args[@]}" "$@"
}

# As mpirun's remote shell: "agent [OPTIONS] HOST COMMAND": COMMAND in HOST's namespace (10.222.0.K is host K-1).
agent() {
  while [ "${1#-}" != "$1" ]; do shift; done
  local host=$1
  shift
  exec ip netns exec "$prefix-h$((${host##*.} - 1))" /bin/sh -c "$*"
}

case "$action" in
  up) up "$@" ;;
  down) down ;;
  mpirun) run_mpi "$@" ;;
  agent) agent "$@" ;;
  *) echo "netns_cluster.sh: unknown action $action (up, down or mpirun)" >&2; exit 2 ;;
esac
