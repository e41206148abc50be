"""Scanning traces: parse each source, run the rules, collect a :class:`ScanReport`.

This is what ``straceparse scan`` runs; it is also the simplest way to use the
rules from Python::

    report = straceparse.scan("trace.log")
    for finding in report.findings:
        print(finding.message)
"""

from __future__ import annotations

import io
import itertools
import os
import shlex
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Union

import attrs

from .errors import InputError
from .events import Event, Message
from .ftrace import detect_format, parse_ftrace
from .parser import Source, StraceParser, open_trace, parse, read_lines, read_texts
from .rules import RULES, Finding, Rule, Scan, select_rules
from .rules.engine import SEVERITIES
from .summary import SummaryTable
from .traceset import TraceSet, group_sources

__all__ = [
    "events_of","ScanReport", "scan", "read_events", "INPUT_FORMATS"]

#: What ``input_format`` accepts: ``auto`` decides per source from its first lines.
INPUT_FORMATS = ("auto", "strace", "ftrace")

#: The ``cost_source`` of a finding whose cost the log's clock could not measure.
UNMEASURED = "unknown"

_DETECT_LINES = 50  # lines read to tell ftrace from strace

_PARSERS = {"strace": parse, "ftrace": parse_ftrace}


def read_events(source: Source, input_format: str = "auto") -> Iterator[Event]:
    """Parse one source as strace or ftrace; ``auto`` picks by content with :func:`detect_format`.

    Raises :class:`InputError` for an unknown ``input_format``.
    """
    if input_format not in INPUT_FORMATS:
        raise InputError(
            "unknown input format %r; expected one of: %s" % (input_format, ", ".join(INPUT_FORMATS))
        )
    if input_format != "auto":
        return _PARSERS[input_format](source)
    if isinstance(source, str) and ("\n" in source or "\r" in source):
        return _PARSERS[detect_format(source.splitlines()[:_DETECT_LINES])](source)
    if isinstance(source, (str, os.PathLike)) and str(source) != "-":
        handle = open_trace(source)
        try:
            first = list(itertools.islice(read_lines(handle), _DETECT_LINES))
        except (OSError, EOFError) as error:
            raise InputError("%s: cannot read trace: %s" % (source, error)) from None
        finally:
            handle.close()
        return _PARSERS[detect_format(first)](source)
    # A stream read once (standard input, an open file, lines): keep what was
    # read for detection and put it back in front of the rest.
    if isinstance(source, str):
        return _block_events(open_trace("-"), "<stdin>")
    name = getattr(source, "name", None)
    if isinstance(source, io.BufferedIOBase):
        return _block_events(source, name if isinstance(name, str) else "<stream>")
    lines = read_lines(source)
    first = list(itertools.islice(lines, _DETECT_LINES))
    rest = itertools.chain(first, lines)
    parser = _PARSERS[detect_format(first)]
    return parser(rest, file=name) if name else parser(rest)


def _block_events(handle: io.BufferedIOBase, name: str) -> Iterator[Event]:
    """Parse a binary stream read once, a block at a time, as strace or ftrace by its first lines.

    Standard input goes through the parser's block reader like a file; read
    line by line, a log on standard input took a third longer.
    """
    texts = read_texts(handle)
    first_texts: List[str] = []
    first_lines: List[str] = []
    for text in texts:
        first_texts.append(text)
        first_lines.extend(text.split("\n", _DETECT_LINES)[:_DETECT_LINES])
        if len(first_lines) >= _DETECT_LINES:
            break
    rest = itertools.chain(first_texts, texts)
    if detect_format(first_lines[:_DETECT_LINES]) == "strace":
        return StraceParser(name).read_blocks(rest)
    return parse_ftrace(itertools.chain.from_iterable(text.split("\n") for text in rest), file=name)


