"""Rule long-blocking-syscall, scanning strace and ftrace together, and the top command."""

from __future__ import annotations

import pytest

from straceparse import scan
from straceparse.errors import InputError
from straceparse.cli import main
from straceparse.rules import select_rules

from conftest import CAPTURES, CORPUS, EXIM_TRACES, FIXTURES

POLL = FIXTURES / "ftrace" / "exim-poll-200ms-funcgraph.ftrace"
EVENTS = CAPTURES / "ftrace" / "ftrace-events-poll.trace"
EVENTS_TGID = CAPTURES / "ftrace" / "ftrace-events-poll-mono-tgid.trace"
STRACE = EXIM_TRACES / "exim-f-r-s128.strace"


def _findings(path, **settings):
    return scan(path, select=["long-blocking-syscall"], settings={"long-blocking-syscall": settings} if settings else None).findings


def test_poll_200ms_graph_found():
    findings = _findings(POLL)
    assert len(findings) == 1
    finding = findings[0]
    assert finding.rule == "long-blocking-syscall"
    assert finding.cpu == 0
    assert finding.pid is None
    assert finding.cost_seconds == pytest.approx(0.2044351)
    assert finding.lines == tuple(range(5, 21))
    assert finding.message == (
        "__x64_sys_poll (poll) on CPU 0 blocked for 204.435 ms; its timeout is not in the trace"
    )


def test_poll_200ms_finding_json_shape():
    data = _findings(POLL)[0].to_dict()
    for key in ("rule", "file", "pid", "cpu", "cost_seconds", "lines", "message"):
        assert key in data, key
    assert data["details"]["function"] == "__x64_sys_poll"


def test_threshold_above_poll_silent():
    assert _findings(POLL, min_ms=250.0) == ()


def test_inner_wait_function_not_repeated():
    functions = [finding.details["function"] for finding in _findings(POLL, min_ms=1.0)]
    assert functions == ["__x64_sys_poll"]


def test_nanosleep_graph_found():
    findings = _findings(CORPUS / "03-perftools-funcgraph-maxdepth-noduration.ftrace")
    assert [(f.details["function"], f.cpu, round(f.cost_seconds, 6)) for f in findings] == [
        ("do_nanosleep", 1, 1.000154)
    ]


@pytest.mark.parametrize(
    "path, pid, cpu, lines, seconds",
    [(EVENTS, 22813, 1, (30, 35), 0.200248), (EVENTS_TGID, 22877, 0, (46, 51), 0.20025)],
    ids=["local-clock", "mono-tgid"],
)
def test_poll_events_whole_timeout(path, pid, cpu, lines, seconds):
    findings = _findings(path)
    assert len(findings) == 1
    finding = findings[0]
    assert (finding.pid, finding.cpu, finding.lines) == (pid, cpu, lines)
    assert finding.cost_seconds == pytest.approx(seconds)
    assert finding.timeout_ms == 200.0
    assert finding.details["waited_whole_timeout"] is True


def test_poll_events_message_text():
    assert _findings(EVENTS)[0].message == (
        "poll by task python3-22813 on CPU 1 blocked for 200.248 ms; it waited its whole 200 ms timeout (returned 0)"
    )


def test_early_return_before_timeout():
    finding = [f for f in _findings(EVENTS, min_ms=10.0) if f.lines == (47, 55)]
    assert len(finding) == 1
    assert finding[0].details["waited_whole_timeout"] is False
    assert finding[0].message.endswith("blocked for 50.195 ms; it returned 1 before its 200 ms timeout")


def test_rule_ignores_strace_events():
    assert _findings(STRACE) == ()


def test_strace_rule_ignores_ftrace_events():
    report = scan(POLL, EVENTS, select=["poll-timeout-before-close"])
    assert report.findings == ()


def test_scan_both_formats_both_rules():
    report = scan(STRACE, POLL, select=["poll-timeout-before-close", "long-blocking-syscall"])
    rules = {finding.rule for finding in report.findings}
    assert rules == {"poll-timeout-before-close", "long-blocking-syscall"}


def test_forced_strace_format_rejects_ftrace():
    with pytest.raises(InputError) as raised:
        scan(POLL, input_format="strace")
    assert str(raised.value).startswith("%s: none of its 20 lines could be read as strace (line 1: " % POLL)


def test_rules_include_long_blocking():
    assert "long-blocking-syscall" in [rule.id for rule in select_rules()]


# ---------------------------------------------------------------- command line


def test_cli_scan_prints_both_kinds(capsys):
    status = main(["scan", "--rule", "poll-timeout-before-close", "--rule", "long-blocking-syscall", str(STRACE), str(POLL)])
    out = capsys.readouterr().out
    assert status == 1
    assert "poll-timeout-before-close [high]: poll on socket fd 6 timed out" in out
    assert (
        "exim-poll-200ms-funcgraph.ftrace:5: long-blocking-syscall [medium]: __x64_sys_poll (poll) on CPU 0 blocked for "
        "204.435 ms" in out
    )
    assert "1 syscall blocked 0.20 s in all (ftrace)" in out


def test_cli_input_format_rejects_unknown(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["scan", "--input-format", "perf", str(POLL)])
    assert caught.value.code == 2


def test_cli_top_lists_functions(capsys):
    status = main(["top", str(POLL), "-n", "3"])
    assert status == 0
    assert capsys.readouterr().out == (
        "    total ms      self ms       max ms   calls  function\n"
        "     204.435        0.002      204.435       1  __x64_sys_poll\n"
        "     204.433        0.009      204.433       1  do_sys_poll\n"
        "     204.420        0.002      204.420       1  poll_schedule_timeout.constprop.0\n"
    )


def test_cli_top_without_graph_fails(capsys):
    path = CORPUS / "07-kernel-doc-function-tracer.ftrace"
    assert main(["top", str(path)]) == 2
    assert capsys.readouterr().err == (
        "straceparse: error: %s: no function_graph call with a duration found; top reads ftrace "
        "function_graph output (the file is output of the ftrace function tracer, which prints no durations: "
        "record with the function_graph tracer)\n" % path
    )


def test_scan_open_file_detects_ftrace():
    with open(POLL, encoding="utf-8") as handle:
        report = scan(handle)
    assert [finding.rule for finding in report.findings] == ["long-blocking-syscall"]
    assert report.findings[0].file == str(POLL)


def test_read_events_unknown_format_message():
    from straceparse.errors import InputError
    from straceparse.scanner import read_events

    with pytest.raises(InputError) as caught:
        read_events(POLL, "perf")
    assert str(caught.value) == "unknown input format 'perf'; expected one of: auto, strace, ftrace"
