"""End to end on the Exim 4.96 captures: one finding per connection whose QUIT poll timed out.

The ground truth is the capture's own per-session table (pid, client case,
poll result and duration), written when the traces were taken.
"""

import pytest
from conftest import CAPTURES, CORPUS, EXIM_TRACES

import straceparse

SINGLE_FILE_TRACES = ["exim-f-r-s128.strace", "exim-f-r-s128-stderr.strace", "exim-f-tt-T-yy.strace"]


def read_sessions():
    """Return {trace file name: [(pid, case, timed_out, poll_ms)]} from the capture's analysis table."""
    sessions = {}
    current = None
    for line in (CAPTURES / "exim" / "analysis-summary.txt").read_text().splitlines():
        if line.startswith("== "):
            current = sessions.setdefault(line[3:].split("/")[-1], [])
        elif line[:1].isdigit() and current is not None:
            fields = line.split()
            timed_out = "(Timeout)" in line
            poll_ms = float(fields[-2]) if timed_out and fields[-2] != "None" else None
            current.append((int(fields[0]), fields[2], timed_out, poll_ms))
    return sessions


SESSIONS = read_sessions()


@pytest.fixture(scope="module", params=SINGLE_FILE_TRACES)
def exim_report(request):
    return request.param, straceparse.scan(str(EXIM_TRACES / request.param), select=["poll-timeout-before-close"])


def test_ground_truth_table_read():
    for name in SINGLE_FILE_TRACES:
        assert len(SESSIONS[name]) == 16
        assert sum(timed_out for _, _, timed_out, _ in SESSIONS[name]) == 8


def test_one_finding_per_timed_out_session(exim_report):
    name, report = exim_report
    expected = sorted(pid for pid, _, timed_out, _ in SESSIONS[name] if timed_out)
    assert sorted(finding.pid for finding in report.findings) == expected


def test_no_finding_when_client_closed_first(exim_report):
    name, report = exim_report
    closed_first = {pid for pid, case, _, _ in SESSIONS[name] if case in ("quit_shutwr", "quit_close")}
    assert closed_first
    assert not closed_first & {finding.pid for finding in report.findings}


def test_finding_fd_and_timeout(exim_report):
    _, report = exim_report
    for finding in report.findings:
        assert finding.fd == 6
        assert finding.timeout_ms == 200


def test_cost_matches_measured_poll(exim_report):
    name, report = exim_report
    poll_ms = {pid: ms for pid, _, timed_out, ms in SESSIONS[name] if timed_out}
    for finding in report.findings:
        assert finding.cost_seconds == pytest.approx(poll_ms[finding.pid] / 1000, abs=0.0006)


def test_cost_source_follows_flags(exim_report):
    name, report = exim_report
    expected = "duration" if "-T-" in name else "timestamps"
    assert {finding.cost_source for finding in report.findings} == {expected}


def test_evidence_shows_poll_and_exit(exim_report):
    _, report = exim_report
    for finding in report.findings:
        texts = [evidence.text for evidence in finding.evidence]
        assert "poll([{fd=6" in texts[0]
        assert any('write(5<TCP:[127.0.0.1:2525->' in t or 'write(5, "221 vm closing' in t for t in texts)
        assert "exit_group(0)" in texts[-1]
        assert list(finding.lines) == [evidence.line for evidence in finding.evidence]


def test_evidence_lines_match_file(exim_report):
    name, report = exim_report
    lines = (EXIM_TRACES / name).read_text().splitlines()
    for finding in report.findings:
        for evidence in finding.evidence:
            assert lines[evidence.line - 1] == evidence.text


def test_split_poll_keeps_both_lines():
    report = straceparse.scan(str(EXIM_TRACES / "exim-f-r-s128.strace"), select=["poll-timeout-before-close"])
    first = report.findings[0]
    assert first.pid == 13524
    assert first.lines[:2] == (772, 1260)
    assert first.cost_source == "timestamps"
    assert first.cost_seconds == pytest.approx(0.200194, abs=0.0006)


def test_summary_counts(exim_report):
    name, report = exim_report
    assert report.summary["unparsed"] == 0
    assert report.summary["events"] > 9000
    assert report.totals() == ["8 connections lost 1.60 s to poll timeouts before close"]


BUG_REPORT = CORPUS / "00-exim-bug3142-strace-r-ms.log"


def test_bug_report_excerpt_finding():
    report = straceparse.scan(str(BUG_REPORT), select=["poll-timeout-before-close"])
    assert len(report.findings) == 1
    finding = report.findings[0]
    assert (finding.pid, finding.fd, finding.timeout_ms) == (1231632, 7, 200)
    assert finding.lines == (4, 5)
    assert finding.details["ended_by"] == "log ended"
    assert finding.cost_seconds == pytest.approx(0.2)


def test_excerpt_cut_after_poll_no_finding():
    lines = BUG_REPORT.read_text().splitlines()[:4]
    assert lines[-1].endswith("poll([{fd=7, events=POLLIN}], 1, 200) = 0 (Timeout)")
    report = straceparse.scan(lines, select=["poll-timeout-before-close"])
    assert report.findings == ()