@attrs.frozen(slots=True)
class ScanReport:
    """The findings of a scan and what it read.

    ``summary`` holds ``events`` and ``unparsed`` counts, the ``files`` read,
    and, in all and per rule, the number of findings, the seconds they cost
    and how many of them had a cost the log could not measure (``unmeasured``).
    ``summary_only_files`` names the files that held ``strace -c`` summary
    tables and no call, signal or exit, which no rule can check, and
    ``notes`` holds sentences that tell the reader so.
    """

    findings: tuple
    summary: Mapping[str, Any] = attrs.field(hash=False)

    @property
    def checked_nothing(self) -> bool:
        """Tell whether every file read was a summary table, so that no rule saw a single call."""
        files = self.summary["files"]
        return bool(files) and len(self.summary.get("summary_only_files", ())) == len(files)

    def notes(self) -> List[str]:
        """Return the sentences about input the rules could not check."""
        return list(self.summary.get("notes", ()))

    def totals(self) -> List[str]:
        """Return one sentence per rule that found something, like "8 connections lost 1.60 s ...".

        Findings whose cost the log could not measure (``cost_source``
        ``unknown``) are counted apart, so their 0 s never reads as measured.
        """
        sentences = []
        for rule_id, total in self.summary["rules"].items():
            count = total["findings"]
            if not count:
                continue
            rule = RULES.get(rule_id, Rule)
            unmeasured = total.get("unmeasured", 0)
            if not unmeasured:
                sentences.append(rule.describe_total(count, total["cost_seconds"]))
            elif unmeasured == count:
                sentences.append(rule.describe_unmeasured(count))
            else:
                sentences.append(
                    "%s, plus %d more whose time the log cannot measure"
                    % (rule.describe_total(count - unmeasured, total["cost_seconds"]), unmeasured)
                )
        return sentences

    def to_dict(self) -> Dict[str, Any]:
        """Return the report as the JSON object ``straceparse scan --format json`` prints."""
        return {"findings": [finding.to_dict() for finding in self.findings], "summary": dict(self.summary)}


def events_of(sources: Sequence[Source], input_format: str = "auto") -> Iterator[Event]:
    """Yield the events of several sources in turn, grouping ``strace -ff`` files into one trace each."""
    for source in group_sources(sources):
        if isinstance(source, TraceSet):
            yield from source.events()
        else:
            yield from read_events(source, input_format)


