#!/usr/bin/env python3
"""Counts the lines a learner reads to follow one echoed byte through the echo handler, from
`stream.read_chunk(n).await` returning Pending to the task's next poll and the read that gets the
byte: the functions on that path, each found by file and
name, measured from its signature to its closing brace (doc comments above it not counted).

usage: scripts/byte_path.py [ROOT]   (ROOT defaults to the repository this script is in)
The path itself is listed in ARCHITECTURE.md ("One echoed byte"); keep the two in step.
"""
import os, re, sys

# (file, function) in reading order. A name may repeat across files; each entry names its file.
PATH = [
    ("net/stream.rs", "read_chunk"), ("runtime/async_io/bytes.rs", "read_bytes_with"),
    ("runtime/async_io/bytes.rs", "poll_read_counted"),
    ("runtime/async_io/mod.rs", "poll_io_until"),
    ("runtime/reactor/source.rs", "poll_ready"), ("runtime/reactor/source.rs", "park"),
    ("runtime/reactor/source.rs", "clear_readiness"),
    ("runtime/task/cell.rs", "run"),
    ("runtime/task/mod.rs", "start_run"), ("runtime/task/mod.rs", "poll_once"),
    ("runtime/task/mod.rs", "observe"), ("runtime/task/poll.rs", "poll_guarded"),
    ("runtime/task/mod.rs", "after_pending"), ("runtime/task/mod.rs", "finish_pending"),
    ("runtime/scheduler/worker.rs", "park"), ("runtime/reactor/mod.rs", "wait"),
    ("runtime/reactor/mod.rs", "wait_for"), ("runtime/reactor/mod.rs", "dispatch"),
    ("runtime/reactor/source.rs", "on_event"), ("runtime/wait_list.rs", "notify_all_into"),
    ("runtime/task/cell.rs", "wake"), ("runtime/task/mod.rs", "wake_up_observed"),
    ("runtime/task/mod.rs", "wake_up"), ("runtime/task/mod.rs", "transition"),
    ("runtime/scheduler/mod.rs", "schedule"), ("runtime/scheduler/mod.rs", "route"),
    ("runtime/scheduler/lifo.rs", "replace"),
    ("runtime/scheduler/worker.rs", "next_task"), ("runtime/scheduler/worker.rs", "run_task"),
    ("net/chunk.rs", "borrow"), ("net/chunk.rs", "space"), ("net/chunk.rs", "filled"),
]

# Where each of those lived before the core rebuild (commit a130262), and the functions that
# only existed there (the probe around every poll, the trace inside the path).
OLD_FILES = {
    "runtime/async_io/bytes.rs": "runtime/async_io.rs", "runtime/async_io/mod.rs": "runtime/async_io.rs",
    "runtime/reactor/source.rs": "runtime/reactor.rs", "runtime/reactor/mod.rs": "runtime/reactor.rs",
    "runtime/task/cell.rs": "runtime/task.rs", "runtime/task/mod.rs": "runtime/task.rs",
    "runtime/task/poll.rs": "runtime/poll.rs", "runtime/scheduler/worker.rs": "runtime/worker.rs",
    "runtime/scheduler/mod.rs": "runtime/executor.rs", "runtime/scheduler/lifo.rs": "runtime/lifo.rs",
}
OLD_ONLY = [("runtime/probe.rs", "start"), ("runtime/probe.rs", "finish"),
            ("runtime/probe.rs", "run_ended"), ("runtime/task.rs", "wake_up_traced"),
            ("runtime/task.rs", "trace_wake"), ("runtime/reactor.rs", "trace_events")]
RENAMED = {"observe": None, "wake_up_observed": "wake_up_traced", "read_chunk": "read",
           "borrow": None, "space": None, "filled": None}


def function_lines(path, name):
    """Lines of `fn name` in `path` (the first one found), signature to closing brace."""
    lines = open(path, encoding="utf-8").read().split("\n")
    pattern = re.compile(r"^\s*(pub(\([a-z]+\))?\s+)?(async\s+)?fn\s+" + re.escape(name) + r"\b")
    for start, line in enumerate(lines):
        if pattern.match(line):
            depth, seen = 0, False
            for end in range(start, len(lines)):
                depth += lines[end].count("{") - lines[end].count("}")
                seen = seen or "{" in lines[end]
                if seen and depth <= 0:
                    return end - start + 1
    raise SystemExit(f"{path}: no fn {name}")


def total(root, entries):
    rows = [(f, n, function_lines(os.path.join(root, f), n)) for f, n in entries]
    return rows, sum(count for _, _, count in rows)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    old = "--old" in sys.argv
    if old:
        root = sys.argv[2]
        entries = [(OLD_FILES.get(f, f), RENAMED.get(n, n)) for f, n in PATH if RENAMED.get(n, n)]
        entries += OLD_ONLY
    else:
        entries = PATH
    rows, lines = total(root, entries)
    for f, n, count in rows:
        print(f"{count:4}  {f}: {n}")
    print(f"{lines:4}  lines in {len(rows)} functions, {len({f for f, _, _ in rows})} files")


if __name__ == "__main__":
    main()
