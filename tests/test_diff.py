"""Diffing real Exim sessions: a client that closed first against one that waited for the 221."""

import json

import pytest

import straceparse
from straceparse.cli import main
from straceparse.diff import diff, diff_events, signature_of

from conftest import EXIM_TRACES

FF = EXIM_TRACES / "exim-ff-tt-T"
POLL_TIMEOUT = "poll(socket, 200 ms) = 0 (Timeout)"

# Session pids and cases from fixtures/captures/exim/analysis-summary.txt.
FF_PAIRS = [
    ("exim.14417", "exim.14416"),  # quit_shutwr against ehlo_quit
    ("exim.14417", "exim.14355"),  # quit_shutwr against full: the same transaction
    ("exim.14420", "exim.14432"),  # quit_close against full
]


@pytest.mark.parametrize("good, bad", FF_PAIRS)
def test_session_pair_ranks_poll_first(good, bad):
    report = diff(FF / good, FF / bad)
    first = report.changes[0]
    assert first.signature == POLL_TIMEOUT
    assert first.kind == "added"
    assert first.count_good == 0
    assert first.count_bad == 1
    assert 0.200 <= first.cost_seconds < 0.201
    assert first.instead == ("poll(socket, 200 ms) = >0",)


def test_session_pair_example_lines():
    first = diff(FF / "exim.14417", FF / "exim.14416").changes[0]
    assert [(e.line, e.text) for e in first.lines_bad] == [
        (37, "19:25:23.020747 poll([{fd=6, events=POLLIN}], 1, 200) = 0 (Timeout) <0.200326>")
    ]
    assert [(e.line, e.text) for e in first.lines_good] == [
        (129, "19:25:23.739708 poll([{fd=6, events=POLLIN}], 1, 200) = 1 ([{fd=6, revents=POLLIN}]) <0.000039>")
    ]


def test_identical_traces_no_changes():
    report = diff(FF / "exim.14417", FF / "exim.14417")
    assert report.changes == ()
    assert report.syscalls["poll"]["count_good"] == report.syscalls["poll"]["count_bad"] == 2


# Whole-run logs hold both kinds of session; the library API takes any events,
# so one side is the events of the good sessions' pids and the other the bad ones'.
WHOLE_RUNS = [
    ("exim-f-r-s128.strace", {13542, 13548, 13670, 13712}, {13524, 13536, 13606, 13621}, "timestamps"),
    ("exim-f-tt-T-yy.strace", {14304, 14307, 14324, 14327}, {14299, 14303, 14319, 14323}, "duration"),
]


@pytest.mark.parametrize("name, good_pids, bad_pids, source", WHOLE_RUNS)
def test_whole_run_sessions_rank_poll_first(name, good_pids, bad_pids, source):
    events = list(straceparse.parse(EXIM_TRACES / name))
    report = diff_events([e for e in events if e.pid in good_pids], [e for e in events if e.pid in bad_pids])
    first = report.changes[0]
    assert first.signature == POLL_TIMEOUT
    assert first.count_bad == 4
    assert 0.200 <= first.cost_per_call_seconds < 0.202
    assert source in report.bad.time_sources


def test_plain_trace_costs_timeout_floor():
    """``-ff`` without timestamps: the timed-out wait is costed at its timeout."""
    plain = EXIM_TRACES / "exim-ff-plain"
    report = diff(plain / "exim.14531", plain / "exim.14530")  # quit_shutwr against ehlo_quit
    first = report.changes[0]
    assert first.signature == POLL_TIMEOUT
    assert first.cost_seconds == pytest.approx(0.2)
    assert report.bad.time_sources["timeout"] == 1


SIGNATURE_CASES = [
    # exim-f-tt-T-yy.strace: -yy names fd 6 a TCP socket.
    ("14303 19:25:10.751409 poll([{fd=6<TCP:[127.0.0.1:2525->127.0.0.1:37488]>, events=POLLIN}], 1, 200) = 0 (Timeout) <0.200314>",
     POLL_TIMEOUT),
    # exim-ff-tt-T/exim.14417: a zero-timeout pselect6 on an fd the file never opened.
    ("19:25:23.727136 pselect6(7, [6], NULL, NULL, {tv_sec=0, tv_nsec=0}, NULL) = 0 (Timeout) <0.000055>",
     "pselect6(fd 6, 0 ms) = 0 (Timeout)"),
    ("19:25:23.221502 read(6, 0x7ffd2da4b010, 128) = -1 EAGAIN (Resource temporarily unavailable) <0.000046>",
     "read(fd 6) = -1 EAGAIN"),
    ('19:25:23.727008 newfstatat(AT_FDCWD, "/etc/localtime", {st_mode=S_IFREG|0644, st_size=114, ...}, 0) = 0 <0.000055>',
     "newfstatat(...) = 0"),
    ("19:25:23.740071 exit_group(0)           = ?", "exit_group(...) = ?"),
    ("19:25:23.740595 +++ exited with 0 +++", "+++ exited with 0 +++"),
]


