"""Lines a mail client wrapped: calls wrapped twice, wrapped signal lines, resumed halves wrapped in their errno text.

The cases are the real lines of a trace posted to LKML, decoded from
quoted-printable with ``python3 -m quopri -d``, with the mail client's wraps
kept.  Each join must give one event that renders back to its lines, and a
line that looks like a wrap but does not parse with the call stays apart.
"""

from __future__ import annotations

import pytest

from straceparse import Signal, Syscall, Unparsed, parse, parse_lines
from straceparse.values import Flags, Symbol

from conftest import CORPUS

DECODED = CORPUS / "23-lkml-seccomp-email-decoded-wrapped.log"
LINES = DECODED.read_text().splitlines()


def _line(number):
    return LINES[number - 1]


def _by_lines(events):
    return {event.lines: event for event in events}


@pytest.fixture(scope="module")
def decoded():
    return _by_lines(parse(DECODED))


# (lines, syscall, pid, retval, errno, retval_text, args_text)
JOINED_CALLS = [
    ((3, 4), "execve", None, 0, None, "0",
     '"./seccomp-notify-interrupt", ["./seccomp-notify-interrupt"], 0x7ffcb31a0d08 /* 42 vars */'),
    ((15, 16), "mmap", None, 0x7F7E688E5000, None, "0x7f7e688e5000",
     "NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0"),
    ((41, 42), "seccomp", 2558, 3, None, "3",
     "SECCOMP_SET_MODE_FILTER, 0x8 /* SECCOMP_FILTER_FLAG_??? */, {len=4, filter=0x7ffdf7cc9b50}"),
    ((49, 50, 51), "rt_sigaction", 2558, 0, None, "0",
     "SIGUSR1, {sa_handler=0x556585181215, sa_mask=[], sa_flags=SA_RESTORER|SA_RESTART|SA_SIGINFO,"
     " sa_restorer=0x7f7e6875b840}, NULL, 8"),
    ((53, 59, 60), "pause", 2558, None, "ERESTARTSYS", "? ERESTARTSYS (To be restarted if SA_RESTART is set)", " "),
]
JOINED_IDS = ["execve once", "mmap once", "seccomp comment", "rt_sigaction twice", "pause resumed errno"]


def test_decoded_mail_unparsed_only_prompts(decoded):
    unparsed = [event for event in decoded.values() if isinstance(event, Unparsed)]
    assert [event.lines for event in unparsed] == [(1,), (2,), (72,)]
    assert {event.reason for event in unparsed} == {"not-strace"}


@pytest.mark.parametrize("case", JOINED_CALLS, ids=JOINED_IDS)
def test_decoded_mail_call_joined(decoded, case):
    lines, syscall, pid, retval, errno, retval_text, args_text = case
    event = decoded[lines]
    assert isinstance(event, Syscall)
    assert event.syscall == syscall
    assert event.pid == pid
    assert event.retval == retval
    assert event.errno == errno
    assert event.retval_text == retval_text
    assert event.args_text == args_text


@pytest.mark.parametrize("lines", [case[0] for case in JOINED_CALLS] + [(61, 62)], ids=JOINED_IDS + ["signal"])
def test_decoded_mail_join_renders_back(decoded, lines):
    event = decoded[lines]
    assert event.render() == [_line(number) for number in lines]


def test_twice_wrapped_arguments_typed(decoded):
    signal, action, old, size = decoded[(49, 50, 51)].args
    assert signal == Symbol("SIGUSR1")
    assert action["sa_flags"] == Flags((Symbol("SA_RESTORER"), Symbol("SA_RESTART"), Symbol("SA_SIGINFO")))
    assert action["sa_restorer"] == 0x7F7E6875B840
    assert old is None
    assert size == 8


def test_wrapped_signal_fields(decoded):
    event = decoded[(61, 62)]
    assert isinstance(event, Signal)
    assert event.pid == 2558
    assert event.signal == "SIGUSR1"
    assert event.info["si_code"] == Symbol("SI_USER")
    assert event.info["si_pid"] == 2557
    assert event.info["si_uid"] == 1000


