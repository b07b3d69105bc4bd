#!/usr/bin/env bash
# The echo example under valgrind: a few hundred connections of load, then Ctrl-C (SIGINT) and
# the graceful stop. Passes when valgrind reports 0 bytes definitely or indirectly lost and 0
# errors. Suppressions (scripts/valgrind.supp) cover only what belongs to std, each named.
#
#   scripts/valgrind-echo.sh            # builds what it needs; needs valgrind installed
#
# .ci/run calls it when valgrind is installed (and installs it where apt-get is available).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --example echo --example echo_client --quiet
addr=127.0.0.1:17700
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# No watchdog thread (release builds need none) and two workers, so worker threads, the
# blocking pool and the reactor all take part.
SPROUT_WORKERS=2 SPROUT_WATCHDOG_MS=0 valgrind --quiet --leak-check=full \
    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    --suppressions=scripts/valgrind.supp --error-exitcode=99 --log-file="$log" \
    target/release/examples/echo --addr "$addr" > /dev/null &
server=$!

# Wait (bounded) for the server to listen; valgrind makes start-up slow.
for _ in $(seq 1 100); do
    if target/release/examples/echo_client --addr "$addr" "ready?" > /dev/null 2>&1; then
        break
    fi
    sleep 0.2
done
target/release/examples/echo_client --addr "$addr" --conns 300 --size 64 --secs 3
target/release/examples/echo_client --addr "$addr" --conns 20 --size 65536 --secs 2

kill -INT "$server"
status=0
wait "$server" || status=$?
cat "$log"
if [ "$status" -ne 0 ]; then
    echo "valgrind-echo: the server under valgrind exited with status $status" >&2
    exit 1
fi
echo "valgrind-echo: 0 errors, nothing definitely or indirectly lost"