def scan(
    *sources: Source,
    rules: Optional[Sequence[Rule]] = None,
    select: Optional[Sequence[str]] = None,
    ignore: Sequence[str] = (),
    settings: Optional[Mapping[str, Mapping[str, Any]]] = None,
    input_format: str = "auto",
) -> ScanReport:
    """Scan each source (a path, ``-``, an open file or lines) and return the findings.

    Each source is its own trace: rule state does not carry from one to the
    next.  A directory, or several ``PREFIX.PID`` files of ``strace -ff``, is
    read as one trace (see :mod:`straceparse.traceset`).  Pass ready
    ``rules``, or pick registered ones with ``select``, ``ignore`` and
    per-rule ``settings``.  ``input_format`` is ``auto`` (strace or ftrace,
    decided per source), ``strace`` or ``ftrace``.

    Raises :class:`InputError` for a source that has no line at all or no
    line of strace or ftrace output: scanning it would report "no findings"
    for a file that was never a trace.
    """
    findings: List[Finding] = []
    events = unparsed = 0
    examples: List[Dict[str, Any]] = []
    skipped: List[str] = []
    files = []
    summary_only: List[str] = []
    rule_ids: List[str] = []
    notes: List[str] = []
    reasons: Dict[str, int] = {}
    unread = 0
    unread_examples: List[Dict[str, Any]] = []
    for source in group_sources(sources):
        chosen = list(rules) if rules is not None else select_rules(select, ignore, settings)
        if rules is not None:
            # Fresh instances, so one trace's state never leaks into the next.
            chosen = [type(rule)(**{name: getattr(rule, name) for name in rule.options}) for rule in rules]
        rule_ids = [rule.id for rule in chosen]
        run = Scan(chosen)
        if isinstance(source, TraceSet):
            findings.extend(sorted(run.run(source.events()), key=_reading_order))
            names = list(source.paths)
            skipped.extend(source.skipped)
        else:
            findings.extend(sorted(run.run(read_events(source, input_format)), key=_reading_order))
            names = [_name(source)]
        files.extend(names)
        if run.events == run.unparsed:
            raise not_a_trace(names, run, input_format)
        if _holds_only_summaries(run):
            summary_only.extend(names)
        notes.extend(_unread_notes(names, run))
        if run.unread_arguments:
            notes.append(_unread_arguments_note(run))
            unread += run.unread_arguments
            unread_examples.extend(
                {"file": error.file, "line": error.line, "column": error.column, "reason": error.reason}
                for error in run.unread_argument_errors
            )
        for reason, count in run.unparsed_reasons.items():
            reasons[reason] = reasons.get(reason, 0) + count
        events += run.events
        unparsed += run.unparsed
        examples.extend(
            {"file": file, "line": line, "reason": reason} for file, line, reason in run.unparsed_examples
        )
    per_rule: Dict[str, Dict[str, Any]] = {rule_id: _empty_total() for rule_id in rule_ids}
    for finding in findings:
        total = per_rule.setdefault(finding.rule, _empty_total())
        total["findings"] += 1
        total["cost_seconds"] += finding.cost_seconds
        if finding.cost_source == UNMEASURED:
            total["unmeasured"] += 1
    for total in per_rule.values():
        total["cost_seconds"] = round(total["cost_seconds"], 6)
    summary = {
        "files": files,
        "events": events,
        "unparsed": unparsed,
        "unparsed_examples": examples[:5],
        "unparsed_reasons": dict(sorted(reasons.items(), key=lambda item: (-item[1], item[0]))),
        "unread_arguments": unread,
        "unread_argument_examples": unread_examples[:5],
        "skipped_files": skipped,
        "summary_only_files": summary_only,
        "notes": ([_summary_only_note(summary_only)] if summary_only else []) + notes,
        "findings": len(findings),
        "cost_seconds": round(sum(finding.cost_seconds for finding in findings), 6),
        "unmeasured": sum(1 for finding in findings if finding.cost_source == UNMEASURED),
        "rules": per_rule,
    }
    return ScanReport(tuple(findings), summary)


def _reading_order(finding: Finding) -> tuple:
    """Sort key of one trace's findings: the most severe first, then by file and line, as a reader triages them.

    The sources keep the order they were given in.
    """
    severity = getattr(finding, "severity", None)
    rank = SEVERITIES.index(severity) if severity in SEVERITIES else -1
    return (-rank, finding.file, finding.lines[0] if finding.lines else 0)


def not_a_trace(names: Sequence[str], run: Any, input_format: str = "auto") -> InputError:
    """Build the error for a source none of whose lines is a trace line.

    A source of several files (``strace -ff`` output, a directory) names them
    all, and its example line names its own file.  ``run`` is a
    :class:`~straceparse.rules.Scan`, or any object with its ``events`` count
    and ``unparsed_examples`` list.
    """
    listed = ", ".join(names)
    several = len(names) > 1
    if not run.events:
        if several:
            return InputError("%s: none of these %d files has a line to read; expected strace or ftrace output" % (
                listed, len(names)))
        return InputError("%s: no lines to read; expected strace or ftrace output" % listed)
    file, line, reason = run.unparsed_examples[0]
    read_as = "" if input_format == "auto" else " as %s" % input_format
    if several:
        return InputError(
            "%s: none of the %d lines of these %d files could be read%s (%s:%d: %s); "
            "check that the files are strace or ftrace output"
            % (listed, run.events, len(names), read_as, file, line, reason)
        )
    if run.events == 1:
        return InputError(
            "%s: its one line could not be read%s (%s); check that the file is strace or ftrace output"
            % (listed, read_as, reason)
        )
    return InputError(
        "%s: none of its %d lines could be read%s (line %d: %s); check that the file is strace or ftrace output"
        % (listed, run.events, read_as, line, reason)
    )


