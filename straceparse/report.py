"""Rendering scan and diff results as terminal text, JSON or Markdown.

In: a :class:`~straceparse.scanner.ScanReport` or a
:class:`~straceparse.diff.DiffReport`.  Out: a string.  JSON is the report's
``to_dict()`` and nothing more, so whatever the terminal shows the library
also returns as data.  Trace text is untrusted, so every renderer shows
control characters as escapes and no terminal escape sequence gets through.
The Markdown renderer also escapes or fences trace text, so that no trace
line can close its code fence, split a table cell or become HTML.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, Iterable, List, Sequence, Union

from .diff import CHANGE_KINDS, Change, DiffReport
from .rules import RULES
from .scanner import UNMEASURED, ScanReport

__all__ = ["format_text", "format_json", "format_markdown", "render", "FORMATS"]

Report = Union[ScanReport, DiffReport]

_MAX_SHOWN = 240  # characters of an evidence line shown in text and Markdown output
_MAX_MESSAGE = 1000  # characters of a finding's message shown in Markdown output
_TOP_CHANGES = 15  # changes a diff shows in text and Markdown unless the caller sets another limit
_TOP_SYSCALLS = 10  # rows of a diff's per-syscall table


# ---------------------------------------------------------------- untrusted text


def _printable(text: str) -> str:
    """Show control, format and unpaired surrogate characters as Python escapes."""
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char.isprintable():
            out.append(char)
        else:
            out.append(char.encode("unicode_escape", "backslashreplace").decode("ascii"))
    return "".join(out)


def _shorten(text: str) -> str:
    text = _printable(text)
    if len(text) <= _MAX_SHOWN:
        return text
    return text[: _MAX_SHOWN - 3] + "..."


# ---------------------------------------------------------------- colour


class _Style:
    """ANSI SGR codes for text output, or none at all."""

    _CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, name: str, text: str) -> str:
        if not self.color or not text:
            return text
        return "\x1b[%sm%s\x1b[0m" % (self._CODES[name], text)

    def cost(self, seconds: float, text: str) -> str:
        if seconds > 0:
            return self("red", text)
        if seconds < 0:
            return self("green", text)
        return self("dim", text)


def _skipped_before(evidence: Sequence[Any], index: int) -> int:
    """Return how many trace lines lie between evidence line ``index`` and the one before it in the same file."""
    if index == 0 or evidence[index - 1].file != evidence[index].file:
        return 0
    return max(evidence[index].line - evidence[index - 1].line - 1, 0)


def _skipped_text(count: int) -> str:
    return "\u2026 %s not shown" % _plural(count, "line")


def _evidence_lines(evidence: Sequence[Any], style: _Style, indent: str = "  ") -> List[str]:
    """Number the evidence lines, with a marker line where trace lines between two of them are left out."""
    if not evidence:
        return []
    width = len(str(max(e.line for e in evidence)))
    out = []
    for index, item in enumerate(evidence):
        skipped = _skipped_before(evidence, index)
        if skipped:
            out.append("%s%s | %s" % (indent, " " * width, style("dim", _skipped_text(skipped))))
        out.append("%s%s | %s" % (indent, style("dim", "%*d" % (width, item.line)), _shorten(item.text)))
    return out


def _counts(summary: Any) -> tuple:
    """Return the events, files and unparsed lines of a scan summary, counted in words."""
    return (
        _plural(summary["events"], "event"),
        _plural(len(summary["files"]), "file"),
        _plural(summary["unparsed"], "unparsed line"),
    )


def _plural(count: int, word: str) -> str:
    return "%d %s%s" % (count, word, "" if count == 1 else "s")


# ---------------------------------------------------------------- text


def _scan_text(report: ScanReport, style: _Style) -> str:
    out = []
    for finding in report.findings:
        where = "%s:%d" % (_printable(finding.file), finding.lines[0] if finding.lines else 0)
        severity = getattr(finding, "severity", None)
        label = style("cyan", finding.rule) + (" [%s]" % _printable(str(severity)) if severity else "")
        out.append("%s: %s: %s" % (style("bold", where), label, _printable(finding.message)))
        out.extend(_evidence_lines(finding.evidence, style))
        out.append("")
    summary = report.summary
    out.extend(style("yellow", _printable(note)) for note in report.notes())
    totals = report.totals()
    if totals:
        out.extend(style("bold", total) for total in totals)
    elif report.checked_nothing:
        out.append("no trace of calls to check")
    else:
        out.append("no findings")
    out.append("%s read from %s, %s" % _counts(summary))
    skipped = summary.get("skipped_files") or []
    if skipped:
        out.append("skipped %s not named PREFIX.PID: %s" % (_plural(len(skipped), "file"), ", ".join(skipped[:5])))
    examples = summary.get("unparsed_examples") or []
    if examples:
        reasons = summary.get("unparsed_reasons") or {}
        if len(reasons) > 1:
            out.append("unparsed lines by reason: %s (docs/limits.md)" % ", ".join(
                "%d %s" % (count, reason) for reason, count in reasons.items()))
        shown = ", ".join("%s:%d (%s)" % (e["file"], e["line"], e["reason"]) for e in examples[:3])
        if all(example["file"] == "<stdin>" for example in examples):
            hint = "save the input to a file, and `straceparse parse FILE` shows every line and why"
        else:
            hint = "`straceparse parse FILE` shows every line and why"
        out.append("unparsed: %s%s; %s" % (shown, ", ..." if summary["unparsed"] > 3 else "", hint))
    return "\n".join(out) + "\n"


def _side_text(name: str, side: Any) -> str:
    span = "" if side.span_seconds is None else ", %.3f s" % side.span_seconds
    return "%s: %s (%s%s)" % (name, ", ".join(_printable(f) for f in side.files) or "-", _plural(side.events, "event"), span)


def _diff_text(report: DiffReport, style: _Style, top: int = _TOP_CHANGES) -> str:
    out = [_side_text("GOOD", report.good), _side_text("BAD", report.bad), ""]
    shown = report.changes[:top] if top else report.changes
    if not shown:
        out.append("no changes")
    for number, change in enumerate(shown, 1):
        cost = "%+.6f s" % change.cost_seconds
        out.append(
            "%2d. %s  %-7s %s  (GOOD %d, BAD %d; %+.6f s per call)"
            % (
                number,
                style.cost(change.cost_seconds, cost),
                change.kind,
                style("bold", _printable(change.signature)),
                change.count_good,
                change.count_bad,
                change.cost_per_call_seconds,
            )
        )
        if change.instead:
            out.append("      in GOOD instead: %s" % "; ".join(_printable(s) for s in change.instead))
        for side, evidence in (("GOOD", change.lines_good), ("BAD", change.lines_bad)):
            if evidence:
                out.append("      %s %s" % (side, _printable(evidence[0].file)))
                out.extend(_evidence_lines(evidence, style, indent="        "))
    if len(shown) < len(report.changes):
        out.append("... %s not shown" % _plural(len(report.changes) - len(shown), "more change"))
    out.append("")
    out.append("per syscall: count GOOD -> BAD, seconds GOOD -> BAD")
    for name, totals in list(report.syscalls.items())[:_TOP_SYSCALLS]:
        out.append(
            "  %-16s %6d -> %-6d %10.6f -> %.6f"
            % (_printable(name), totals["count_good"], totals["count_bad"], totals["seconds_good"], totals["seconds_bad"])
        )
    return "\n".join(out) + "\n"


def format_text(report: Report, *, color: bool = False, top: int = _TOP_CHANGES) -> str:
    """Render a report for a terminal; ``color`` adds ANSI colours, ``top`` caps a diff's changes (0: all)."""
    style = _Style(color)
    if isinstance(report, DiffReport):
        return _diff_text(report, style, top)
    return _scan_text(report, style)


