"""What scan reports to its reader: notes on unchecked input, unknown costs, input errors and evidence gaps."""

import json

import pytest
from conftest import CAPTURES, CORPUS, EXIM_TRACES, FIXTURES

from straceparse import Rule, scan
from straceparse.cli import main

SUMMARY = CAPTURES / "summary"

SUMMARY_NOTE = (
    "%s: not checked, because the file contains only an strace -c/-C summary table, which counts calls but does "
    "not list them. The rules need a trace of the calls themselves: record without -c, or with -C, which prints "
    "both the calls and the table. To compare two summary tables, run straceparse summary BEFORE AFTER."
)


# ---------------------------------------------------------------- strace -c summary tables


@pytest.mark.parametrize(
    "name, summary_only",
    [
        ("exim-c-f.txt", True),
        ("exim-c-w-f.txt", True),
        ("exim-c-f-stderr.txt", True),  # "Process N attached" messages before the table
        ("py-threads-c-f.txt", True),
        ("py-threads-c-f-w-S-calls.txt", True),
        ("sh-signals-c-f-U-columns.txt", True),
        ("sh-signals-c-f-stderr.txt", True),  # the program's own output is unparsed lines
        ("exim-C-f-tt.strace", False),  # -C: the calls, then the table
        ("sh-signals-C-f-r.strace", False),
    ],
)
def test_scan_summary_only_files(name, summary_only):
    path = str(SUMMARY / name)
    report = scan(path)
    assert report.summary["summary_only_files"] == ([path] if summary_only else [])
    assert report.checked_nothing is summary_only
    assert report.notes() == ([SUMMARY_NOTE % path] if summary_only else [])


def test_scan_summary_note_several_files():
    first, second = str(SUMMARY / "exim-c-f.txt"), str(SUMMARY / "py-threads-c-f.txt")
    report = scan(first, second)
    assert report.notes() == [
        "%s, %s: not checked, because these files contain only strace -c/-C summary tables, which count calls "
        "but do not list them. The rules need a trace of the calls themselves: record without -c, or with -C, "
        "which prints both the calls and the table. To compare two summary tables, run straceparse summary "
        "BEFORE AFTER." % (first, second)
    ]


def test_cli_summary_table_text(capsys):
    path = str(SUMMARY / "exim-c-f.txt")
    assert main(["scan", path]) == 2
    captured = capsys.readouterr()
    assert captured.out == (
        SUMMARY_NOTE % path + "\n"
        "no trace of calls to check\n"
        "1 event read from 1 file, 0 unparsed lines\n"
    )
    assert captured.err == (
        "straceparse: error: no trace of calls to check: every file is an strace -c summary table\n"
    )


def test_cli_summary_table_json(capsys):
    path = str(SUMMARY / "exim-c-f.txt")
    assert main(["scan", "--format", "json", path]) == 2
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["summary_only_files"] == [path]
    assert summary["notes"] == [SUMMARY_NOTE % path]


def test_cli_summary_table_markdown(capsys, monkeypatch):
    monkeypatch.chdir(CAPTURES.parent.parent)
    assert main(["scan", "--format", "markdown", "fixtures/captures/summary/exim-c-f.txt"]) == 2
    out = capsys.readouterr().out
    assert out.startswith("## straceparse scan: no trace of calls to check\n")
    assert out.endswith(
        "\n**Note:** fixtures/captures/summary/exim-c-f.txt: not checked, because the file contains only an "
        "strace -c/-C summary table, which counts calls but does not list them. The rules need a trace of "
        "the calls themselves: record without -c, or with -C, which prints both the calls and the table. "
        "To compare two summary tables, run straceparse summary BEFORE AFTER.\n"
    )


def test_cli_summary_beside_trace(capsys):
    # The checked trace sets the exit status by its findings, and the table only gets the note.
    table = str(SUMMARY / "exim-c-f.txt")
    trace = str(EXIM_TRACES / "exim-f-r-s128.strace")
    assert main(["scan", "--rule", "poll-timeout-before-close", table, trace]) == 1
    captured = capsys.readouterr()
    assert SUMMARY_NOTE % table + "\n8 connections lost 1.60 s to poll timeouts before close\n" in captured.out
    assert captured.err == ""


def test_findings_most_severe_first():
    # exim-f-r-s128.strace: eight high poll timeouts, then the low idle gap on line 575.
    report = scan(str(EXIM_TRACES / "exim-f-r-s128.strace"))
    assert [finding.severity for finding in report.findings] == ["high"] * 8 + ["low"]
    assert [finding.lines[0] for finding in report.findings][:2] == [772, 1364]


