"""Streaming strace text into events.

In: lines of ``strace`` output (a path, a file object, or any iterable of
lines).  Out: an iterator of :mod:`straceparse.events` objects, one per line
or per merged ``<unfinished ...>``/``<... resumed>`` pair, in the order the
calls ended.  Every non-blank line lands in the ``lines`` of exactly one
event.  Memory stays flat: the parser keeps the unfinished call of each pid,
the last event (so ``-k`` frames and hexdumps that follow it can be added)
and at most one line waiting for its continuation.  Bad lines become
:class:`~straceparse.events.Unparsed` events and parsing goes on; no
exception escapes for bad input.

Strategy: each line's envelope (pid, timestamp, syscall name, argument text,
return value, ``-T`` duration) is split with regexes and string methods,
which is an order of magnitude faster than the grammar: one regex over each
block of a file gives the fields of the common lines (``StraceParser._read``),
and the general reader (``StraceParser.feed``) takes the rest.  The argument text is
parsed by the grammar only on the first access to ``Syscall.args``.  A line
the split does not recognise goes through the grammar's ``line`` rule, which
either explains why it is bad or shows that the split has a gap.  A line cut
short (by program output, an attach message, a debug line or a wrap) is
joined with its continuation only when the joined arguments parse with the
grammar, so a bad line never takes a good neighbour with it.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import itertools
import logging
import lzma
import os
import re
import sys
from typing import IO, Dict, Iterable, Iterator, List, Optional, Tuple, Union

import attrs

from .errors import InputError, ParseError
from .events import Event, Exit, Message, Signal, StackFrame, Syscall, Unparsed, _SyscallDraft, new_syscall
from .layout import LineLayout, render_buffer_header, render_dump_line, render_logical_lines
from .summary import SummaryTableReader

__all__ = ["parse", "parse_file", "parse_lines", "open_trace", "read_lines"]

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- the envelope

# Everything before the event on a line, each part optional, in strace's order:
#   indentation (pasted logs), the pid ("[pid  5173] " to stderr, "14166 " with
#   -o, either with "<comm>" under -Y), the timestamp (-r and -ttt "0.000605",
#   -t/-tt "19:25:08.539948", -t -r "19:25:08 (+ 0.000123)", integer seconds
#   with precision:s), -i "[00007f52679d5b47] " and -n "[  0] ".
_PREFIX = re.compile(
    r"(?P<indent>[ \t]*)"
    r"(?:\[pid(?P<pid_pad> +)(?P<bracket_pid>\d+)(?:<(?P<bracket_comm>[^<>\n]*)>)?\]"
    r"|(?P<pid>\d+)(?:<(?P<comm>[^<>\n]*)>)?(?= ))?"
    r"(?P<pid_gap> *)"
    r"(?:(?P<stamp>\d+\.\d+|\d\d:\d\d:\d\d(?:\.\d+)?|\d+)"
    r"(?: \(\+(?P<delta_pad> *)(?P<delta>\d+\.\d+)\))?(?P<stamp_gap> +))?"
    # strace prints the -n syscall number before the -i instruction pointer.
    r"(?:\[(?P<nr> *\d+)\](?P<nr_gap> +))?"
    r"(?:\[(?P<ip>[0-9a-f]{8,}|\?{8,})\](?P<ip_gap> +))?"
)
_PID_MAX = 4194304  # PID_MAX_LIMIT on 64-bit Linux: a larger bare integer is a -ttt stamp
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ERRNO = re.compile(r"E[A-Z0-9_]+\Z")
_EXITED = re.compile(r"\+\+\+ exited with (-?\d+) \+\+\+\Z")
_KILLED = re.compile(r"\+\+\+ killed by (\w+)( \(core dumped\))? \+\+\+\Z")
_STOPPED = re.compile(r"--- stopped by (\w+) ---\Z")
_PROCESS_MESSAGE = re.compile(
    r"strace: Process (?P<pid>\d+) (?P<action>attached|detached)(?: with (?P<threads>\d+) threads)?"
)
_GLUED_MESSAGE = "strace: Process "
# The start of a line cut by an attach message, after its prefix: a call or a resumed half.
# Prose that quotes "strace: Process N attached" does not, and stays one unparsed line.
_CALL_HEAD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\(|<\.\.\. ")
_UNFINISHED = " <unfinished ...>"
_EPOCH_MIN = 100000000.0  # a -r delta is never this large; a -ttt stamp always is
# A float keeps a -ttt stamp of today's epoch seconds exact to the microsecond, not to the nanosecond.
_EXACT_EPOCH_DIGITS = 6
_DAY = 86400.0
_FORKS = frozenset(("clone", "clone3", "fork", "vfork"))
# Return values the fast loop reads from a table: a dict lookup costs a third of int(), and
# -1, 0 and small fds and sizes are 85% of the return values in the benchmark log.
_SMALL_RETVALS = {str(value): value for value in range(-1, 1024)}

# -k:   > /usr/lib/x86_64-linux-gnu/libc.so.6(poll+0x10) [0xfc230]
# -kk:  > /usr/lib64/libc.so.6(exit+0x1d) [0x402ed] /usr/src/debug/glibc/stdlib/exit.c:141
_FRAME = re.compile(
    r"(?P<indent>[ \t]*)> (?P<module>[^(]*)\((?P<function>.*?)(?:\+0x(?P<offset>[0-9a-f]+))?\)"
    r" \[0x(?P<address>[0-9a-f]+)\](?: (?P<source>.+))?\Z"
)
# -e read=3:  | 00000  7f 45 4c 46 02 01 01 03  00 00 00 00 00 00 00 00  .ELF............ |
_DUMP = re.compile(r" \| (?P<offset>[0-9a-f]{5,}) (?P<hex>(?: +[0-9a-f]{2}){1,16}) ")
# -e write=1 on writev(1, [{iov_base="abc", iov_len=3}, {iov_base="defgh", iov_len=5}], 2):
#  * 3 bytes in buffer 0
#  | 00000  61 62 63                                          abc              |
#  * 5 bytes in buffer 1
#  | 00000  64 65 66 67 68                                    defgh            |
_BUFFER_HEADER = re.compile(r" \* (?P<size>[0-9]+) bytes in buffer (?P<index>[0-9]+)\Z")
# strace -d:  [wait(0x057f) = 23] WIFSTOPPED,sig=SIGTRAP, glued onto a call's line or alone
_DEBUG_GLUE = re.compile(r" \[wait\(0x[0-9a-f]+\) = \d+\] \S+\Z")
_DEBUG_LINE = re.compile(
    r"(?: \[wait\(0x[0-9a-f]+\) = \d+\] |new tcb for pid |pid \d+ has TCB_|ignored SIG\w+ on pid |"
    r"not a syscall entry |PTRACE_\w+ doesn't work)"
)
# strace -c:  % time     seconds  usecs/call     calls    errors syscall
_SUMMARY_LINE = re.compile(
    r"(?:% time +seconds|-{6} -{11}|syscall +calls +errors|-{16,} -{8,}|"
    r" *\d+\.\d\d +\d+\.\d{6} +\d+ +\d+ +(?:\d+ +)?\w+\Z|\w+ +\d+ +(?:\d+ +)?\d+\.\d\d +\d+\.\d{6} )"
)
_QUOTED_PRINTABLE = "=3D"
_CUT_AFTER_PREFIX = re.compile(r"[0-9:. ]*")  # what may follow a pid on a line cut short: part of a stamp
# The starts of a line that continues a call strace was cut off from:
# ", child_tidptr=...) = 14166", ") = 3", " <unfinished ...>", " => {parent_tid=[24405]}, 88) = 24405".
_CONTINUATIONS = "),"
_CONTINUATION_WORDS = ("<unfinished ...>", "=> ")
# The pid and stamp in front of a call, which _PRINTS and _COPIES step over.
_CALL_PREFIX = r"(?:\[pid +\d+\] +|\d+ +)?[\d.: ()+]*"
# Calls that copy a file's bytes to fd 1 or 2 without the bytes in their arguments,
# as cat does: "copy_file_range(3, NULL, 1, NULL, 9223372035781033984, 0hello".
_COPY_NAMES = ("sendfile", "sendfile64", "copy_file_range", "splice")
_COPY_CALL = r"(?:sendfile(?:64)?\([12][<,]|(?:copy_file_range|splice)\(\d+(?:<[^<>]*>)?, [^,]*, [12][<,])"
_COPIES = re.compile(_CALL_PREFIX + _COPY_CALL)
_COPY_NAME = re.compile(r"\b(?:%s)\(" % "|".join(_COPY_NAMES))
# The calls _inline_output reads, which the fast loop leaves to it when their arguments do not end in a digit.
_INLINE_PRINTS = frozenset(("write",) + _COPY_NAMES)
_OUTPUT_CALLS = re.compile("|".join(name + r"\(" for name in sorted(_INLINE_PRINTS)))
# A call that prints what the traced program writes: only after one of these
# may lines of program output come between the call's start and its end.
_PRINTS = re.compile(_CALL_PREFIX + r"(?:(?:write|writev|pwrite64|pwritev2?)\([12][<,]|" + _COPY_CALL + ")")
# Output the traced program printed into the line of its own write, when strace and the
# program share a terminal or pipe: 'write(2, "ls: ", 4ls: )       = 4'.  Groups: the
# count, the output, the spaces before "=" and the return value.
_INLINE_OUTPUT = re.compile(r"\bwrite\([12](?:<[^<>]*>)?, .*, (\d+)(\D.*)\)( +)= (\d+)")
_FOLLOWERS = ("> ", "| ", "* ")  # how -k frame, hexdump and buffer header lines start, after their indentation
_MAX_NOISE = 64  # program-output lines allowed between a call's start and its continuation
_CUT_DURATION = re.compile(r" <\d*\.?\d*\Z")  # a -T duration that the end of the line cut off
_MAX_WRAPS = 16  # middle lines a mail client's wraps may leave in one call before its last line
_MAX_SHAPES = 4096  # cached prefix shapes and layouts, so garbage input cannot grow the caches past this

# The line shape of most logs, ``strace -f -tt -T``: a pid (bare with -o, as
# "[pid  N]" on stderr, none without -f or in -ff files), a -t/-tt clock and a
# call, one space apart, like
# "25371 19:55:00.440943 brk(NULL) = 0x56436f855000 <0.000008>" or
# "[pid 18157] 21:53:13.602997 <... set_robust_list resumed>) = 0 <0.000016>".
# StraceParser reads these lines without the general prefix regex; any line
# it cannot finish goes through the general path, which gives the same events.
# One regex takes the whole line: the prefix, then the arguments up to the last
# ") = " and what follows it ("-1 ENOENT (No such file or directory) <0.000008>":
# a plain number or "?", an errno, a note in parentheses and a -T duration), or up
# to " <unfinished ...>".  No "=", "<" or ">" may come after the "= ", so the greedy
# argument group stops at the same "= " as _split_call, and _split_result would find
# the same duration.  Other ends (-y decorations, <unavailable>) go to those functions.
# Each optional part is written "(?:X|)", not "(?:X)?", because Python's re saves every
# group mark before each try of a "?" that contains groups.  The branch form took the
# benchmark log's rows from 1.24 to 1.01 us a line (CPU time, 2-core AMD EPYC).
# Groups, in order: the line, pid, [pid] padding, [pid] pid, and the spaces after the
# pid (or before the stamp or call of a line without one).  Then the "HH:MM" and the
# seconds of a -t/-tt stamp, a -r or -ttt stamp, name, resumed name, arguments and the
# spaces before "=".  Then what follows "= ": a decimal return value without a leading
# 0 (or 0 itself), another return value, errno, duration and the duration's fraction.
# What follows the "= " of a whole call of the fast shape.
_CALL_END = (
    r"((?:(-?[1-9][0-9]*|0(?![\dx]))|(-?\d+|0x[0-9a-f]+|\?))(?: (E[A-Z0-9_]+)|)(?: \([^=<>\n]*\)|))"
    r"(?: <(\d+\.(\d+))>|)"
)
_FAST_ROW = (
    r"((?:(\d+)(?= )|\[pid( +)(\d+)\]|)( *)(?:(\d\d:\d\d):(\d\d(?:\.\d+|)) |(\d+\.\d+) |)"
    r"(?:([A-Za-z_][A-Za-z0-9_]*)\(|<\.\.\. ([A-Za-z_][A-Za-z0-9_]*) resumed>)"
    r"(.*)(?:\)( +)= " + _CALL_END + r"| <unfinished \.\.\.>))"
)
_FAST_LINE = re.compile(_FAST_ROW + r"\Z")
# The same over a block of lines: findall gives one row per line, the last group
# holding a line of any other shape.  Taking a block's rows in one call spares
# the line split, a match call and a groups() call per line.
_FAST_ROWS = re.compile(r"^(?:" + _FAST_ROW + r"|(.*))$", re.MULTILINE)
_OTHER_ROW = ("",) * 18  # the fields of a row for a line of another shape, before the line
_FAST_TAIL = re.compile(_CALL_END + r"\Z")  # the end of a whole call, after its last " = "


def _clock_seconds(text: str) -> float:
    return int(text[0:2]) * 3600 + int(text[3:5]) * 60 + float(text[6:])


def _parse_int(text: str) -> Optional[int]:
    try:
        return int(text, 0)
    except ValueError:
        try:
            return int(text, 8) if text.startswith("0") else None
        except ValueError:
            return None


def split_retval(text: str) -> Tuple[Optional[int], Optional[str], str, Optional[float]]:
    """Split what follows ``= `` into (retval, errno, retval_text, duration).

    ``-1 ENOENT (No such file or directory)`` gives (-1, "ENOENT", the text,
    None); ``0 (Timeout) <0.200306>`` gives (0, None, "0 (Timeout)", 0.200306);
    ``8<TCP:[...]>`` gives (8, None, the text, None); ``?`` gives a None retval.
    """
    return _split_result(text)[:4]


def _split_result(text: str) -> Tuple[Optional[int], Optional[str], str, Optional[float], int, bool]:
    """Return :func:`split_retval`'s four values, the duration's digits (-1 if none) and whether it was ``<unavailable>``."""
    duration = None
    digits = -1
    unavailable = False
    if text[-1:] == ">":
        start = text.rfind(" <")
        if start >= 0:
            inner = text[start + 2 : -1]
            whole, dot, fraction = inner.partition(".")
            # The -T duration, digits.digits.  str.isdecimal() accepts what \d does (Unicode category Nd)
            # and, with partition, took 0.17 us per line where the regex match took 0.29 us.
            if dot and whole.isdecimal() and fraction.isdecimal():
                duration = float(inner)
                digits = len(fraction)
                text = text[:start]
            elif inner == "unavailable":
                unavailable = True
                text = text[:start]
    head, _, rest = text.partition(" ")
    decoration = head.find("<")
    number = head if decoration < 0 else head[:decoration]
    retval = None if number == "?" else _parse_int(number)
    errno = None
    if rest and rest[0] == "E":
        word = rest.partition(" ")[0]
        if _ERRNO.match(word):
            errno = word
    return retval, errno, text, duration, digits, unavailable


def _fraction_digits(text: str) -> int:
    dot = text.find(".")
    return 0 if dot < 0 else len(text) - dot - 1


# ---------------------------------------------------------------- the parser


class _Start:
    """The first half of a call split by ``<unfinished ...>``, waiting for its end."""

    __slots__ = ("syscall", "args_text", "lines", "raw", "timestamp", "kind", "time", "layout", "cuts", "number")

    def __init__(self, syscall, args_text, lines, raw, timestamp, kind, time, layout, cuts, number):
        self.syscall = syscall
        self.args_text = args_text
        self.lines = lines
        self.raw = raw
        self.timestamp = timestamp
        self.kind = kind
        self.time = time
        self.layout = layout
        self.cuts = cuts
        self.number = number


class _Open:
    """A call's line that stopped before its end, waiting for the line that continues it.

    ``head`` is the text so far, ``glued`` what was printed into it and cut
    off (program output, an attach message, a debug line), ``noise`` how many
    lines of program output came since.  ``wraps`` contains the (number, raw)
    of the lines a mail client wrapped off the call that are already joined
    into ``head`` with a space, and ``cuts`` the cut of each in ``head``.
    ``tried`` is the number of the last line whose join did not parse.
    """

    __slots__ = ("number", "head", "raw", "glued", "noise", "noise_bytes", "message", "wraps", "cuts", "tried")

    def __init__(self, number, head, raw, glued="", message=None):
        self.number = number
        self.head = head
        self.raw = raw
        self.glued = glued
        self.noise = 0
        self.noise_bytes = 0  # the UTF-8 bytes of those lines, each with its line end
        self.message = message
        self.wraps: Tuple[Tuple[int, str], ...] = ()
        self.cuts: tuple = ()
        self.tried: Optional[int] = None


class _Line:
    """The envelope fields of one line, passed to the event builders."""

    __slots__ = (
        "pid", "explicit", "comm", "inferred", "timestamp", "kind", "time", "ip", "nr", "shape", "end", "lines", "raw",
        "cuts", "clock", "stamp_text",
    )


class StraceParser:
    """Turns strace lines into events, one line at a time.

    Feed lines with :meth:`feed` (each yields zero or more events) and call
    :meth:`finish` at the end to flush what is still open.  One parser reads
    one log: ``-r`` sums, midnight wraps and the set of live pids are kept
    per parser.
    """

    def __init__(self, file: str = "<string>", pid: Optional[int] = None) -> None:
        self.file = file
        self.default_pid = pid
        self._starts: Dict[Optional[int], _Start] = {}
        self._clock = 0.0  # running sum of -r deltas
        self._delta_clock: Optional[float] = None  # the same under -t -r, started at the first time of day
        self._stamp_clock: Optional[float] = None  # under -t -r, the time of day the last stamp printed
        self._day = 0.0  # days added to -t/-tt stamps after midnight wraps
        self._last_clock: Optional[float] = None
        self._held: Optional[Event] = None  # the last event, open to -k frames and hexdumps
        # Hexdump lines of the held call, joined into it by _settle() only when it is released:
        # adding each line to the frozen event at once made long dumps quadratic.  Under
        # " * N bytes in buffer I" headers, _dump_parts and _dump_size are those of the
        # current buffer, _dump_buffers contains the buffers before it and _dump_expected is its N.
        self._dump_parts: Optional[List[bytes]] = None
        self._dump_size = 0
        self._dump_buffers: Optional[List[bytes]] = None
        self._dump_expected = 0
        self._dump_lines: List[int] = []
        self._dump_raw: List[str] = []
        self._open: Optional[_Open] = None
        self._layouts: Dict[tuple, LineLayout] = {}
        self._shapes: Dict[tuple, tuple] = {}
        self._names: set = set()  # syscall names seen, so the name check is a set lookup
        self._live: set = set()  # pids that printed and have not exited, in a -f log
        self._prefixed = False  # a line carried a pid: this is a -f log
        self._tables = SummaryTableReader(file)  # strace -c/-C summary tables
        self._fast_layouts: Dict[tuple, LineLayout] = {}
        self._durations: Dict[str, float] = {}  # -T duration texts read by the fast loop, and their values
        self.lines = 0
        self.unparsed = 0
        self.fast_lines = 0  # lines read by the fast loop in read(), a count for tests

    # -- timestamps

    def _stamp(self, text: str, delta: Optional[str]) -> Tuple[float, str, float]:
        """Read a timestamp; the clock state it moves is kept only when its line parses (see :meth:`_learn`)."""
        if text[2:3] == ":":
            seconds = _clock_seconds(text)
            day = self._day
            if self._last_clock is not None and seconds + day < self._last_clock - _DAY / 2:
                day += _DAY
            time = seconds + day
            if delta is not None:
                # -t -r: the delta has the finer tick, so the running sum of deltas,
                # started at the first line's time of day, is the event's time.
                self._stamp_clock = time
                if self._delta_clock is not None:
                    time = self._delta_clock + float(delta)
                return float(delta), "relative", time
            return seconds, "clock", time
        value = float(text)
        if value >= _EPOCH_MIN:
            return value, "epoch", value
        return value, "relative", self._clock + value

    # -- lines

    def read(self, lines: Iterable[str]) -> Iterator[Event]:
        """Parse every line of ``lines`` (no line ends, numbered from 1), then flush what is still open.

        This gives what :meth:`feed` for each line and :meth:`finish` give.
        """
        match = _FAST_LINE.match
        other = _OTHER_ROW

        def rows() -> Iterator[Tuple[str, ...]]:
            for raw in lines:
                found = match(raw)
                yield found.groups("") + ("",) if found is not None else other + (raw,)

        return self._read(rows())

    def read_blocks(self, texts: Iterable[str]) -> Iterator[Event]:
        """Parse blocks of lines, each a ``str`` of whole lines joined by ``\\n`` (see :func:`read_texts`).

        The events are those :meth:`read` gives for the same lines.
        """
        return self._read(itertools.chain.from_iterable(map(_FAST_ROWS.findall, texts)))

    def _read(self, rows: Iterable[Tuple[str, ...]]) -> Iterator[Event]:
        """Parse rows of :data:`_FAST_ROWS` fields, one per line, then flush what is still open.

        Lines of the fast shape are read here: a bare or ``[pid N]`` pid or
        none, a ``-t``/``-tt``, ``-r`` or ``-ttt`` stamp or none, and a call
        whose return value is a number with an optional errno, note and
        ``-T`` duration, or an ``<unfinished ...>``/``<... resumed>`` half of
        one (``PID HH:MM:SS.ffffff call(...) = ret <duration>``, most lines
        of most logs).  The loop keeps the parser's state in local variables.
        Any other line goes to :meth:`feed`, with the state written back
        before and read again after.  The loop is long because each call and
        attribute lookup it saves is paid a million times a log.  This loop
        and the rows of :data:`_FAST_ROWS` took the envelope parse of the
        benchmark log from 3.9 to 3.1 us a line (CPU time,
        benchmarks/bench_parse.py's 1M-line log, 2-core AMD EPYC).
        """
        starts = self._starts
        live = self._live
        layouts = self._fast_layouts
        durations = self._durations
        small_retvals = _SMALL_RETVALS
        printing = _INLINE_PRINTS
        new_draft = object.__new__
        draft = _SyscallDraft
        file = self.file
        # The state feed() shares, held in locals between its calls.
        general = self._open is not None or self._tables.active
        held = self._held
        day = self._day
        last_clock = self._last_clock
        clock = self._clock
        prefixed = self._prefixed
        minute = None  # "HH:MM" of the last fast line, with its seconds since midnight
        minute_seconds = 0
        layout_key = layout = None
        dumping = self._dump_parts is not None  # hexdump lines wait to be joined into the held call
        synced = False  # True while feed() runs: the state is in self, not in the locals
        number = fed = 0
        inexact = -1 - _EXACT_EPOCH_DIGITS  # the stamp code of a -ttt stamp with more digits than a float keeps
        last_pid_text = last_pid = None  # the last bare pid's text and value
        last_live = None  # the pid the last fast line added to live
        try:
            for number, (
                raw, pid_text, pid_pad, bracket_pid, space, minute_text, clock_text, stamp, name, resumed, args_text,
                spaces, retval_text,
                decimal, number_text, errno, duration_text, fraction, other,
            ) in enumerate(rows, 1):
                # An attach message or an strace -d wait status glued into a line ends
                # it, so such a line has no call's end and is a line of another shape.
                fast = False
                if raw and not general:
                    # The layout key's pid field: None for a bare pid, spaces for "[pid  N]", "" for none.
                    if pid_text:
                        if pid_text != last_pid_text:
                            last_pid = int(pid_text)
                            last_pid_text = pid_text
                        pid = last_pid
                        pid_pad = None
                        # Without a stamp, an integer too large for a pid is an -ttt stamp of whole seconds.
                        fast = True if clock_text or stamp else pid <= _PID_MAX
                    elif bracket_pid:
                        pid = int(bracket_pid)
                        fast = True
                    elif not prefixed:
                        # A -f log that printed pids leaves the pid of this line to the general path.
                        pid = self.default_pid
                        fast = True
                    if not fast:
                        pass
                    elif not retval_text:
                        # <unfinished ...>: a second start, or a resumed half cut again, is the general path's.
                        if resumed or pid in starts:
                            fast = False
                    elif name in printing and not args_text[-1:].isdigit():
                        fast = False  # output the program printed into the line: see _inline_output
                    elif resumed:
                        start = starts.get(pid)
                        if start is None or start.syscall != resumed or "<unfinished ...>" in raw:
                            fast = False
                        else:
                            name = resumed
                if not fast:
                    # The general path, with the state it shares written back and read again after.
                    self._held, self._day, self._last_clock, self._clock, self._prefixed = (
                        held, day, last_clock, clock, prefixed
                    )
                    synced = True
                    fed += 1
                    yield from self.feed(number, raw or other)
                    synced = False
                    last_pid_text = last_live = None
                    held, day, last_clock, clock, prefixed = (
                        self._held, self._day, self._last_clock, self._clock, self._prefixed
                    )
                    # A join the general path undid put back copies of these two.
                    starts, live = self._starts, self._live
                    general = self._open is not None or self._tables.active
                    dumping = self._dump_parts is not None
                    minute = None
                    continue

                # The stamp, as _stamp and _learn read it: a -t/-tt clock in two groups (the
                # minute "HH:MM" and the seconds), or a -r or -ttt number in a third.  Regex
                # groups cost less than slicing the stamp here.
                if minute_text:
                    if minute_text != minute:
                        # A new minute.  A midnight wrap changes the minute, so the wrap test runs only here.
                        minute = minute_text
                        minute_seconds = int(minute_text[0:2]) * 3600 + int(minute_text[3:5]) * 60
                        seconds = minute_seconds + float(clock_text)
                        if last_clock is not None and seconds + day < last_clock - _DAY / 2:
                            day += _DAY
                    else:
                        seconds = minute_seconds + float(clock_text)
                    kind = "clock"
                    time = seconds + day
                    last_clock = time
                    stamp_code = len(clock_text) + 6
                elif stamp:
                    # -r deltas add up to the time; -ttt gives it.  Neither moves the -t/-tt clock.
                    seconds = float(stamp)
                    if seconds >= _EPOCH_MIN:
                        kind = "epoch"
                        time = seconds
                    else:
                        kind = "relative"
                        time = clock = clock + seconds
                    stamp_code = stamp.find(".") - len(stamp)  # -1 minus the digits of the fraction
                else:
                    seconds = time = kind = None
                    stamp_code = 0
                fork_parent = prefixed  # as the general path reads it: before this line's pid counts
                if pid_text or bracket_pid:
                    if pid != last_live:
                        live.add(pid)
                        last_live = pid
                    prefixed = True
                # An <unfinished ...> half has no spaces before "=" and no duration: its key
                # is that of a call with one space and no -T.
                key = (pid_pad, space, stamp_code, spaces or " ", len(fraction))
                if key != layout_key:
                    layout_key = key
                    layout = layouts.get(key) or self._fast_layout(key)
                if stamp_code < inexact and kind == "epoch":
                    # The float loses the stamp's last digits, so the printed stamp rides on the layout.
                    layout_key = None
                    layout = attrs.evolve(layout, stamp_text=stamp)
                if not retval_text:
                    starts[pid] = _Start(name, args_text, (number,), (raw,), seconds, kind, time, layout, (), None)
                    continue
                # A decimal without a leading 0 (or 0 itself) needs no base guessing: int() alone is a third of
                # _parse_int's time.
                retval = small_retvals.get(decimal)
                if retval is None:
                    retval = int(decimal) if decimal else _parse_int(number_text)
                if duration_text:
                    # A log repeats few -T durations (5,897 texts in the 1M-line benchmark log, the
                    # 1,000 most common on 99% of its calls), and a dict lookup costs a fifth of float().
                    duration = durations.get(duration_text)
                    if duration is None:
                        duration = float(duration_text)
                        if len(durations) >= _MAX_SHAPES:
                            durations.clear()
                        durations[duration_text] = duration
                else:
                    duration = None
                if fork_parent and name in _FORKS and retval is not None and retval > 0:
                    live.add(retval)
                event = new_draft(draft)
                # new_syscall's stores, inline: the call cost 0.07 us a line, and 0.2 us by keyword.
                if resumed:
                    del starts[pid]
                    event.timestamp = start.timestamp
                    event.timestamp_kind = start.kind
                    event.time = start.time
                    event.lines = start.lines + (number,)
                    event.raw = start.raw + (raw,)
                    event.layout = (start.layout, layout)
                    event.cuts = start.cuts
                    event.syscall_number = start.number
                    event.args_text = start.args_text + args_text
                    event.split = len(start.args_text)
                    event.end_timestamp = seconds
                    event.end_time = time
                else:
                    event.timestamp = seconds
                    event.timestamp_kind = kind
                    event.time = time
                    event.lines = (number,)
                    event.raw = (raw,)
                    event.layout = (layout,)
                    event.cuts = ()
                    event.syscall_number = None
                    event.args_text = args_text
                    event.split = None
                    event.end_timestamp = None
                    event.end_time = None
                event.pid = pid
                event.comm = None
                event.pid_inferred = False
                event.ip = None
                event.file = file
                event.syscall = name
                event.retval = retval
                event.errno = errno or None
                event.retval_text = retval_text
                event.duration = duration
                event.started = True
                event.finished = True
                event.stack = ()
                event.dump = None
                event.dump_buffers = None
                event._args = None
                event.__class__ = Syscall
                # Held back like every event, for -k frames and hexdumps that may follow.
                if dumping:
                    self._held = held
                    self._settle()
                    held = self._held
                    dumping = False
                if held is not None:
                    yield held
                held = event
        finally:
            if not synced:
                self._held, self._day, self._last_clock, self._clock, self._prefixed = (
                    held, day, last_clock, clock, prefixed
                )
            self.lines += number - fed
            self.fast_lines += number - fed
        yield from self.finish()

    def _fast_layout(self, key: Tuple[Optional[str], str, int, str, int]) -> LineLayout:
        """Build and keep the layout :meth:`_layout` gives a line of the :data:`_FAST_ROWS` shape.

        ``key`` holds the pid's padding (None for a bare pid, empty for no
        pid), the spaces after the pid (before the stamp when there is no
        pid), the stamp's code (the length of a -t/-tt stamp, -1 minus the
        fraction digits of a -r or -ttt stamp, 0 for none), the spaces
        before ``=`` and the digits of the ``-T`` duration (0 for none).  The
        shape fixes everything else.
        """
        pid_pad, spaces, stamp_code, eq_spaces, duration_digits = key
        space, eq_gap = len(spaces), len(eq_spaces)
        indent = ""
        if pid_pad is None:
            pid_form, pad, gap = "bare", 0, space
        elif pid_pad:
            pid_form, pad, gap = "bracket", len(pid_pad), space
        else:
            pid_form, pad, gap, indent = "", 0, 0, " " * space
        stamp_gap = 1
        if stamp_code < 0:
            stamp_form, digits = "seconds", -1 - stamp_code
        elif stamp_code:
            stamp_form, digits = "clock", stamp_code - 9 if stamp_code > 8 else 0  # "HH:MM:SS.ffffff" or "HH:MM:SS"
        else:
            stamp_form, digits, stamp_gap = "", -1, 0
        layout = LineLayout(
            indent, pid_form, pad, gap, stamp_form, digits, 0, -1, stamp_gap, 0, 0, 0, 0, eq_gap,
            duration_digits or -1, False,
        )
        if len(self._fast_layouts) < _MAX_SHAPES:
            self._fast_layouts[key] = layout
        return layout

    def feed(self, number: int, raw: str) -> Iterator[Event]:
        """Parse one line (``number`` is 1-based, ``raw`` has no line end)."""
        if not raw or raw.isspace():
            return
        self.lines += 1
        if raw[:1] == " " and raw.lstrip()[:2] in _FOLLOWERS:
            if self._attach(number, raw):
                return
            if _FRAME.match(raw) or _DUMP.match(raw) or _BUFFER_HEADER.match(raw):
                if self._held is None:
                    detail = "no call before this line"
                else:
                    detail = "does not continue the frames or hexdump of the event before this line"
                yield from self._emit([self._unparsed(number, raw, "orphan-frame", detail)])
                return
        if self._dump_parts is not None:
            self._settle()
        held = self._held
        if (
            held is not None
            and held.kind == "syscall"
            and held.retval_text[-1:] != ")"
            and "(" in held.retval_text
            and self._open is None
            and self._rewrap(held, number, raw)
        ):
            return
        yield from self._emit(self._line(number, raw))

    def _emit(self, events: List[Event]) -> List[Event]:
        """Return the held event and all of ``events`` but the last, which is held for frames that may follow."""
        if not events:
            return events
        if self._dump_parts is not None:
            self._settle()
        held = self._held
        self._held = events.pop()
        if held is not None:
            events.insert(0, held)
        return events

    def finish(self) -> Iterator[Event]:
        """Flush what is still open when the log ends: calls that never resumed, an unfinished line."""
        events: List[Event] = []
        if self._dump_parts is not None:
            self._settle()
        if self._held is not None:
            events.append(self._held)
            self._held = None
        table = self._tables.finish()
        if table is not None:
            events.append(table)
        events.extend(self._close_all())
        starts, self._starts = self._starts, {}
        for pid, start in starts.items():
            events.append(self._never_resumed(pid, start))
        yield from events

    def _line(self, number: int, raw: str) -> List[Event]:
        """Return the events one line completes, in order."""
        if self._tables.active:
            consumed, table = self._tables.feed(number, raw)
            if consumed:
                return [table] if table is not None else []
            if table is not None:
                return [table] + self._line(number, raw)
        opened = self._open
        if opened is not None:
            return self._continue(opened, number, raw)
        cut = raw.find(_GLUED_MESSAGE)
        if cut > 0 and _CALL_HEAD.match(raw, _PREFIX.match(raw).end()) and not _ends_call(raw, cut):
            return self._glued_message(number, raw, cut)
        if "] WIF" in raw:
            debug = _DEBUG_GLUE.search(raw)
            if debug is not None and debug.start() > 0:
                # strace -d printed a wait status into the call's line; the call ends on a later line.
                self._open = _Open(number, raw[: debug.start()], raw, raw[debug.start() :])
                return []
        if _OUTPUT_CALLS.search(raw):
            inline = _inline_output(raw)
            if inline is not None:
                # The output is kept as a cut, so the event still renders back to the line.
                position, output = inline
                text = raw[:position] + raw[position + len(output) :]
                events = self._parse(number, text, (number,), (raw,), ((0, position, output, None),))
                if events is not None:
                    return events
        events = self._parse(number, raw, (number,), (raw,), ())
        if events is None:
            return self._rejected(number, raw)
        return events

    def _glued_message(self, number: int, raw: str, cut: int) -> List[Event]:
        # strace printed "Process N attached" in the middle of a call's line,
        # and the call goes on at the start of the next line.  The call owns
        # this line, and the message is an event of its own that cites it as `inside`.
        message = self._parse_message(number, raw[cut:])
        self._open = _Open(number, raw[:cut], raw, raw[cut:], message)
        return [message] if message is not None else []

    def _parse_message(self, number: int, text: str) -> Optional[Message]:
        line = self._envelope(text)
        if line is None:
            return None
        body = text[line.end :]
        line.lines, line.raw, line.cuts = (), (), ()
        message = self._message(line, body)
        return attrs.evolve(message, inside=number) if message is not None else None

    def _attach(self, number: int, raw: str) -> bool:
        """Add a ``-k`` frame or a hexdump line to the last event; return False when ``raw`` is neither."""
        held = self._held
        if held is None or self._open is not None:
            return False
        stripped = raw.lstrip()
        if stripped[:2] == "> " and isinstance(held, (Syscall, Exit, Signal)):
            if self._dump_parts is not None:
                self._settle()
                held = self._held
            match = _FRAME.match(raw)
            if match is None:
                return False
            offset = match.group("offset")
            function = match.group("function")
            frame = StackFrame(
                match.group("module"),
                function if function or offset else None,
                int(offset, 16) if offset else None,
                int(match.group("address"), 16),
                match.group("source"),
                match.group("indent"),
            )
            self._held = attrs.evolve(
                held, stack=held.stack + (frame,), lines=held.lines + (number,), raw=held.raw + (raw,)
            )
            return True
        if stripped[:2] == "| " and isinstance(held, Syscall) and not held.stack:
            match = _DUMP.match(raw)
            if match is None:
                return False
            data = bytes(int(byte, 16) for byte in match.group("hex").split())
            if self._dump_parts is None:
                if held.dump_buffers is not None:
                    return False  # a buffer's lines come after its header, which reopens the dump
                self._dump_parts = [held.dump] if held.dump else []
                self._dump_size = len(held.dump or b"")
            offset = match.group("offset")
            # Only the new line is rendered: rendering the whole dump again made long dumps quadratic.
            if int(offset, 16) != self._dump_size or render_dump_line(self._dump_size, data, len(offset)) != raw:
                return False
            if self._dump_buffers is not None and self._dump_size + len(data) > self._dump_expected:
                return False  # more bytes than the buffer's header announced
            self._dump_parts.append(data)
            self._dump_size += len(data)
            self._dump_lines.append(number)
            self._dump_raw.append(raw)
            return True
        if stripped[:2] == "* " and isinstance(held, Syscall) and not held.stack:
            return self._attach_buffer_header(held, number, raw)
        return False

    def _attach_buffer_header(self, held: Syscall, number: int, raw: str) -> bool:
        """Start the next buffer of the held call's hexdump at a `` * N bytes in buffer I`` line.

        strace numbers the buffers from 0 and stops at the first empty one.
        So the header is taken only when ``I`` is the next index and ``N`` is
        not 0, and only after the buffer before it got all its announced bytes.
        """
        match = _BUFFER_HEADER.match(raw)
        if match is None:
            return False
        size = int(match.group("size"))
        index = int(match.group("index"))
        if self._dump_parts is None:
            if held.dump is not None and held.dump_buffers is None:
                return False  # a hexdump without headers is a single buffer
            buffers = list(held.dump_buffers or ())
        elif self._dump_buffers is None or self._dump_size != self._dump_expected:
            return False
        else:
            buffers = self._dump_buffers
            buffers.append(b"".join(self._dump_parts))
        if index != len(buffers) or size == 0 or render_buffer_header(size, index) != raw:
            if self._dump_parts is not None:
                buffers.pop()
            return False
        self._dump_buffers = buffers
        self._dump_parts = []
        self._dump_size = 0
        self._dump_expected = size
        self._dump_lines.append(number)
        self._dump_raw.append(raw)
        return True

    def _settle(self) -> None:
        """Join the hexdump lines gathered for the held call into it, in one step."""
        held = self._held
        parts, self._dump_parts = self._dump_parts, None
        buffers, self._dump_buffers = self._dump_buffers, None
        if self._dump_lines:
            if buffers is None:
                self._held = attrs.evolve(
                    held,
                    dump=b"".join(parts),
                    lines=held.lines + tuple(self._dump_lines),
                    raw=held.raw + tuple(self._dump_raw),
                )
            else:
                # NOTE: a log cut inside a buffer's dump leaves that buffer shorter than its
                # header announced, and the header then renders with the shorter count.
                buffers.append(b"".join(parts))
                self._held = attrs.evolve(
                    held,
                    dump=b"".join(buffers),
                    dump_buffers=tuple(buffers),
                    lines=held.lines + tuple(self._dump_lines),
                    raw=held.raw + tuple(self._dump_raw),
                )
        self._dump_size = 0
        self._dump_expected = 0
        self._dump_lines = []
        self._dump_raw = []

    # -- continuations

    def _rewrap(self, held: Syscall, number: int, raw: str) -> bool:
        """Join ``raw`` onto the last call when a wrap cut its errno text: ``(Resource`` / ``temporarily unavailable)``.

        The call may be a resumed half merged with its start, or a call
        already joined from wrapped lines: the errno text ends its last
        logical line, where the new cut goes.
        """
        text = held.retval_text
        if text.count("(") <= text.count(")"):
            return False
        layout = held.layout[-1]
        if held.duration is not None or layout.unavailable or held.stack or held.dump is not None:
            return False
        if _PREFIX.match(raw).end() > 0 or "(" in raw or raw.startswith(("--- ", "+++ ", "strace: ")):
            return False
        after = held.retval_text + " " + raw
        retval, errno, retval_text, duration, digits, unavailable = _split_result(after)
        if retval_text.count("(") != retval_text.count(")"):
            return False
        logical = render_logical_lines(held)
        self._held = attrs.evolve(
            held,
            retval_text=retval_text,
            duration=duration,
            lines=held.lines + (number,),
            raw=held.raw + (raw,),
            layout=held.layout[:-1] + (attrs.evolve(layout, duration_digits=digits, unavailable=unavailable),),
            cuts=held.cuts + ((len(logical) - 1, len(logical[-1]), "", " "),),
        )
        return True

    def _continue(self, opened: _Open, number: int, raw: str) -> List[Event]:
        """Handle a line while a call's line waits for its continuation."""
        if raw[:1] in _CONTINUATIONS or raw.lstrip().startswith(_CONTINUATION_WORDS):
            joined = self._join(opened, number, raw, "")
            if joined is not None:
                return joined
        else:
            own = self._parse(number, raw, (number,), (raw,), ())
            if own is not None:
                return self._close_all() + own
            if opened.message is not None:
                # An attach message cut the call after ", ": the next argument starts this line.
                joined = self._join(opened, number, raw, "")
                if joined is not None:
                    return joined
            prints = _PRINTS.match(opened.head) is not None
            if prints:
                joined = self._join_output_end(opened, number, raw)
                if joined is not None:
                    return joined
            if opened.noise == 0 and not opened.glued:
                joined = self._join(opened, number, raw, " ")
                if joined is not None:
                    return joined
                if not prints and self._hold_wrap(opened, number, raw):
                    return []
            if own is None and opened.noise < _MAX_NOISE and prints and _noise_reason(raw) is None:
                opened.noise += 1
                opened.noise_bytes += _utf8_length(raw) + 1
                opened.tried = None  # the line is the program's output, not the call's end
                return [self._unparsed(number, raw, "program-output", "printed while line %d waited for its end" % opened.number)]
        events = self._close_open()
        if self._open is not None:
            # A line held as a wrap, replayed alone, started a call of its own that this line may continue.
            return events + self._continue(self._open, number, raw)
        rest = self._parse(number, raw, (number,), (raw,), ())
        return events + (rest if rest is not None else self._rejected(number, raw))

    def _hold_wrap(self, opened: _Open, number: int, raw: str) -> bool:
        """Join ``raw`` into a call's line that still has no end, as a middle line of a call wrapped twice or more.

        A mail client that wraps a long call leaves lines with no prefix
        between its first line and its last.  ``raw`` is held only when it
        has no prefix of its own and the call's argument text so far, with
        ``raw`` joined by a space, is the start of an argument list the
        grammar can finish.  The call is taken only if a later line ends it
        and the whole joined text parses.  Otherwise :meth:`_close_open`
        reads the held lines again one by one.
        """
        if opened.message is not None or len(opened.wraps) >= _MAX_WRAPS or _PREFIX.match(raw).end() > 0:
            return False
        if _noise_reason(raw) is not None:
            return False
        from .grammar import is_arguments_prefix

        text = opened.head + " " + raw
        arguments = self._arguments_so_far(text)
        if arguments is None or not is_arguments_prefix(arguments):
            return False
        opened.cuts += ((0, len(opened.head), "", " "),)
        opened.wraps += ((number, raw),)
        opened.head = text
        opened.tried = None
        return True

    def _arguments_so_far(self, text: str) -> Optional[str]:
        """Return the argument text of a call's line that stops before its end, or None when ``text`` is no such line.

        For a resumed half the start's arguments come first, and for a
        signal line it is the siginfo so far.
        """
        body = text[_PREFIX.match(text).end() :]
        if body.startswith("<... "):
            end = body.find(" resumed>")
            if end < 0:
                return None
            start = self._starts.get(self._envelope(text).pid)
            before = start.args_text if start is not None and start.syscall == body[5:end] else ""
            return before + body[end + len(" resumed>") :]
        if body.startswith("--- "):
            return body[4:].partition(" ")[2]
        open_paren = body.find("(")
        if open_paren <= 0 or not _NAME.match(body[:open_paren]):
            return None
        return body[open_paren + 1 :]

    def _join_output_end(self, opened: _Open, number: int, raw: str) -> Optional[List[Event]]:
        """Join the line that ends a call printing to fd 1 or 2 after the last of its output: ``two) = 7``.

        The program's output did not end with a line end, so the call's
        ``)`` follows it on the same line.  Taken only when the output's
        bytes, from the call's first line to this one, add up to the return
        value.
        """
        split = _split_call(raw, 0)
        if split is None or not split[0] or opened.glued or opened.message is not None:
            return None
        tail, rest = split[0], split[1]
        count = rest.partition(" ")[0]
        if not count.isdigit():
            return None
        tail_bytes = _utf8_length(tail)
        head, glued = _strip_glued(opened.head, raw[len(tail) :], opened.noise_bytes + tail_bytes)
        if _utf8_length(glued) + 1 + opened.noise_bytes + tail_bytes != int(count):
            return None
        return self._join(opened, number, raw, "", tail)

    def _join(self, opened: _Open, number: int, raw: str, joiner: str, tail: str = "") -> Optional[List[Event]]:
        """Join ``raw`` to the call's line that waits for it; ``tail`` is program output that starts ``raw``."""
        rest = raw[len(tail) :]
        head, glued = opened.head, opened.glued
        if not glued and opened.message is None:
            head, glued = _strip_glued(head, rest, opened.noise_bytes + _utf8_length(tail))
        text = head + joiner + rest
        cuts = opened.cuts + ((0, len(head), glued, joiner),)
        if tail:
            # The output that starts the line goes back in front of the call's ")".
            cuts += ((0, len(head) + len(joiner), tail, None),)
        # A join is undone when its arguments do not parse, so the state it changed is restored.
        saved = (
            dict(self._starts), set(self._live), self._prefixed, self._clock, self._delta_clock, self._day,
            self._last_clock,
        )
        wrapped = tuple(wrap[0] for wrap in opened.wraps)
        lines = (opened.number,) + wrapped + (number,)
        raws = (opened.raw,) + tuple(wrap[1] for wrap in opened.wraps) + (raw,)
        events = self._parse(opened.number, text, lines, raws, cuts)
        if events is None or not _arguments_parse(events, self._starts.get(self._envelope(text).pid)):
            (
                self._starts, self._live, self._prefixed, self._clock, self._delta_clock, self._day,
                self._last_clock,
            ) = saved
            opened.tried = number
            return None
        self._open = None
        return events

    def _close_open(self) -> List[Event]:
        """Report the waiting call's line as ``incomplete`` and read the lines held as its wraps again, alone."""
        opened, self._open = self._open, None
        if opened is None:
            return []
        first = opened.wraps[0][0] if opened.wraps else opened.tried
        if opened.tried is not None:
            detail = "the line stops before the call's end, and the call joined with %s does not parse" % _line_span(
                first, opened.tried
            )
        elif opened.wraps:
            detail = "the line stops before the call's end, and no line after %s ends the call" % _line_span(
                first, opened.wraps[-1][0]
            )
        else:
            detail = "the line stops before the call's end and no line continues it"
        events: List[Event] = [self._unparsed(opened.number, opened.raw, "incomplete", detail)]
        for number, raw in opened.wraps:
            events.extend(self._line(number, raw))
        return events

    def _close_all(self) -> List[Event]:
        """Close the waiting call's line, and any that a line held as its wrap starts when it is read again alone."""
        events: List[Event] = []
        while self._open is not None:
            events.extend(self._close_open())
        return events

    # -- one logical line

    def _envelope(self, raw: str) -> _Line:
        """Split the prefix off ``raw``: pid, comm, timestamp, ``-i`` and ``-n`` fields, and the prefix's shape."""
        match = _PREFIX.match(raw)
        shape = self._shapes.get(match.regs)
        if shape is None:
            shape = self._shape(match)
        pid_form, stamp_form, has_pointers, _ = shape
        groups = match.groups()
        line = _Line()
        line.shape = shape
        line.end = match.end()
        line.inferred = False
        if pid_form == "bracket":
            line.pid, line.comm, line.explicit = int(groups[2]), groups[3], True
        elif pid_form:
            line.pid, line.comm, line.explicit = int(groups[4]), groups[5], True
        else:
            line.comm, line.explicit = None, False
            if self._prefixed and len(self._live) == 1:
                # strace -f stops printing the pid when one process is left.
                line.pid = next(iter(self._live))
                line.inferred = True
            else:
                line.pid = self.default_pid
        if stamp_form:
            # An integer epoch stamp alone matched as a pid: _shape saw that it is too large for one.
            stamp = groups[7] or groups[4]
            line.timestamp, line.kind, line.time = self._stamp(stamp, groups[9])
            line.clock = self._stamp_clock if groups[9] is not None else None
            line.stamp_text = stamp if line.kind == "epoch" and _fraction_digits(stamp) > _EXACT_EPOCH_DIGITS else None
        else:
            line.timestamp = line.kind = line.time = line.stamp_text = None
        if has_pointers:
            nr, ip = groups[11], groups[13]
            line.ip = int(ip, 16) if ip is not None and ip[0] != "?" else None
            line.nr = int(nr) if nr is not None else None
        else:
            line.ip = line.nr = None
        return line

    def _shape(self, match: "re.Match[str]") -> tuple:
        """Describe a prefix shape not seen before: (pid form, stamp form, has -i/-n fields, layout key).

        Lines of one log share a few shapes, keyed by the spans of the
        prefix's groups, so this runs a handful of times per log.
        """
        indent, pid_pad, bracket_pid, _, pid_text, _, pid_gap, stamp, delta_pad, delta, stamp_gap = match.groups()[:11]
        ip, ip_gap, nr, nr_gap = match.group("ip", "ip_gap", "nr", "nr_gap")
        if bracket_pid is not None:
            pid_form = "bracket"
        elif pid_text is not None:
            pid_form = "bare"
        else:
            pid_form = ""
        stamp_text = stamp
        if pid_form == "bare" and stamp is None and int(pid_text) > _PID_MAX:
            # "1796412345 write(..." under -ttt with precision:s: a stamp, not a pid
            pid_form, stamp_text, stamp_gap, pid_gap = "", pid_text, pid_gap, ""
        stamp_form, stamp_digits, delta_digits = "", -1, -1
        if stamp_text is not None:
            stamp_digits = _fraction_digits(stamp_text)
            if stamp_text[2:3] == ":":
                stamp_form = "clock" if delta is None else "clock_delta"
                if delta is not None:
                    delta_digits = _fraction_digits(delta)
            else:
                stamp_form = "seconds"
        key = (
            indent,
            pid_form,
            len(pid_pad) if pid_pad else 0,
            len(pid_gap),
            stamp_form,
            stamp_digits,
            len(delta_pad) if delta_pad else 0,
            delta_digits,
            len(stamp_gap) if stamp_gap else 0,
            len(ip) if ip else 0,
            len(ip_gap) if ip_gap else 0,
            len(nr) if nr else 0,
            len(nr_gap) if nr_gap else 0,
        )
        shape = (pid_form, stamp_form, ip is not None or nr is not None, key)
        if len(self._shapes) < _MAX_SHAPES:
            self._shapes[match.regs] = shape
        return shape

    def _remember(self, name: str) -> None:
        if len(self._names) < _MAX_SHAPES:
            self._names.add(name)

    def _layout(self, line: _Line, eq_gap: int = 1, duration_digits: int = -1, unavailable: bool = False) -> LineLayout:
        key = (line.shape, eq_gap, duration_digits, unavailable)
        layout = self._layouts.get(key)
        if layout is None:
            layout = LineLayout(*line.shape[3], eq_gap, duration_digits, unavailable)
            if len(self._layouts) < _MAX_SHAPES:
                self._layouts[key] = layout
        clock = getattr(line, "clock", None)
        if clock is not None:
            # Under -t -r the event's time is the sum of deltas, so the printed time of day rides on the layout.
            layout = attrs.evolve(layout, clock=clock)
        stamp_text = getattr(line, "stamp_text", None)
        if stamp_text is not None:
            layout = attrs.evolve(layout, stamp_text=stamp_text)
        return layout

    def _parse(self, number: int, raw: str, lines, raws, cuts) -> Optional[List[Event]]:
        """Return the events of one logical line, or None when the fast split rejects it."""
        line = self._envelope(raw)
        line.lines, line.raw, line.cuts = lines, raws, cuts
        body = raw[line.end :]
        first = body[:1]
        if first == "<" and body.startswith("<... "):
            return self._learn(line, self._resumed(line, body))
        if first == "-" and body.startswith("--- "):
            event = self._signal(line, body)
        elif first == "+" and body.startswith("+++ "):
            event = self._exit(line, body)
            if event is not None:
                self._learn(line, [event])
                self._live.discard(event.pid)
                return [event]
        elif first == "s" and body.startswith("strace: "):
            event = self._message(line, body)
        else:
            return self._learn(line, self._syscall(line, body))
        return self._learn(line, [event] if event is not None else None)

    def _learn(self, line: _Line, events: Optional[List[Event]]) -> Optional[List[Event]]:
        """Keep the set of live pids that lets a line without a pid be given one."""
        if events is None:
            return None
        kind = line.kind
        if kind is not None:
            if kind == "relative" and line.shape[1] == "seconds":
                self._clock = line.time
            elif kind == "relative":
                self._delta_clock = line.time
            if kind != "epoch" and line.shape[1] != "seconds":
                self._day = line.time - (line.time % _DAY)
                self._last_clock = line.time
        if line.explicit:
            self._prefixed = True
            self._live.add(line.pid)
        return events

    def _rejected(self, number: int, raw: str) -> List[Event]:
        """Handle a line the fast split rejected: a summary table's start, a line to continue, or noise."""
        consumed, _ = self._tables.feed(number, raw)
        if consumed:
            return []
        reason = _noise_reason(raw)
        if reason is not None:
            return [self._unparsed(number, raw, reason, "")]
        if self._may_continue(raw):
            self._open = _Open(number, raw, raw)
            return []
        unmarked = self._unmarked_resume(number, raw)
        if unmarked is not None:
            return unmarked
        if _CUT_DURATION.search(raw) and " = " in raw:
            return [self._unparsed(number, raw, "incomplete", "the line stops inside its -T duration")]
        return [self._explain(number, raw)]

    def _unmarked_resume(self, number: int, raw: str) -> Optional[List[Event]]:
        """Read ``raw`` as the end of the call the line before it left ``<unfinished ...>``, if it is one.

        strace 6.1 with ``-z`` prints that end on the next line with neither a
        pid nor ``<... name resumed>``: ``)                = 0``.  Taken only
        when the line has no prefix and the joined arguments parse.
        """
        if _PREFIX.match(raw).end() != 0:
            return None
        found = [(pid, start) for pid, start in self._starts.items() if start.lines[-1] == number - 1]
        if len(found) != 1:
            return None
        pid, start = found[0]
        line = self._envelope(raw)
        line.pid, line.explicit, line.inferred = pid, False, False
        line.lines, line.raw, line.cuts = (number,), (raw,), ()
        saved = dict(self._starts), set(self._live)
        events = self._resumed(line, "<... %s resumed>%s" % (start.syscall, raw))
        if not events or len(events) != 1 or not _arguments_parse(events, None):
            self._starts, self._live = saved
            return None
        event = events[0]
        layouts = event.layout[:-1] + (attrs.evolve(event.layout[-1], resume_marker=False),)
        return [attrs.evolve(event, layout=layouts)]

    def _may_continue(self, raw: str) -> bool:
        """True when ``raw`` is the start of a call or signal line whose end may be on a later line."""
        match = _PREFIX.match(raw)
        body = raw[match.end() :]
        if body.startswith("--- "):
            # A signal line wrapped inside its siginfo: "--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER,".
            return body.count("{") > body.count("}")
        open_paren = body.find("(")
        if open_paren <= 0 or not _NAME.match(body[:open_paren]):
            return body.startswith("<... ") and " resumed>" in body
        return " = " not in body[open_paren:] or body.count("(") > body.count(")")

    def _never_resumed(self, pid: Optional[int], start: _Start) -> Syscall:
        return new_syscall(
            pid=pid,
            timestamp=start.timestamp,
            timestamp_kind=start.kind,
            time=start.time,
            lines=start.lines,
            raw=start.raw,
            file=self.file,
            layout=(start.layout,),
            cuts=start.cuts,
            syscall=start.syscall,
            syscall_number=start.number,
            args_text=start.args_text,
            split=len(start.args_text),
            retval=None,
            errno=None,
            retval_text="",
            duration=None,
            finished=False,
        )

    def _unparsed(self, number: int, raw: str, reason: str, detail: str, column=None, expected=()) -> Unparsed:
        self.unparsed += 1
        return Unparsed(
            lines=(number,), raw=(raw,), file=self.file, reason=reason, detail=detail, column=column, expected=tuple(expected)
        )

    def _explain(self, number: int, raw: str) -> Unparsed:
        from .grammar import parse_line_tree

        try:
            parse_line_tree(raw, file=self.file, line=number)
        except ParseError as error:
            column = error.column
            match = _PREFIX.match(raw)
            body = raw[match.end() :]
            open_paren = body.find("(")
            looks_like_call = open_paren > 0 and _NAME.match(body[:open_paren]) is not None
            if match.end() > 0 and _CUT_AFTER_PREFIX.fullmatch(body) and (match.group("pid") or match.group("bracket_pid")):
                # "14293 " or "14293 19:25:0": a log cut (head -c) right after a line's pid.
                return self._unparsed(number, raw, "incomplete", "the line stops after its pid", column, error.expected)
            reason = "syntax" if looks_like_call or body.startswith(("<... ", "--- ", "+++ ")) else "not-strace"
            return self._unparsed(number, raw, reason, error.reason, column, error.expected)
        # The grammar accepts what the fast split rejected: a gap in the split.
        log.debug("%s:%d: grammar accepts a line the envelope split rejects", self.file, number)
        return self._unparsed(number, raw, "syntax", "line shape not supported by the fast reader")

    def _syscall(self, line: _Line, body: str) -> Optional[List[Event]]:
        open_paren = body.find("(")
        if open_paren <= 0:
            return None
        name = body[:open_paren]
        if name not in self._names:
            if not _NAME.match(name):
                return None
            self._remember(name)
        pid = line.pid
        if body.endswith(_UNFINISHED):
            replaced = self._starts.get(pid)
            layout = self._layout(line)
            if line.comm is not None or layout.ip_width:
                # The merged call carries the -Y name and -i address of its resumed half, which an
                # exec or the return changes, so this half's own ride on its layout.
                layout = attrs.evolve(
                    layout,
                    comm_text="<%s>" % line.comm if line.comm is not None else "",
                    ip_text=_ip_text(line.ip, layout.ip_width) if layout.ip_width else None,
                )
            self._starts[pid] = _Start(
                name, body[open_paren + 1 : -len(_UNFINISHED)], line.lines, line.raw, line.timestamp, line.kind,
                line.time, layout, line.cuts, line.nr,
            )
            if replaced is not None:
                # A second start before the first resumed: the first never ended.
                return [self._never_resumed(pid, replaced)]
            return []
        split = _split_call(body, open_paren + 1)
        if split is None:
            return None
        args_text, after, eq_gap = split
        retval, errno, retval_text, duration, digits, unavailable = _split_result(after)
        if name in _FORKS and retval is not None and retval > 0 and self._prefixed:
            self._live.add(retval)
        return [
            new_syscall(
                pid=pid,
                comm=line.comm,
                pid_inferred=line.inferred,
                timestamp=line.timestamp,
                timestamp_kind=line.kind,
                time=line.time,
                ip=line.ip,
                lines=line.lines,
                raw=line.raw,
                file=self.file,
                layout=(self._layout(line, eq_gap, digits, unavailable),),
                cuts=line.cuts,
                syscall=name,
                syscall_number=line.nr,
                args_text=args_text,
                retval=retval,
                errno=errno,
                retval_text=retval_text,
                duration=duration,
            )
        ]

    def _resumed(self, line: _Line, body: str) -> Optional[List[Event]]:
        end = body.find(" resumed>", 5)
        if end < 0:
            return None
        name = body[5:end]
        if name not in self._names:
            if not _NAME.match(name):
                return None
            self._remember(name)
        tail = body[end + 9 :]
        finished = True
        marker = tail.find("<unfinished ...>")
        if marker >= 0 and tail[:marker].strip() == "":
            # "<... wait4 resumed> <unfinished ...>) = ?": the process died in the call.
            tail = tail[:marker] + tail[marker + len("<unfinished ...>") :]
            finished = False
        split = _split_call(tail, 0)
        if split is None:
            return None
        tail_args, after, eq_gap = split
        retval, errno, retval_text, duration, digits, unavailable = _split_result(after)
        pid = line.pid
        layout = self._layout(line, eq_gap, digits, unavailable)
        start = self._starts.pop(pid, None)
        if start is None and pid is not None:
            unprefixed = self._starts.get(None)
            if unprefixed is not None and unprefixed.syscall == name:
                # strace -f writing to stderr prints no pid until a second process exists, so a
                # fork's call starts unprefixed and resumes as "[pid  8360] <... vfork resumed>".
                start = self._starts.pop(None)
        before: List[Event] = []
        if start is not None and start.syscall != name:
            before = [self._never_resumed(pid, start)]
            start = None
        if name in _FORKS and retval is not None and retval > 0 and self._prefixed:
            self._live.add(retval)
        common = dict(
            pid=pid, comm=line.comm, pid_inferred=line.inferred, ip=line.ip, file=self.file, syscall=name,
            retval=retval, errno=errno, retval_text=retval_text, duration=duration, end_time=line.time,
            end_timestamp=line.timestamp, finished=finished,
        )
        if start is None:
            event = new_syscall(
                timestamp=line.timestamp, timestamp_kind=line.kind, time=line.time, lines=line.lines, raw=line.raw,
                layout=(layout,), cuts=line.cuts, args_text=tail_args, started=False, **common,
            )
        else:
            cuts = start.cuts + tuple((1,) + cut[1:] for cut in line.cuts)
            event = new_syscall(
                timestamp=start.timestamp, timestamp_kind=start.kind, time=start.time, lines=start.lines + line.lines,
                raw=start.raw + line.raw, layout=(start.layout, layout), cuts=cuts, syscall_number=start.number,
                args_text=start.args_text + tail_args, split=len(start.args_text), **common,
            )
        return before + [event]

    def _signal(self, line: _Line, body: str) -> Optional[Signal]:
        stopped = _STOPPED.match(body)
        if stopped:
            return Signal(signal=stopped.group(1), stopped=True, **self._fields(line))
        if not body.endswith(" ---"):
            return None
        inner = body[4:-4]
        name, _, info = inner.partition(" ")
        if not _NAME.match(name):
            return None
        return Signal(signal=name, info_text=info, **self._fields(line))

    def _exit(self, line: _Line, body: str) -> Optional[Exit]:
        exited = _EXITED.match(body)
        if exited:
            event = Exit(status=int(exited.group(1)), **self._fields(line))
        else:
            killed = _KILLED.match(body)
            if not killed:
                return None
            event = Exit(signal=killed.group(1), core_dumped=killed.group(2) is not None, **self._fields(line))
        return event

    def _message(self, line: _Line, body: str) -> Message:
        match = _PROCESS_MESSAGE.match(body)
        target = action = threads = None
        if match:
            target = int(match.group("pid"))
            action = match.group("action")
            threads = int(match.group("threads")) if match.group("threads") else None
            if action == "attached":
                self._live.add(target)
            else:
                self._live.discard(target)
        fields = self._fields(line)
        if line.inferred:
            # strace wrote the message itself: no traced process printed it.
            fields.update(pid=None, pid_inferred=False)
        return Message(text=body, action=action, target=target, threads=threads, **fields)

    def _fields(self, line: _Line) -> dict:
        return dict(
            pid=line.pid, comm=line.comm, pid_inferred=line.inferred, timestamp=line.timestamp,
            timestamp_kind=line.kind, time=line.time, ip=line.ip, syscall_number=line.nr, lines=line.lines,
            raw=line.raw, file=self.file, layout=(self._layout(line),), cuts=line.cuts,
        )