# ---------------------------------------------------------------- JSON


def format_json(report: Report, **_: Any) -> str:
    """Render the report as one JSON object: ``{"findings": ...}`` for a scan, ``{"changes": ...}`` for a diff."""
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- Markdown


# Characters that can start inline Markdown: emphasis, code, links, images,
# autolinks and HTML, entities, strikethrough and table cell borders.
_MARKDOWN_INLINE = frozenset("\\`*_[]<>|~&!")
# Characters that start a block (heading, list, quote, rule) at a line's start.
_MARKDOWN_BLOCK_START = frozenset("#>-+=")


def _md_text(text: str) -> str:
    """Escape untrusted text for Markdown prose or a table cell.

    Characters that can open inline markup get a backslash (CommonMark
    allows one before any ASCII punctuation), and so does a first character
    that would start a block, or the ``.``/``)`` after a leading number that
    would start an ordered list.  Line breaks become spaces.
    """
    text = _printable(" ".join(text.split()))
    out = ["\\" + char if char in _MARKDOWN_INLINE else char for char in text]
    if out and text[0] in _MARKDOWN_BLOCK_START:
        out[0] = "\\" + text[0]
    digits = len(text) - len(text.lstrip("0123456789"))
    if 0 < digits < len(text) and text[digits] in ".)":
        out[digits] = "\\" + text[digits]
    return "".join(out)


