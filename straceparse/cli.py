"""The ``straceparse`` command: a thin shell over the library.

Exit status, like a linter: 0 when there are no findings, 1 when there are,
2 on a usage or input error.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional, Sequence

from . import __version__
from .errors import InputError, StraceparseError
from .report import FORMATS
from .rules import RULES
from .scanner import scan
from .summary import SummaryTable, compare_summaries, format_comparison, read_summaries

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
        description="Parse strace logs into typed events and find the latency faults in them.",
    )
    parser.add_argument("--version", action="version", version="straceparse " + __version__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    scan_parser = commands.add_parser("scan", help="run the rules over traces and print the findings")
    scan_parser.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="strace log to read; - reads standard input; a directory or several PREFIX.PID files "
        "of strace -ff are read as one trace",
    )
    scan_parser.add_argument("--format", choices=sorted(FORMATS), default="text", help="output format (default: text)")
    scan_parser.add_argument(
        "--rule", action="append", default=[], metavar="ID", help="run only this rule (repeatable)"
    )
    scan_parser.add_argument("--ignore", action="append", default=[], metavar="ID", help="skip this rule (repeatable)")

    commands.add_parser("rules", help="list the rules")

    summary_parser = commands.add_parser(
        "summary", help="compare the strace -c/-C summary tables of two files, syscall by syscall"
    )
    summary_parser.add_argument("before", metavar="BEFORE", help="file with a summary table (strace -c or -C output)")
    summary_parser.add_argument("after", metavar="AFTER", help="file with the summary table to compare it with")
    return parser


def _run_scan(options: argparse.Namespace) -> int:
    report = scan(*options.files, select=options.rule or None, ignore=options.ignore)
    sys.stdout.write(FORMATS[options.format](report))
    return EXIT_FINDINGS if report.findings else EXIT_CLEAN


def _run_rules(options: argparse.Namespace) -> int:
    for rule_id in sorted(RULES):
        sys.stdout.write("%s\t%s\n" % (rule_id, RULES[rule_id].summary))
    return EXIT_CLEAN


def _last_table(path: str) -> SummaryTable:
    tables = read_summaries(path)
    if not tables:
        raise InputError("%s: no strace summary table found (a header like '%% time     seconds ...')" % path)
    return tables[-1]


def _run_summary(options: argparse.Namespace) -> int:
    changes = compare_summaries(_last_table(options.before), _last_table(options.after))
    sys.stdout.write(format_comparison(changes))
    return EXIT_CLEAN


_COMMANDS = {"scan": _run_scan, "rules": _run_rules, "summary": _run_summary}


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