def _arguments_parse(events: List[Event], start: Optional[_Start]) -> bool:
    """True when the grammar reads the arguments of every call among ``events`` and the siginfo of every signal.

    With no events, the arguments of the unfinished ``start`` they stored are checked.
    """
    from .grammar import parse_arguments

    texts = [event.args_text for event in events if isinstance(event, Syscall)]
    texts += [event.info_text for event in events if isinstance(event, Signal) and event.info_text]
    if not events and start is not None:
        texts.append(start.args_text)
    for text in texts:
        try:
            parse_arguments(text)
        except ParseError:
            return False
    return True


def _line_span(first: int, last: int) -> str:
    """Name a run of line numbers: ``line 50`` or ``lines 50 to 52``."""
    return "line %d" % first if first == last else "lines %d to %d" % (first, last)


def _ip_text(ip: Optional[int], width: int) -> str:
    """Return an -i instruction pointer as strace prints it between brackets."""
    return "?" * width if ip is None else "%0*x" % (width, ip)


def _inline_output(raw: str) -> Optional[Tuple[int, str]]:
    """Find what a call printed to fd 1 or 2 into its own line: (where it starts, the output).

    For a ``write``, taken only when the count before the output equals the
    return value, as for a whole write.  For a call that copies a file
    (``copy_file_range(3, NULL, 1, NULL, 9223372035781033984, 0abc) = 3``),
    the output is the return value's bytes before the ``)``.  Either way the
    arguments must parse without the output but not with it; None otherwise.
    """
    match = _INLINE_OUTPUT.search(raw)
    if match is not None and match.group(1) == match.group(4):
        return _output_between(raw, match.start() + len("write("), match.start(2), match.end(2))
    name = _COPY_NAME.search(raw) if _COPIES.match(raw) else None
    if name is None:
        return None
    split = _split_call(raw, name.end())
    count = split[1].partition(" ")[0] if split is not None else ""
    if not count.isdigit():
        return None
    close = name.end() + len(split[0])  # where the ")" is
    encoded = raw[:close].encode("utf-8", "surrogateescape")
    size = int(count)
    if not 0 < size < len(encoded):
        return None
    position = len(encoded[:-size].decode("utf-8", "surrogateescape"))
    if position <= name.end():
        return None
    return _output_between(raw, name.end(), position, close)


