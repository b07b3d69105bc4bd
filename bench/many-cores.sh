#!/usr/bin/env bash
# The many-cores table: how sprout scales past two workers, beside tokio multi_thread and smol
# (one Executor run by N threads), with the load on cores the server does not use.
#
#   bench/many-cores.sh [--max-workers N] [--rounds R] [--secs S] [--out DIR] [--machine NAME]
#
# It prints, and writes to DIR/many-cores.txt (tables) and DIR/many-cores.tsv (scenario, server,
# figure, value — the format `plots` reads):
#   1. echo, 500 connections of 64 B: round trips/s and server CPU µs per round trip at 1, 2, 4
#      and 8 workers (up to --max-workers), the server pinned to CPUs 0..W-1 and the load spread
#      over the top CPUs as several `echo_load` processes, one per CPU;
#   2. Shakespeare: the server on CPU 0, each load CPU running one bulk stream and its share of
#      20 small clients: the small clients' p50/p99 and the bulk MB/s (summed);
#   3. fan-out at the same worker counts, sprout against tokio, on the server's CPUs;
# then DIR/many-cores.svg (round trips/s by workers) through `plots --many-cores`.
#
# Each cell is the median of R rounds; within a round the servers alternate. One run at the
# defaults (3 rounds of 4 s) takes about 5 minutes on 16 cores.
#
# The binaries come from $BIN (default target/release): examples/echo, echo_server, echo_load,
# fanout and plots. Build them here with
#   cargo build --release --example echo && cargo build --release -p sprout-bench
# and, for a machine with no toolchain, copy the five into one folder (keeping examples/echo)
# and point BIN at it. The load CPUs are the top ones; on a machine with fewer than twice
# --max-workers CPUs the load shares CPUs with the server, and the script says so: its figures
# then test the script, not the runtimes.
set -euo pipefail

BIN="${BIN:-target/release}"
CPUS=$(nproc)
MAX=$(( CPUS / 2 ))
(( MAX > 8 )) && MAX=8
(( MAX < 2 )) && MAX=2
ROUNDS=3
SECS=4
OUT=bench/many-cores
MACHINE="$(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ *//')"
while (( $# )); do
    case "$1" in
        --max-workers) MAX="$2"; shift 2 ;;
        --rounds) ROUNDS="$2"; shift 2 ;;
        --secs) SECS="$2"; shift 2 ;;
        --out) OUT="$2"; shift 2 ;;
        --machine) MACHINE="$2"; shift 2 ;;
        *) echo "unknown option $1 (see the comment at the top)" >&2; exit 2 ;;
    esac
done
for binary in examples/echo echo_server echo_load fanout plots; do
    [[ -x "$BIN/$binary" ]] || { echo "missing $BIN/$binary: build it first (see the top of $0)" >&2; exit 1; }
done
mkdir -p "$OUT"
TSV="$OUT/many-cores.tsv"
TXT="$OUT/many-cores.txt"
: > "$TSV"
SCRATCH=$(mktemp -d)
SERVER_PID=
trap '[[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$SCRATCH"' EXIT

