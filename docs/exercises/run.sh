#!/usr/bin/env bash
# Runs one of the book's exercises in a scratch copy of the repository, so your checkout is
# never touched: copies the working tree (without target/), applies docs/exercises/NAME.patch,
# then builds and runs what the chapter says and prints what happened. tests/book_exercises.rs
# runs every exercise this way and checks that it still ends in the failure the chapter's answer
# names, so a patch that no longer applies, or no longer breaks what it should, fails CI.
#
#   docs/exercises/run.sh ch07-queue-a-task-twice
#   docs/exercises/run.sh --list
#
# Builds go to target/exercises (CARGO_TARGET_DIR overrides), kept between runs.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
if [ "${1:-}" = "--list" ] || [ $# -ne 1 ]; then
    ls "$here/docs/exercises" | sed -n 's/\.patch$//p'
    exit 0
fi
name=$1
patch="$here/docs/exercises/$name.patch"
[ -f "$patch" ] || { echo "no exercise $name (try --list)" >&2; exit 2; }

# A fixed place per exercise (outside any git repository, so `git apply` patches it as plain
# files), so that a rerun rebuilds only the patched crate, not a new copy of every dependency.
scratch="${TMPDIR:-/tmp}/sprout-exercises/$name"
rm -rf "$scratch"
mkdir -p "$scratch"
cleanup() {
    # Whatever the exercise started in the background goes with it.
    local pids
    pids=$(jobs -p)
    if [ -n "$pids" ]; then kill $pids 2>/dev/null || true; fi
    rm -rf "$scratch"
}
trap cleanup EXIT
(cd "$here" && git ls-files -co --exclude-standard -z | tar --null -T - -cf - 2>/dev/null) |
    tar -xmf - -C "$scratch"  # -m: fresh mtimes, so cargo never takes another copy's build as fresh
cd "$scratch"
git apply "$patch"
echo "applied $name.patch to a scratch copy"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/target/exercises}"
examples="$CARGO_TARGET_DIR/debug/examples"

# start_server PROGRAM [ARGS...]: starts an example server on a free loopback port, in the
# background; waits (up to 60 s) for the first line it prints and sets ADDR from it.
start_server() {
    mkfifo "$scratch/server.out"
    "$@" --addr 127.0.0.1:0 > "$scratch/server.out" 2> "$scratch/server.err" &
    SERVER=$!
    exec 3< "$scratch/server.out"
    local line
    read -r -t 60 line <&3 || { echo "the server printed nothing in 60 s"; exit 1; }
    ADDR=$(grep -o '127\.0\.0\.1:[0-9]*' <<< "$line")
    cat <&3 > /dev/null &  # keep reading, so the server's later lines never block
}

# stop_server: SIGINT to the server, then prints what it wrote to stderr.
stop_server() {
    kill -INT "$SERVER" 2>/dev/null || true
    timeout 20 tail --pid="$SERVER" -f /dev/null || kill -KILL "$SERVER"
    echo "--- the server's stderr:"
    cat "$scratch/server.err"
}

case "$name" in
ch05-blocking-call)
    cargo build -q --example echo --example echo_client
    SPROUT_WORKERS=1 start_server "$examples/echo"
    timeout 60 "$examples/echo_client" --addr "$ADDR" --conns 3 --secs 3
    stop_server
    ;;
ch06-starve-the-reactor)
    cargo build -q --example tiny_runtime --example echo --example echo_client
    start_server "$examples/tiny_runtime"
    echo "tiny_runtime:"
    status=0
    timeout 5 "$examples/echo_client" --addr "$ADDR" "hello" || status=$?
    echo "client exit status $status (124: still waiting after 5 s, stopped by timeout)"
    kill -KILL "$SERVER"
    { wait "$SERVER"; } 2>/dev/null || true
    exec 3<&-
    rm "$scratch/server.out"
    SPROUT_WORKERS=1 start_server "$examples/echo"
    echo "sprout:"
    timeout 20 "$examples/echo_client" --addr "$ADDR" "hello"
    stop_server
    ;;
ch07-queue-a-task-twice)
    timeout 300 cargo test -q --test task_counters 2>&1 || true
    ;;
ch08-forget-the-deferred-list | ch10-an-endless-budget)
    timeout 300 cargo test -q --test executor_fairness 2>&1 || true
    ;;
ch09-lose-the-writable-edge)
    timeout 300 cargo test -q --test reactor_async 2>&1 || true
    ;;
ch11-pay-for-the-failed-recv)
    command -v strace > /dev/null || { echo "this exercise needs strace"; exit 2; }
    cargo build -q --release --example echo
    (cd bench && cargo build -q --release --bin echo_load)
    ln -sfn "$CARGO_TARGET_DIR" target
    for conns in 1 50; do
        SPROUT_WORKERS=1 scripts/syscalls-per-round-trip.sh "sprout (patched)" "$conns" \
            "$CARGO_TARGET_DIR/release/examples/echo"
    done
    ;;
ch12-nagle)
    cargo build -q --release --example echo --example echo_client
    start_server env SPROUT_WORKERS=1 taskset -c 0 "$CARGO_TARGET_DIR/release/examples/echo" \
        --buffer 1024
    taskset -c 1 timeout 60 "$CARGO_TARGET_DIR/release/examples/echo_client" --addr "$ADDR" \
        --conns 1 --size 4096 --secs 2
    stop_server
    ;;
ch13-slowloris)
    timeout 300 cargo test -q --test http_server slow_clients_are_cut_off 2>&1 || true
    ;;
ch14-a-task-that-never-finishes)
    cargo build -q --example echo --example echo_client
    SPROUT_WORKERS=1 start_server "$examples/echo"
    "$examples/echo_client" --addr "$ADDR" "hello" > "$scratch/client.out" 2>&1 &
    client=$!
    # The dump goes to the server's stderr; ask for it while the client waits, and stop the
    # client after 5 s if it is still waiting, as you would with Ctrl-C.
    timeout 5 tail --pid="$client" -f /dev/null || true
    kill -USR1 "$SERVER"
    for _ in $(seq 100); do  # the dump is printed by another thread: wait for it, up to 10 s
        grep -q 'runtime dump' "$scratch/server.err" && break
        sleep 0.1
    done
    status=0
    kill -INT "$client" 2>/dev/null || status=$?
    echo "client still waiting after 5 s: $([ $status = 0 ] && echo yes || echo no)"
    echo "--- the client's output:"
    cat "$scratch/client.out"
    stop_server
    ;;
*)
    echo "no script for $name: add one to docs/exercises/run.sh" >&2
    exit 2
    ;;
esac
