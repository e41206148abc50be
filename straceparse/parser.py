"""Streaming strace text into events.

In: lines of ``strace`` output (a path, a file object, or any iterable of
lines).  Out: an iterator of :mod:`straceparse.events` objects, one per line
or per merged ``<unfinished ...>``/``<... resumed>`` pair, in the order the
calls ended.  Memory stays flat: the parser keeps only the unfinished call of
each pid.  Bad lines become :class:`~straceparse.events.Unparsed` events and
parsing goes on; no exception escapes for bad input.

Strategy: each line's envelope (pid, timestamp, syscall name, argument text,
return value, ``-T`` duration) is split with one regex and string methods,
which is an order of magnitude faster than the grammar.  The argument text is
parsed by the grammar only when someone asks for ``Syscall.args``.  A line
the split does not recognise goes through the grammar's ``line`` rule, which
either explains why it is bad or shows that the split has a gap.
"""

from __future__ import annotations

import bz2
import gzip
import io
import logging
import lzma
import os
import re
import sys
from typing import IO, Dict, Iterable, Iterator, List, Optional, Tuple, Union

from .errors import InputError, ParseError
from .events import Event, Exit, Message, Signal, Syscall, Unparsed

__all__ = ["parse", "parse_file", "parse_lines", "open_trace", "read_lines"]

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- the envelope

