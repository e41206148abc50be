"""The parser's fast line reader against its general path: the same events, layouts, cuts and counts.

``StraceParser.read`` tries the fast reader on each line and falls back to
``feed``; a parser fed only through ``feed`` never uses the fast reader.
Both must give the same events for every log.
"""

from __future__ import annotations

import io

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from straceparse import Syscall, parse_lines
from straceparse.events import new_syscall
from straceparse.parser import StraceParser, open_trace, read_lines

from conftest import CORPUS
from test_dialects import STRACE_FILES, _ids


def _described(events):
    # attrs equality skips layout and cuts (eq=False), so they are compared here too.
    return [(type(event).__name__, event, event.layout, event.cuts) for event in events]


def _both_paths(lines, file="<string>"):
    general = StraceParser(file)
    expected = []
    for number, raw in enumerate(lines, 1):
        expected.extend(general.feed(number, raw))
    expected.extend(general.finish())
    fast = StraceParser(file)
    got = list(fast.read(lines))
    return _described(got), _described(expected), (fast.lines, fast.unparsed), (general.lines, general.unparsed)


def _block_path(lines, file="<string>"):
    # The lines in blocks of three, as read_texts cuts a stream into blocks of whole lines.
    blocks = ["\n".join(lines[start : start + 3]) for start in range(0, len(lines), 3)]
    parser = StraceParser(file)
    return _described(parser.read_blocks(blocks)), (parser.lines, parser.unparsed)


@pytest.mark.parametrize("path", STRACE_FILES, ids=_ids(STRACE_FILES))
def test_fast_reader_fixture_same_events(path):
    with open_trace(path) as handle:
        lines = list(read_lines(handle))
    got, expected, got_counts, expected_counts = _both_paths(lines, str(path))
    assert got == expected
    assert got_counts == expected_counts


@pytest.mark.parametrize("path", STRACE_FILES, ids=_ids(STRACE_FILES))
def test_block_reader_fixture_same_events(path):
    with open_trace(path) as handle:
        lines = list(read_lines(handle))
    _, expected, _, expected_counts = _both_paths(lines, str(path))
    got, got_counts = _block_path(lines, str(path))
    assert got == expected
    assert got_counts == expected_counts


def _fast_lines(name):
    path = [path for path in STRACE_FILES if path.name == name][0]
    parser = StraceParser(str(path))
    with open_trace(path) as handle:
        list(parser.read(read_lines(handle)))
    return parser.fast_lines


def test_fast_reader_fixtures_use_it():
    # Without lines the fast reader takes among the fixtures the test above could not fail.
    assert _fast_lines("exim-f-tt-T-yy.strace") > 8000
    assert _fast_lines("sh-pipe-f-tt-T-stderr.strace") > 230
    assert _fast_lines("exim.14349") > 1000
    # -r deltas with padded pids, -ttt epoch stamps, -r lines without a pid, pids of four digits.
    assert _fast_lines("exim-f-r-s128.strace") > 9000
    assert _fast_lines("py-threads-f-ttt.strace") > 1200
    assert _fast_lines("18-iputils-ping-relative-T-stdout-interleaved.log") >= 5
    assert _fast_lines("getent-dns-timeout-f-tt-T-yy.strace") > 100
    assert _fast_lines("ls-X-verbose.strace") > 200  # no pid and no stamp


