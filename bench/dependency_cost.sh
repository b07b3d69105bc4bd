#!/usr/bin/env bash
# What depending on sprout costs a program, beside smol and tokio: the same hello-world (bind a
# TcpListener on a loopback port, print its address; README's "Using sprout as a dependency"),
# built cold (its target dir removed) in debug and in release, on sprout with
# `default-features = false`, on sprout with its defaults, on smol and on tokio (rt-multi-thread,
# net, time, macros). Prints the median of the rounds: debug cold build seconds, release binary
# bytes, and each against smol's and tokio's.
#
# usage: bench/dependency_cost.sh [--rounds N] [--baseline CHECKOUT]
#   --baseline adds the two sprout rows again, built from another checkout (an A/B in one run).
# The registry's sources are fetched before the clock starts; the rounds alternate the crates.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
rounds=3
baseline=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --baseline) baseline=$(cd "$2" && pwd); shift 2 ;;
    *) echo "usage: $0 [--rounds N] [--baseline CHECKOUT]" >&2; exit 2 ;;
  esac
done
work=${TMPDIR:-/tmp}/sprout-dependency-cost
rm -rf "$work"; mkdir -p "$work"

# hello NAME DEPENDENCY-LINE MAIN
hello() {
  mkdir -p "$work/$1/src"
  printf '[package]\nname = "hello"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\n%s\n[workspace]\n' "$2" > "$work/$1/Cargo.toml"
  printf '%s\n' "$3" > "$work/$1/src/main.rs"
}
sprout_main='fn main() {
    sprout::run(async {
        let listener = sprout::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("listening on {}", listener.local_addr().unwrap());
    });
}'
hello sprout-min "sprout = { package = \"sprout-rt\", path = \"$here\", default-features = false }" "$sprout_main"
hello sprout "sprout = { package = \"sprout-rt\", path = \"$here\" }" "$sprout_main"
names="sprout-min sprout"
if [ -n "$baseline" ]; then
  hello baseline-min "sprout = { package = \"sprout-rt\", path = \"$baseline\", default-features = false }" "$sprout_main"
  hello baseline "sprout = { package = \"sprout-rt\", path = \"$baseline\" }" "$sprout_main"
  names="$names baseline-min baseline"
fi
hello smol 'smol = "=2.0.2"' 'fn main() {
    smol::block_on(async {
        let listener = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("listening on {}", listener.local_addr().unwrap());
    });
}'
hello tokio 'tokio = { version = "=1.54.1", features = ["rt-multi-thread", "net", "time", "macros"] }' '#[tokio::main]
async fn main() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("listening on {}", listener.local_addr().unwrap());
}'
names="$names smol tokio"

for name in $names; do (cd "$work/$name" && cargo fetch -q); done
for round in $(seq "$rounds"); do
  for name in $names; do
    cd "$work/$name"
    rm -rf target
    start=$(date +%s.%N); cargo build -q; end=$(date +%s.%N)
    echo "$name debug $(echo "$end - $start" | bc)" >> "$work/results"
    rm -rf target
    cargo build -q --release
    target/release/hello > /dev/null
    echo "$name size $(stat -c %s target/release/hello)" >> "$work/results"
  done
  echo "round $round of $rounds done" >&2
done

python3 - "$work/results" $names <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
names = sys.argv[2:]
median = {(n, k): statistics.median(float(v) for m, kk, v in rows if m == n and kk == k)
          for n in names for k in ("debug", "size")}
print("| hello-world on | debug cold build (s) | ÷ smol | release binary (bytes) | ÷ smol | ÷ tokio |")
print("|---|---:|---:|---:|---:|---:|")
for n in names:
    d, s = median[(n, "debug")], median[(n, "size")]
    print(f"| {n} | {d:.2f} | {d / median[('smol', 'debug')]:.2f} | {int(s):,} | "
          f"{s / median[('smol', 'size')]:.2f} | {s / median[('tokio', 'size')]:.2f} |")
EOF