def _output_between(raw: str, arguments: int, position: int, end: int) -> Optional[Tuple[int, str]]:
    """Return (position, the output) when ``raw[arguments:position]`` parses and ``raw[arguments:end]`` does not."""
    from .grammar import parse_arguments

    try:
        parse_arguments(raw[arguments:position])
    except ParseError:
        return None
    try:
        parse_arguments(raw[arguments:end])
    except ParseError:
        return position, raw[position:end]
    return None


def _ends_call(raw: str, cut: int) -> bool:
    """True when ``raw`` ends like a whole call after ``cut``: ``... = 0 <0.000008>`` or `` <unfinished ...>``.

    strace ends a line after an attach message it prints into a call.  A
    line that goes on to a call's end has the message's words in its
    arguments (a ``write`` of strace output), so it is a call like any other.
    """
    if raw.endswith(_UNFINISHED):
        return True
    equals = raw.rfind(" = ")
    return equals > cut and _FAST_TAIL.match(raw, equals + 3) is not None


def _noise_reason(raw: str) -> Optional[str]:
    """Classify a line that is known noise: a summary-table row, a debug line, mail encoding."""
    if _SUMMARY_LINE.match(raw):
        return "summary-table"
    if _DEBUG_LINE.match(raw):
        return "debug"
    if _QUOTED_PRINTABLE in raw:
        return "quoted-printable"
    return None