def test_resumed_errno_wrap_joined():
    lines = ["read(3,  <unfinished ...>", "<... read resumed> 0x7ffd, 128) = -1 EAGAIN (Resource", "temporarily unavailable)"]
    events = list(parse_lines(lines))
    assert len(events) == 1
    event = events[0]
    assert event.lines == (1, 2, 3)
    assert event.retval == -1
    assert event.errno == "EAGAIN"
    assert event.retval_text == "-1 EAGAIN (Resource temporarily unavailable)"
    assert event.args_text == "3,  0x7ffd, 128"
    assert event.render() == lines


# Real lines of the decoded mail, put together so that the line after a wrapped
# one does not continue it.  Each case gives the lines, then each event's lines
# with its kind or unparsed reason.  Lines 57 and 63 parse on their own, and a
# stray "}" breaks the last line of the wrapped rt_sigaction.
CLOSE_BROKEN = _line(51).replace("}", "}}")
NOT_JOINED = {
    "call then own line": ([_line(49), _line(57)], [((1,), "incomplete"), ((2,), "syscall")]),
    "held wrap then own line": (
        [_line(49), _line(50), _line(57)], [((1,), "incomplete"), ((2,), "not-strace"), ((3,), "syscall")]
    ),
    "held wrap then broken end": (
        [_line(49), _line(50), CLOSE_BROKEN], [((1,), "incomplete"), ((2,), "not-strace"), ((3,), "not-strace")]
    ),
    "signal then own line": ([_line(61), _line(63)], [((1,), "incomplete"), ((2,), "syscall")]),
    "errno wrap then own line": (
        [_line(53), _line(59), _line(63)], [((1, 2), "syscall"), ((3,), "syscall")]
    ),
    "wrap after the prefix": ([_line(49), "[pid  2558] " + _line(50)], [((1,), "incomplete"), ((2,), "not-strace")]),
    # A held line that starts a call when read again alone is closed before the line of its own.
    "held wrap starts a call": (
        [_line(49), _line(50), "makedev(0x1,", _line(57), "0x3)}, NULL, 8) = 0"],
        [((1,), "incomplete"), ((2,), "not-strace"), ((3,), "incomplete"), ((4,), "syscall"), ((5,), "not-strace")],
    ),
}


def _outline(events):
    return [(event.lines, event.reason if isinstance(event, Unparsed) else event.kind) for event in events]


@pytest.mark.parametrize("case", list(NOT_JOINED.values()), ids=list(NOT_JOINED))
def test_wrap_like_line_not_joined(case):
    lines, expected = case
    assert _outline(parse_lines(lines)) == expected


def test_own_line_after_wrap_intact():
    events = list(parse_lines([_line(49), _line(50), _line(57)]))
    assert events[-1].syscall == "kill"
    assert events[-1].args_text == "2558, SIGUSR1"


def test_errno_wrap_then_own_line_keeps_text():
    pause = list(parse_lines([_line(53), _line(59), _line(63)]))[0]
    assert pause.retval_text == "? ERESTARTSYS (To be"


# The lines, then the detail of the `incomplete` event of line 1.
INCOMPLETE_DETAILS = {
    "no continuation": ([_line(49), _line(57)], "the line stops before the call's end and no line continues it"),
    "join does not parse": (
        [_line(15), "0}) = 0x7f7e688e5000"],
        "the line stops before the call's end, and the call joined with line 2 does not parse",
    ),
    "held wraps join does not parse": (
        [_line(49), _line(50), CLOSE_BROKEN],
        "the line stops before the call's end, and the call joined with lines 2 to 3 does not parse",
    ),
    "held wrap never ended": (
        [_line(49), _line(50), _line(57)],
        "the line stops before the call's end, and no line after line 2 ends the call",
    ),
    "held wrap at log end": (
        [_line(49), _line(50)], "the line stops before the call's end, and no line after line 2 ends the call"
    ),
}


@pytest.mark.parametrize("case", list(INCOMPLETE_DETAILS.values()), ids=list(INCOMPLETE_DETAILS))
def test_incomplete_detail_text(case):
    lines, detail = case
    first = list(parse_lines(lines))[0]
    assert first.reason == "incomplete"
    assert first.detail == detail
