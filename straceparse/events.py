"""The typed events a trace turns into.

Every event is a frozen, slotted attrs class built by the parser.  Each one
records where it came from: ``file``, ``lines`` (1-based line numbers; two for a
call split into ``<unfinished ...>`` and ``<... resumed>`` halves) and ``raw``
(the text of those lines, without line ends).  Timestamps are in seconds:
``timestamp`` is the number as printed and ``timestamp_kind`` tells how to read
it; ``time`` puts every event on one clock for the whole log (a running sum
for ``-r`` deltas, seconds since the first midnight for ``-t``/``-tt``, the
epoch for ``-ttt``).

A syscall's arguments stay text until they are asked for: ``args`` parses them
with the grammar on first access and keeps the result.  ``to_dict()`` gives
each event as JSON-ready data and ``render()`` rebuilds its lines from its
fields and its :class:`~straceparse.layout.LineLayout`.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

import attrs

from .errors import ParseError
from .grammar import parse_arguments
from .layout import LineLayout, render_event
from .values import DECORATION_PATTERN, FdTarget, read_decorated, to_json

__all__ = [
    "Event",
    "Syscall",
    "Signal",
    "Exit",
    "Message",
    "Unparsed",
    "StackFrame",
    "TIMESTAMP_KINDS",
    "UNPARSED_REASONS",
]

# The number a call returned and its decoration, which may contain spaces: "7</tmp/sp ace>".
_RETVAL_DECORATION = re.compile(r"[^<\s]+(" + DECORATION_PATTERN + ")")

#: The ways a line's timestamp can be printed: ``relative`` (``-r``, seconds since the
#: previous line), ``clock`` (``-t``/``-tt``, time of day), ``epoch`` (``-ttt``).
TIMESTAMP_KINDS = ("relative", "clock", "epoch")


@attrs.frozen(slots=True)
class StackFrame:
    """One ``-k`` stack frame: `` > /usr/lib/libc.so.6(poll+0x10) [0xfc230]``.

    ``function`` and ``offset`` are None when strace printed ``()``;
    ``source`` is the ``file:line`` that ``-kk`` with debug info adds.
    ``indent`` is the whitespace before ``>``.
    """

    module: str
    function: Optional[str]
    offset: Optional[int]
    address: int
    source: Optional[str] = None
    indent: str = " "

    def to_dict(self) -> Dict[str, Any]:
        """Return the frame as JSON-ready data."""
        return {
            "module": self.module,
            "function": self.function,
            "offset": self.offset,
            "address": self.address,
            "source": self.source,
        }


def _json_time(value: Optional[float]) -> Optional[float]:
    """Round a time to the nanosecond for JSON: sums of ``-r`` deltas carry float noise (0.9094560000000003)."""
    return None if value is None else round(value, 9)


@attrs.frozen(slots=True, kw_only=True)
class Event:
    """Fields every event has; see the module docstring.

    ``comm`` is the process name ``-Y`` printed after the pid.
    ``pid_inferred`` is set when the line had no pid and the parser took the
    only live process of a ``-f`` log as its pid.  ``layout`` holds one
    :class:`~straceparse.layout.LineLayout` per logical line, and ``cuts``
    records where noise split a logical line into physical ones (line index,
    position, the glued text, and the space a wrap replaced, if any).  A cut
    whose last item is None is text glued inside one physical line, such as
    the output a ``write`` printed into its own line.
    """

    pid: Optional[int] = None
    comm: Optional[str] = None
    pid_inferred: bool = False
    timestamp: Optional[float] = None
    timestamp_kind: Optional[str] = None
    time: Optional[float] = None
    ip: Optional[int] = None
    syscall_number: Optional[int] = None
    lines: Tuple[int, ...] = ()
    raw: Tuple[str, ...] = ()
    file: str = "<string>"
    layout: Tuple[LineLayout, ...] = attrs.field(default=(), eq=False, repr=False)
    cuts: Tuple[Tuple[int, int, str, Optional[str]], ...] = attrs.field(default=(), eq=False, repr=False)

    kind = "event"

    @property
    def line(self) -> int:
        """The first line number the event came from."""
        return self.lines[0] if self.lines else 0

    def render(self) -> List[str]:
        """Rebuild the lines this event came from out of its fields (see :mod:`straceparse.layout`)."""
        return render_event(self)

    def _common_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {
            "kind": self.kind,
            "file": self.file,
            "lines": list(self.lines),
            "pid": self.pid,
        }
        if self.pid_inferred:
            out["pid_inferred"] = True
        if self.comm is not None:
            out["comm"] = self.comm
        out["timestamp"] = self.timestamp
        out["timestamp_kind"] = self.timestamp_kind
        out["time"] = _json_time(self.time)
        if self.ip is not None:
            out["ip"] = self.ip
        return out

    def to_dict(self) -> Dict[str, Any]:
        """Return the event as JSON-ready data: ``kind``, ``file``, ``lines``, ``pid``, timestamps, and its own fields."""
        return self._common_dict()


@attrs.frozen(slots=True, kw_only=True)
class Syscall(Event):
    """One system call, merged from its two halves when strace split it.

    ``retval`` is None when strace printed ``?``; ``errno`` is the symbolic
    error (``ENOENT``, ``ERESTARTSYS``) or None; ``retval_text`` is everything
    after ``=`` except the ``-T`` duration.  ``started`` is False for a
    resumed half whose start the log does not hold, ``finished`` is False for
    an unfinished half that never resumed (the process died or the log ends)
    and for a resumed half that is itself unfinished.  ``end_time`` and
    ``end_timestamp`` belong to the resumed line, when there was one, and
    ``split`` is where the unfinished half's argument text ends in
    ``args_text``.  ``syscall_number`` is what ``-n`` printed, ``stack`` the
    ``-k`` frames and ``dump`` the bytes of an ``-e read=``/``-e write=``
    hexdump that followed the call.  A call with several buffers (``readv``,
    ``writev``, ``sendmsg``, ``recvmsg``) has a `` * N bytes in buffer I``
    line before each buffer's dump: ``dump_buffers`` then contains the bytes of
    each buffer in order and ``dump`` all of them joined.  ``dump_buffers``
    is None for a hexdump without those lines.
    """

    syscall: str
    args_text: str
    retval: Optional[int] = None
    errno: Optional[str] = None
    retval_text: str = ""
    duration: Optional[float] = None
    end_timestamp: Optional[float] = None
    end_time: Optional[float] = None
    started: bool = True
    finished: bool = True
    split: Optional[int] = None
    stack: Tuple[StackFrame, ...] = ()
    dump: Optional[bytes] = None
    dump_buffers: Optional[Tuple[bytes, ...]] = None
    _args: Any = attrs.field(default=None, eq=False, repr=False, alias="_args")

    kind = "syscall"

    @property
    def args(self) -> Tuple[Any, ...]:
        """The arguments as typed values (see :mod:`straceparse.values`).

        Raises :class:`~straceparse.errors.ParseError` naming the file, line
        and column when the argument text does not parse.
        """
        cached = self._args
        if cached is None:
            try:
                cached = parse_arguments(self.args_text)
            except ParseError as error:
                cached = error
            object.__setattr__(self, "_args", cached)
        if isinstance(cached, ParseError):
            line, column, text = self._position(cached.column)
            reason = cached.reason
            if column != cached.column:
                reason = reason.replace("at column %d" % cached.column, "at column %d" % column, 1)
            raise ParseError(reason, file=self.file, line=line, column=column, text=text, expected=cached.expected)
        return cached

    def _position(self, column: Optional[int]) -> Tuple[int, Optional[int], str]:
        """Map a column of :attr:`args_text` to (line number, column, text) of the log line it was printed on.

        Editors jump to FILE:LINE:COLUMN, so the error names the place in
        the log.  Where the arguments cannot be found verbatim in their line
        (a line joined from pieces), the column is that of ``args_text``.
        """
        unchanged = (self.line, column, self.args_text)
        if column is None or self.cuts or len(self.raw) != len(self.lines):
            return unchanged
        split = self.split if self.split is not None else len(self.args_text)
        if column - 1 < split or len(self.raw) < 2:
            index, part, offset = 0, self.args_text[:split], column - 1
            start = self.raw[0].find(self.syscall + "(")
            start = start + len(self.syscall) + 1 if start >= 0 else -1
        else:
            index, part, offset = 1, self.args_text[split:], column - 1 - split
            start = self.raw[1].find(" resumed>")
            start = start + len(" resumed>") if start >= 0 else -1
        raw = self.raw[index]
        if start < 0 or not raw.startswith(part, start):
            return unchanged
        return self.lines[index], start + offset + 1, raw

    def try_args(self) -> Optional[Tuple[Any, ...]]:
        """Return :attr:`args`, or None when the argument text does not parse."""
        try:
            return self.args
        except ParseError:
            return None

    @property
    def annotation(self) -> Optional[str]:
        """The text strace put in parentheses after the return value, if any.

        ``Timeout`` for ``= 0 (Timeout)``, ``[{fd=6, revents=POLLIN}]`` for a
        ready poll, ``No such file or directory`` for ``-1 ENOENT (...)``.
        """
        text = self.retval_text
        start = text.find(" (")
        if start < 0 or not text.endswith(")"):
            return None
        return text[start + 2 : -1]

    @property
    def failed(self) -> bool:
        """True when the call returned an error (``-1 EAGAIN``, ``? ERESTARTSYS``)."""
        return self.errno is not None

    @property
    def retval_target(self) -> Optional[FdTarget]:
        """What a returned fd refers to, from an ``-y``/``-yy`` decoration (``= 8<TCP:[...]>``)."""
        match = _RETVAL_DECORATION.match(self.retval_text)
        if match is None:
            return None
        return read_decorated(None, match.group(1)).target

    def to_dict(self) -> Dict[str, Any]:
        """Return the call as JSON-ready data; ``args`` is null and ``args_error`` set when they do not parse."""
        out = self._common_dict()
        out["syscall"] = self.syscall
        if self.syscall_number is not None:
            out["syscall_number"] = self.syscall_number
        try:
            out["args"] = [to_json(value) for value in self.args]
        except ParseError as error:
            out["args"] = None
            out["args_error"] = error.reason
        out["args_text"] = self.args_text
        out["retval"] = self.retval
        target = self.retval_target
        if target is not None:
            out["retval_fd"] = target.to_dict()
        out["retval_text"] = self.retval_text
        out["errno"] = self.errno
        out["duration"] = self.duration
        out["end_time"] = _json_time(self.end_time)
        out["started"] = self.started
        out["finished"] = self.finished
        if self.stack:
            out["stack"] = [frame.to_dict() for frame in self.stack]
        if self.dump is not None:
            out["dump_hex"] = self.dump.hex()
        if self.dump_buffers is not None:
            out["dump_buffers_hex"] = [data.hex() for data in self.dump_buffers]
        return out


class _SyscallDraft(Syscall):
    """A :class:`Syscall` being filled in by :func:`new_syscall`: the same slots, but writable.

    A frozen attrs ``__init__`` sets each field through ``object.__setattr__``.
    Here each field is a plain slot store, which CPython 3.11 turns into a
    direct write once ``__setattr__`` and ``__delattr__`` (which share one type
    slot) are both object's.  Building the 27 fields took 0.27 us this way and
    2.2 us through ``Syscall(...)`` (timeit, 2-core AMD EPYC).
    """

    __slots__ = ()
    __setattr__ = object.__setattr__
    __delattr__ = object.__delattr__


def new_syscall(
    pid: Optional[int],
    timestamp: Optional[float],
    timestamp_kind: Optional[str],
    time: Optional[float],
    lines: Tuple[int, ...],
    raw: Tuple[str, ...],
    file: str,
    layout: Tuple[LineLayout, ...],
    syscall: str,
    args_text: str,
    retval: Optional[int],
    errno: Optional[str],
    retval_text: str,
    duration: Optional[float],
    cuts: Tuple[Tuple[int, int, str, Optional[str]], ...] = (),
    comm: Optional[str] = None,
    pid_inferred: bool = False,
    ip: Optional[int] = None,
    end_timestamp: Optional[float] = None,
    end_time: Optional[float] = None,
    started: bool = True,
    finished: bool = True,
    split: Optional[int] = None,
    syscall_number: Optional[int] = None,
) -> Syscall:
    """Build the :class:`Syscall` that ``Syscall(...)`` builds from the same keywords, in an eighth of the time.

    For the parser: ``stack``, ``dump``, ``dump_buffers`` and the parsed
    arguments start empty.  The object is a plain frozen ``Syscall`` once it
    is returned.  The first 14 arguments may also be passed by position, in
    the order above, which takes about a third less time than by keyword.
    """
    # NOTE: StraceParser._read repeats these stores inline; a field added here goes there too
    # (tests/test_parser_paths.py compares its events with those of the general path, built here).
    event = object.__new__(_SyscallDraft)
    event.pid = pid
    event.comm = comm
    event.pid_inferred = pid_inferred
    event.timestamp = timestamp
    event.timestamp_kind = timestamp_kind
    event.time = time
    event.ip = ip
    event.lines = lines
    event.raw = raw
    event.file = file
    event.layout = layout
    event.cuts = cuts
    event.syscall = syscall
    event.args_text = args_text
    event.retval = retval
    event.errno = errno
    event.retval_text = retval_text
    event.duration = duration
    event.end_timestamp = end_timestamp
    event.end_time = end_time
    event.started = started
    event.finished = finished
    event.split = split
    event.syscall_number = syscall_number
    event.stack = ()
    event.dump = None
    event.dump_buffers = None
    event._args = None
    # Python allows __class__ assignment between classes with the same slot layout;
    # from here on the object is frozen like any Syscall.
    event.__class__ = Syscall
    return event


@attrs.frozen(slots=True, kw_only=True)
class Signal(Event):
    """A signal delivery (``--- SIGCHLD {...} ---``) or a stop (``--- stopped by SIGSTOP ---``).

    ``stack`` contains the ``-k`` frames strace prints after the signal line:
    where the process was when the signal came.
    """

    signal: str
    info_text: str = ""
    stopped: bool = False
    stack: Tuple[StackFrame, ...] = ()

    kind = "signal"

    @property
    def info(self) -> Any:
        """The siginfo struct as a :class:`~straceparse.values.Struct`, or None."""
        if not self.info_text:
            return None
        from .grammar import parse_arguments

        values = parse_arguments(self.info_text)
        return values[0] if values else None

    def to_dict(self) -> Dict[str, Any]:
        """Return the signal as JSON-ready data; ``info`` is null when the siginfo does not parse."""
        out = self._common_dict()
        out["signal"] = self.signal
        out["stopped"] = self.stopped
        try:
            info = self.info
        except ParseError:
            info = None
        out["info"] = to_json(info)
        out["info_text"] = self.info_text
        if self.stack:
            out["stack"] = [frame.to_dict() for frame in self.stack]
        return out


@attrs.frozen(slots=True, kw_only=True)
class Exit(Event):
    """The end of a process: ``+++ exited with 0 +++`` or ``+++ killed by SIGKILL +++``.

    ``stack`` contains the ``-k`` frames strace prints after the exit line: the
    stack of the process's last call (``exit_group``), which never returns.
    """

    status: Optional[int] = None
    signal: Optional[str] = None
    core_dumped: bool = False
    stack: Tuple[StackFrame, ...] = ()

    kind = "exit"

    def to_dict(self) -> Dict[str, Any]:
        """Return the exit as JSON-ready data."""
        out = self._common_dict()
        out["status"] = self.status
        out["signal"] = self.signal
        out["core_dumped"] = self.core_dumped
        if self.stack:
            out["stack"] = [frame.to_dict() for frame in self.stack]
        return out


@attrs.frozen(slots=True, kw_only=True)
class Message(Event):
    """A line strace wrote about itself: ``strace: Process 14166 attached``.

    ``action`` is ``attached`` or ``detached`` when the message says so,
    ``target`` the pid it names and ``threads`` the count of ``attached with
    N threads``; other messages keep only ``text``.  A message strace printed
    in the middle of another call's line has no ``lines`` of its own (that
    call owns the line) and ``inside`` names the line it was printed in.
    """

    text: str
    action: Optional[str] = None
    target: Optional[int] = None
    threads: Optional[int] = None
    inside: Optional[int] = None

    kind = "message"

    @property
    def line(self) -> int:
        """The first line number the message came from, or the line it was printed inside."""
        return self.lines[0] if self.lines else (self.inside or 0)

    def to_dict(self) -> Dict[str, Any]:
        """Return the message as JSON-ready data."""
        out = self._common_dict()
        out.update(text=self.text, action=self.action, target=self.target, threads=self.threads)
        if self.inside is not None:
            out["inside"] = self.inside
        return out


#: Why a line did not parse: each class, and what it means.  ``docs/limits.md``
#: lists the same classes as known limits.
UNPARSED_REASONS = {
    "not-strace": "the line is not strace output (a shell prompt, prose, another tool's output)",
    "program-output": "output of the traced program printed between a call's start and its end",
    "syntax": "the line looks like strace output but the grammar rejects it at `column`",
    "incomplete": "a call's line was cut or wrapped and no continuation was found",
    "summary-table": "a row of an strace -c/-C summary table",
    "debug": "an strace -d debug line",
    "quoted-printable": "a line mangled by quoted-printable mail encoding (=3D for =)",
    "orphan-frame": "a -k stack frame, hexdump line or buffer header that continues no call before it",
}


@attrs.frozen(slots=True, kw_only=True)
class Unparsed(Event):
    """A line the parser could not read, with the reason class and where it failed.

    ``reason`` is a key of :data:`UNPARSED_REASONS`; ``detail`` explains it in
    words.  ``column`` is 1-based within the line; ``expected`` lists what
    the grammar would have accepted there.
    """

    reason: str
    detail: str = ""
    column: Optional[int] = None
    expected: Tuple[str, ...] = ()

    kind = "unparsed"

    def to_dict(self) -> Dict[str, Any]:
        """Return the unparsed line as JSON-ready data, its text included."""
        out = self._common_dict()
        out.update(reason=self.reason, detail=self.detail, column=self.column, expected=list(self.expected))
        out["text"] = list(self.raw)
        return out
