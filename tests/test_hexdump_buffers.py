"""Hexdumps of calls with several buffers: `` * N bytes in buffer I`` headers and the bytes under them.

The lines come from fixtures/captures/hexdump/, made with strace 6.1 under
``-e write=all -e read=all`` on ``writev``, ``readv``, ``sendmsg`` and
``recvmsg`` over pipes and a Unix socket pair.
"""

from __future__ import annotations

import io

import pytest
from conftest import CAPTURES

from straceparse import Syscall, Unparsed, parse, parse_lines

TRACE = CAPTURES / "hexdump" / "py-vectored-io-f-tt-T-read-write.strace"
SINGLE_BUFFER_TRACE = CAPTURES / "binary" / "gzip-blob-s4096-hexdump-read3-write1.strace"


@pytest.fixture(scope="module")
def events():
    return list(parse(TRACE))


@pytest.fixture(scope="module")
def lines():
    return TRACE.read_text().splitlines()


def _call_at(events, line):
    return [event for event in events if isinstance(event, Syscall) and event.lines[0] == line][0]


# (first line of the call, syscall, the bytes of each buffer, every line the call cites)
BUFFER_CASES = [
    # writev(1, [{iov_base="abc", iov_len=3}, {iov_base="defgh", iov_len=5}], 2) = 8
    (1, "writev", (b"abc", b"defgh"), (1, 2, 3, 4, 5)),
    # writev(4, [{... iov_len=39}, {iov_base="", iov_len=0}, {iov_base="second", iov_len=6}], 3) = 45:
    # strace stops at the empty buffer, so only buffer 0 is dumped.
    (7, "writev", (b"first buffer, longer than sixteen bytes",), (7, 8, 9, 10, 11)),
    # readv(3, [{iov_base="first buffer, longer", iov_len=20}, {... iov_len=40}], 2) = 45
    (12, "readv", (b"first buffer, longer", b" than sixteen bytessecond"), (12, 13, 14, 15, 16, 17, 18)),
    # sendmsg(5, {msg_name=NULL, ..., msg_iov=[{iov_base="header:", ...}, ...], ...}, 0) = 26
    (20, "sendmsg", (b"header:", b"body of the message"), (20, 21, 22, 23, 24, 25)),
    # recvmsg(6, {..., msg_iov=[{iov_base="head", iov_len=4}, {..., iov_len=64}], ...}, 0) = 26
    (26, "recvmsg", (b"head", b"er:body of the message"), (26, 27, 28, 29, 30, 31)),
    # 13604 readv(5,  <unfinished ...> ... <... readv resumed>[...], 2) = 9, after the writev below
    (33, "readv", (b"fr", b"om main"), (33, 39, 40, 41, 42, 43)),
    # writev(6, [{iov_base="from ", iov_len=5}, {iov_base="main", iov_len=4}], 2) = 9
    (34, "writev", (b"from ", b"main"), (34, 35, 36, 37, 38)),
]
CASE_IDS = ["line-%d-%s" % (case[0], case[1]) for case in BUFFER_CASES]


@pytest.mark.parametrize("line, syscall, buffers, cited", BUFFER_CASES, ids=CASE_IDS)
def test_buffers_kept_per_header(events, line, syscall, buffers, cited):
    call = _call_at(events, line)
    assert call.syscall == syscall
    assert call.dump_buffers == buffers


@pytest.mark.parametrize("line, syscall, buffers, cited", BUFFER_CASES, ids=CASE_IDS)
def test_buffers_dump_is_joined(events, line, syscall, buffers, cited):
    assert _call_at(events, line).dump == b"".join(buffers)


@pytest.mark.parametrize("line, syscall, buffers, cited", BUFFER_CASES, ids=CASE_IDS)
def test_buffers_cite_header_lines(events, line, syscall, buffers, cited):
    assert _call_at(events, line).lines == cited


@pytest.mark.parametrize("line, syscall, buffers, cited", BUFFER_CASES, ids=CASE_IDS)
def test_buffers_render_back(events, lines, line, syscall, buffers, cited):
    assert _call_at(events, line).render() == [lines[number - 1] for number in cited]


