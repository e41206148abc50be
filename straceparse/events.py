"""The typed events a trace turns into.

Every event is a frozen, slotted attrs class built by the parser.  Each one
knows where it came from: ``file``, ``lines`` (1-based line numbers; two for a
call split into ``<unfinished ...>`` and ``<... resumed>`` halves) and ``raw``
(the text of those lines, without line ends).  Timestamps are in seconds:
``timestamp`` is the number as printed and ``timestamp_kind`` says how to read
it; ``time`` puts every event on one clock for the whole log (a running sum
for ``-r`` deltas, seconds since the first midnight for ``-t``/``-tt``, the
epoch for ``-ttt``).

A syscall's arguments stay text until they are asked for: ``args`` parses them
with the grammar on first access and keeps the result.
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

import attrs

from .errors import ParseError

__all__ = [
    "Event",
    "Syscall",
    "Signal",
    "Exit",
    "Message",
    "Unparsed",
    "TIMESTAMP_KINDS",
]

#: How a line's timestamp was printed: ``relative`` (``-r``, seconds since the
#: previous line), ``clock`` (``-t``/``-tt``, time of day), ``epoch`` (``-ttt``).
TIMESTAMP_KINDS = ("relative", "clock", "epoch")


@attrs.frozen(slots=True, kw_only=True)
class Event:
    """Fields every event has; see the module docstring."""

    pid: Optional[int] = None
    timestamp: Optional[float] = None
    timestamp_kind: Optional[str] = None
    time: Optional[float] = None
    lines: Tuple[int, ...] = ()
    raw: Tuple[str, ...] = ()
    file: str = "<string>"

    @property
    def line(self) -> int:
        """The first line number the event came from."""
        return self.lines[0] if self.lines else 0

    kind = "event"


@attrs.frozen(slots=True, kw_only=True)
class Syscall(Event):
    """One system call, merged from its two halves when strace split it.

    ``retval`` is None when strace printed ``?``; ``errno`` is the symbolic
    error (``ENOENT``, ``ERESTARTSYS``) or None; ``retval_text`` is everything
    after ``=`` except the ``-T`` duration.  ``started`` is False for a
    resumed half whose start the log does not hold, ``finished`` is False for
    an unfinished half that never resumed (the process died or the log ends).
    ``end_time`` is the log-clock time of the resumed line, when there was one.
    """

    syscall: str
    args_text: str
    retval: Optional[int] = None
    errno: Optional[str] = None
    retval_text: str = ""
    duration: Optional[float] = None
    end_time: Optional[float] = None
    started: bool = True
    finished: bool = True
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
            from .grammar import parse_arguments

            try:
                cached = parse_arguments(self.args_text)
            except ParseError as error:
                cached = error
            object.__setattr__(self, "_args", cached)
        if isinstance(cached, ParseError):
            raise ParseError(
                cached.reason,
                file=self.file,
                line=self.line,
                column=cached.column,
                text=self.args_text,
                expected=cached.expected,
            )
        return cached

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


@attrs.frozen(slots=True, kw_only=True)
class Signal(Event):
    """A signal delivery (``--- SIGCHLD {...} ---``) or a stop (``--- stopped by SIGSTOP ---``)."""

    signal: str
    info_text: str = ""
    stopped: bool = False

    kind = "signal"

    @property
    def info(self) -> Any:
        """The siginfo struct as a :class:`~straceparse.values.Struct`, or None."""
        if not self.info_text:
            return None
        from .grammar import parse_arguments

        values = parse_arguments(self.info_text)
        return values[0] if values else None


@attrs.frozen(slots=True, kw_only=True)
class Exit(Event):
    """The end of a process: ``+++ exited with 0 +++`` or ``+++ killed by SIGKILL +++``."""

    status: Optional[int] = None
    signal: Optional[str] = None
    core_dumped: bool = False

    kind = "exit"


@attrs.frozen(slots=True, kw_only=True)
class Message(Event):
    """A line strace wrote about itself: ``strace: Process 14166 attached``.

    ``action`` is ``attached`` or ``detached`` when the message says so, and
    ``target`` the pid it names; other messages keep only ``text``.
    """

    text: str
    action: Optional[str] = None
    target: Optional[int] = None
    threads: Optional[int] = None

    kind = "message"


@attrs.frozen(slots=True, kw_only=True)
class Unparsed(Event):
    """A line the parser could not read, with the reason and where it failed.

    ``column`` is 1-based within the line; ``expected`` lists what the grammar
    would have accepted there.
    """

    reason: str
    column: Optional[int] = None
    expected: Tuple[str, ...] = ()

    kind = "unparsed"