# Real lines of exim-f-tt-T-yy.strace, put in orders the fixtures lack.
EXECVE = '14293 19:25:08.539948 execve("/usr/sbin/exim4", ["/usr/sbin/exim4", "-bdf"], 0x7fff4536f7f8 /* 37 vars */) = 0 <0.000368>'
CLONE = "14299 19:25:09.312687 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7fa3ec5e4c50) = 14300 <0.000360>"
START = "14299 19:25:09.307482 set_robust_list(0x7fa3ec5e4c60, 24 <unfinished ...>"
RESUMED = "14299 19:25:09.307538 <... set_robust_list resumed>) = 0 <0.000050>"
OTHER_RESUMED = "14299 19:25:09.307604 <... close resumed>) = 0 <0.000074>"
NO_PID = "19:25:09.331911 brk(NULL)         = 0x56362b524000 <0.000008>"
EXIT_GROUP = "14301 19:25:09.333710 exit_group(0)     = ?"
AFTER_MIDNIGHT = "14299 00:00:01.000100 brk(NULL)         = 0x56362b524000 <0.000008>"
FRAME = " > /usr/lib/x86_64-linux-gnu/libc.so.6(brk+0xb) [0xf5a4b]"
# The words of an attach message in a call's arguments, the call ending on the same line.
WRITE_MESSAGE = '14299 19:25:09.312700 write(2, "strace: Process 14300 attached\\n", 31) = 31 <0.000012>'
WRAPPED = "14293 19:25:08.540904 read(3, 0x7ffd, 832) = -1 EAGAIN (Resource"
# Real lines of a mail-wrapped trace: rt_sigaction wrapped twice, a resumed
# half wrapped in its errno text, a wrapped signal line, and a line of its own.
MAIL = (CORPUS / "23-lkml-seccomp-email-decoded-wrapped.log").read_text().splitlines()
TWICE_WRAPPED = MAIL[48:51]
RESUMED_ERRNO_WRAPPED = [MAIL[52], MAIL[58], MAIL[59]]
SIGNAL_WRAPPED = MAIL[60:62]
KILL = MAIL[56]

SEQUENCES = {
    "clone first": [CLONE, NO_PID],
    "clone after a line": [EXECVE, CLONE, NO_PID],
    "start and resume": [START, RESUMED],
    "resume of another call": [START, OTHER_RESUMED],
    "resume without start": [RESUMED, EXECVE],
    "two starts": [START, START, RESUMED],
    "start never resumed": [EXECVE, START],
    "no duration": [EXIT_GROUP, EXECVE],
    "midnight wrap": [CLONE, AFTER_MIDNIGHT, START, RESUMED],
    "stack frame after": [EXECVE, FRAME, CLONE],
    "wrapped errno": [WRAPPED, "temporarily unavailable) <0.000010>", EXECVE],
    "blank lines": ["", EXECVE, "   ", CLONE],
    "message words in arguments": [WRITE_MESSAGE, EXECVE],
    "glued message": [EXECVE[:60] + "strace: Process 14300 attached", EXECVE[60:]],
    # A join of the two lines that does not parse is undone, then the fast loop stores a start.
    "undone join then start": [EXECVE[:60], ") = garbage", START],
    "summary table after": [EXECVE, "% time     seconds  usecs/call     calls    errors syscall", EXECVE],
    "wrapped twice": TWICE_WRAPPED + [EXECVE],
    "resumed errno wrapped": RESUMED_ERRNO_WRAPPED + [EXECVE],
    "signal wrapped": SIGNAL_WRAPPED + [EXECVE],
    # A held wrap that no line ends is read again alone before the line of its own.
    "held wrap undone": TWICE_WRAPPED[:2] + [KILL, START, RESUMED],
}


@pytest.mark.parametrize("lines", list(SEQUENCES.values()), ids=list(SEQUENCES))
def test_fast_reader_sequence_same_events(lines):
    got, expected, got_counts, expected_counts = _both_paths(lines)
    assert got == expected
    assert got_counts == expected_counts


@pytest.mark.parametrize("lines", list(SEQUENCES.values()), ids=list(SEQUENCES))
def test_block_reader_sequence_same_events(lines):
    _, expected, _, expected_counts = _both_paths(lines)
    got, got_counts = _block_path(lines)
    assert got == expected
    assert got_counts == expected_counts


def test_message_words_in_arguments_one_call():
    events = list(parse_lines([WRITE_MESSAGE]))
    assert [(event.kind, event.syscall) for event in events] == [("syscall", "write")]


def test_fast_reader_text_same_events():
    # read_lines over a text stream, as parse() reads a string.
    lines = list(read_lines(io.StringIO("\n".join([EXECVE, START, RESUMED]) + "\n")))
    got, expected, _, _ = _both_paths(lines)
    assert got == expected


# Real lines with CRLF ends, a CR inside a line, invalid UTF-8 and multibyte
# characters, and no line end at the very end.
MIXED_BYTES = (
    EXECVE.encode() + b"\r\n" + START.encode() + b"\r\r\n\n" + b'14299 19:25:09.31 write(1, "\xc3\xa9t\xe9\r", 5) = 5\n'
    + b"\xe2\x82\n" + RESUMED.encode() + b"\r"
)


