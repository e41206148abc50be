"""The ``straceparse`` command: a thin shell over the library.

Exit status, like a linter: 0 when there are no findings (for ``diff``: no
changes), 1 when there are, 2 on a usage or input error.
"""

from __future__ import annotations

import argparse
import io
import json
import lzma
import os
import sys
import types
import zlib
from typing import Iterator, Optional, Sequence

import attrs

from . import __version__
from .calltree import build_call_trees, function_totals
from .diff import diff_events
from .errors import InputError, StraceparseError
from .events import Event
from .ftrace import FunctionCall, GraphEvent, SyscallEnter, SyscallExit, TraceEvent, parse_ftrace
from .parser import open_trace
from .redact import redact_report
from .report import FORMATS, render
from .rules import RULES, load_config, load_entry_point_rules, load_rules_module, parse_set, select_rules
from .rules.config import ConfigError, merge_settings
from .scanner import INPUT_FORMATS, events_of, not_a_trace, scan
from .summary import SummaryTable, compare_summaries, format_comparison, read_summaries

__all__ = ["main"]

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command that Ctrl-C stopped


class _StdinUntilInterrupt(io.BufferedIOBase):
    """Standard input that a Ctrl-C ends like end of file, so a trace read live still gets its report.

    ``strace ... -o /dev/fd/3 CMD 3>&1 | straceparse scan -`` has nothing
    to report until the input ends, and a daemon's trace does not end by
    itself.  Ctrl-C while the command waits for input ends the input.  A
    Ctrl-C while it parses or runs rules stops it.
    """

    name = "<stdin>"

    def __init__(self, handle: io.BufferedIOBase) -> None:
        super().__init__()
        self._handle = handle
        self.interrupted = False

    def readable(self) -> bool:
        return True

    def read(self, size: Optional[int] = -1) -> bytes:
        return self._read(self._handle.read, size)

    def read1(self, size: int = -1) -> bytes:
        return self._read(getattr(self._handle, "read1", self._handle.read), size)

    def _read(self, read, size) -> bytes:
        if self.interrupted:
            return b""
        try:
            return read(size)
        except KeyboardInterrupt:
            self.interrupted = True
            return b""


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits with 2 too; keep its usage line
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, "%s: error: %s\n" % (self.prog, message))


