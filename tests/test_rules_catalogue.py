"""Each rule on real traces: what it finds, what it must not find, and what a healthy trace gives."""

from __future__ import annotations

import pytest

import straceparse
from straceparse.rules import RULES

from conftest import CAPTURES, CORPUS, EXIM_TRACES

HTTP = CAPTURES / "http" / "traces"
THREADS = CAPTURES / "threads" / "traces"
DNS = CAPTURES / "dns"

EXIM_SINGLE_FILE = sorted(EXIM_TRACES.glob("*.strace"))
HEALTHY = sorted(HTTP.glob("*.strace")) + sorted(THREADS.glob("*.strace"))


def findings(rule_id, *paths, **settings):
    report = straceparse.scan(*[str(path) for path in paths], select=[rule_id], settings={rule_id: settings})
    return report.findings


# -- poll-timeout-before-close


@pytest.mark.parametrize("path", EXIM_SINGLE_FILE, ids=lambda path: path.name)
def test_poll_timeout_exim_eight_findings(path):
    assert len(findings("poll-timeout-before-close", path)) == 8


def test_poll_timeout_exim_ff_eight_findings():
    paths = sorted((EXIM_TRACES / "exim-ff-tt-T").iterdir())
    assert len(findings("poll-timeout-before-close", *paths)) == 8


def test_poll_timeout_exim_quit_sessions_only():
    found = findings("poll-timeout-before-close", EXIM_TRACES / "exim-f-tt-T-yy.strace")
    for finding in found:
        assert "poll([{fd=6<TCP:" in finding.evidence[0].text
        assert finding.timeout_ms == 200
        assert finding.cost_source == "duration"


def test_poll_timeout_exim_severity_high():
    found = findings("poll-timeout-before-close", EXIM_TRACES / "exim-f-tt-T-yy.strace")
    assert {finding.severity for finding in found} == {"high"}


def test_poll_timeout_haproxy_linger_after_reply():
    (finding,) = findings("poll-timeout-before-close", CORPUS / "01-haproxy-pollhup.log")
    assert finding.fd == 8
    assert finding.lines == (76, 78, 79, 81)
    assert finding.details["timeouts"] == 2
    assert finding.details["ended_by"] == "peer closed"
    assert finding.cost_seconds == pytest.approx(2.003, abs=0.001)


def test_poll_timeout_skips_dns_udp_waits():
    assert findings("poll-timeout-before-close", DNS / "getent-dns-timeout-f-tt-T-yy.strace") == ()


def test_poll_timeout_min_ms_setting():
    assert findings("poll-timeout-before-close", EXIM_TRACES / "exim-f-r-s128.strace", min_ms=250) == ()


# -- dns-timeout


@pytest.mark.parametrize("name", ["getent-dns-timeout-f-tt-T-yy.strace", "getent-dns-timeout-f-r.strace"])
def test_dns_timeout_getent_four_waits(name):
    found = findings("dns-timeout", DNS / name)
    assert [finding.lines for finding in found] == [(145, 146), (148, 149), (163, 164), (166, 167)]
    for finding in found:
        assert finding.timeout_ms == 5000
        assert finding.cost_seconds >= 5.0


def test_dns_timeout_ping_answer_arrives():
    # The excerpt's poll(..., 5000) returns the answer at once.
    assert findings("dns-timeout", CORPUS / "19-iputils-ping-dns-poll5000-multiline-stdout.log") == ()


def test_dns_timeout_golang_no_wait_shown():
    # Traced with -e trace=network: the sockets connect to port 53, but no wait is in the log.
    assert findings("dns-timeout", CORPUS / "28-golang-dns-f-r-trace-network-attached.log") == ()


def test_dns_timeout_other_port_setting():
    assert findings("dns-timeout", DNS / "getent-dns-timeout-f-tt-T-yy.strace", port=5353) == ()


# -- repeated-timeout


def test_repeated_timeout_fluentd_futex_loop():
    (finding,) = findings("repeated-timeout", CORPUS / "32-fluentd-futex-lines-cut-at-terminal-width.log")
    assert finding.lines == (3, 10, 17)
    assert finding.details["timeouts"] == 3
    assert finding.details["deadline_span_seconds"] == pytest.approx(0.801322705)
    assert finding.cost_source == "unknown"


def test_repeated_timeout_puma_two_threads():
    # One timeout in each of two threads: below min_count, as the log notes these are routine.
    assert findings("repeated-timeout", CORPUS / "13-puma-futex-etimedout-pid-prefix.log") == ()


def test_repeated_timeout_haproxy_epoll_loop():
    (finding,) = findings("repeated-timeout", CORPUS / "01-haproxy-pollhup.log", min_count=2)
    assert finding.lines == (78, 79)
    assert finding.details["call_site"] == "epoll_wait on fd 8, 9 with a 1000 ms timeout"


