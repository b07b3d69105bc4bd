#!/usr/bin/env bash
# Regenerates every table and chart of the book's chapter 12 (docs/plots/) from fresh runs, in
# one command:
#
#   bench/plots.sh                   # about 20 minutes on a 2-core machine
#   ROUNDS=1 SECS=2 bench/plots.sh   # a quick look (noisier)
#
# It builds what it needs (release) and runs, server on CPU 0 and load on CPU 1 (taskset):
#   echo.txt      echo_bench: sprout beside tokio, smol and a raw epoll loop, plus idle memory;
#   runtime.txt   runtime_bench: spawn, bytes per pending task, ping-pong, timers;
#   fanout.txt    fanout: one worker against two (not pinned: two workers need both CPUs);
#   lecture.txt   echo_bench --lecture: the lecture's stages side by side;
# then draws the SVGs from their medians with `plots`. Each .txt starts with its command.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${ROUNDS:-3}"
SECS="${SECS:-3}"
OUT=docs/plots
mkdir -p "$OUT"
cargo build --release --quiet --examples
(cd bench && cargo build --release --quiet)
rm -f "$OUT/lecture.tsv" "$OUT/runtime.tsv"

# run FILE COMMAND...: runs COMMAND, writing "$ COMMAND" and then its output to FILE.
run() {
    local file="$1"
    shift
    { echo "\$ $*"; "$@"; } | tee "$OUT/$file"
}
run echo.txt target/release/echo_bench --rounds "$ROUNDS" --secs "$SECS"
run runtime.txt target/release/runtime_bench --rounds "$ROUNDS" --tsv "$OUT/runtime.tsv"
run fanout.txt target/release/fanout --rounds "$((ROUNDS + 2))"
run lecture.txt target/release/echo_bench --lecture --rounds "$ROUNDS" --secs "$SECS" --tsv "$OUT/lecture.tsv"
target/release/plots --lecture "$OUT/lecture.tsv" --runtime "$OUT/runtime.tsv" --out "$OUT"
