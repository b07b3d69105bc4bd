#!/usr/bin/env python3
"""Counts the lines a learner reads to follow one echoed byte through the echo handler: the
functions of ARCHITECTURE.md's "One echoed byte", each measured from its signature to its closing
brace (doc comments above it not counted).

The path is the map's two blocks: `byte-path`, the library functions on the stacks that
`tests/byte_path.rs` records at the read, the park, the wake and the next poll of a real run (the
test fails if they differ), and `byte-path-between`, the calls that return between those probes.

usage: scripts/byte_path.py [ROOT]   (ROOT defaults to the repository this script is in)
"""
import os, re, sys


def blocks(root):
    """The (file, function) entries of each byte-path block of ROOT's ARCHITECTURE.md."""
    text = open(os.path.join(root, "ARCHITECTURE.md"), encoding="utf-8").read()
    found = {}
    for name in ("byte-path", "byte-path-between"):
        block = text.split(f"```text {name}\n", 1)[1].split("```", 1)[0]
        found[name] = [tuple(line.split()[:2]) for line in block.splitlines() if line.strip()]
    return found


def function_lines(path, name):
    """Lines of `fn name` in `path` (the first one found), signature to closing brace."""
    lines = open(path, encoding="utf-8").read().split("\n")
    short = name.rsplit("::", 1)[-1]
    pattern = re.compile(r"^\s*(pub(\([a-z]+\))?\s+)?(async\s+)?fn\s+" + re.escape(short) + r"\b")
    for start, line in enumerate(lines):
        if pattern.match(line):
            depth, seen = 0, False
            for end in range(start, len(lines)):
                depth += lines[end].count("{") - lines[end].count("}")
                seen = seen or "{" in lines[end]
                if seen and depth <= 0:
                    return end - start + 1
    raise SystemExit(f"{path}: no fn {short}")


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    everything = []
    for name, entries in blocks(root).items():
        rows = [(f, n, function_lines(os.path.join(root, f), n)) for f, n in entries]
        for f, n, count in rows:
            print(f"{count:4}  {f}: {n}")
        files = {f for f, _, _ in rows}
        lines = sum(c for _, _, c in rows)
        print(f"{lines:4}  lines in {len(rows)} functions, {len(files)} files ({name})\n")
        everything += rows
    files = {f for f, _, _ in everything}
    lines = sum(c for _, _, c in everything)
    print(f"{lines:4}  lines in {len(everything)} functions, {len(files)} files (the whole walk)")


if __name__ == "__main__":
    main()