# The worker counts measured, and the load CPUs: the top CPUs the widest server does not use.
COUNTS=()
for n in 1 2 4 8; do (( n <= MAX )) && COUNTS+=("$n"); done
LOAD_CPUS=()
for (( cpu = CPUS - 1; cpu >= MAX && ${#LOAD_CPUS[@]} < 8; cpu-- )); do LOAD_CPUS+=("$cpu"); done
SHARED=""
if (( ${#LOAD_CPUS[@]} == 0 )); then
    LOAD_CPUS=("$(( CPUS - 1 ))")
    SHARED="load SHARES CPU $(( CPUS - 1 )) with the server (fewer than $(( MAX + 1 )) CPUs): these figures test the script, not the runtimes"
fi

say() { echo "$*" | tee -a "$TXT"; }
: > "$TXT"
say "# many cores: $MACHINE"
say "server CPUs 0..W-1 for W in ${COUNTS[*]}; load CPUs ${LOAD_CPUS[*]} (one echo_load each); $ROUNDS rounds of ${SECS}s; medians"
[[ -n "$SHARED" ]] && say "NOTE: $SHARED"

# start_server KIND WORKERS CPUS: starts a server pinned to CPUS; sets SERVER_PID and ADDR.
start_server() {
    local kind=$1 workers=$2 cpus=$3 log="$SCRATCH/server.log"
    : > "$log"
    case "$kind" in
        sprout) SPROUT_WORKERS=$workers taskset -c "$cpus" "$BIN/examples/echo" --addr 127.0.0.1:0 > "$log" 2>&1 & ;;
        *) taskset -c "$cpus" "$BIN/echo_server" --kind "$kind" --threads "$workers" --addr 127.0.0.1:0 > "$log" 2>&1 & ;;
    esac
    SERVER_PID=$!
    for _ in $(seq 200); do
        ADDR=$(grep -o 'listening on [0-9.:]*' "$log" | head -1 | cut -d' ' -f3 || true)
        [[ -n "$ADDR" ]] && return 0
        sleep 0.05
    done
    echo "$kind did not start: $(cat "$log")" >&2
    exit 1
}

stop_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; }

# load MODE TOTAL_CONNS: one echo_load per load CPU, the connections split between them; each
# writes its key=value line to $SCRATCH/load.N.
load() {
    local mode=$1 total=$2 count=${#LOAD_CPUS[@]} i=0 pids=()
    for cpu in "${LOAD_CPUS[@]}"; do
        local conns=$(( total / count + (i < total % count ? 1 : 0) ))
        taskset -c "$cpu" "$BIN/echo_load" --addr "$ADDR" --mode "$mode" --conns "$conns" \
            --size 64 --secs "$SECS" --server-pid "$SERVER_PID" > "$SCRATCH/load.$i" 2>&1 &
        pids+=($!)
        i=$(( i + 1 ))
    done
    wait "${pids[@]}"
}

# The load lines summed up: rtps (sum), cpu_us_per_rt (the server's CPU over the window, from
# each generator's own reading, over all round trips), p50 (median), p99 (worst), bulk MB/s (sum).
summarise() {
    cat "$SCRATCH"/load.* | python3 -c '
import sys, statistics
rows = [dict(f.split("=", 1) for f in line.split() if "=" in f) for line in sys.stdin if "rtps=" in line]
if not rows: sys.exit("no echo_load figures (did the server die?)")
rtps = sum(float(r["rtps"]) for r in rows)
cpu = statistics.median(float(r["server_cpu_us_per_rt"]) * float(r["rtps"]) for r in rows) / rtps
p50 = statistics.median(float(r["p50_us"]) for r in rows)
p99 = max(float(r["p99_us"]) for r in rows)
bulk = sum(float(r.get("bulk_mbps", 0)) for r in rows)
errors = sum(int(r["errors"]) for r in rows)
print(f"{rtps:.0f} {cpu:.2f} {p50:.0f} {p99:.0f} {bulk:.0f} {errors}")'
}

# median of the numbers on stdin.
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

SERVERS=(sprout tokio-mt smol-mt)
declare -A CELL
for (( round = 1; round <= ROUNDS; round++ )); do
    for w in "${COUNTS[@]}"; do
        for server in "${SERVERS[@]}"; do
            start_server "$server" "$w" "0-$(( w - 1 ))"
            load pingpong 500
            read -r rtps cpu _ _ _ errors <<< "$(summarise)"
            stop_server
            CELL[$w,$server,rtps]+="$rtps "
            CELL[$w,$server,cpu]+="$cpu "
            echo "round $round: $w workers, $server: $rtps round trips/s, $cpu µs CPU per round trip, $errors errors" >&2
        done
    done
    for server in "${SERVERS[@]}"; do
        start_server "$server" 1 0
        load shakespeare 20
        read -r rtps _ p50 p99 bulk errors <<< "$(summarise)"
        stop_server
        CELL[s,$server,rtps]+="$rtps "
        CELL[s,$server,p50]+="$p50 "
        CELL[s,$server,p99]+="$p99 "
        CELL[s,$server,bulk]+="$bulk "
        echo "round $round: Shakespeare, $server: p99 $p99 µs, bulk $bulk MB/s, $errors errors" >&2
    done
done

cell() { tr ' ' '\n' <<< "${CELL[$1]}" | grep . | median; }

say ""
say "## 1. Echo, 500 connections of 64 B (round trips/s; server CPU µs per round trip)"
say ""
say "| workers | sprout | tokio multi_thread | smol | sprout ÷ tokio | sprout ÷ smol |"
say "|---:|---:|---:|---:|---:|---:|"
for w in "${COUNTS[@]}"; do
    line="| $w"
    for server in "${SERVERS[@]}"; do
        rtps=$(cell "$w,$server,rtps"); cpu=$(cell "$w,$server,cpu")
        printf 'echo 500x64B, %s workers\t%s\trtps\t%s\n' "$w" "$server" "$rtps" >> "$TSV"
        printf 'echo 500x64B, %s workers\t%s\tcpu_us_per_rt\t%s\n' "$w" "$server" "$cpu" >> "$TSV"
        line+=" | $(printf '%.0f' "$rtps") ($(printf '%.2f' "$cpu") µs)"
    done
    s=$(cell "$w,sprout,rtps"); t=$(cell "$w,tokio-mt,rtps"); m=$(cell "$w,smol-mt,rtps")
    line+=" | $(python3 -c "print(f'{$s/$t:.2f}')") | $(python3 -c "print(f'{$s/$m:.2f}')") |"
    say "$line"
done
say ""
say "Scaling 1 → ${COUNTS[-1]} workers (÷ linear):"
for server in "${SERVERS[@]}"; do
    one=$(cell "1,$server,rtps"); top=$(cell "${COUNTS[-1]},$server,rtps")
    say "- $server: $(python3 -c "print(f'{$top/$one:.2f}x, {$top/$one/${COUNTS[-1]}:.2} of linear')")"
done
say ""
say "## 2. Shakespeare: server on CPU 0, ${#LOAD_CPUS[@]} load CPU(s), each one bulk stream + its share of 20 small clients"
say ""
say "| server | small p50 µs | small p99 µs | small round trips/s | bulk MB/s (sum) |"
say "|---|---:|---:|---:|---:|"
for server in "${SERVERS[@]}"; do
    for figure in p50 p99 rtps bulk; do
        printf 'shakespeare, 1 server CPU\t%s\t%s\t%s\n' "$server" "$figure" "$(cell "s,$server,$figure")" >> "$TSV"
    done
    say "| $server | $(cell "s,$server,p50") | $(cell "s,$server,p99") | $(printf '%.0f' "$(cell "s,$server,rtps")") | $(cell "s,$server,bulk") |"
done
say ""
say "## 3. Fan-out (400,000 tasks of ~1 µs), on CPUs 0..$(( ${COUNTS[-1]} - 1 ))"
say ""
WORKERS=$(IFS=,; echo "${COUNTS[*]}")
taskset -c "0-$(( ${COUNTS[-1]} - 1 ))" "$BIN/fanout" --workers "$WORKERS" --rounds "$ROUNDS" --tsv "$TSV" | tee -a "$TXT"
say ""
say "Commands: BIN=$BIN $0 --max-workers $MAX --rounds $ROUNDS --secs $SECS --out $OUT"
"$BIN/plots" --many-cores "$TSV" --machine "$MACHINE" --out "$OUT"
