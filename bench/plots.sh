#!/usr/bin/env bash
# Regenerates the book's charts (docs/plots/*.svg) from fresh benchmark runs, in one command:
#
#   bench/plots.sh            # about 10 minutes on a 2-core machine
#   ROUNDS=1 SECS=2 bench/plots.sh   # a quick look (noisier)
#
# It builds what it needs (release), runs the lecture comparison (echo_bench --lecture) and the
# spawn and memory cases of runtime_bench, keeps their tables in docs/plots/*.txt, and draws the
# SVGs from their medians with `plots`. Server on CPU 0, load on CPU 1 (taskset, as always).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${ROUNDS:-3}"
SECS="${SECS:-3}"
OUT=docs/plots
mkdir -p "$OUT"
cargo build --release --quiet --examples
(cd bench && cargo build --release --quiet)
rm -f "$OUT/lecture.tsv" "$OUT/runtime.tsv"
target/release/echo_bench --lecture --rounds "$ROUNDS" --secs "$SECS" --tsv "$OUT/lecture.tsv" | tee "$OUT/lecture.txt"
: > "$OUT/runtime.txt"
for case in spawn memory; do
    target/release/runtime_bench --rounds "$ROUNDS" --only "$case" --tsv "$OUT/runtime.tsv" | tee -a "$OUT/runtime.txt"
done
target/release/plots --lecture "$OUT/lecture.tsv" --runtime "$OUT/runtime.tsv" --out "$OUT"