def _strip_glued(head: str, continuation: str, noise_bytes: int = 0) -> Tuple[str, str]:
    """Split text glued onto the end of a call's line off it: (the call's text, the glued text).

    A ``write`` whose output went to the same terminal ends
    ``..., 60127.0.0.1 - - ...`` where 60 is the count the continuation's
    ``) = 60`` returns; a debug line ends `` [wait(0x057f) = 23] WIFSTOPPED,...``.
    A call that copies a file to fd 1 or 2 (``copy_file_range``,
    ``sendfile``, ``splice``) has no count in its arguments: its output is
    the return value's bytes, less ``noise_bytes`` (the lines printed between
    the two halves) and the line end after the glued text.
    """
    debug = _DEBUG_GLUE.search(head)
    if debug:
        return head[: debug.start()], head[debug.start() :]
    equals = continuation.find("= ")
    if continuation[:1] == ")" and equals > 0:
        count = continuation[equals + 2 :].partition(" ")[0]
        if count.isdigit():
            if _COPIES.match(head):
                size = int(count) - 1 - noise_bytes
                encoded = head.encode("utf-8", "surrogateescape")
                if 0 < size < len(encoded):
                    cut = len(encoded[:-size].decode("utf-8", "surrogateescape"))
                    return head[:cut], head[cut:]
                return head, ""
            position = head.rfind(", " + count)
            if position > 0:
                end = position + 2 + len(count)
                return head[:end], head[end:]
    return head, ""


