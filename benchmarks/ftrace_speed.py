"""Measure how many lines per second the ftrace reader and the call tree builder take.

Run from the repository root: ``python benchmarks/ftrace_speed.py``.  The
input is fixture text repeated to a few hundred thousand lines; the best of
three runs is printed.
"""

from __future__ import annotations

import pathlib
import time

from straceparse.calltree import build_call_trees
from straceparse.ftrace import parse_ftrace_lines

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
INPUTS = {
    "function_graph with funcgraph-abstime": (FIXTURES / "corpus" / "02-perftools-funcgraph-abstime-19s-read.ftrace", 6, 1000),
    "function_graph, default options": (FIXTURES / "ftrace" / "exim-poll-200ms-funcgraph.ftrace", 4, 12000),
    "tracepoint events": (FIXTURES / "captures" / "ftrace" / "ftrace-events-poll.trace", 12, 3000),
}


def best_rate(run, lines) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        run(lines)
        best = min(best, time.perf_counter() - start)
    return len(lines) / best


def main() -> None:
    for name, (path, skip, repeat) in INPUTS.items():
        lines = path.read_text().splitlines()[skip:] * repeat
        parse_rate = best_rate(lambda data: sum(1 for _ in parse_ftrace_lines(data)), lines)
        tree_rate = best_rate(lambda data: build_call_trees(parse_ftrace_lines(data)), lines)
        print("%-40s %8d lines  parse %8.0f lines/s  parse+trees %8.0f lines/s" % (name, len(lines), parse_rate, tree_rate))


if __name__ == "__main__":
    main()
