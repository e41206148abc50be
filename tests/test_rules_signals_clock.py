"""idle-gap and error-storm on stopped processes and whole-second clocks, on real traces."""

from __future__ import annotations

import pytest

import straceparse
from straceparse.rules.timing import clock_resolution

from conftest import CAPTURES

SIGNALS = CAPTURES / "signals" / "traces"
CLOCK_T = CAPTURES / "clock" / "py-storm-sleep-compute-t.strace"


def findings(rule_id, *paths, **settings):
    report = straceparse.scan(*[str(path) for path in paths], select=[rule_id], settings={rule_id: settings})
    return report.findings


# Each trace holds pid 24737 (or the unprefixed process) stopped by SIGSTOP for 0.2 s:
#   24737 19:53:42.239181 <... clock_nanosleep resumed>{tv_sec=4, ...}) = ? ERESTART_RESTARTBLOCK (...) <0.200174>
#   24737 19:53:42.239283 --- stopped by SIGSTOP ---
#   24737 19:53:42.444154 --- SIGCONT {si_signo=SIGCONT, si_code=SI_USER, si_pid=24722, si_uid=0} ---
#   24737 19:53:42.444184 restart_syscall(<... resuming interrupted clock_nanosleep ...> <unfinished ...>
STOPPED_TRACES = [
    SIGNALS / "sh-signals-f-tt-T-yy.strace",
    SIGNALS / "sh-signals-f-r-s128-stderr.strace",
    SIGNALS / "sh-signals-f-ttt.strace",
    CAPTURES / "summary" / "sh-signals-C-f-r.strace",
]


@pytest.mark.parametrize("path", STOPPED_TRACES, ids=lambda path: path.name)
def test_idle_gap_stopped_process_skipped(path):
    assert [finding.message for finding in findings("idle-gap", path)] == []


# Real lines of pid 24722 in sh-signals-f-tt-T-yy.strace (2715, 3116-3118): a
# SIGCHLD between a finished wait4 and rt_sigreturn. Their 55 µs gap reaches
# min_ms=0.01 but holds the signal's delivery, so it is not user-space time.
SIGNAL_IN_GAP = """\
24722 19:53:42.031676 wait4(-1,  <unfinished ...>
24722 19:53:42.239029 <... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 24738 <0.207347>
24722 19:53:42.239057 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=24738, si_uid=0, si_status=0, si_utime=0, si_stime=0} ---
24722 19:53:42.239078 rt_sigreturn({mask=[]}) = 24738 <0.000009>
"""


def _scan_text(text, rule_id, **settings):
    scan = straceparse.Scan(straceparse.select_rules([rule_id], settings={rule_id: settings}))
    return list(scan.run(straceparse.parse(text)))


def test_idle_gap_signal_delivery_ends_gap():
    assert _scan_text(SIGNAL_IN_GAP, "idle-gap", min_ms=0.01) == []


def test_idle_gap_without_signal_still_found():
    # The same calls with the SIGCHLD line left out: the rule measures the gap
    # from the end of wait4 (its start plus -T) to rt_sigreturn.
    lines = SIGNAL_IN_GAP.splitlines(keepends=True)
    (finding,) = _scan_text("".join(lines[:2] + lines[3:]), "idle-gap", min_ms=0.01)
    assert finding.cost_seconds == pytest.approx(0.239078 - (0.031676 + 0.207347), abs=1e-6)


# -- whole-second clocks (strace -t)


def test_clock_resolution_whole_seconds():
    events = list(straceparse.parse_file(str(CLOCK_T)))
    assert clock_resolution(events[0]) == 1.0


def test_clock_resolution_microseconds():
    events = list(straceparse.parse_file(str(SIGNALS / "sh-signals-f-tt-T-yy.strace")))
    assert clock_resolution(events[0]) == pytest.approx(1e-6)


def test_idle_gap_one_tick_not_reported():
    # Line 2471 "21:46:16 getppid()" and line 2472 "21:46:17 write(1, "done\n", 5)":
    # 0.3 s of computation that crosses a second boundary, which a 1 s clock cannot resolve.
    assert findings("idle-gap", CLOCK_T) == ()


def test_error_storm_whole_seconds_cost_unknown():
    # Lines 2420-2469: 50 openat calls failing with ENOENT, all stamped 21:46:16.
    (finding,) = findings("error-storm", CLOCK_T)
    assert finding.details["calls"] == 50
    assert finding.lines == (2420, 2421, 2422, 2469)
    assert finding.cost_source == "unknown"
    assert finding.message == (
        "openat failed with ENOENT 50 times in a row; "
        "the log's clock, which ticks every 1 s, is too coarse to measure the time spent"
    )


def test_clock_delta_time_sums_deltas():
    # strace -t -r prints "HH:MM:SS (+ delta)": the event time follows the finer delta, not the clock.
    lines = (CAPTURES / "clock" / "py-storm-compute-t-r.strace").read_text().splitlines()[:3]
    assert lines[1] == "22:04:54 (+     0.000475) brk(NULL)     = 0x558ec0804000"
    events = list(straceparse.parse(lines))
    assert [round(event.time - events[0].time, 6) for event in events] == [0.0, 0.000475, 0.000722]
    assert clock_resolution(events[2]) == pytest.approx(1e-6)