def _utf8_length(text: str) -> int:
    """Return how many bytes ``text`` took in the log (decoded as UTF-8 with surrogateescape)."""
    return len(text.encode("utf-8", "surrogateescape"))


def _split_call(text: str, start: int) -> Optional[Tuple[str, str, int]]:
    """Split ``args) = retval`` at the last ``) = `` into argument text, return text and the spaces before ``=``."""
    equals = text.rfind(" = ", start)
    if equals < 0:
        return None
    close = equals
    while close > start and text[close - 1] == " ":
        close -= 1
    if close <= start or text[close - 1] != ")":
        return None
    if _CUT_DURATION.search(text, equals):
        # "= 0 <0.": the line was cut inside its -T duration, so it is not a whole call.
        return None
    return text[start : close - 1], text[equals + 3 :], equals + 1 - close


# ---------------------------------------------------------------- input

Source = Union[str, "os.PathLike[str]", IO[bytes], IO[str], Iterable[str]]

_MAGIC = [
    (b"\x1f\x8b", gzip.open),
    (b"\xfd7zXZ\x00", lzma.open),
    (b"BZh", bz2.open),
]

_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

try:  # zstd only when the optional zstandard module is installed; it is not a dependency
    import zstandard
except ImportError:  # pragma: no cover - depends on the environment
    zstandard = None
