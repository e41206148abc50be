"""Measure the rule engine alone: microseconds per event over events parsed beforehand.

The log's events are parsed into a list first (so this needs memory for
the whole log: use a log of a few hundred thousand lines), then each run
times only ``Scan.run``, with no rules and with every registered rule.
Best of three runs::

    .venv/bin/python benchmarks/bench_rules.py benchmarks/data/find-md5sum-200k.log
"""

from __future__ import annotations

import argparse
import time

from straceparse import parse_file
from straceparse.rules import Scan, select_rules


def _best_seconds(events, make_rules, runs: int):
    best = None
    findings = 0
    for _ in range(runs):
        scan = Scan(make_rules())
        start = time.perf_counter()
        findings = len(list(scan.run(events)))
        seconds = time.perf_counter() - start
        best = seconds if best is None else min(best, seconds)
    return best, findings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", help="an strace log")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement; the fastest counts")
    options = parser.parse_args(argv)
    events = list(parse_file(options.log))
    for label, make_rules in (("no rules", list), ("all rules", select_rules)):
        seconds, findings = _best_seconds(events, make_rules, options.runs)
        print("%-9s %d events: %.3f s, %.2f us/event, %d findings"
              % (label, len(events), seconds, seconds / len(events) * 1e6, findings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