def test_buffers_trace_all_parsed(events):
    assert [event.lines for event in events if isinstance(event, Unparsed)] == []


def test_buffers_json_form(events):
    data = _call_at(events, 1).to_dict()
    assert data["dump_hex"] == b"abcdefgh".hex()
    assert data["dump_buffers_hex"] == [b"abc".hex(), b"defgh".hex()]


def test_single_buffer_dump_has_no_buffers():
    read = [event for event in parse(SINGLE_BUFFER_TRACE) if isinstance(event, Syscall) and event.dump is not None][0]
    assert read.dump_buffers is None
    assert "dump_buffers_hex" not in read.to_dict()


def _parse_text(text_lines):
    return list(parse_lines(io.StringIO("\n".join(text_lines) + "\n")))


# Real lines 1-5 (writev of "abc" and "defgh") with one line changed, and the
# line that then stays out of the call.  Each rejected line is reported on its
# own and cited once.
WRITEV = [
    '13603 22:57:04.674384 writev(1, [{iov_base="abc", iov_len=3}, {iov_base="defgh", iov_len=5}], 2) = 8 <0.000018>',
    " * 3 bytes in buffer 0",
    " | 00000  61 62 63                                          abc              |",
    " * 5 bytes in buffer 1",
    " | 00000  64 65 66 67 68                                    defgh            |",
]
REJECTED_HEADERS = [
    ("index skips a buffer", 3, " * 5 bytes in buffer 2"),
    ("index repeats", 3, " * 5 bytes in buffer 0"),
    ("empty buffer", 3, " * 0 bytes in buffer 1"),
    ("before buffer 0 is complete", 2, " * 5 bytes in buffer 1"),
    ("extra spaces", 3, " *  5 bytes in buffer 1"),
]


@pytest.mark.parametrize("case, index, header", REJECTED_HEADERS, ids=[case[0] for case in REJECTED_HEADERS])
def test_bad_header_stays_out(case, index, header):
    text = list(WRITEV)
    text[index] = header
    events = _parse_text(text)
    call = events[0]
    assert index + 1 not in call.lines
    cited = sorted(number for event in events for number in event.lines)
    assert cited == [1, 2, 3, 4, 5]


def test_dump_line_past_header_count():
    # Buffer 0 announces 2 bytes but its dump line has 3.
    text = list(WRITEV)
    text[1] = " * 2 bytes in buffer 0"
    events = _parse_text(text)
    assert events[0].lines == (1, 2)
    assert [event.reason for event in events[1:]] == ["orphan-frame", "orphan-frame", "orphan-frame"]


def test_header_without_call_is_orphan():
    (event,) = _parse_text([" * 3 bytes in buffer 0"])
    assert event.reason == "orphan-frame"


def test_header_after_single_dump_stays_out():
    # A dump without a header is a single buffer, so a header cannot follow it.
    events = _parse_text([WRITEV[0], WRITEV[2], WRITEV[3], WRITEV[4]])
    assert events[0].dump == b"abc"
    assert events[0].dump_buffers is None
    assert events[0].lines == (1, 2)


def test_log_cut_inside_buffer():
    # The log ends before buffer 1's dump line: the call keeps the header and
    # an empty buffer 1, and renders that header with the count it has (0).
    events = _parse_text(WRITEV[:4])
    (call,) = events
    assert call.lines == (1, 2, 3, 4)
    assert call.dump_buffers == (b"abc", b"")
    assert call.render()[3] == " * 0 bytes in buffer 1"


# (lines, the detail of the unparsed event for the last line)
ORPHAN_DETAILS = [
    ([WRITEV[1]], "no call before this line"),
    ([WRITEV[0], " * 3 bytes in buffer 1"], "does not continue the frames or hexdump of the event before this line"),
]


@pytest.mark.parametrize("text, detail", ORPHAN_DETAILS, ids=["no call", "wrong index"])
def test_orphan_header_detail(text, detail):
    assert _parse_text(text)[-1].detail == detail
