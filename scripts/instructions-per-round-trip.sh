#!/bin/bash
# Counts the instructions an echo server runs in user space per round trip: the server runs
# under valgrind's callgrind (pinned to CPU 0) while `echo_load` (CPU 1) plays 64-byte
# ping-pong on CONNS connections for SECS seconds (default 6); instructions ÷ round trips.
#
# Why: this machine is a noisy VM without hardware counters, and 93% of an echo server's time
# is in the kernel, where timing moves the cost of each syscall. Callgrind counts the
# instructions of the server's own code, the same for the same binary and load whatever the
# machine is doing; with the syscall count (syscalls-per-round-trip.sh) it separates "sprout
# got slower" from "this minute was slower". Start-up is included (a few million instructions,
# under 1% of a 6-second run).
#
# usage: scripts/instructions-per-round-trip.sh NAME CONNS SERVER [ARGS...]
#   SPROUT_WORKERS=1 scripts/instructions-per-round-trip.sh sprout 50 target/release/examples/echo
#   scripts/instructions-per-round-trip.sh tokio 50 target/release/echo_server --kind tokio
# Needs valgrind, and `cargo build --release --example echo` plus, in bench/,
# `cargo build --release --bin echo_load --bin echo_server`. The server gets `--addr`.
# CACHE_SIM=1 also runs callgrind's cache model (a 32 KiB first-level data cache) and prints
# its first-level read and write misses per round trip. The model has no prefetcher and no
# kernel traffic: ch. 12 shows a layout it scored 4.8 misses better measure slower.
set -euo pipefail
name=$1; conns=$2; shift 2
secs=${SECS:-6}
here=$(cd "$(dirname "$0")/.." && pwd)
port=$((20000 + RANDOM % 20000))
out=$(mktemp)
cache_sim=no
[ "${CACHE_SIM:-}" = 1 ] && cache_sim=yes
taskset -c 0 valgrind --tool=callgrind --cache-sim=$cache_sim --callgrind-out-file="$out" "$@" \
    --addr 127.0.0.1:$port > /dev/null 2>&1 &
server=$!
# Under valgrind the server takes a few seconds to start listening; wait for it (bounded).
for _ in $(seq 300); do
    (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
    sleep 0.1
done
load=$(taskset -c 1 "$here/target/release/echo_load" --addr 127.0.0.1:$port --mode pingpong \
    --conns "$conns" --size 64 --secs "$secs")
# SIGTERM lets valgrind write the counts as the server exits.
kill -TERM "$server"
wait "$server" || true
rtps=$(echo "$load" | tr ' ' '\n' | awk -F= '$1 == "rtps" {print $2}')
# The totals line lists the events in the order of the "events:" line (Ir first).
read -r -a events <<< "$(awk '$1 == "events:" {$1 = ""; print; exit}' "$out")"
read -r -a totals <<< "$(awk '$1 == "summary:" || $1 == "totals:" {$1 = ""; print; exit}' "$out")"
rm -f "$out"
instructions=${totals[0]}
echo "$name, $conns connection(s): $(python3 -c "print(round($instructions / ($rtps * $secs)))") user-space instructions per round trip ($instructions in ${secs} s at $rtps round trips/s)"
if [ "$cache_sim" = yes ]; then
    for i in "${!events[@]}"; do
        case ${events[$i]} in
            D1mr) reads=${totals[$i]} ;;
            D1mw) writes=${totals[$i]} ;;
        esac
    done
    echo "  first-level data-cache misses per round trip (callgrind's model): $(python3 -c "print(f'{$reads / ($rtps * $secs):.2f} read, {$writes / ($rtps * $secs):.2f} write')")"
fi
