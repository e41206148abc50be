"""Rendering: Markdown that a CommonMark parser reads as intended, text colour, hostile trace text."""

import json
import re

import pytest
from markdown_it import MarkdownIt

import straceparse
from straceparse.cli import main
from straceparse.diff import diff, diff_events
from straceparse.redact import Redactor, redact_report
from straceparse.report import format_markdown, format_text, render
from straceparse.rules import Evidence, Finding
from straceparse.scanner import ScanReport

from conftest import EXIM_TRACES

EXIM_YY = EXIM_TRACES / "exim-f-tt-T-yy.strace"
FF = EXIM_TRACES / "exim-ff-tt-T"


def to_html(markdown: str) -> str:
    # html=True is the hostile setting: raw HTML in the Markdown would pass through.
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)


def test_exim_scan_markdown_renders():
    report = straceparse.scan(EXIM_YY, select=["poll-timeout-before-close"])
    html = to_html(format_markdown(report))
    assert html.count("<table>") == 1
    assert html.count("<h3>") == len(report.findings) == 8
    assert html.count('<pre><code class="language-text">') == 8
    assert "<td><code>poll-timeout-before-close</code></td>" in html
    assert "1272 | 14299 19:25:09.514120 &lt;... poll resumed&gt;) = 0 (Timeout) &lt;0.200302&gt;" in html


def test_exim_redacted_markdown_leaks_nothing():
    report = straceparse.scan(EXIM_YY, select=["poll-timeout-before-close"])
    plain = format_markdown(report)
    redactor = Redactor()
    markdown = format_markdown(redact_report(report, redactor))
    values = [value for (_, value) in redactor.replaced]
    assert "127.0.0.1" in values
    assert "221 vm closing connection\\r\\n" in values
    for value in values:
        assert value in plain, value  # the unredacted report shows it
        assert value not in markdown, value
        assert value not in to_html(markdown), value


def test_exim_diff_markdown_renders():
    report = redact_report(diff(FF / "exim.14417", FF / "exim.14416"))
    html = to_html(format_markdown(report))
    assert html.count("<table>") == 2
    assert "<h3>1. added: <code>poll(socket, 200 ms) = 0 (Timeout)</code></h3>" in html
    assert "EHLO client.test" not in html
    assert "tester@localhost" not in html


HOSTILE_TEXT = [
    "```",
    "~~~",
    "</pre><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "| a | b |",
    "[click](javascript:alert(1))",
    "**bold** _em_ # heading",
    "&lt; entity &amp;",
    "\x1b[31mred\x1b[0m",
    "A" * 5000,
]


def hostile_report() -> ScanReport:
    evidence = tuple(Evidence("<a>.log", number, "1 write(1, %s) = 1" % text) for number, text in enumerate(HOSTILE_TEXT, 1))
    findings = []
    for text in HOSTILE_TEXT:
        findings.append(
            Finding(
                rule="x|`y`<b>", file="``` </pre> |", message=text, cost_seconds=0.5,
                lines=tuple(e.line for e in evidence), evidence=evidence,
            )
        )
    summary = {
        "files": ["``` </pre> |"], "events": 10, "unparsed": 0, "findings": len(findings),
        "cost_seconds": 0.5 * len(findings), "rules": {"x|`y`<b>": {"findings": len(findings), "cost_seconds": 5.0}},
    }
    return ScanReport(tuple(findings), summary)


def test_hostile_lines_stay_in_fences():
    html = to_html(format_markdown(hostile_report()))
    blocks = len(HOSTILE_TEXT)
    assert html.count("<pre>") == blocks
    assert html.count("</pre>") == blocks
    assert "<script" not in html
    assert "<img" not in html
    assert "<a " not in html
    assert "<strong>bold</strong>" not in html
    assert "<em>" not in html
    assert "<b>" not in html
    assert html.count("<h3>") == blocks
    assert "\x1b" not in html


def test_hostile_table_cells_stay_three():
    html = to_html(format_markdown(hostile_report()))
    table = html[html.index("<table>") : html.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    assert len(rows) == 2
    for row in rows:
        assert len(re.findall(r"<t[hd][ >]", row)) == 3


def test_hostile_long_line_truncated():
    markdown = format_markdown(hostile_report())
    assert "A" * 1001 not in markdown  # neither the evidence line nor the message
    assert max(len(line) for line in markdown.splitlines()) < 1010  # 1000 characters and escapes of "..."


def test_hostile_diff_lines_stay_in_fences():
    good = straceparse.parse('1 00:00:00.000000 write(1, "ok", 2) = 2 <0.000010>\n')
    bad_text = "".join(
        '1 00:00:0%d.000000 write(%d, "%s", 2) = 2 <0.000010>\n' % (number, number, text.replace('"', '\\"'))
        for number, text in enumerate(HOSTILE_TEXT[:8], 1)
    )
    report = diff_events(good, straceparse.parse(bad_text))
    html = to_html(format_markdown(report))
    blocks = html.count("<pre>")
    assert blocks == html.count("</pre>") >= 2
    assert "<script" not in html
    assert "<img" not in html
    assert "<strong>" not in html


def test_text_escapes_control_characters():
    text = format_text(hostile_report())
    assert "\x1b" not in text
    assert "\\x1b[31mred" in text


def test_text_color_only_when_asked():
    report = diff(FF / "exim.14417", FF / "exim.14416")
    assert "\x1b[" not in format_text(report)
    assert "\x1b[31m+0.200326 s\x1b[0m" in format_text(report, color=True)


@pytest.mark.parametrize(
    "argv, env, colored",
    [
        (["--color", "always"], {}, True),
        (["--color", "always"], {"NO_COLOR": "1"}, True),
        (["--color", "never"], {}, False),
        ([], {}, False),  # auto, and pytest's captured stdout is not a terminal
    ],
)
def test_cli_color_choice(argv, env, colored, capsys, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    main(["diff", *argv, str(FF / "exim.14417"), str(FF / "exim.14416")])
    assert ("\x1b[" in capsys.readouterr().out) == colored


def test_cli_auto_color_respects_no_color(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.setenv("NO_COLOR", "1")
    main(["diff", str(FF / "exim.14417"), str(FF / "exim.14416")])
    assert "\x1b[" not in capsys.readouterr().out


def test_cli_auto_color_on_terminal(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    main(["diff", str(FF / "exim.14417"), str(FF / "exim.14416")])
    assert "\x1b[" in capsys.readouterr().out


def test_cli_scan_redacted_json(capsys):
    assert main(["scan", "--rule", "poll-timeout-before-close", "--redact", "--format", "json", str(EXIM_YY)]) == 1
    out = capsys.readouterr().out
    data = json.loads(out)
    assert len(data["findings"]) == 8
    assert "127.0.0.1" not in out
    assert "221 vm closing" not in out
    assert "[ip-1]" in data["findings"][0]["evidence"][0]["text"]


def test_cli_scan_markdown_redacted(capsys):
    assert main(["scan", "--rule", "poll-timeout-before-close", "--redact", "--format", "markdown", str(EXIM_YY)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("## straceparse scan: 8 findings, 1.602 s\n")
    assert "127.0.0.1" not in out


def test_render_json_matches_to_dict():
    report = diff(FF / "exim.14417", FF / "exim.14416")
    assert json.loads(render(report, "json")) == json.loads(json.dumps(report.to_dict()))
