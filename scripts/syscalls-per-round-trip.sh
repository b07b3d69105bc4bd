#!/bin/bash
# Counts the syscalls an echo server makes per round trip: the server runs under `strace -c -f`
# (pinned to CPU 0) while `echo_load` (CPU 1) plays 64-byte ping-pong on CONNS connections for
# 3 s; every server sends (sendto) once per round trip, so syscalls per round trip = all / sends.
#
# usage: scripts/syscalls-per-round-trip.sh NAME CONNS SERVER [ARGS...]
#   SPROUT_WORKERS=1 scripts/syscalls-per-round-trip.sh sprout 1 target/release/examples/echo
#   scripts/syscalls-per-round-trip.sh tokio 1 target/release/echo_server --kind tokio
# Needs strace, and `cargo build --release --example echo` plus, in bench/,
# `cargo build --release --bin echo_load --bin echo_server`. The server gets `--addr`.
set -u
name=$1; conns=$2; shift 2
here=$(cd "$(dirname "$0")/.." && pwd)
port=$((20000 + RANDOM % 20000))
out=$(mktemp)
taskset -c 0 strace -c -f -o "$out" "$@" --addr 127.0.0.1:$port > /dev/null 2>&1 &
sleep 1
taskset -c 1 "$here/target/release/echo_load" --addr 127.0.0.1:$port --mode pingpong \
    --conns "$conns" --size 64 --secs 3 > /dev/null 2>&1
# SIGTERM to the server itself (not strace), so strace writes its summary as the server exits.
for pid in $(pgrep -f -- "--addr 127.0.0.1:$port"); do
    [ "$(cat /proc/$pid/comm 2>/dev/null)" != strace ] && kill -TERM "$pid"
done
wait
total=$(awk '$NF == "total" {print $4}' "$out")
sends=$(awk '$NF == "sendto" {s += $4} END {print s}' "$out")
top=$(grep -vE 'total$|^-|^%' "$out" | sort -k4 -n -r | head -5 | awk '{printf "%s %s, ", $NF, $4}')
echo "$name, $conns connection(s): $(python3 -c "print(round($total / $sends, 2))") syscalls per round trip ($top...)"
rm -f "$out"