# "[pid 14166] " or "14166 " (strace -f), then "0.000605 " (-r, -ttt),
# "19:25:08.539948 " (-t, -tt), optionally followed by "(+ 0.000123) ".
_PREFIX = re.compile(
    r" *(?:\[pid +(?P<bracket_pid>\d+)\] +|(?P<pid>\d+) +)?"
    r"(?:(?P<stamp>\d+\.\d+|\d\d:\d\d:\d\d(?:\.\d+)?)(?: \(\+ *(?P<delta>\d+\.\d+)\))? +)?"
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ERRNO = re.compile(r"E[A-Z0-9_]+\Z")
_DURATION = re.compile(r"\d+\.\d+\Z")
_EXITED = re.compile(r"\+\+\+ exited with (-?\d+) \+\+\+\Z")
_KILLED = re.compile(r"\+\+\+ killed by (\w+)( \(core dumped\))? \+\+\+\Z")
_STOPPED = re.compile(r"--- stopped by (\w+) ---\Z")
_PROCESS_MESSAGE = re.compile(
    r"strace: Process (?P<pid>\d+) (?P<action>attached|detached)(?: with (?P<threads>\d+) threads)?"
)
_GLUED_MESSAGE = "strace: Process "
_UNFINISHED = " <unfinished ...>"
_EPOCH_MIN = 100000000.0  # a -r delta is never this large; a -ttt stamp always is
_DAY = 86400.0


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
    duration = None
    if text.endswith(">"):
        start = text.rfind(" <")
        if start >= 0:
            inner = text[start + 2 : -1]
            if _DURATION.match(inner):
                duration = float(inner)
                text = text[:start]
            elif inner == "unavailable":
                text = text[:start]
    head, _, rest = text.partition(" ")
    decoration = head.find("<")
    number = head if decoration < 0 else head[:decoration]
    retval = None if number == "?" else _parse_int(number)
    errno = None
    if rest:
        word = rest.partition(" ")[0]
        if _ERRNO.match(word):
            errno = word
    return retval, errno, text, duration


# ---------------------------------------------------------------- the parser


class _Start:
    """The first half of a call split by ``<unfinished ...>``, waiting for its end."""

    __slots__ = ("syscall", "args_text", "line", "raw", "timestamp", "kind", "time")

    def __init__(self, syscall, args_text, line, raw, timestamp, kind, time):
        self.syscall = syscall
        self.args_text = args_text
        self.line = line
        self.raw = raw
        self.timestamp = timestamp
        self.kind = kind
        self.time = time


class StraceParser:
    """Turns strace lines into events, one line at a time.

    Feed lines with :meth:`feed` (each yields zero or more events) and call
    :meth:`finish` at the end to flush calls that never resumed.  One parser
    reads one log: ``-r`` sums and midnight wraps are kept per parser.
    """

    def __init__(self, file: str = "<string>", pid: Optional[int] = None) -> None:
        self.file = file
        self.default_pid = pid
        self._starts: Dict[Optional[int], _Start] = {}
        self._clock = 0.0  # running sum of -r deltas
        self._day = 0.0  # days added to -t/-tt stamps after midnight wraps
        self._last_clock: Optional[float] = None
        self._glued: Optional[Tuple[int, str]] = None  # a line cut by an attach message
        self.lines = 0
        self.unparsed = 0

    # -- timestamps

    def _stamp(self, text: str, delta: Optional[str]) -> Tuple[float, str, float]:
        if text[2:3] == ":":
            seconds = _clock_seconds(text)
            if self._last_clock is not None and seconds + self._day < self._last_clock - _DAY / 2:
                self._day += _DAY
            time = seconds + self._day
            self._last_clock = time
            if delta is not None:
                return float(delta), "relative", time
            return seconds, "clock", time
        value = float(text)
        if value >= _EPOCH_MIN:
            return value, "epoch", value
        self._clock += value
        return value, "relative", self._clock

    # -- lines

    def feed(self, number: int, raw: str) -> Iterator[Event]:
        """Parse one line (``number`` is 1-based, ``raw`` has no line end)."""
        if not raw.strip():
            return
        self.lines += 1
        if self._glued is not None:
            glued_number, head = self._glued
            self._glued = None
            joined = head + raw
            events = list(self._parse(number, joined, (glued_number, number), (head, raw)))
            if not any(isinstance(event, Unparsed) for event in events):
                yield from events
                return
            yield self._unparsed(glued_number, head, "line cut by an attach message and not continued")
        cut = raw.find(_GLUED_MESSAGE)
        if cut > 0:
            # strace printed "Process N attached" in the middle of the parent's
            # clone line; the line goes on at the start of the next line.
            self._glued = (number, raw[:cut])
            yield from self._parse(number, raw[cut:], (number,), (raw,))
            return
        yield from self._parse(number, raw, (number,), (raw,))

    def finish(self) -> Iterator[Event]:
        """Flush what is still open when the log ends: calls that never resumed."""
        if self._glued is not None:
            number, head = self._glued
            self._glued = None
            yield self._unparsed(number, head, "line cut by an attach message and not continued")
        starts, self._starts = self._starts, {}
        for pid, start in starts.items():
            yield self._never_resumed(pid, start)

    def _never_resumed(self, pid: Optional[int], start: _Start) -> Syscall:
        return Syscall(
            pid=pid,
            timestamp=start.timestamp,
            timestamp_kind=start.kind,
            time=start.time,
            lines=(start.line,),
            raw=(start.raw,),
            file=self.file,
            syscall=start.syscall,
            args_text=start.args_text,
            retval=None,
            retval_text="",
            finished=False,
        )

    def _unparsed(self, number: int, raw: str, reason: str, column=None, expected=()) -> Unparsed:
        self.unparsed += 1
        return Unparsed(
            lines=(number,), raw=(raw,), file=self.file, reason=reason, column=column, expected=tuple(expected)
        )

    def _explain(self, number: int, raw: str, lines, raws) -> Unparsed:
        from .grammar import parse_line_tree

        try:
            parse_line_tree(raw, file=self.file, line=number)
        except ParseError as error:
            self.unparsed += 1
            return Unparsed(
                lines=lines,
                raw=raws,
                file=self.file,
                reason=error.reason,
                column=error.column,
                expected=error.expected,
            )
        # The grammar accepts what the fast split rejected: a gap in the split.
        log.debug("%s:%d: grammar accepts a line the envelope split rejects", self.file, number)
        self.unparsed += 1
        return Unparsed(lines=lines, raw=raws, file=self.file, reason="line shape not supported by the fast reader")

    def _parse(self, number: int, raw: str, lines, raws) -> Iterator[Event]:
        match = _PREFIX.match(raw)
        pid_text = match.group("bracket_pid") or match.group("pid")
        pid = int(pid_text) if pid_text is not None else self.default_pid
        stamp = match.group("stamp")
        if stamp is not None:
            timestamp, kind, time = self._stamp(stamp, match.group("delta"))
        else:
            timestamp = kind = time = None
        body = raw[match.end() :]
        first = body[:1]

        if first == "<" and body.startswith("<... "):
            event = self._resumed(pid, body, timestamp, kind, time, lines, raws)
        elif first == "-" and body.startswith("--- "):
            event = self._signal(pid, body, timestamp, kind, time, lines, raws)
        elif first == "+" and body.startswith("+++ "):
            event = self._exit(pid, body, timestamp, kind, time, lines, raws)
        elif first == "s" and body.startswith("strace: "):
            event = self._message(pid, body, timestamp, kind, time, lines, raws)
        else:
            event = self._syscall(pid, body, timestamp, kind, time, lines, raws)
        if event is None:
            yield self._explain(number, raw, lines, raws)
            return
        if isinstance(event, tuple):
            yield from event
        else:
            yield event

    def _syscall(self, pid, body, timestamp, kind, time, lines, raws):
        open_paren = body.find("(")
        if open_paren <= 0:
            return None
        name = body[:open_paren]
        if not _NAME.match(name):
            return None
        if body.endswith(_UNFINISHED):
            replaced = self._starts.get(pid)
            self._starts[pid] = _Start(
                name, body[open_paren + 1 : -len(_UNFINISHED)], lines[0], raws[0], timestamp, kind, time
            )
            if replaced is not None:
                # A second start before the first resumed: the first never ended.
                return (self._never_resumed(pid, replaced),)
            return ()
        split = _split_call(body, open_paren + 1)
        if split is None:
            return None
        args_text, after = split
        retval, errno, retval_text, duration = split_retval(after)
        return Syscall(
            pid=pid,
            timestamp=timestamp,
            timestamp_kind=kind,
            time=time,
            lines=lines,
            raw=raws,
            file=self.file,
            syscall=name,
            args_text=args_text,
            retval=retval,
            errno=errno,
            retval_text=retval_text,
            duration=duration,
        )

    def _resumed(self, pid, body, timestamp, kind, time, lines, raws):
        end = body.find(" resumed>", 5)
        if end < 0:
            return None
        name = body[5:end]
        tail = body[end + 9 :]
        finished = True
        if tail.lstrip().startswith("<unfinished ...>"):
            # "<... wait4 resumed> <unfinished ...>) = ?": the process died in the call.
            tail = tail.lstrip()[len("<unfinished ...>") :]
            finished = False
        split = _split_call(tail, 0)
        if split is None:
            return None
        tail_args, after = split
        retval, errno, retval_text, duration = split_retval(after)
        start = self._starts.pop(pid, None)
        before: Tuple[Event, ...] = ()
        if start is not None and start.syscall != name:
            before = (self._never_resumed(pid, start),)
            start = None
        if start is None:
            event = Syscall(
                pid=pid,
                timestamp=timestamp,
                timestamp_kind=kind,
                time=time,
                lines=lines,
                raw=raws,
                file=self.file,
                syscall=name,
                args_text=tail_args,
                retval=retval,
                errno=errno,
                retval_text=retval_text,
                duration=duration,
                end_time=time,
                started=False,
                finished=finished,
            )
        else:
            event = Syscall(
                pid=pid,
                timestamp=start.timestamp,
                timestamp_kind=start.kind,
                time=start.time,
                lines=(start.line,) + lines,
                raw=(start.raw,) + raws,
                file=self.file,
                syscall=name,
                args_text=_join_args(start.args_text, tail_args),
                retval=retval,
                errno=errno,
                retval_text=retval_text,
                duration=duration,
                end_time=time,
                finished=finished,
            )
        return before + (event,)

    def _signal(self, pid, body, timestamp, kind, time, lines, raws):
        stopped = _STOPPED.match(body)
        if stopped:
            return Signal(
                pid=pid, timestamp=timestamp, timestamp_kind=kind, time=time, lines=lines, raw=raws,
                file=self.file, signal=stopped.group(1), stopped=True,
            )
        if not body.endswith(" ---"):
            return None
        inner = body[4:-4]
        name, _, info = inner.partition(" ")
        if not _NAME.match(name):
            return None
        return Signal(
            pid=pid, timestamp=timestamp, timestamp_kind=kind, time=time, lines=lines, raw=raws,
            file=self.file, signal=name, info_text=info,
        )

    def _exit(self, pid, body, timestamp, kind, time, lines, raws):
        exited = _EXITED.match(body)
        if exited:
            return Exit(
                pid=pid, timestamp=timestamp, timestamp_kind=kind, time=time, lines=lines, raw=raws,
                file=self.file, status=int(exited.group(1)),
            )
        killed = _KILLED.match(body)
        if killed:
            return Exit(
                pid=pid, timestamp=timestamp, timestamp_kind=kind, time=time, lines=lines, raw=raws,
                file=self.file, signal=killed.group(1), core_dumped=killed.group(2) is not None,
            )
        return None

    def _message(self, pid, body, timestamp, kind, time, lines, raws):
        match = _PROCESS_MESSAGE.match(body)
        target = action = threads = None
        if match:
            target = int(match.group("pid"))
            action = match.group("action")
            threads = int(match.group("threads")) if match.group("threads") else None
        return Message(
            pid=pid, timestamp=timestamp, timestamp_kind=kind, time=time, lines=lines, raw=raws,
            file=self.file, text=body, action=action, target=target, threads=threads,
        )


def _split_call(text: str, start: int) -> Optional[Tuple[str, str]]:
    """Split ``args) = retval`` at the last ``) = `` into argument text and return text."""
    equals = text.rfind(" = ", start)
    if equals < 0:
        return None
    close = equals
    while close > start and text[close - 1] == " ":
        close -= 1
    if close <= start or text[close - 1] != ")":
        return None
    return text[start : close - 1], text[equals + 3 :]


def _join_args(head: str, tail: str) -> str:
    """Join the argument text of an unfinished half and its resumed half."""
    if not tail:
        return head.rstrip()
    if not head.strip():
        return tail.lstrip(", ")
    return head + tail


# ---------------------------------------------------------------- input

Source = Union[str, "os.PathLike[str]", IO[bytes], IO[str], Iterable[str]]

_MAGIC = (
    (b"\x1f\x8b", gzip.open),
    (b"\xfd7zXZ\x00", lzma.open),
    (b"BZh", bz2.open),
)


def open_trace(path: Union[str, "os.PathLike[str]"]) -> IO[bytes]:
    """Open a trace file for reading bytes, decompressing gzip, xz or bzip2 by content.

    ``-`` means standard input.  Raises :class:`InputError` when the file
    cannot be opened.
    """
    if str(path) == "-":
        return sys.stdin.buffer
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
    return handle


def read_lines(handle: Union[IO[bytes], IO[str], Iterable[str]]) -> Iterator[str]:
    """Yield the lines of ``handle`` without line ends, CR included.

    Bytes are decoded as UTF-8 with ``surrogateescape``, so invalid UTF-8 is
    kept and can be written back unchanged.
    """
    for line in handle:
        if isinstance(line, bytes):
            line = line.decode("utf-8", "surrogateescape")
        if line.endswith("\n"):
            line = line[:-1]
        if line.endswith("\r"):
            line = line[:-1]
        yield line


def parse_lines(lines: Iterable[str], *, file: str = "<string>") -> Iterator[Event]:
    """Parse an iterable of strace lines (line ends optional) into events."""
    parser = StraceParser(file)
    for number, raw in enumerate(read_lines(lines), 1):
        yield from parser.feed(number, raw)
    yield from parser.finish()


def parse_file(path: Union[str, "os.PathLike[str]"]) -> Iterator[Event]:
    """Parse one strace log file (``-`` for standard input) into events."""
    name = "<stdin>" if str(path) == "-" else os.fspath(path)
    handle = open_trace(path)
    try:
        yield from parse_lines(handle, file=name)
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