else:  # pragma: no cover - depends on the environment
    _MAGIC.append((_ZSTD_MAGIC, lambda path, mode: zstandard.open(path, mode)))


def open_trace(path: Union[str, "os.PathLike[str]"]) -> IO[bytes]:
    """Open a trace file for reading bytes, decompressing gzip, xz, bzip2 (or zstd, with zstandard) by content.

    ``-`` means standard input.  Raises :class:`InputError` when the file
    cannot be opened.
    """
    if str(path) == "-":
        stdin = sys.stdin.buffer
        peek = getattr(stdin, "peek", None)
        magic = peek(6)[:6] if peek is not None else b""
        for prefix, opener in _MAGIC:
            if magic.startswith(prefix):
                return opener(stdin, "rb")
        _raise_if_zstd_unreadable("<stdin>", magic, "pipe it through zstd -dc")
        return stdin
    try:
        handle = open(path, "rb")
        magic = handle.read(6)
        handle.seek(0)
    except OSError as error:
        raise InputError("%s: cannot open trace: %s" % (path, error.strerror or error)) from None
    for prefix, opener in _MAGIC:
        if magic.startswith(prefix):
            handle.close()
            return opener(path, "rb")
    if magic.startswith(_ZSTD_MAGIC):
        handle.close()
        _raise_if_zstd_unreadable(os.fspath(path), magic, "zstd -d %s" % os.fspath(path))
    return handle


