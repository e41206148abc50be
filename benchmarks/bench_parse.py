"""Measure lines per second and peak RSS of straceparse and of other strace parsers.

Each measurement runs in its own child process.  The child times only its
work, because imports and grammar loading happen before the clock starts,
and prints one JSON line.  The parent reads the child's peak RSS from
``os.wait4``.  The other parsers (PyPI strace-parser, stracetools,
strace-process-tree) run in their own virtual environment, so they never
become project dependencies::

    python3 -m venv benchmarks/.venv-others
    benchmarks/.venv-others/bin/pip install strace-parser stracetools strace-process-tree
    benchmarks/make_log.sh
    .venv/bin/python benchmarks/bench_parse.py

Speed targets are checked here, never in the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_LOG = HERE / "data" / "find-md5sum-1m.log"
OTHERS_PYTHON = HERE / ".venv-others" / "bin" / "python"
MEMORY_LOGS = (HERE / "data" / "find-md5sum-200k.log", HERE / "data" / "find-md5sum-600k.log")
DIALECT_LOGS = (HERE / "data" / "find-md5sum-300k-r.log", HERE / "data" / "find-md5sum-300k-ttt.log")

# strace-parser uses lark's Earley parser, at well under 1k lines/s; a sample
# of the log's first lines is enough to measure it.
EARLEY_SAMPLE = 20000

TARGETS = {"scan": 300000, "typed": 60000}
RSS_TARGET_MB = 60


# ---------------------------------------------------------------- workers
# Each worker returns (lines read, lines accepted, (seconds, CPU seconds), note).


def _now():
    return time.perf_counter(), time.process_time()


def _since(start):
    """Return the wall and CPU seconds since ``start``.

    CPU time counts only this process, so other jobs on a shared machine
    disturb it less than the wall clock; both are reported.
    """
    wall, cpu = _now()
    return wall - start[0], cpu - start[1]


def _count_lines(path: str) -> int:
    with open(path, "rb") as handle:
        return sum(1 for _ in handle)


def work_scan(path: str):
    # The package loads its modules on first use: take scan before the clock starts.
    from straceparse import scan

    start = _now()
    report = scan(path)
    seconds = _since(start)
    lines = _count_lines(path)
    return lines, lines - report.summary["unparsed"], seconds, "%d findings" % len(report.findings)


def work_typed(path: str):
    from straceparse import parse_arguments, parse_file

    parse_arguments("0")  # build the grammar before the clock starts
    start = _now()
    lines = failed = 0
    for event in parse_file(path):
        lines += len(event.lines)
        if event.kind == "syscall" and event.try_args() is None:
            failed += 1
        elif event.kind == "unparsed":
            failed += len(event.lines)
    seconds = _since(start)
    return lines, lines - failed, seconds, "%d argument lists or lines did not parse" % failed


def work_events(path: str):
    """Read every event with the envelope split alone: no argument parsing, no rules."""
    from straceparse import parse_file

    start = _now()
    lines = 0
    for event in parse_file(path):
        lines += len(event.lines)
    return lines, lines, _since(start), "envelope only"


def work_floor(path: str):
    """Read every event and keep each pid's first and last time, as the rule engine does for every event.

    No rule runs: this is the least ``scan`` can cost on top of the envelope
    parse, since the engine must look at each event at least this much.
    """
    from straceparse import parse_file

    start = _now()
    lines = 0
    spans = {}
    for event in parse_file(path):
        lines += len(event.lines)
        moment = event.time
        if moment is not None:
            span = spans.get(event.pid)
            if span is None:
                spans[event.pid] = [moment, moment]
            elif moment > span[1]:
                span[1] = moment
    return lines, lines, _since(start), "envelope, then each pid's span: no rules"


def work_strace_parser(path: str):
    from strace_parser.parser import get_parser

    parser = get_parser()
    start = _now()
    lines = accepted = 0
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            lines += 1
            try:
                parser.parse(line if line.endswith("\n") else line + "\n")
                accepted += 1
            except Exception:  # any lark error: the line is not in its one format
                pass
            if lines >= EARLEY_SAMPLE:
                break
    return lines, accepted, _since(start), "first %d lines only" % EARLEY_SAMPLE


def work_stracetools(path: str):
    import logging

    from stracetools.parser import StraceParser

    logging.disable(logging.WARNING)  # it logs every line it cannot parse
    start = _now()
    events = StraceParser().parse_file(path)
    seconds = _since(start)
    return _count_lines(path), len(events), seconds, "keeps every event in a list"


def work_strace_process_tree(path: str):
    import strace_process_tree as tree

    start = _now()
    with open(path, encoding="utf-8", errors="replace") as handle:
        accepted = 0

        def counted(stream):
            nonlocal accepted
            for event in tree.events(stream):
                accepted += 1
                yield event

        tree.parse_stream(counted(handle))
    seconds = _since(start)
    return _count_lines(path), accepted, seconds, "events (a resumed pair counts once), no arguments"


WORKERS = {
    "scan": (work_scan, "straceparse scan (rules, lazy arguments)"),
    "typed": (work_typed, "straceparse full typed parse of every argument"),
    "events": (work_events, "straceparse events, no arguments"),
    "floor": (work_floor, "straceparse events and per-pid spans, no rules"),
    "strace-parser": (work_strace_parser, "PyPI strace-parser 0.2.0 (lark Earley)"),
    "stracetools": (work_stracetools, "PyPI stracetools 1.0.0"),
    "strace-process-tree": (work_strace_process_tree, "PyPI strace-process-tree 1.5.3 (event reader + tree)"),
}
OTHERS = ("strace-parser", "stracetools", "strace-process-tree")


# ---------------------------------------------------------------- parent


def measure(name: str, path: pathlib.Path, python: str) -> dict:
    """Run one worker in a child process; return its report plus peak RSS in MB."""
    command = [python, str(pathlib.Path(__file__).resolve()), "--worker", name, str(path)]
    # stderr goes to a file, so a chatty child cannot fill a pipe while the
    # parent reads stdout.  communicate() would reap the child and lose its rusage.
    with tempfile.TemporaryFile() as error_file:
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=error_file)
        output = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        error_file.seek(0)
        errors = error_file.read()
    child.returncode = os.waitstatus_to_exitcode(status)
    result = {"name": name, "what": WORKERS[name][1], "log": path.name, "peak_rss_mb": usage.ru_maxrss / 1024.0}
    if child.returncode != 0:
        result["error"] = errors.decode("utf-8", "replace").strip().splitlines()[-1:] or ["exit %d" % child.returncode]
        return result
    result.update(json.loads(output))
    result["lines_per_second"] = result["lines"] / result["seconds"] if result["seconds"] else None
    result["lines_per_cpu_second"] = result["lines"] / result["cpu_seconds"] if result["cpu_seconds"] else None
    return result


def _row(result: dict) -> str:
    if "error" in result:
        return "| %s | %s | failed: %s | | | | %.0f |" % (
            result["name"], result["log"], result["error"][0], result["peak_rss_mb"],
        )
    return "| %s | %s | %d | %d | %.0f | %.0f | %.0f |" % (
        result["name"],
        result["log"],
        result["lines"],
        result["accepted"],
        result["lines_per_second"],
        result["lines_per_cpu_second"],
        result["peak_rss_mb"],
    ) + " %s |" % result["note"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", nargs="?", default=str(DEFAULT_LOG), help="strace -f -tt -T log to read")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--only", action="append", choices=sorted(WORKERS), help="run only this measurement")
    parser.add_argument("--others-python", default=str(OTHERS_PYTHON), help="python of the venv with the other parsers")
    parser.add_argument("--memory-check", action="store_true", help="also run scan and typed on the 200k and 600k logs")
    parser.add_argument("--dialects", action="store_true", help="also run events and scan on the -r and -ttt logs")
    parser.add_argument("--json", metavar="FILE", help="also write every result to FILE as JSON")
    options = parser.parse_args(argv)

    if options.worker:
        lines, accepted, (seconds, cpu), note = WORKERS[options.worker][0](options.log)
        print(json.dumps({"lines": lines, "accepted": accepted, "seconds": seconds, "cpu_seconds": cpu, "note": note}))
        return 0

    log = pathlib.Path(options.log)
    if not log.is_file():
        sys.stderr.write("bench_parse: %s not found; run benchmarks/make_log.sh or pass a log\n" % log)
        return 2
    names = options.only or list(WORKERS)
    runs = [(name, log) for name in names]
    if options.memory_check:
        runs += [(name, memory_log) for memory_log in MEMORY_LOGS for name in ("scan", "typed")]
    if options.dialects:
        runs += [(name, dialect_log) for dialect_log in DIALECT_LOGS for name in ("events", "scan")]
    results = []
    print("| measurement | log | lines | accepted | lines/s | lines/CPU s | peak RSS (MB) | note |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, path in runs:
        python = options.others_python if name in OTHERS else sys.executable
        if name in OTHERS and not pathlib.Path(python).exists():
            sys.stderr.write("bench_parse: %s skipped: %s not found\n" % (name, python))
            continue
        result = measure(name, path, python)
        results.append(result)
        print(_row(result), flush=True)
    for name, target in TARGETS.items():
        for result in results:
            if result["name"] == name and result["log"] == log.name and "error" not in result:
                for label, speed in (("lines/s", result["lines_per_second"]), ("lines/CPU s", result["lines_per_cpu_second"])):
                    verdict = "meets" if speed >= target else "misses"
                    print("%s: %.0f %s %s the target of %d" % (name, speed, label, verdict, target))
    for result in results:
        if result["name"] in TARGETS and result["peak_rss_mb"] >= RSS_TARGET_MB:
            print("%s on %s: peak RSS %.0f MB is over %d MB" % (result["name"], result["log"], result["peak_rss_mb"], RSS_TARGET_MB))
    if options.json:
        pathlib.Path(options.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