def _empty_total() -> Dict[str, Any]:
    return {"findings": 0, "cost_seconds": 0.0, "unmeasured": 0}


def _holds_only_summaries(run: Scan) -> bool:
    """Tell whether a scanned source held summary tables and, besides them, only messages and unparsed lines."""
    tables = sum(count for kind, count in run.other_events.items() if issubclass(kind, SummaryTable))
    if not tables:
        return False
    syscalls = run.events - run.unparsed - sum(run.other_events.values())
    others = sum(
        count for kind, count in run.other_events.items() if not issubclass(kind, (SummaryTable, Message))
    )
    return syscalls == 0 and others == 0


def _summary_only_note(names: Sequence[str]) -> str:
    """Build the note for files that hold only ``strace -c`` summary tables."""
    if len(names) == 1:
        subject = (
            "%s: not checked, because the file contains only an strace -c/-C summary table, "
            "which counts calls but does not list them" % names[0]
        )
    else:
        subject = (
            "%s: not checked, because these files contain only strace -c/-C summary tables, "
            "which count calls but do not list them" % ", ".join(names)
        )
    return (
        "%s. The rules need a trace of the calls themselves: "
        "record without -c, or with -C, which prints both the calls and the table. "
        "To compare two summary tables, run straceparse summary BEFORE AFTER." % subject
    )


def _unread_notes(names: Sequence[str], run: Scan) -> List[str]:
    """Return the notes on a source whose unparsed lines a reader should know about: mail encoding, or most of it."""
    encoded = run.unparsed_reasons.get("quoted-printable", 0)
    if encoded:
        return [_quoted_printable_note(names, encoded)]
    parsed = run.events - run.unparsed
    if run.unparsed <= parsed:
        return []
    return [
        "%s: most of it could not be read (%d unparsed line%s against %d parsed event%s), so the rules checked "
        "only a small part; straceparse parse shows why each line failed"
        % (", ".join(names), run.unparsed, "" if run.unparsed == 1 else "s", parsed, "" if parsed == 1 else "s")
    ]


def _unread_arguments_note(run: Scan) -> str:
    """Build the note for calls whose arguments a rule needed and the grammar could not read."""
    first = run.unread_argument_errors[0]
    count = run.unread_arguments
    return (
        "%s:%d:%s: the rules skipped %s whose arguments could not be read (%s%s), so a finding may be missing; "
        "event.args in Python or straceparse parse gives the error of each"
        % (first.file, first.line, first.column, "1 call" if count == 1 else "%d calls" % count, first.reason,
           "" if count == 1 else ", the first of them")
    )


def _quoted_printable_note(names: Sequence[str], count: int) -> str:
    """Build the note for a source whose lines came quoted-printable encoded from a mail (``=3D`` for ``=``)."""
    listed = ", ".join(names)
    return (
        "%s: %d line%s quoted-printable mail text (=3D for =), which straceparse does not decode, "
        "so %s not read. Decode the mail first, for example with python3 -m quopri -d < %s > decoded.log, "
        "and scan the decoded file."
        % (listed, count, " is" if count == 1 else "s are", "it was" if count == 1 else "they were",
           shlex.quote(names[0]) if len(names) == 1 else "FILE")
    )


def _name(source: Union[Source, Iterable[str]]) -> str:
    """Return the name a report shows for ``source``: its path, ``<stdin>``, or the stream's name."""
    if isinstance(source, str):
        if "\n" in source:
            return "<string>"
        return "<stdin>" if source == "-" else source
    if isinstance(source, os.PathLike):
        return os.fspath(source)
    return str(getattr(source, "name", None) or "<stream>")
