"""Rendering scan results as text for a terminal or as JSON.

In: a :class:`~straceparse.scanner.ScanReport`.  Out: a string.  The text
form lists each finding with its evidence lines and ends with the totals; the
JSON form is :meth:`ScanReport.to_dict` and nothing more, so whatever the
terminal shows the library also returns as data.
"""

from __future__ import annotations

import json

from .scanner import ScanReport

__all__ = ["format_text", "format_json", "FORMATS"]

_MAX_SHOWN = 240  # characters of an evidence line shown in text output


def _shorten(text: str) -> str:
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def format_text(report: ScanReport) -> str:
    """Render findings with numbered evidence lines, then the totals and counts."""
    out = []
    for finding in report.findings:
        out.append("%s:%d: %s: %s" % (finding.file, finding.lines[0] if finding.lines else 0, finding.rule, finding.message))
        width = len(str(max(finding.lines))) if finding.lines else 1
        for evidence in finding.evidence:
            out.append("  %*d | %s" % (width, evidence.line, _shorten(evidence.text)))
        out.append("")
    summary = report.summary
    totals = report.totals()
    if totals:
        out.extend(totals)
    else:
        out.append("no findings")
    out.append(
        "%d events read from %d file%s, %d unparsed line%s"
        % (
            summary["events"],
            len(summary["files"]),
            "" if len(summary["files"]) == 1 else "s",
            summary["unparsed"],
            "" if summary["unparsed"] == 1 else "s",
        )
    )
    return "\n".join(out) + "\n"


def format_json(report: ScanReport) -> str:
    """Render the report as one JSON object: ``{"findings": [...], "summary": {...}}``."""
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


FORMATS = {"text": format_text, "json": format_json}
