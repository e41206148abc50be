"""The ``straceparse`` command: a thin shell over the library.

Exit status, like a linter: 0 when there are no findings, 1 when there are,
2 on a usage or input error.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional, Sequence

from . import __version__
from .errors import StraceparseError
from .report import FORMATS
from .calltree import call_tree, function_totals
from .rules import RULES
from .scanner import INPUT_FORMATS, scan

__all__ = ["main"]

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits with 2 too; keep its usage line
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, "%s: error: %s\n" % (self.prog, message))


def _build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog="straceparse",
        description="Parse strace and ftrace logs into typed events and find the latency faults in them.",
    )
    parser.add_argument("--version", action="version", version="straceparse " + __version__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    scan_parser = commands.add_parser("scan", help="run the rules over traces and print the findings")
    scan_parser.add_argument("files", nargs="+", metavar="FILE", help="strace or ftrace log to read; - reads standard input")
    scan_parser.add_argument("--format", choices=sorted(FORMATS), default="text", help="output format (default: text)")
    scan_parser.add_argument(
        "--rule", action="append", default=[], metavar="ID", help="run only this rule (repeatable)"
    )
    scan_parser.add_argument("--ignore", action="append", default=[], metavar="ID", help="skip this rule (repeatable)")
    scan_parser.add_argument(
        "--input-format", choices=INPUT_FORMATS, default="auto",
        help="read every FILE as strace or ftrace text (default: auto, decided per file from its first lines)",
    )

    top_parser = commands.add_parser("top", help="list the kernel functions that took the most time in an ftrace file")
    top_parser.add_argument("file", metavar="FILE", help="function_graph trace to read; - reads standard input")
    top_parser.add_argument(
        "-n", "--count", type=int, default=20, metavar="N", help="how many functions to list (default: 20)"
    )

    commands.add_parser("rules", help="list the rules")
    return parser


def _run_scan(options: argparse.Namespace) -> int:
    report = scan(*options.files, select=options.rule or None, ignore=options.ignore, input_format=options.input_format)
    sys.stdout.write(FORMATS[options.format](report))
    return EXIT_FINDINGS if report.findings else EXIT_CLEAN


def _run_rules(options: argparse.Namespace) -> int:
    for rule_id in sorted(RULES):
        sys.stdout.write("%s\t%s\n" % (rule_id, RULES[rule_id].summary))
    return EXIT_CLEAN


def _run_top(options: argparse.Namespace) -> int:
    totals = function_totals(call_tree(options.file))
    if not totals:
        sys.stderr.write("straceparse: %s: no function_graph call with a duration found\n" % options.file)
        return EXIT_ERROR
    sys.stdout.write("%12s %12s %12s %7s  %s\n" % ("total ms", "self ms", "max ms", "calls", "function"))
    for total in totals[: max(options.count, 0)]:
        sys.stdout.write(
            "%12.3f %12.3f %12.3f %7d  %s\n"
            % (total.total * 1000.0, total.self_total * 1000.0, total.max * 1000.0, total.calls, total.func)
        )
    return EXIT_CLEAN


_COMMANDS = {"scan": _run_scan, "rules": _run_rules, "top": _run_top}


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; return the exit status."""
    parser = _build_parser()
    options = parser.parse_args(argv)
    try:
        return _COMMANDS[options.command](options)
    except StraceparseError as error:
        sys.stderr.write("straceparse: error: %s\n" % error)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_CLEAN


if __name__ == "__main__":
    sys.exit(main())