def test_finding_costs_without_float_noise():
    # Costs summed from -r deltas (0.20015400000000094 before rounding to the clock's 1 ns at best).
    report = scan(str(EXIM_TRACES / "exim-f-r-s128-stderr.strace"), select=["poll-timeout-before-close"])
    costs = [finding.cost_seconds for finding in report.findings]
    assert 0.200154 in costs
    assert costs == [round(cost, 9) for cost in costs]


# ---------------------------------------------------------------- arguments a rule needed and could not read


def _exim_with_damaged_poll(tmp_path):
    """Write exim-f-r-s128.strace with the "]" of the poll on line 772 taken out."""
    lines = (EXIM_TRACES / "exim-f-r-s128.strace").read_text().split("\n")
    assert lines[771] == "13524      0.000032 poll([{fd=6, events=POLLIN}], 1, 200 <unfinished ...>"
    lines[771] = "13524      0.000032 poll([{fd=6, events=POLLIN}, 1, 200 <unfinished ...>"
    path = tmp_path / "exim-damaged.strace"
    path.write_text("\n".join(lines))
    return path


def test_scan_counts_unread_arguments(tmp_path):
    report = scan(str(_exim_with_damaged_poll(tmp_path)), select=["poll-timeout-before-close"])
    assert len(report.findings) == 7  # one of the 8 timeouts is in the damaged call
    assert report.summary["unread_arguments"] == 1
    assert report.summary["unread_argument_examples"] == [
        {"file": str(tmp_path / "exim-damaged.strace"), "line": 772, "column": 53,
         "reason": "unexpected '200' at column 53; expected ']'"}
    ]


def test_scan_unread_arguments_note(tmp_path):
    path = _exim_with_damaged_poll(tmp_path)
    assert scan(str(path), select=["poll-timeout-before-close"]).notes() == [
        "%s:772:53: the rules skipped 1 call whose arguments could not be read (unexpected '200' at column 53; "
        "expected ']'), so a finding may be missing; event.args in Python or straceparse parse gives the error of "
        "each" % path
    ]


def test_scan_clean_trace_no_unread_arguments():
    assert scan(str(EXIM_TRACES / "exim-f-r-s128.strace")).summary["unread_arguments"] == 0


# ---------------------------------------------------------------- quoted-printable mail text

MAIL = str(CORPUS / "23-lkml-seccomp-email-quoted-printable-wrapped.log")  # =3D for =, soft line breaks


def test_scan_quoted_printable_note():
    report = scan(MAIL)
    assert report.notes() == [
        "%s: 50 lines are quoted-printable mail text (=3D for =), which straceparse does not decode, so they "
        "were not read. Decode the mail first, for example with python3 -m quopri -d < %s > decoded.log, and "
        "scan the decoded file." % (MAIL, MAIL)
    ]


def test_scan_unparsed_reasons_counted():
    summary = scan(MAIL).summary
    assert summary["unparsed_reasons"] == {"quoted-printable": 50, "incomplete": 10, "not-strace": 10}
    assert sum(summary["unparsed_reasons"].values()) == summary["unparsed"]


def test_scan_plain_trace_no_mail_note():
    report = scan(str(EXIM_TRACES / "exim-f-r-s128.strace"))
    assert report.notes() == []


def test_scan_mostly_unreadable_note():
    path = str(CORPUS / "27-copyparty-tcp-debug-Tttyy-barepid.log")  # a forum post: prose around a few calls
    assert scan(path).notes() == [
        "%s: most of it could not be read (22 unparsed lines against 2 parsed events), so the rules checked "
        "only a small part; straceparse parse shows why each line failed" % path
    ]


def test_cli_unparsed_reasons_line(capsys):
    main(["scan", MAIL])
    out = capsys.readouterr().out
    assert "\nunparsed lines by reason: 50 quoted-printable, 10 incomplete, 10 not-strace (docs/limits.md)\n" in out


def test_quoted_printable_note_decode_advice_works(tmp_path):
    # The advice in the note, followed: the decoded mail gives its calls.
    import quopri

    decoded = tmp_path / "decoded.log"
    with open(MAIL, "rb") as mail, open(decoded, "wb") as out:
        quopri.decode(mail, out)
    summary = scan(str(decoded)).summary
    assert "quoted-printable" not in summary["unparsed_reasons"]
    assert summary["unparsed"] < 10


# ---------------------------------------------------------------- costs the log cannot measure

LS_PLAIN = str(CAPTURES / "clock" / "ls-plain.strace")  # no timestamps, no -T
STORM_T_R = str(CAPTURES / "clock" / "py-storm-compute-t-r.strace")  # -t -r: a microsecond clock
FLUENTD = str(CORPUS / "32-fluentd-futex-lines-cut-at-terminal-width.log")  # no timestamps