@pytest.mark.parametrize("line, expected", SIGNATURE_CASES)
def test_signature_of_real_lines(line, expected):
    (event,) = [e for e in straceparse.parse(line + "\n")]
    assert signature_of(event) == expected


def test_cli_diff_json_shape(capsys):
    status = main(["diff", "--format", "json", str(FF / "exim.14417"), str(FF / "exim.14416")])
    data = json.loads(capsys.readouterr().out)
    assert status == 1
    costs = [change["cost_seconds"] for change in data["changes"]]
    assert costs == sorted(costs, reverse=True)
    first = data["changes"][0]
    assert first["kind"] == "added"
    assert first["syscall"] == "poll"
    assert first["count_good"] == 0
    assert first["count_bad"] == 1
    assert first["cost_seconds"] == 0.200326
    assert first["lines"]["bad"][0]["line"] == 37
    assert first["lines"]["good"][0]["line"] == 129


def test_cli_diff_ff_directory(capsys):
    # The -ff run against the -f run of the same sessions: the directory is read as one trace, as scan reads it.
    assert main(["diff", "--format", "json", str(FF), str(FF.parent / "exim-f-tt-T-yy.strace")]) == 1
    data = json.loads(capsys.readouterr().out)
    assert len(data["summary"]["good"]["files"]) == 42
    assert data["summary"]["good"]["events"] == data["summary"]["bad"]["events"]


def test_cli_diff_session_sets(capsys):
    """Four good sessions against four bad ones, each side given as several -ff files."""
    good = ["exim.14417", "exim.14420", "exim.14479", "exim.14482"]  # quit_shutwr, quit_close twice
    bad = ["exim.14355", "exim.14432", "exim.14416", "exim.14458"]  # full and ehlo_quit twice
    argv = ["diff", "--format", "json", str(FF / good[0]), str(FF / bad[0])]
    for name in good[1:]:
        argv += ["--good", str(FF / name)]
    for name in bad[1:]:
        argv += ["--bad", str(FF / name)]
    assert main(argv) == 1
    data = json.loads(capsys.readouterr().out)
    first = data["changes"][0]
    assert first["signature"] == POLL_TIMEOUT
    assert first["count_bad"] == 4
    assert len(data["summary"]["good"]["files"]) == 4
    assert 0.200 <= first["cost_per_call_seconds"] < 0.201


# The same Exim workload traced twice, without and with -yy. Lines 617 and 619
# of the -yy trace decorate the listening socket as TCP:[127.0.0.1:2525], with
# no peer, as a connected socket's decoration would have.
FLAG_PAIR = (EXIM_TRACES / "exim-f-r-s128.strace", EXIM_TRACES / "exim-f-tt-T-yy.strace")


@pytest.mark.parametrize("call", ["accept", "poll"])
def test_flag_pair_listening_role_same(call):
    changes = diff(*FLAG_PAIR).changes
    added = [change.signature for change in changes if change.kind == "added"]
    removed = [change.signature for change in changes if change.kind == "removed"]
    assert [signature for signature in added if signature.startswith(call + "(")] == []
    assert [signature for signature in removed if signature.startswith(call + "(")] == []


def test_flag_pair_mmap_address_no_fd():
    # mmap's first argument is an address: line 819 "mmap(0x7f71e5bf5000, ..." named "fd 0" before.
    signatures = [change.signature for change in diff(*FLAG_PAIR).changes]
    assert [signature for signature in signatures if signature.startswith("mmap(fd")] == []
    assert [signature for signature in signatures if signature.startswith("mmap(other")] == []


ROLE_CASES = [
    # exim-f-tt-T-yy.strace line 619: the fd accept takes is listening, whatever its decoration.
    ('14293 19:25:09.305114 accept(4<TCP:[127.0.0.1:2525]>, {sa_family=AF_INET, sin_port=htons(37478), '
     'sin_addr=inet_addr("127.0.0.1")}, [28 => 16]) = 5<TCP:[127.0.0.1:2525->127.0.0.1:37478]> <0.000013>',
     "accept(listening) = >0"),
]


@pytest.mark.parametrize("line, expected", ROLE_CASES)
def test_signature_of_accept_listening(line, expected):
    (event,) = list(straceparse.parse(line + "\n"))
    assert signature_of(event) == expected