def test_repeated_timeout_dns_sockets_apart():
    # Each resolver socket times out twice; a closed fd ends its call site.
    assert findings("repeated-timeout", DNS / "getent-dns-timeout-f-tt-T-yy.strace") == ()
    assert len(findings("repeated-timeout", DNS / "getent-dns-timeout-f-tt-T-yy.strace", min_count=2)) == 2


# -- slow-syscall


def test_slow_syscall_pipe_reads_grouped():
    (finding,) = findings("slow-syscall", THREADS / "py-threads-f-tt-T-yy.strace", min_ms=10)
    assert finding.details["syscall"] == "read"
    assert finding.details["target"] == "pipe"
    assert finding.details["calls"] == 8
    assert finding.cost_source == "duration"


def test_slow_syscall_ping_recvmsg():
    (finding,) = findings("slow-syscall", CORPUS / "18-iputils-ping-relative-T-stdout-interleaved.log", min_ms=10)
    assert finding.lines == (5,)
    assert finding.details["target"] == "fd 3"


def test_slow_syscall_skips_waits():
    # Exim's 200 ms polls and the daemon's wait4 block by design.
    assert findings("slow-syscall", EXIM_TRACES / "exim-f-tt-T-yy.strace") == ()


def test_slow_syscall_skip_setting():
    found = findings("slow-syscall", EXIM_TRACES / "exim-f-tt-T-yy.strace", skip="wait4")
    assert "poll" in {finding.details["syscall"] for finding in found}


# -- error-storm


def test_error_storm_yum_fcntl_loop():
    (finding,) = findings("error-storm", CORPUS / "22-ustclug-yum-container-fcntl-ebadf-loop.log")
    assert finding.details["calls"] == 26
    assert finding.details["errno"] == "EBADF"
    assert finding.lines == (2, 3, 4, 27)
    assert finding.cost_source == "unknown"


def test_error_storm_locale_search_cheap():
    # 24 ENOENT stats of gettext's locale search cost about 1 ms: under min_ms.
    assert findings("error-storm", HTTP / "http-server-f-tt-T-yy.strace") == ()
    (finding,) = findings("error-storm", HTTP / "http-server-f-tt-T-yy.strace", min_ms=0)
    assert (finding.details["syscall"], finding.details["errno"]) == ("newfstatat", "ENOENT")


def test_error_storm_min_count_setting():
    assert findings("error-storm", CORPUS / "22-ustclug-yum-container-fcntl-ebadf-loop.log", min_count=27) == ()


# -- idle-gap


def test_idle_gap_exim_daemon_startup():
    (finding,) = findings("idle-gap", EXIM_TRACES / "exim-f-tt-T-yy.strace")
    assert finding.lines == (575, 576)
    assert finding.cost_seconds == pytest.approx(0.465134, abs=1e-6)


def test_idle_gap_blocking_call_not_gap():
    # The dns trace's 5 s polls have no -T in the -r capture: their end is unknown, so no gap.
    assert findings("idle-gap", DNS / "getent-dns-timeout-f-r.strace") == ()


def test_idle_gap_stderr_mode_pid_switch():
    # Unprefixed daemon lines between a child's lines must not read as one long gap.
    found = findings("idle-gap", EXIM_TRACES / "exim-f-r-s128-stderr.strace")
    assert [finding.lines for finding in found] == [(575, 576)]


# -- healthy traces


@pytest.mark.parametrize("path", HEALTHY, ids=lambda path: path.name)
def test_healthy_trace_no_findings(path):
    report = straceparse.scan(str(path))
    assert [finding.message for finding in report.findings] == []


def test_healthy_threads_ff_no_findings():
    # The select thread's file holds no pipe2 for fd 5, but the thread ends with exit(),
    # which leaves the process's fds open, so its timed-out pselect6 is no finding.
    report = straceparse.scan(*[str(path) for path in sorted((THREADS / "py-threads-ff").iterdir())])
    assert [finding.message for finding in report.findings] == []


def test_healthy_http_ff_locale_search_only():
    # Without a clock, error-storm cannot see that gettext's 24-path locale search is cheap
    # (about 1 ms in the timed captures), so it reports it. No other rule finds anything.
    report = straceparse.scan(*[str(path) for path in sorted((HTTP / "http-server-ff").iterdir())])
    assert [(finding.rule, finding.cost_source) for finding in report.findings] == [("error-storm", "unknown")]
    assert report.findings[0].severity == "low"


def test_every_rule_documented():
    for rule_id, rule in RULES.items():
        assert (CORPUS.parent.parent / "docs" / "rules" / ("%s.md" % rule_id)).is_file(), rule_id
        assert set(rule.option_help) == set(rule.options), rule_id