@pytest.mark.parametrize(
    "path, rule, total",
    [
        (LS_PLAIN, "error-storm", "1 storm of failing calls, time not measurable from the log"),
        (FLUENTD, "repeated-timeout", "1 wait timed out over and over, time not measurable from the log"),
    ],
)
def test_totals_no_clock_unknown(path, rule, total):
    report = scan(path, select=[rule])
    assert report.totals() == [total]


def test_totals_measured_and_unknown():
    report = scan(STORM_T_R, LS_PLAIN, select=["error-storm"], settings={"error-storm": {"min_ms": 0}})
    assert [finding.cost_source for finding in report.findings] == ["timestamps", "unknown"]
    assert report.totals() == ["1 storm of failing calls, 0.00 s in all, plus 1 more whose time the log cannot measure"]


class _SlowOpen(Rule):
    id = "slow-open"  # not registered: only its class methods are called


def test_totals_default_rule_unknown():
    assert _SlowOpen.describe_unmeasured(2) == "2 slow-open findings, time not measurable from the log"


def test_summary_counts_unmeasured():
    report = scan(STORM_T_R, LS_PLAIN, select=["error-storm"], settings={"error-storm": {"min_ms": 0}})
    assert report.summary["unmeasured"] == 1
    assert report.summary["rules"]["error-storm"]["findings"] == 2
    assert report.summary["rules"]["error-storm"]["unmeasured"] == 1


def test_cli_no_clock_text_total(capsys):
    assert main(["scan", "--rule", "error-storm", LS_PLAIN]) == 1
    out = capsys.readouterr().out
    assert out.endswith(
        "\n1 storm of failing calls, time not measurable from the log\n244 events read from 1 file, 0 unparsed lines\n"
    )
    assert "0.00 s" not in out


def test_cli_no_clock_markdown_cost(capsys):
    assert main(["scan", "--format", "markdown", "--rule", "error-storm", LS_PLAIN]) == 1
    out = capsys.readouterr().out
    assert out.startswith(
        "## straceparse scan: 1 finding, time unknown\n"
        "\n"
        "| rule | findings | cost (s) |\n"
        "| --- | ---: | ---: |\n"
        "| `error-storm` | 1 | unknown |\n"
    )
    assert "\n**Cost:** unknown (the log's clock cannot measure it), **severity:** low.\n" in out


def test_cli_mixed_markdown_cost(capsys):
    argv = ["scan", "--format", "markdown", "--rule", "error-storm", "--set", "error-storm.min_ms=0"]
    assert main(argv + [STORM_T_R, LS_PLAIN]) == 1
    out = capsys.readouterr().out
    assert out.startswith("## straceparse scan: 2 findings, 0.004 s + 1 unknown\n")
    assert "| `error-storm` | 2 | 0.004 + 1 unknown |\n" in out