def _raise_if_zstd_unreadable(name: str, magic: bytes, command: str) -> None:
    """Raise InputError for zstd data when the optional zstandard module is missing."""
    if magic.startswith(_ZSTD_MAGIC) and zstandard is None:
        raise InputError(
            "%s: the trace is zstd-compressed and the optional zstandard module is not installed; "
            "decompress it first (%s) or install the module (pip install zstandard)" % (name, command)
        )


_BLOCK = 1 << 16  # bytes read and decoded at a time from a binary stream; 1 MB added 9 MB to the peak RSS


def read_lines(handle: Union[IO[bytes], IO[str], Iterable[str]]) -> Iterator[str]:
    """Return an iterator over the lines of ``handle`` without line ends, CR included.

    Bytes are decoded as UTF-8 with ``surrogateescape``, so invalid UTF-8 is
    kept and can be written back unchanged.  Only ``\\n`` ends a line of
    bytes; a CR before it is dropped with it.
    """
    if isinstance(handle, io.BufferedIOBase):
        # Decoding 64 KB at a time and splitting it with str.split took
        # 0.12 us a line of the benchmark log, against 0.42 us for decoding
        # line by line (CPU time, 2-core AMD EPYC).
        return itertools.chain.from_iterable(text.split("\n") for text in read_texts(handle))
    return _each_line(handle)


