#!/bin/bash
# What a thread per connection costs next to a task per connection (docs chapter 3): the server
# (CPU 0) holds CONNS idle connections, each having echoed one byte, and reports its resident
# memory per connection; then 64-byte ping-pong on PINGS connections for 3 s (load on CPU 1)
# reports the context switches per round trip (summed over the server's threads, sampled over 2 s
# of the run).
#
# usage: scripts/threads-vs-tasks.sh [CONNS [PINGS]]      (default 10000 and 100)
# Needs `cargo build --release --example echo_threads --example echo` and, in bench/,
# `cargo build --release --bin echo_load`.
set -u
conns=${1:-10000}; pings=${2:-100}
here=$(cd "$(dirname "$0")/.." && pwd)
release="$here/target/release"
switches() { # voluntary + involuntary context switches of every thread of process $1
    cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {s += $2} END {print s + 0}'
}
for server in echo_threads echo; do
    # A port the kernel says is free (a random one may be held by the last run's client sockets).
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    SPROUT_WORKERS=1 taskset -c 0 "$release/examples/$server" --addr 127.0.0.1:$port --buffer 4096 \
        > /dev/null 2>&1 < /dev/null &
    pid=$!
    sleep 0.5
    held=$(taskset -c 1 "$release/echo_load" --addr 127.0.0.1:$port --mode hold --conns "$conns" \
        --server-pid $pid | tr ' ' '\n' | grep bytes_per_conn | cut -d= -f2)
    # The held connections' threads must be gone (taking their counts with them) before the
    # sample starts, or the sum can even fall: wait, up to 30 s, until fewer than 10 are left.
    for _ in $(seq 300); do
        [ "$(ls /proc/$pid/task 2>/dev/null | wc -l)" -lt 10 ] && break
        sleep 0.1
    done
    # Sampled while the load runs: a thread's counts vanish with it when its connection closes.
    out=$(mktemp)
    taskset -c 1 "$release/echo_load" --addr 127.0.0.1:$port --mode pingpong --conns "$pings" \
        --size 64 --secs 3 --server-pid $pid > "$out" &
    load=$!
    sleep 0.5; before=$(switches $pid)
    sleep 2; after=$(switches $pid)
    wait $load; line=$(cat "$out"); rm -f "$out"
    rtps=$(echo "$line" | tr ' ' '\n' | grep '^rtps=' | cut -d= -f2)
    cpu=$(echo "$line" | tr ' ' '\n' | grep '^server_cpu_us_per_rt=' | cut -d= -f2)
    kill $pid; wait $pid 2>/dev/null
    python3 -c "print(f'$server: {int(float($held))} bytes per idle connection ($conns held); ' \
        f'{($after - $before) / (float($rtps) * 2):.2f} context switches and {$cpu} µs CPU per round trip ($pings connections, {float($rtps)/1e3:.0f}k round trips/s)')"
done