def _positive_int(text: str) -> int:
    """Read a command-line count that must be 1 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("invalid count %r: expected an integer of 1 or more" % text) from None
    if value < 1:
        raise argparse.ArgumentTypeError("invalid count %r: expected an integer of 1 or more" % text)
    return value


def _build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog="straceparse",
        description="Parse strace and ftrace logs into typed events and find the latency faults in them.",
    )
    parser.add_argument("--version", action="version", version="straceparse " + __version__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    scan_parser = commands.add_parser("scan", help="run the rules over traces and print the findings")
    scan_parser.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="strace or ftrace log to read; - reads standard input; a directory or several PREFIX.PID files "
        "of strace -ff are read as one trace",
    )
    scan_parser.add_argument("--format", choices=sorted(FORMATS), default="text", help="output format (default: text)")
    scan_parser.add_argument(
        "--rule", action="append", default=[], metavar="ID", help="run only this rule (repeatable)"
    )
    scan_parser.add_argument("--ignore", action="append", default=[], metavar="ID", help="skip this rule (repeatable)")
    _add_rule_options(scan_parser)
    scan_parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="RULE.OPTION=VALUE",
        help="set a rule option, e.g. poll-timeout-before-close.min_ms=50 (repeatable; wins over pyproject.toml)",
    )
    scan_parser.add_argument(
        "--input-format", choices=INPUT_FORMATS, default="auto",
        help="read every FILE as strace or ftrace text (default: auto, decided per file from its first lines)",
    )

    top_parser = commands.add_parser("top", help="list the kernel functions that took the most time in an ftrace file")
    top_parser.add_argument("file", metavar="FILE", help="function_graph trace to read; - reads standard input")
    top_parser.add_argument(
        "-n", "--count", type=_positive_int, default=20, metavar="N", help="how many functions to list (default: 20)"
    )

    _add_output_options(scan_parser)

    diff_parser = commands.add_parser(
        "diff", help="compare a trace of a good run with one of a bad run of the same workload"
    )
    diff_parser.add_argument("good", metavar="GOOD", help="strace log of the run that behaves")
    diff_parser.add_argument("bad", metavar="BAD", help="strace log of the run that misbehaves")
    diff_parser.add_argument(
        "--good", dest="more_good", action="append", default=[], metavar="FILE",
        help="another log of the good run, counted with GOOD (repeatable)",
    )
    diff_parser.add_argument(
        "--bad", dest="more_bad", action="append", default=[], metavar="FILE",
        help="another log of the bad run, counted with BAD (repeatable)",
    )
    diff_parser.add_argument(
        "--min-seconds", type=float, default=0.001, metavar="S",
        help="report a call made as often on both sides only when its time moved by S seconds (default: 0.001)",
    )
    diff_parser.add_argument(
        "--top", type=int, default=15, metavar="N",
        help="changes shown in text and markdown output; 0 shows all (default: 15; json has all)",
    )
    diff_parser.add_argument("--format", choices=sorted(FORMATS), default="text", help="output format (default: text)")
    _add_output_options(diff_parser)

    rules_parser = commands.add_parser("rules", help="list the rules and their options")
    _add_rule_options(rules_parser)

    summary_parser = commands.add_parser(
        "summary", help="compare the strace -c/-C summary tables of two files, syscall by syscall"
    )
    summary_parser.add_argument("before", metavar="BEFORE", help="file with a summary table (strace -c or -C output)")
    summary_parser.add_argument("after", metavar="AFTER", help="file with the summary table to compare it with")

    parse_parser = commands.add_parser(
        "parse", help="print the events of a trace as JSON lines, one object per event or unparsed line"
    )
    parse_parser.add_argument(
        "files", nargs="+", metavar="FILE",
        help="strace or ftrace log to read; - reads standard input; a directory or several PREFIX.PID files "
        "of strace -ff are read as one trace",
    )
    parse_parser.add_argument(
        "--input-format", choices=INPUT_FORMATS, default="auto",
        help="read every FILE as strace or ftrace text (default: auto, decided per file from its first lines)",
    )
    return parser


def _add_rule_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rules-module",
        action="append",
        default=[],
        metavar="MODULE",
        help="import user rules from a dotted module name or a .py path (repeatable)",
    )
    parser.add_argument(
        "--no-config",
        action="store_true",
        help="ignore [tool.straceparse] in pyproject.toml and the straceparse.rules entry points",
    )


def _load_rules(options: argparse.Namespace):
    """Load user rules and return the pyproject.toml configuration (empty with --no-config)."""
    config = None
    if not options.no_config:
        load_entry_point_rules()
        config = load_config()
        for module in config.rules_modules:
            load_rules_module(module)
    for module in options.rules_module:
        load_rules_module(module)
    if config is not None and config.settings:
        # Checked on their own, so an invalid value names the file it came from.
        try:
            select_rules(None, (), config.settings)
        except StraceparseError as error:
            raise ConfigError("%s: [tool.straceparse.set]: %s" % (config.path, error)) from None
    return config


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--redact", action="store_true",
        help="replace e-mail and IP addresses, host names, home-directory user names and "
        "read/write buffers with placeholders such as [ip-1]",
    )
    parser.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto",
        help="colour text output: auto (on a terminal, unless NO_COLOR is set), always or never",
    )


def _use_color(options: argparse.Namespace) -> bool:
    """Decide on colour: --color always/never wins, auto means a terminal and no NO_COLOR (see no-color.org)."""
    if options.color != "auto":
        return options.color == "always"
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _write(report, options: argparse.Namespace) -> None:
    if options.redact:
        report = redact_report(report)
    top = getattr(options, "top", 15)
    sys.stdout.write(render(report, options.format, color=_use_color(options), top=top))


def _run_scan(options: argparse.Namespace) -> int:
    config = _load_rules(options)
    select = options.rule or (list(config.select) if config else [])
    ignore = list(config.ignore if config else ()) + options.ignore
    settings = merge_settings(config.settings if config else {}, parse_set(options.set))
    files = [_StdinUntilInterrupt(open_trace("-")) if name == "-" else name for name in options.files]
    report = scan(
        *files,
        select=select or None,
        ignore=ignore,
        settings=settings,
        input_format=options.input_format,
    )
    if any(getattr(source, "interrupted", False) for source in files):
        notes = list(report.summary["notes"]) + [
            "<stdin>: read until Ctrl-C; the report covers the lines that came before it."
        ]
        report = attrs.evolve(report, summary={**report.summary, "notes": notes})
    _write(report, options)
    if report.checked_nothing:
        # The report above gives the reason. A clean status would read as "checked, nothing wrong".
        sys.stderr.write("straceparse: error: no trace of calls to check: every file is an strace -c summary table\n")
        return EXIT_ERROR
    return EXIT_FINDINGS if report.findings else EXIT_CLEAN


def _syscalls_checked(paths: Sequence[str]) -> Iterator[Event]:
    """Yield the events of ``paths``; raise InputError when one of them holds no syscall to compare."""
    for path in paths:
        seen = False
        # events_of reads a directory or prefix of strace -ff files as one trace, as scan does.
        for event in events_of([path]):
            seen = seen or event.kind == "syscall"
            yield event
        if not seen:
            raise InputError(
                "%s: no syscall to compare; diff reads strace logs (for -c tables, use straceparse summary)" % path
            )


def _run_diff(options: argparse.Namespace) -> int:
    good = _syscalls_checked([options.good] + options.more_good)
    bad = _syscalls_checked([options.bad] + options.more_bad)
    report = diff_events(good, bad, min_seconds=options.min_seconds)
    _write(report, options)
    return EXIT_FINDINGS if report.changes else EXIT_CLEAN


def _run_parse(options: argparse.Namespace) -> int:
    write = sys.stdout.write
    # Counted as scan counts them, so that input with no trace line fails here too.
    seen = types.SimpleNamespace(events=0, unparsed_examples=[])
    parsed = False
    for event in events_of(options.files, options.input_format):
        write(json.dumps(event.to_dict(), ensure_ascii=False).encode("utf-8", "backslashreplace").decode("utf-8"))
        write("\n")
        seen.events += 1
        if event.kind != "unparsed":
            parsed = True
        elif not seen.unparsed_examples:
            seen.unparsed_examples.append((event.file, event.line, event.reason))
    if not parsed:
        raise not_a_trace(options.files, seen, options.input_format)
    return EXIT_CLEAN


def _run_rules(options: argparse.Namespace) -> int:
    _load_rules(options)
    for rule_id in sorted(RULES):
        rule = RULES[rule_id]
        sys.stdout.write("%s\t%s\n" % (rule_id, rule.summary))
        for name, default in rule.options.items():
            if isinstance(default, (tuple, frozenset)):
                default = ",".join(default)
            sys.stdout.write("    %s.%s=%s\t%s\n" % (rule_id, name, default, rule.option_help.get(name, "")))
    return EXIT_CLEAN


# The hint top prints when a file has no function_graph call with a duration,
# chosen by the first of these event classes that the file contains.
_TOP_HINTS = (
    (
        GraphEvent,
        "the file's function_graph calls have no duration: record whole calls with the funcgraph-duration "
        "option on",
    ),
    (
        (SyscallEnter, SyscallExit),
        "the file is ftrace event output, which has no function durations: record with the function_graph "
        "tracer for top, or run straceparse scan on this file to find long syscalls from its sys_enter and "
        "sys_exit events",
    ),
    (
        FunctionCall,
        "the file is output of the ftrace function tracer, which prints no durations: record with the "
        "function_graph tracer",
    ),
    (
        TraceEvent,
        "the file is ftrace event output, which has no function durations: record with the function_graph tracer",
    ),
)
# For a file with no ftrace event besides headers, most often a strace log.
_TOP_HINT_NOT_FTRACE = "no ftrace event in the file: for a strace log, use straceparse scan"


def _top_hint(kinds: set) -> str:
    """Return the hint for a file without function durations, from the event classes read from it."""
    for wanted, hint in _TOP_HINTS:
        if any(issubclass(kind, wanted) for kind in kinds):
            return hint
    return _TOP_HINT_NOT_FTRACE


def _run_top(options: argparse.Namespace) -> int:
    kinds = set()

    def noted(events: Iterator[Event]) -> Iterator[Event]:
        for event in events:
            kinds.add(type(event))
            yield event

    totals = function_totals(build_call_trees(noted(parse_ftrace(options.file))))
    if not totals:
        raise InputError(
            "%s: no function_graph call with a duration found; top reads ftrace function_graph output (%s)"
            % (options.file, _top_hint(kinds))
        )
    sys.stdout.write("%12s %12s %12s %7s  %s\n" % ("total ms", "self ms", "max ms", "calls", "function"))
    for total in totals[: max(options.count, 0)]:
        sys.stdout.write(
            "%12.3f %12.3f %12.3f %7d  %s\n"
            % (total.total * 1000.0, total.self_total * 1000.0, total.max * 1000.0, total.calls, total.func)
        )
    return EXIT_CLEAN


def _last_table(path: str) -> SummaryTable:
    tables = read_summaries(path)
    if not tables:
        raise InputError(
            "%s: no strace summary table found (a header like '%% time     seconds ...'); summary compares the "
            "tables of strace -c or -C; for a trace of the calls themselves, use straceparse scan or diff" % path
        )
    return tables[-1]


def _run_summary(options: argparse.Namespace) -> int:
    changes = compare_summaries(_last_table(options.before), _last_table(options.after))
    sys.stdout.write(format_comparison(changes))
    return EXIT_CLEAN


_COMMANDS = {
    "scan": _run_scan,
    "parse": _run_parse,
    "diff": _run_diff,
    "rules": _run_rules,
    "summary": _run_summary,
    "top": _run_top,
}


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; return the exit status."""
    parser = _build_parser()
    options = parser.parse_args(argv)
    try:
        return _COMMANDS[options.command](options)
    except BrokenPipeError:
        return EXIT_CLEAN
    except KeyboardInterrupt:
        sys.stderr.write("straceparse: interrupted\n")
        return EXIT_INTERRUPTED
    except StraceparseError as error:
        sys.stderr.write("straceparse: error: %s\n" % error)
        return EXIT_ERROR
    except (EOFError, lzma.LZMAError, zlib.error) as error:
        # A compressed stream cut short or damaged, on standard input (paths are checked by the parser).
        sys.stderr.write(
            "straceparse: error: cannot read compressed input: %s; decompress what is there "
            "(for example zcat FILE > trace.log) and read that\n" % error
        )
        return EXIT_ERROR
    except OSError as error:
        sys.stderr.write("straceparse: error: cannot read input: %s\n" % error)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