def read_texts(handle: IO[bytes]) -> Iterator[str]:
    """Yield the lines of a binary stream in blocks: each a ``str`` of whole lines joined by ``\\n``.

    The lines are those :func:`read_lines` gives; an empty block is one empty line.
    """
    # read1 returns what one read of the stream gives, so lines piped in
    # from a running strace come out as soon as they arrive.
    read = getattr(handle, "read1", handle.read)
    decode = codecs.getincrementaldecoder("utf-8")("surrogateescape").decode
    rest = ""
    while True:
        block = read(_BLOCK)
        text = rest + decode(block, not block)
        if not block:
            # The last line has no line end; the decoder's flush adds none.
            if text:
                yield text[:-1] if text[-1] == "\r" else text
            return
        cut = text.rfind("\n")
        if cut < 0:
            rest = text
            continue
        rest = text[cut + 1 :]
        text = text[:cut]
        if "\r" in text:
            text = text.replace("\r\n", "\n")
            if text[-1:] == "\r":
                text = text[:-1]  # the CR before the newline the block was cut at
        yield text


def _each_line(handle: Iterable[Union[str, bytes]]) -> Iterator[str]:
    for line in handle:
        if isinstance(line, bytes):
            line = line.decode("utf-8", "surrogateescape")
        if line.endswith("\n"):
            line = line[:-1]
        if line.endswith("\r"):
            line = line[:-1]
        yield line


def _read_handle(parser: StraceParser, handle: IO[bytes]) -> Iterator[Event]:
    """Parse what :func:`open_trace` opened: a block at a time when it gives bytes."""
    if isinstance(handle, io.BufferedIOBase):
        return parser.read_blocks(read_texts(handle))
    return parser.read(read_lines(handle))


def parse_lines(lines: Iterable[str], *, file: str = "<string>") -> Iterator[Event]:
    """Parse an iterable of strace lines (line ends optional) into events."""
    yield from StraceParser(file).read(read_lines(lines))


def parse_file(path: Union[str, "os.PathLike[str]"]) -> Iterator[Event]:
    """Parse one strace log file (``-`` for standard input) into events.

    The file is opened when the first event is asked for.  Raises
    :class:`InputError` when it cannot be opened or read.
    """
    name = "<stdin>" if str(path) == "-" else os.fspath(path)
    # The parser reads the blocks straight from _file_texts: wrapping its events in
    # one more generator cost 0.04 us a line of the benchmark log.
    return StraceParser(name).read_blocks(_file_texts(path, name))


def _file_texts(path: Union[str, "os.PathLike[str]"], name: str) -> Iterator[str]:
    """Open ``path`` with :func:`open_trace` and yield its blocks of lines as :func:`read_texts` does."""
    handle = open_trace(path)
    try:
        if isinstance(handle, io.BufferedIOBase):
            yield from read_texts(handle)
        else:
            yield from read_lines(handle)  # one line is a block of one line
    except (OSError, EOFError, lzma.LZMAError) as error:
        raise InputError("%s: cannot read trace: %s" % (name, error)) from None
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def parse(source: Source, *, file: Optional[str] = None) -> Iterator[Event]:
    """Parse a trace from a path, an open file, or an iterable of lines.

    A ``str`` containing a line break is taken as trace text, any other
    ``str`` or path-like as a file name.
    """
    if isinstance(source, str) and ("\n" in source or "\r" in source):
        return parse_lines(io.StringIO(source), file=file or "<string>")
    if isinstance(source, (str, os.PathLike)):
        return parse_file(source)
    return parse_lines(source, file=file or getattr(source, "name", "<stream>"))