def _longest_run(text: str, char: str) -> int:
    longest = run = 0
    for current in text:
        run = run + 1 if current == char else 0
        longest = max(longest, run)
    return longest


def _md_code(text: str, *, in_table: bool = False) -> str:
    """Put untrusted text in a code span whose backtick string no run inside it can close."""
    text = _printable(" ".join(text.split()))
    if in_table:
        text = text.replace("|", "\\|")  # a GFM table splits cells before it reads code spans
    ticks = "`" * (_longest_run(text, "`") + 1)
    if text.startswith(("`", " ")) or text.endswith(("`", " ")):
        text = " %s " % text
    return "%s%s%s" % (ticks, text, ticks)


def _md_block(evidence: Sequence[Any]) -> List[str]:
    """Fence numbered evidence lines with more backticks than the longest backtick run in them.

    The line-number prefix already keeps a trace line from starting a
    closing fence in CommonMark; the longer fence also covers renderers
    that would close a fence on a backtick run later in the line.
    """
    width = len(str(max(e.line for e in evidence))) if evidence else 1
    body = []
    for index, item in enumerate(evidence):
        skipped = _skipped_before(evidence, index)
        if skipped:
            body.append("%s | %s" % (" " * width, _skipped_text(skipped)))
        body.append("%*d | %s" % (width, item.line, _shorten(item.text)))
    fence = "`" * max(3, max((_longest_run(line, "`") for line in body), default=0) + 1)
    return [fence + "text"] + body + [fence]


def _md_table(header: Sequence[str], align: str, rows: Iterable[Sequence[str]]) -> List[str]:
    lines = ["| %s |" % " | ".join(header), "|%s|" % "|".join(" ---: " if a == "r" else " --- " for a in align)]
    lines.extend("| %s |" % " | ".join(row) for row in rows)
    return lines


def _scan_markdown(report: ScanReport) -> str:
    summary = report.summary
    findings = report.findings
    if report.checked_nothing:
        out = ["## straceparse scan: no trace of calls to check", ""]
    else:
        cost = _md_cost(summary.get("cost_seconds", 0.0), summary.get("unmeasured", 0), len(findings), unknown="time unknown")
        out = ["## straceparse scan: %s, %s" % (_plural(len(findings), "finding"), cost), ""]
    rows = [
        (
            _md_code(rule_id, in_table=True),
            str(total["findings"]),
            _md_cost(total["cost_seconds"], total.get("unmeasured", 0), total["findings"], unit=""),
        )
        for rule_id, total in summary["rules"].items()
    ]
    out.extend(_md_table(("rule", "findings", "cost (s)"), "lrr", rows))
    out.append("")
    files = ", ".join(_md_code(name) for name in summary["files"])
    out.append("Read %s from %s (%s): %s." % (_counts(summary) + (files,)))
    for note in report.notes():
        out.extend(["", "**Note:** %s" % _md_text(note)])
    for number, finding in enumerate(findings, 1):
        out.append("")
        where = "%s line %d" % (_md_code(finding.file), finding.lines[0] if finding.lines else 0)
        out.append("### %d. %s in %s" % (number, _md_code(finding.rule), where))
        out.append("")
        rule = RULES.get(finding.rule)
        if rule is not None and rule.summary:
            out.append("*What it detects:* %s." % _md_text(rule.summary))
            out.append("")
        message = finding.message
        if len(message) > _MAX_MESSAGE:
            message = message[: _MAX_MESSAGE - 3] + "..."
        out.append(_md_text(message))
        out.append("")
        if finding.cost_source == UNMEASURED:
            cost = "**Cost:** unknown (the log's clock cannot measure it)"
        else:
            cost = "**Cost:** %.3f s" % finding.cost_seconds
            if getattr(finding, "cost_source", ""):
                cost += " (from %s)" % _md_text(finding.cost_source)
        severity = getattr(finding, "severity", None)
        if severity:
            cost += ", **severity:** %s" % _md_text(str(severity))
        out.append(cost + ".")
        if finding.evidence:
            out.append("")
            out.extend(_md_block(finding.evidence))
    return "\n".join(out) + "\n"


