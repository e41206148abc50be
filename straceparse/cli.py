"""The ``straceparse`` command: a thin shell over the library.

Exit status, like a linter: 0 when there are no findings, 1 when there are,
2 on a usage or input error.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional, Sequence

from . import __version__
from .errors import StraceparseError
from .parser import parse
from .report import FORMATS
from .rules import RULES
from .scanner import scan

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
    scan_parser.add_argument("files", nargs="+", metavar="FILE", help="strace log to read; - reads standard input")
    scan_parser.add_argument("--format", choices=sorted(FORMATS), default="text", help="output format (default: text)")
    scan_parser.add_argument(
        "--rule", action="append", default=[], metavar="ID", help="run only this rule (repeatable)"
    )
    scan_parser.add_argument("--ignore", action="append", default=[], metavar="ID", help="skip this rule (repeatable)")

    parse_parser = commands.add_parser(
        "parse", help="print the events of a trace as JSON lines, one object per event or unparsed line"
    )
    parse_parser.add_argument("file", metavar="FILE", help="strace log to read; - reads standard input")

    commands.add_parser("rules", help="list the rules")
    return parser


def _run_scan(options: argparse.Namespace) -> int:
    report = scan(*options.files, select=options.rule or None, ignore=options.ignore)
    sys.stdout.write(FORMATS[options.format](report))
    return EXIT_FINDINGS if report.findings else EXIT_CLEAN


def _run_parse(options: argparse.Namespace) -> int:
    write = sys.stdout.write
    for event in parse(options.file):
        write(json.dumps(event.to_dict(), ensure_ascii=False).encode("utf-8", "backslashreplace").decode("utf-8"))
        write("\n")
    return EXIT_CLEAN


def _run_rules(options: argparse.Namespace) -> int:
    for rule_id in sorted(RULES):
        sys.stdout.write("%s\t%s\n" % (rule_id, RULES[rule_id].summary))
    return EXIT_CLEAN


_COMMANDS = {"scan": _run_scan, "parse": _run_parse, "rules": _run_rules}


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
