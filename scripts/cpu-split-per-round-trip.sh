#!/bin/bash
# Splits an echo server's time per round trip into kernel and user space, and lists where it
# goes: the server runs pinned to CPU 0, `echo_load` (CPU 1) plays 64-byte ping-pong on CONNS
# connections for 6 s, and `perf record -e cpu-clock` samples the server for the middle 3 s.
#
# Why: this VM has no hardware counters, so callgrind (instructions-per-round-trip.sh) counts
# instructions but not what they cost, and /proc's user/system split is tick-based and noisy.
# A loaded server runs at 100% of its CPU, so samples ÷ round trips is time per round trip;
# the symbol list shows which functions take it (a function of ten instructions that takes
# 25 ns per round trip is waiting on memory).
#
# usage: scripts/cpu-split-per-round-trip.sh NAME CONNS SERVER [ARGS...]
#   SPROUT_WORKERS=1 scripts/cpu-split-per-round-trip.sh sprout 500 target/release/examples/echo
#   scripts/cpu-split-per-round-trip.sh tokio 500 target/release/echo_server --kind tokio
# Needs perf (apt-get install linux-perf), and `cargo build --release --example echo` plus, in
# bench/, `cargo build --release --bin echo_load --bin echo_server`. The server gets `--addr`.
# TOP=N sets how many symbols to list (default 12); ONLY=user lists user-space ones only.
set -euo pipefail
name=$1; conns=$2; shift 2
here=$(cd "$(dirname "$0")/.." && pwd)
port=$((20000 + RANDOM % 20000))
data=$(mktemp)
hz=4999
taskset -c 0 "$@" --addr 127.0.0.1:$port > /dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$data" "$data.old"' EXIT
for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
    sleep 0.1
done
load_out=$(mktemp)
taskset -c 1 "$here/target/release/echo_load" --addr 127.0.0.1:$port --mode pingpong \
    --conns "$conns" --size 64 --secs 6 > "$load_out" &
load=$!
sleep 1.5
perf record -F $hz -e cpu-clock -p "$server" -o "$data" -- sleep 3 > /dev/null 2>&1
wait $load
rtps=$(tr ' ' '\n' < "$load_out" | awk -F= '$1 == "rtps" {print $2}')
rm -f "$load_out"
# Samples per dso (kernel or not), then per symbol; ns per round trip = samples ÷ Hz ÷ round
# trips in the 3 s.
perf report -i "$data" --sort dso --stdio -F sample,dso 2>/dev/null |
    awk -v hz=$hz -v rt="$rtps" -v name="$name" -v conns="$conns" '
    /^#/ || NF < 2 { next }
    { if ($2 ~ /kernel/) k += $1; else u += $1 }
    END { printf "%s, %s connection(s), %s round trips/s: kernel %.0f ns, user %.0f ns per round trip\n", name, conns, rt, k / hz / (rt * 3) * 1e9, u / hz / (rt * 3) * 1e9 }'
filter='\['
[ "${ONLY:-}" = user ] && filter='\[\.\]'
perf report -i "$data" --sort sym --stdio -F sample,sym 2>/dev/null | awk '!/^#/ && NF >= 3' |
    grep -- "$filter" |
    sort -k1,1 -n -r | awk -v hz=$hz -v rt="$rtps" -v top="${TOP:-12}" '
    # awk reads to the end (no `head`), so `sort` never dies of SIGPIPE under pipefail.
    NR <= top { $1 = sprintf("%6.1f ns", $1 / hz / (rt * 3) * 1e9); print "  " $0 }'
