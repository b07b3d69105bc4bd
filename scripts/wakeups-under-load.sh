#!/bin/bash
# Counts how often an echo server's threads sleep and wake under load: `futex` calls (a worker
# parking on, or waking another through, a condvar) and context switches, per second and per
# 100 small round trips, while `echo_load` plays Shakespeare (one bulk stream beside 20 small
# clients). Nothing is pinned: a two-worker server and the load share both CPUs, as in
# `echo_bench --two-workers`. perf counts the server's threads only, over 3 s in the middle of
# a 5-s load.
#
# usage: scripts/wakeups-under-load.sh NAME SERVER [ARGS...]
#   SPROUT_WORKERS=2 scripts/wakeups-under-load.sh sprout target/release/examples/echo
#   scripts/wakeups-under-load.sh tokio-mt target/release/echo_server --kind tokio-mt
# Needs perf (apt-get install linux-perf) with the syscalls tracepoints, and
# `cargo build --release --example echo` plus `cargo build --release -p sprout-bench`.
# The server gets `--addr`.
set -u
name=$1; shift
here=$(cd "$(dirname "$0")/.." && pwd)
port=$((20000 + RANDOM % 20000))
counts=$(mktemp); load=$(mktemp)
"$@" --addr 127.0.0.1:$port > /dev/null 2>&1 &
server=$!
sleep 1
"$here/target/release/echo_load" --addr 127.0.0.1:$port --mode shakespeare --conns 20 \
    --secs 5 > "$load" 2>&1 &
loader=$!
sleep 1
perf stat -x, -e 'syscalls:sys_enter_futex,context-switches' -p "$server" -- sleep 3 \
    2> "$counts"
wait "$loader"
kill -TERM "$server"; wait "$server" 2>/dev/null
futex=$(awk -F, '$3 ~ /futex/ {print $1}' "$counts")
switches=$(awk -F, '$3 ~ /context-switches/ {print $1}' "$counts")
# echo_load prints `key=value` pairs: `rtps` is the small clients' rate, `bulk_mbps` the stream's.
rate=$(grep -o 'rtps=[0-9.]*' "$load" | head -1 | cut -d= -f2)
bulk=$(grep -o 'bulk_mbps=[0-9.]*' "$load" | head -1 | cut -d= -f2)
python3 - "$name" "$futex" "$switches" "${rate:-0}" "${bulk:-0}" <<'EOF'
import sys
name = sys.argv[1]
futex, switches, rate, bulk = (float(a) for a in sys.argv[2:])
per100 = lambda n: f"{100 * n / 3 / rate:.1f}" if rate else "?"
print(f"{name}: futex {futex / 3:,.0f}/s ({per100(futex)} per 100 small round trips), "
      f"context switches {switches / 3:,.0f}/s ({per100(switches)}); "
      f"small round trips {rate:,.0f}/s, bulk {bulk:,.0f} MB/s")
EOF
rm -f "$counts" "$load"