def test_cli_no_clock_json_unmeasured(capsys):
    assert main(["scan", "--format", "json", "--rule", "error-storm", LS_PLAIN]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["unmeasured"] == 1
    assert data["summary"]["rules"]["error-storm"] == {"findings": 1, "cost_seconds": 0.0, "unmeasured": 1}
    assert data["findings"][0]["cost_source"] == "unknown"


# ---------------------------------------------------------------- files with no trace line

# A table of per-session results, not a trace: every line is unparsed.
ANALYSIS = CAPTURES / "exim" / "analysis-summary.txt"


def _rotated_logs(directory):
    """Write four files named like rotated logs (PREFIX.N, read as one strace -ff set), two lines each."""
    lines = ANALYSIS.read_text().splitlines(keepends=True)
    directory.mkdir()
    for number in range(1, 5):
        (directory / ("syslog.%d" % number)).write_text("".join(lines[number - 1 : number + 1]))
    return [str(directory / ("syslog.%d" % number)) for number in range(1, 5)]


def test_not_a_trace_one_file(capsys):
    assert main(["scan", str(ANALYSIS)]) == 2
    assert capsys.readouterr().err == (
        "straceparse: error: %s: none of its 90 lines could be read (line 1: not-strace); "
        "check that the file is strace or ftrace output\n" % ANALYSIS
    )


def test_not_a_trace_several_files(tmp_path, capsys):
    names = _rotated_logs(tmp_path / "rot")
    assert main(["scan", str(tmp_path / "rot")]) == 2
    assert capsys.readouterr().err == (
        "straceparse: error: %s: none of the 8 lines of these 4 files could be read (%s:1: not-strace); "
        "check that the files are strace or ftrace output\n" % (", ".join(names), names[0])
    )


def test_not_a_trace_several_empty(tmp_path, capsys):
    (tmp_path / "trace.1").write_text("")
    (tmp_path / "trace.2").write_text("")
    assert main(["scan", str(tmp_path / "trace.1"), str(tmp_path / "trace.2")]) == 2
    assert capsys.readouterr().err == (
        "straceparse: error: %s, %s: none of these 2 files has a line to read; expected strace or ftrace output\n"
        % (tmp_path / "trace.1", tmp_path / "trace.2")
    )


def test_parse_not_a_trace_exit_two(capsys):
    # parse prints each line's event for jq, then fails as scan does.
    assert main(["parse", str(ANALYSIS)]) == 2
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 90
    assert captured.err == (
        "straceparse: error: %s: none of its 90 lines could be read (line 1: not-strace); "
        "check that the file is strace or ftrace output\n" % ANALYSIS
    )


def test_parse_empty_file_exit_two(tmp_path, capsys):
    empty = tmp_path / "empty.log"
    empty.write_text("")
    assert main(["parse", str(empty)]) == 2
    assert capsys.readouterr().err == "straceparse: error: %s: no lines to read; expected strace or ftrace output\n" % empty


def test_not_a_trace_one_line(tmp_path, capsys):
    lone = tmp_path / "note.txt"
    lone.write_text("user@vm:~$ strace -f ./server\n")  # the prompt line of a pasted trace, alone
    assert main(["scan", str(lone)]) == 2
    assert capsys.readouterr().err == (
        "straceparse: error: %s: its one line could not be read (not-strace); "
        "check that the file is strace or ftrace output\n" % lone
    )


# ---------------------------------------------------------------- top on files without function durations

TOP_ERROR = (
    "straceparse: error: %s: no function_graph call with a duration found; top reads ftrace function_graph output "
    "(%s)\n"
)


@pytest.mark.parametrize(
    "path, hint",
    [
        (
            CAPTURES / "ftrace" / "ftrace-events-poll.trace",
            "the file is ftrace event output, which has no function durations: record with the function_graph "
            "tracer for top, or run straceparse scan on this file to find long syscalls from its sys_enter and "
            "sys_exit events",
        ),
        (
            CORPUS / "05-perftools-functrace-function-tracer.ftrace",
            "the file is output of the ftrace function tracer, which prints no durations: record with the "
            "function_graph tracer",
        ),
        (
            CAPTURES / "flags" / "true-f-tt-n-i.strace",
            "no ftrace event in the file: for a strace log, use straceparse scan",
        ),
    ],
    ids=["events-syscalls", "function-tracer", "strace-log"],
)
def test_top_hint_names_input(path, hint, capsys):
    assert main(["top", str(path)]) == 2
    assert capsys.readouterr().err == TOP_ERROR % (path, hint)


def test_top_hint_events_without_syscalls(tmp_path, capsys):
    # The poller's event trace without its sys_enter and sys_exit lines: scheduler and timer events only.
    lines = (CAPTURES / "ftrace" / "ftrace-events-poll.trace").read_text().splitlines(keepends=True)
    events = tmp_path / "sched.trace"
    events.write_text("".join(line for line in lines if ": sys_" not in line))
    assert main(["top", str(events)]) == 2
    assert capsys.readouterr().err == TOP_ERROR % (
        events,
        "the file is ftrace event output, which has no function durations: record with the function_graph tracer",
    )


def test_top_hint_unfinished_calls(tmp_path, capsys):
    # The first eight lines of the Exim excerpt: calls entered, none of them closed.
    lines = (FIXTURES / "ftrace" / "exim-poll-200ms-funcgraph.ftrace").read_text().splitlines(keepends=True)
    cut = tmp_path / "entered.ftrace"
    cut.write_text("".join(lines[:8]))
    assert main(["top", str(cut)]) == 2
    assert capsys.readouterr().err == TOP_ERROR % (
        cut,
        "the file's function_graph calls have no duration: record whole calls with the funcgraph-duration option on",
    )


def test_top_hint_events_scan_finds(capsys):
    # The hint sends the user to scan, which must then find the 200 ms poll.
    path = str(CAPTURES / "ftrace" / "ftrace-events-poll.trace")
    assert main(["scan", path]) == 1
    assert "1 syscall blocked 0.20 s in all (ftrace)\n" in capsys.readouterr().out


# ---------------------------------------------------------------- what error-storm counts, and evidence gaps

LS_STATX_1 = (
    'statx(AT_FDCWD, "/nope1", AT_STATX_SYNC_AS_STAT|AT_NO_AUTOMOUNT, STATX_MODE, 0x7ffe82159f50) '
    "= -1 ENOENT (No such file or directory)"
)
LS_STATX_1_NOFOLLOW = (
    'statx(AT_FDCWD, "/nope1", AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT, STATX_MODE, '
    "0x7ffe82159f50) = -1 ENOENT (No such file or directory)"
)
LS_STATX_2 = (
    'statx(AT_FDCWD, "/nope2", AT_STATX_SYNC_AS_STAT|AT_NO_AUTOMOUNT, STATX_MODE, 0x7ffe82159f50) '
    "= -1 ENOENT (No such file or directory)"
)
LS_STATX_30 = (
    'statx(AT_FDCWD, "/nope30", AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT, STATX_MODE, '
    "0x7ffe82159f50) = -1 ENOENT (No such file or directory)"
)
LS_STORM_MESSAGE = (
    "statx failed with ENOENT 60 times, with 116 other syscalls of the thread in between "
    "(at most 4 between two failures); the log has no clock to measure the time spent"
)


def test_error_storm_counts_other_calls():
    # ls calls statx twice per missing path and writes its error with four write calls in between.
    (finding,) = scan(LS_PLAIN, select=["error-storm"]).findings
    assert finding.message == LS_STORM_MESSAGE
    assert finding.details["calls"] == 60
    assert finding.details["other_syscalls"] == 116


def test_error_storm_in_a_row():
    # Lines 2420-2469: 50 failing openat calls with nothing between them.
    (finding,) = scan(str(CAPTURES / "clock" / "py-storm-sleep-compute-t.strace"), select=["error-storm"]).findings
    assert finding.details["other_syscalls"] == 0
    assert finding.message.startswith("openat failed with ENOENT 50 times in a row; ")


def test_cli_text_evidence_gaps(capsys):
    assert main(["scan", "--rule", "error-storm", LS_PLAIN]) == 1
    assert capsys.readouterr().out == (
        "%s:61: error-storm [low]: %s\n" % (LS_PLAIN, LS_STORM_MESSAGE)
        + "   61 | %s\n" % LS_STATX_1
        + "   62 | %s\n" % LS_STATX_1_NOFOLLOW
        + "      | \u2026 4 lines not shown\n"
        + "   67 | %s\n" % LS_STATX_2
        + "      | \u2026 168 lines not shown\n"
        + "  236 | %s\n" % LS_STATX_30
        + "\n"
        "1 storm of failing calls, time not measurable from the log\n"
        "244 events read from 1 file, 0 unparsed lines\n"
    )


def test_cli_markdown_evidence_gaps(capsys):
    assert main(["scan", "--format", "markdown", "--rule", "error-storm", LS_PLAIN]) == 1
    assert capsys.readouterr().out.endswith(
        "```text\n"
        + " 61 | %s\n" % LS_STATX_1
        + " 62 | %s\n" % LS_STATX_1_NOFOLLOW
        + "    | \u2026 4 lines not shown\n"
        + " 67 | %s\n" % LS_STATX_2
        + "    | \u2026 168 lines not shown\n"
        + "236 | %s\n" % LS_STATX_30
        + "```\n"
    )


def test_cli_json_evidence_unchanged(capsys):
    assert main(["scan", "--format", "json", "--rule", "error-storm", LS_PLAIN]) == 1
    (finding,) = json.loads(capsys.readouterr().out)["findings"]
    assert finding["evidence"] == [
        {"file": LS_PLAIN, "line": 61, "text": LS_STATX_1},
        {"file": LS_PLAIN, "line": 62, "text": LS_STATX_1_NOFOLLOW},
        {"file": LS_PLAIN, "line": 67, "text": LS_STATX_2},
        {"file": LS_PLAIN, "line": 236, "text": LS_STATX_30},
    ]


def test_cli_poll_evidence_gap(capsys):
    # The poll call at line 772 resumes at line 1260; lines 1260-1264 follow each other with no marker.
    assert main(["scan", "--rule", "poll-timeout-before-close", str(EXIM_TRACES / "exim-f-r-s128.strace")]) == 1
    out = capsys.readouterr().out
    assert (
        "   772 | 13524      0.000032 poll([{fd=6, events=POLLIN}], 1, 200 <unfinished ...>\n"
        "       | \u2026 487 lines not shown\n"
        "  1260 | 13524      0.173330 <... poll resumed>) = 0 (Timeout)\n"
        "  1261 | 13524      0.000150 write(5, \"221 vm closing connection\\r\\n\", 27) = 27\n"
    ) in out