def _md_cost(seconds: float, unmeasured: int, count: int, unit: str = " s", unknown: str = "unknown") -> str:
    """Format a total cost in seconds, saying so when some or all of its findings could not be measured."""
    if unmeasured and unmeasured == count:
        return unknown
    text = "%.3f%s" % (seconds, unit)
    if unmeasured:
        text += " + %d unknown" % unmeasured
    return text


def _sentence_start(text: str) -> str:
    return text[:1].upper() + text[1:]


def _md_change_section(number: int, change: Change) -> List[str]:
    """Return one change as a heading, a sentence of counts and cost, and GOOD and BAD example lines."""
    out = ["", "### %d. %s: %s" % (number, _md_text(change.kind), _md_code(change.signature)), ""]
    out.append(
        "%s: %s in GOOD, %s in BAD; BAD spent %+.6f s on it (%+.6f s per call)."
        % (
            _sentence_start(CHANGE_KINDS.get(change.kind, change.kind)),
            _plural(change.count_good, "call"),
            _plural(change.count_bad, "call"),
            change.cost_seconds,
            change.cost_per_call_seconds,
        )
    )
    if change.instead:
        out.append("")
        out.append("In GOOD the same call returned: %s." % ", ".join(_md_code(s) for s in change.instead))
    for side, evidence in (("GOOD", change.lines_good), ("BAD", change.lines_bad)):
        if evidence:
            out.extend(["", "%s, %s:" % (side, _md_code(evidence[0].file)), ""])
            out.extend(_md_block(evidence))
    return out


def _diff_markdown(report: DiffReport, top: int) -> str:
    good = ", ".join(_md_code(name) for name in report.good.files) or "nothing"
    bad = ", ".join(_md_code(name) for name in report.bad.files) or "nothing"
    shown = report.changes[:top] if top else report.changes
    out = ["## straceparse diff: %s" % _plural(len(report.changes), "change"), "", "GOOD: %s  " % good, "BAD: %s" % bad, ""]

    rows = [
        (
            str(number),
            _md_text(change.kind),
            _md_code(change.signature, in_table=True),
            str(change.count_good),
            str(change.count_bad),
            "%+.6f" % change.cost_seconds,
            "%+.6f" % change.cost_per_call_seconds,
        )
        for number, change in enumerate(shown, 1)
    ]
    out.extend(_md_table(("#", "change", "call", "GOOD", "BAD", "cost (s)", "per call (s)"), "rllrrrr", rows))
    if len(shown) < len(report.changes):
        out.append("")
        out.append("%s not shown." % _plural(len(report.changes) - len(shown), "more change"))
    for number, change in enumerate(shown, 1):
        out.extend(_md_change_section(number, change))

    out.append("")
    out.append("#### Per syscall")
    out.append("")
    rows = [
        (
            _md_code(name, in_table=True),
            str(totals["count_good"]),
            str(totals["count_bad"]),
            "%.6f" % totals["seconds_good"],
            "%.6f" % totals["seconds_bad"],
        )
        for name, totals in list(report.syscalls.items())[:_TOP_SYSCALLS]
    ]
    out.extend(_md_table(("syscall", "count GOOD", "count BAD", "seconds GOOD", "seconds BAD"), "lrrrr", rows))
    return "\n".join(out) + "\n"


def format_markdown(report: Report, *, top: int = _TOP_CHANGES, **_: Any) -> str:
    """Render a report as Markdown for an issue tracker: a summary table, then each finding or change."""
    if isinstance(report, DiffReport):
        return _diff_markdown(report, top)
    return _scan_markdown(report)


#: Format name to renderer; each takes the report and keyword options.
FORMATS: Dict[str, Callable[..., str]] = {"text": format_text, "json": format_json, "markdown": format_markdown}


def render(report: Report, format: str = "text", *, color: bool = False, top: int = _TOP_CHANGES) -> str:
    """Render ``report`` in ``format`` (a key of :data:`FORMATS`)."""
    return FORMATS[format](report, color=color, top=top)