@pytest.mark.parametrize("block", [1, 2, 3, 5, 64, 1 << 20])
def test_read_lines_blocks_same_lines(monkeypatch, block):
    # Blocks that end inside a multibyte character or between CR and LF.
    monkeypatch.setattr("straceparse.parser._BLOCK", block)
    by_line = [raw.decode("utf-8", "surrogateescape") for raw in io.BytesIO(MIXED_BYTES)]
    expected = [raw[:-1] if raw.endswith("\n") else raw for raw in by_line]
    expected = [raw[:-1] if raw.endswith("\r") else raw for raw in expected]
    assert list(read_lines(io.BytesIO(MIXED_BYTES))) == expected


# Fields new_syscall leaves at their defaults: the parser adds frames and hexdumps later.
NOT_TAKEN = ("stack", "dump", "dump_buffers", "_args")


@pytest.mark.parametrize("lines", [[START, RESUMED], [RESUMED], [CLONE], [START]], ids=["merged", "resumed", "whole", "unfinished"])
def test_new_syscall_every_field(lines):
    event = list(parse_lines(lines))[0]
    keywords = {field.name: getattr(event, field.name) for field in attrs.fields(Syscall) if field.name not in NOT_TAKEN}
    # Values no other field has, so a field set from the wrong keyword shows.
    keywords.update(comm="exim4", pid_inferred=True, ip=0x7F52679D5B47, syscall_number=56)
    keywords.update(end_timestamp=69909.307538, end_time=156309.307538)
    built = new_syscall(**keywords)
    expected = Syscall(**keywords)
    assert type(built) is Syscall
    for field in attrs.fields(Syscall):
        assert getattr(built, field.name) == getattr(expected, field.name), field.name


def test_new_syscall_by_position():
    event = list(parse_lines([CLONE]))[0]
    built = new_syscall(
        event.pid, event.timestamp, event.timestamp_kind, event.time, event.lines, event.raw, event.file,
        event.layout, event.syscall, event.args_text, event.retval, event.errno, event.retval_text, event.duration,
    )
    assert type(built) is Syscall
    for field in attrs.fields(Syscall):
        assert getattr(built, field.name) == getattr(event, field.name), field.name


def test_new_syscall_frozen():
    event = list(parse_lines([CLONE]))[0]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event.pid = 1


# Real lines of several dialects, for orders and damage the fixtures lack.
def _sample_lines():
    middles = (
        "exim-f-r-s128.strace", "exim-f-tt-T-yy.strace", "sh-spawn-f-tt-T-stderr.strace", "py-threads-f-ttt.strace",
        "ls-missing-f-r-stderr-piped.strace", "ls-X-verbose.strace",
    )
    # Attach messages, hexdumps, -k frames, a -C table, -t -r stamps, a -ff file, mail-wrapped pastes.
    starts = (
        "exim-f-r-s128-stderr.strace", "gzip-blob-s4096-hexdump-read3-write1.strace", "curl-k-network.strace",
        "sh-signals-C-f-r.strace", "py-storm-compute-t-r.strace", "exim.14349",
        "py-vectored-io-f-tt-T-read-write.strace", "23-lkml-seccomp-email-quoted-printable-wrapped.log",
        "23-lkml-seccomp-email-decoded-wrapped.log",
    )
    sample = []
    for names, start, end in ((middles, 100, 160), (starts, 0, 60)):
        for name in names:
            path = [path for path in STRACE_FILES if path.name == name][0]
            with open_trace(path) as handle:
                sample.extend(list(read_lines(handle))[start:end])
    return sample


SAMPLE_LINES = _sample_lines()
damaged_line = st.tuples(st.sampled_from(SAMPLE_LINES), st.integers(min_value=0, max_value=300), st.text(max_size=3)).map(
    lambda item: item[0][: item[1]] + item[2] + item[0][item[1] + len(item[2]) :]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(SAMPLE_LINES), damaged_line), max_size=12))
def test_three_readers_agree_on_damaged_lines(lines):
    lines = [line.replace("\n", " ").replace("\r", " ") for line in lines]
    got, expected, got_counts, expected_counts = _both_paths(lines)
    blocks, block_counts = _block_path(lines)
    assert got == expected
    assert blocks == expected
    assert got_counts == expected_counts
    assert block_counts == expected_counts
