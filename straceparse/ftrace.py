"""Streaming ftrace text into events.

In: lines that ``/sys/kernel/tracing/trace``, ``trace_pipe``, ``perf ftrace``
or ``trace-cmd report`` printed, possibly pasted into prose.  Out: an iterator
of the event classes below, one per non-blank line, in line order.  Lines
that are not ftrace output become :class:`FtraceUnparsed` with a reason; no
exception escapes for bad input.

Strategy: a few precompiled regexes, chosen by the line's first characters,
split each line into typed fields (the ``function_graph`` columns, or the
``task-pid [cpu] flags timestamp:`` head of event lines).  The grammar in
``grammars/ftrace.lark`` is the specification of those regexes; a line they
reject goes through it, so an unparsed line shows where it stops being ftrace.
Each event keeps a ``layout``: its line with the typed fields cut out, so
:meth:`FtraceEvent.render` puts the fields back and returns the original line.
"""

from __future__ import annotations

import functools
import io
import os
import re
from typing import Any, Dict, Iterable, Iterator, Optional, Tuple

import attrs
import lark

from .errors import InputError, ParseError
from .events import Event, Unparsed
from .parser import Source, open_trace, read_lines

__all__ = [
    "FtraceEvent",
    "GraphEvent",
    "FuncgraphEntry",
    "FuncgraphExit",
    "FuncgraphLeaf",
    "FuncgraphComment",
    "FuncgraphIrq",
    "TaskSwitch",
    "Separator",
    "FunctionCall",
    "StackTrace",
    "StackFrame",
    "TraceEvent",
    "SyscallEnter",
    "SyscallExit",
    "Header",
    "LostEvents",
    "FtraceUnparsed",
    "FtraceParser",
    "parse_ftrace",
    "parse_ftrace_lines",
    "parse_ftrace_line_tree",
    "detect_format",
]

#: ``timestamp_kind`` of ftrace events: seconds on the trace clock
#: (``trace_clock``: ``local`` by default, ``mono``, ``global``, ...).
FTRACE_CLOCK = "trace_clock"

_MICROSECONDS_PER_SECOND = 1e6


def _common_dict(event: Event) -> Dict[str, Any]:
    return {"kind": event.kind, "file": event.file, "lines": list(event.lines), "pid": event.pid}


# ---------------------------------------------------------------- events


@functools.lru_cache(maxsize=None)
def _own_fields(cls: type) -> Tuple[str, ...]:
    """Return the attrs fields a class adds to :class:`FtraceEvent`'s, in definition order."""
    shared = {field.name for field in attrs.fields(FtraceEvent)}
    return tuple(field.name for field in attrs.fields(cls) if field.name not in shared)


class _FieldView:
    """Maps a layout's placeholder names to the event's typed fields."""

    __slots__ = ("event",)

    def __init__(self, event: Any) -> None:
        self.event = event

    def __getitem__(self, name: str) -> Any:
        return getattr(self.event, name)


@attrs.frozen(slots=True, kw_only=True)
class FtraceEvent(Event):
    """Fields of every line of ftrace output.

    ``cpu`` is the CPU column; ``task`` and ``pid`` come from ``task-pid``
    (event lines, funcgraph-proc); ``tgid`` from options/record-tgid;
    ``flags`` is the irqs-off/need-resched/hardirq/preempt column (``d.h1``).
    ``timestamp`` and ``time`` are the trace clock in seconds, when printed.
    """

    cpu: Optional[int] = None
    task: Optional[str] = None
    tgid: Optional[int] = None
    flags: Optional[str] = None
    layout: str = attrs.field(default="", eq=False, repr=False)

    kind = "ftrace"

    def render(self) -> str:
        """Return the line this event came from, rebuilt from its typed fields."""
        return self.layout.format_map(_FieldView(self))


    def to_dict(self) -> Dict[str, Any]:
        """Return the event as plain JSON-ready data: ``kind``, ``file``, ``lines``, ``pid``, then its own fields.

        ``tgid`` and ``flags`` appear only when the trace printed them.
        """
        data = _common_dict(self)
        data.update(cpu=self.cpu, task=self.task, timestamp=self.timestamp)
        if self.tgid is not None:
            data["tgid"] = self.tgid
        if self.flags is not None:
            data["flags"] = self.flags
        for name in _own_fields(type(self)):
            data[name] = getattr(self, name)
        return data


@attrs.frozen(slots=True, kw_only=True)
class GraphEvent(FtraceEvent):
    """A line of ``function_graph`` output.

    ``depth`` is the call depth (0 for the outermost call shown), read from
    the indentation.  ``duration`` is in seconds (printed in microseconds);
    ``marker`` is the funcgraph-overhead mark (``+ ! # * @ $``), if any.
    """

    depth: int = 0

    kind = "funcgraph"


@attrs.frozen(slots=True, kw_only=True)
class FuncgraphEntry(GraphEvent):
    """The opening of a call that has children: ``__x64_sys_poll() {``."""

    func: str

    kind = "funcgraph_entry"


@attrs.frozen(slots=True, kw_only=True)
class FuncgraphExit(GraphEvent):
    """The closing brace of a call, with its duration.

    ``func`` is set only when funcgraph-tail (``} /* tcp_poll */``) or
    funcgraph-retval (``} /* func = -22 */``) names it; ``retval`` is the
    return value funcgraph-retval printed.
    """

    duration: Optional[float] = None
    marker: Optional[str] = None
    func: Optional[str] = None
    retval: Optional[int] = None

    kind = "funcgraph_exit"


@attrs.frozen(slots=True, kw_only=True)
class FuncgraphLeaf(GraphEvent):
    """A call with no traced children, on one line: ``__pollwait();``."""

    func: str
    duration: Optional[float] = None
    marker: Optional[str] = None
    retval: Optional[int] = None

    kind = "funcgraph_leaf"


@attrs.frozen(slots=True, kw_only=True)
class FuncgraphComment(GraphEvent):
    """A ``trace_printk()`` or marker comment inside the graph: ``/* I'm a comment! */``."""

    text: str

    kind = "funcgraph_comment"


@attrs.frozen(slots=True, kw_only=True)
class FuncgraphIrq(GraphEvent):
    """A funcgraph-irqs marker: ``==========>`` (interrupt entered) or ``<==========`` (left)."""

    entering: bool

    kind = "funcgraph_irq"


@attrs.frozen(slots=True, kw_only=True)
class TaskSwitch(FtraceEvent):
    """A function_graph context switch line: ``0) task-1 => task-2``.

    The CPU's graph continues in ``next_task``/``next_pid`` after it.
    """

    prev_task: str
    prev_pid: int
    next_task: str
    next_pid: int

    kind = "task_switch"


@attrs.frozen(slots=True, kw_only=True)
class Separator(FtraceEvent):
    """A dashed line around a task switch; ``comment`` is text a poster appended after ``#``."""

    comment: Optional[str] = None

    kind = "separator"


@attrs.frozen(slots=True, kw_only=True)
class FunctionCall(FtraceEvent):
    """A ``function`` tracer hit: ``do_nanosleep <-hrtimer_nanosleep``.

    ``parent`` is the caller; trace-cmd report's ``function:`` form has none.
    """

    func: str
    parent: Optional[str] = None

    kind = "function"


@attrs.frozen(slots=True, kw_only=True)
class StackTrace(FtraceEvent):
    """The ``<stack trace>`` line of func_stack_trace; :class:`StackFrame` lines follow it."""

    kind = "stack_trace"


@attrs.frozen(slots=True, kw_only=True)
class StackFrame(FtraceEvent):
    """One `` => frame`` line of a stack trace, innermost first."""

    frame: str

    kind = "stack_frame"


_FIELD = re.compile(r"(\w+)[=:] ?(\S+)")


@attrs.frozen(slots=True, kw_only=True)
class TraceEvent(FtraceEvent):
    """A tracepoint event: ``sched_switch: prev_comm=python3 prev_pid=22813 ...``.

    ``fields_text`` is the event's payload as its print format wrote it;
    :attr:`fields` splits the ``name=value`` (or ``name: value``) pairs in it.
    """

    name: str
    fields_text: str = ""

    kind = "trace_event"

    @property
    def fields(self) -> Dict[str, str]:
        """The payload's ``name=value`` pairs, values as text."""
        return {name: value.rstrip(",") for name, value in _FIELD.findall(self.fields_text)}


def _int_value(text: str) -> Optional[int]:
    try:
        return int(text, 0)
    except ValueError:
        try:
            return int(text, 16)
        except ValueError:
            return None


@attrs.frozen(slots=True, kw_only=True)
class SyscallEnter(TraceEvent):
    """A syscall entry tracepoint: ``sys_poll(ufds: 0x7f1baf3402c0, nfds: 1, timeout_msecs: 0xc8)``.

    trace-cmd report prints the same event as ``sys_enter_poll: ufds: ...``.
    ``syscall`` is the syscall's name without prefix (``poll``).
    """

    syscall: str

    kind = "sys_enter"

    @property
    def args(self) -> Dict[str, Optional[int]]:
        """The arguments by name as integers (every syscall tracepoint argument is one)."""
        return {name: _int_value(value) for name, value in self.fields.items()}


@attrs.frozen(slots=True, kw_only=True)
class SyscallExit(TraceEvent):
    """A syscall exit tracepoint: ``sys_poll -> 0x0`` (trace-cmd: ``sys_exit_poll: 0x0``)."""

    syscall: str
    retval: Optional[int] = None

    kind = "sys_exit"


@attrs.frozen(slots=True, kw_only=True)
class Header(FtraceEvent):
    """A header or banner line: ``# tracer: function_graph``, ``##### CPU 3 buffer started ####``,
    trace-cmd's ``cpus=8``, ``version = 6`` and ``CPU 0 is empty``.  ``cpu`` is set when the line names one.
    """

    text: str

    kind = "header"


@attrs.frozen(slots=True, kw_only=True)
class LostEvents(FtraceEvent):
    """The ring buffer overwrote ``count`` events of ``cpu``: ``CPU:3 [LOST 1228 EVENTS]``."""

    count: int

    kind = "lost_events"


@attrs.frozen(slots=True, kw_only=True)
class FtraceUnparsed(Unparsed):
    """A line of an ftrace file that is not ftrace output: prose, a shell prompt, an elision mark."""

    def render(self) -> str:
        """Return the line as it was (an unparsed line has no fields to rebuild it from)."""
        return self.raw[0] if self.raw else ""

    def to_dict(self) -> Dict[str, Any]:
        """Return the line as plain JSON-ready data with its reason."""
        data = _common_dict(self)
        data.update(reason=self.reason, column=self.column, text=self.raw[0] if self.raw else "")
        return data


# ---------------------------------------------------------------- the regexes

# The columns of a function_graph line, each optional but the CPU:
#   funcgraph-abstime  "7238523.638008 |   "
#   CPU                "  0) "
#   funcgraph-proc     "   sh-4802     |  "
# then the duration column ("  0.421 us    |", "@ 204432.8 us |", blank "|", an
# irq arrow), absent with nofuncgraph-duration, then the indented call.
_GRAPH = re.compile(
    r"(?P<lead>[ \t]*)"
    r"(?:(?P<abstime>\d+\.\d+) +\| +)?"
    r"(?P<cpu>\d+)\)"
    # NOTE: a funcgraph-proc task name that contains a space is not read as one.
    r"(?: +(?P<task>[^\s\[\]]+)-(?P<pid>\d+) +\|)?"
    r"(?P<gap> *)"
    r"(?:"
    r"(?:(?P<marker>[+!#*@$]) +)?(?P<duration>\d+(?:\.\d+)?) us +\|(?P<indent> *)"
    r"|(?P<irq>==========>|<==========) \|\Z"
    r"|\|(?P<blank_indent> *)"
    r")?"
)

# The call after the indentation.
_CALL = re.compile(
    r"(?P<func>[A-Za-z_][\w.]*)\(\) \{\Z"
    r"|(?P<leaf>[A-Za-z_][\w.]*)\(\);(?: +/\* = (?P<leaf_retval>\S+) \*/)?\Z"
    r"|\}(?: +/\* (?P<tail>[A-Za-z_][\w.]*)(?:\(\))?(?: = (?P<exit_retval>\S+))? \*/)?\Z"
    r"|/\* ?(?P<text>.*?) ?\*/\Z"
)

#          <idle>-0     [001] d.h1  4186.475409: hrtimer_interrupt <-smp_apic_timer_interrupt
#          python3-22877   (  22877) [000] .....  1470.806066: sched_process_exec: ...
#             ruby-2564  [001] 107227.460641: funcgraph_entry:        7.076 us   |  ...
# The task is the shortest text before "-pid" that is followed by the CPU column,
# so task names holding "-" (memfd:sealed-91-2367) keep it.
_EVENT_HEAD = re.compile(
    r"(?P<lead>[ \t]*)(?P<task>\S.*?)-(?P<pid>\d+) +"
    r"(?:\( *(?P<tgid>\d+|-+)\) +)?"
    r"\[(?P<cpu>\d+)\] +"
    r"(?:(?P<flags>[.A-Za-z0-9]{4,5}) +)?"
    r"(?P<timestamp>\d+\.\d+): "
)

_FUNCTION = re.compile(r" *(?P<func>[A-Za-z_][\w.]*) <-(?P<parent>\S+)\Z")
_TRACECMD_FUNCTION = re.compile(r"function: +(?P<func>[A-Za-z_][\w.]*)(?: <-(?P<parent>\S+))?\Z")
_SYSCALL_ENTER = re.compile(r" *sys_(?P<syscall>\w+)\((?P<fields>[^()]*)\)\Z")
_SYSCALL_EXIT = re.compile(r" *sys_(?P<syscall>\w+) -> (?P<retval>-?(?:0x[0-9a-fA-F]+|\d+))\Z")
_TRACE_EVENT = re.compile(r" *(?P<name>[A-Za-z_]\w*): *(?P<fields>.*?)\Z")
_STACK_TRACE = re.compile(r" *<stack trace>\Z")
_TRACECMD_GRAPH = re.compile(
    r"funcgraph_(?:entry|exit): +(?:(?P<marker>[+!#*@$]) +)?(?:(?P<duration>\d+(?:\.\d+)?) us +)?\|(?P<indent> *)"
)

_TASK_SWITCH = re.compile(
    r"(?P<lead>[ \t]*)(?P<cpu>\d+)\) +(?P<prev_task>\S+)-(?P<prev_pid>\d+) +=> +(?P<next_task>\S+)-(?P<next_pid>\d+) *\Z"
)
_SEPARATOR = re.compile(r"[ \t]*-{10,}(?:[ \t]+#[ \t]*(?P<comment>.*))?\Z")
_STACK_FRAME = re.compile(r"[ \t]*=> (?P<frame>\S.*?)\Z")
_BUFFER_STARTED = re.compile(r"[ \t]*#{5} CPU (?P<cpu>\d+) buffer started #{4}\Z")
_TRACECMD_HEADER = re.compile(r"(?:version = \d+|cpus=\d+|CPU (?P<cpu>\d+) is empty)\Z")
_LOST_EVENTS = re.compile(r"[ \t]*CPU:(?P<cpu>\d+) \[LOST (?P<count>\d+) EVENTS\]\Z")
_ELISION = re.compile(r"[ \t]*(?:\[\.\.\.\]|\.{3,}|\.\.\. .*\.\.\.)[ \t]*\Z")


def _escape(text: str) -> str:
    if "{" in text or "}" in text:
        return text.replace("{", "{{").replace("}", "}}")
    return text


# Regex groups whose text is a typed field, and the attribute each one fills.
_FIELD_ATTRIBUTES = {
    "task": "task", "pid": "pid", "cpu": "cpu", "func": "func", "leaf": "func", "tail": "func",
    "parent": "parent", "prev_task": "prev_task", "prev_pid": "prev_pid", "next_task": "next_task",
    "next_pid": "next_pid", "comment": "comment", "frame": "frame", "count": "count", "name": "name",
    "fields": "fields_text", "syscall": "syscall", "text": "text",
}


@functools.lru_cache(maxsize=None)
def _field_groups(pattern: "re.Pattern[str]") -> Tuple[Tuple[str, str], ...]:
    """Return a regex's field groups in the order they appear in it, which in these regexes is line order."""
    groups = sorted((index, name) for name, index in pattern.groupindex.items() if name in _FIELD_ATTRIBUTES)
    return tuple((name, _FIELD_ATTRIBUTES[name]) for _, name in groups)


def _layout(raw: str, *matches: "re.Match[str]") -> str:
    """Return ``raw`` with the typed fields that ``matches`` found replaced by placeholders.

    The matches run over ``raw`` itself, in line order.  A zero-padded CPU
    (``[001]``) keeps its width in the placeholder's format spec, so
    rendering the integer gives the same text back.
    """
    pieces = []
    position = 0
    for match in matches:
        for name, attribute in _field_groups(match.re):
            start, end = match.span(name)
            if start < position:  # the group did not take part in the match
                continue
            pieces.append(_escape(raw[position:start]))
            if attribute == "cpu" and end - start > 1 and raw[start] == "0":
                pieces.append("{cpu:0%dd}" % (end - start))
            else:
                pieces.append("{%s}" % attribute)
            position = end
    pieces.append(_escape(raw[position:]))
    return "".join(pieces)


def _retval(text: Optional[str]) -> Optional[int]:
    if text is None:
        return None
    try:
        return int(text, 0)
    except ValueError:
        return None


def _call_event(call: "re.Match[str]", depth: int, duration_text: Optional[str], marker: Optional[str],
                common: Dict[str, Any]) -> GraphEvent:
    """Build the entry, leaf, exit or comment event of a graph call that :data:`_CALL` matched."""
    if call.group("func") is not None:
        return FuncgraphEntry(func=call.group("func"), depth=depth, **common)
    duration = float(duration_text) / _MICROSECONDS_PER_SECOND if duration_text is not None else None
    if call.group("leaf") is not None:
        return FuncgraphLeaf(
            func=call.group("leaf"), duration=duration, marker=marker, retval=_retval(call.group("leaf_retval")),
            depth=depth, **common,
        )
    if call.group("text") is not None:
        return FuncgraphComment(text=call.group("text"), depth=depth, **common)
    return FuncgraphExit(
        duration=duration, marker=marker, func=call.group("tail"), retval=_retval(call.group("exit_retval")),
        depth=depth, **common,
    )


# ---------------------------------------------------------------- the parser


class FtraceParser:
    """Turns ftrace lines into events, one line at a time.

    Call :meth:`feed` with each line; it returns the line's event, or None
    for a blank line.  The parser keeps no state between lines except its
    counters, so any slice of a trace parses as it does in the whole.
    """

    def __init__(self, file: str = "<string>") -> None:
        self.file = file
        self.lines = 0
        self.unparsed = 0

    def feed(self, number: int, raw: str) -> Optional[Event]:
        """Parse one line (``number`` is 1-based, ``raw`` has no line end)."""
        stripped = raw.lstrip(" \t")
        if not stripped:
            return None
        self.lines += 1
        first = stripped[0]
        event: Optional[Event] = None
        if first.isdigit():
            event = self._graph(number, raw) or self._task_switch(number, raw)
        elif first == "#":
            event = self._header(number, raw, stripped)
        elif first == "-":
            event = self._separator(number, raw)
        elif first == "=":
            event = self._stack_frame(number, raw)
        elif first == "C" or first == "v" or first == "c":
            event = self._lost_events(number, raw) or self._tracecmd_header(number, raw, stripped)
        if event is None:
            event = self._event_line(number, raw)
        if event is None:
            event = self._explain(number, raw)
        return event

    def _common(self, number: int, raw: str, timestamp: Optional[float], layout: str, **fields: Any) -> Dict[str, Any]:
        return dict(
            timestamp=timestamp, timestamp_kind=FTRACE_CLOCK if timestamp is not None else None, time=timestamp,
            lines=(number,), raw=(raw,), file=self.file, layout=layout, **fields,
        )

    # -- function_graph

    def _graph(self, number: int, raw: str) -> Optional[Event]:
        match = _GRAPH.match(raw)
        if match is None:
            return None
        task = match.group("task")
        abstime = match.group("abstime")
        timestamp = float(abstime) if abstime is not None else None
        common = self._common(
            number, raw, timestamp, "", cpu=int(match.group("cpu")), task=task,
            pid=int(match.group("pid")) if task is not None else None,
        )
        irq = match.group("irq")
        if irq is not None:
            common["layout"] = _layout(raw, match)
            return FuncgraphIrq(entering=irq.startswith("="), **common)
        indent = match.group("indent")
        if indent is None:
            indent = match.group("blank_indent")
        if indent is not None:
            depth = len(indent) // 2 - 1  # the kernel prints "|  ", then two spaces a level
        elif task is None:
            depth = (len(match.group("gap")) - 1) // 2  # nofuncgraph-duration: "1)   getname() {"
        else:
            return None
        call = _CALL.match(raw, match.end())
        if call is None:
            return None
        common["layout"] = _layout(raw, match, call)
        return _call_event(call, max(depth, 0), match.group("duration"), match.group("marker"), common)

    def _task_switch(self, number: int, raw: str) -> Optional[Event]:
        match = _TASK_SWITCH.match(raw)
        if match is None:
            return None
        return TaskSwitch(
            prev_task=match.group("prev_task"), prev_pid=int(match.group("prev_pid")),
            next_task=match.group("next_task"), next_pid=int(match.group("next_pid")),
            **self._common(number, raw, None, _layout(raw, match), cpu=int(match.group("cpu"))),
        )

    def _separator(self, number: int, raw: str) -> Optional[Event]:
        match = _SEPARATOR.match(raw)
        if match is None:
            return None
        return Separator(comment=match.group("comment"), **self._common(number, raw, None, _layout(raw, match)))

    # -- event lines

    def _event_line(self, number: int, raw: str) -> Optional[Event]:
        head = _EVENT_HEAD.match(raw)
        if head is None:
            return None
        tgid = head.group("tgid")
        common = self._common(
            number, raw, float(head.group("timestamp")), "", task=head.group("task"), pid=int(head.group("pid")),
            tgid=int(tgid) if tgid is not None and tgid.isdigit() else None, cpu=int(head.group("cpu")),
            flags=head.group("flags"),
        )
        start = head.end()
        graph = _TRACECMD_GRAPH.match(raw, start)
        if graph is not None:
            return self._tracecmd_graph(raw, head, graph, common)
        for regex, build in _EVENT_BODIES:
            match = regex.match(raw, start)
            if match is not None:
                common["layout"] = _layout(raw, head, match)
                return build(match, common)
        return None

    def _tracecmd_graph(self, raw: str, head: "re.Match[str]", graph: "re.Match[str]",
                        common: Dict[str, Any]) -> Optional[Event]:
        """Read trace-cmd's ``funcgraph_entry:        7.076 us   |  func();`` payload."""
        call = _CALL.match(raw, graph.end())
        if call is None:
            return None
        common["layout"] = _layout(raw, head, call)
        indent = graph.group("indent")
        return _call_event(call, max(len(indent) // 2 - 1, 0), graph.group("duration"), graph.group("marker"), common)

    # -- the rest

    def _stack_frame(self, number: int, raw: str) -> Optional[Event]:
        match = _STACK_FRAME.match(raw)
        if match is None:
            return None
        return StackFrame(frame=match.group("frame"), **self._common(number, raw, None, _layout(raw, match)))

    def _header(self, number: int, raw: str, stripped: str) -> Event:
        started = _BUFFER_STARTED.match(raw)
        cpu = int(started.group("cpu")) if started else None
        return Header(text=stripped, **self._common(number, raw, None, _escape(raw), cpu=cpu))

    def _tracecmd_header(self, number: int, raw: str, stripped: str) -> Optional[Event]:
        match = _TRACECMD_HEADER.match(stripped)
        if match is None:
            return None
        cpu = int(match.group("cpu")) if match.group("cpu") else None
        return Header(text=stripped, **self._common(number, raw, None, _escape(raw), cpu=cpu))

    def _lost_events(self, number: int, raw: str) -> Optional[Event]:
        match = _LOST_EVENTS.match(raw)
        if match is None:
            return None
        return LostEvents(
            count=int(match.group("count")),
            **self._common(number, raw, None, _layout(raw, match), cpu=int(match.group("cpu"))),
        )

    def _explain(self, number: int, raw: str) -> FtraceUnparsed:
        """Say why a line is not ftrace output, with the grammar's column when it has one."""
        self.unparsed += 1
        if _ELISION.match(raw):
            reason = "elision mark: lines were left out of the excerpt here"
            return FtraceUnparsed(lines=(number,), raw=(raw,), file=self.file, reason=reason)
        try:
            parse_ftrace_line_tree(raw, file=self.file, line=number)
        except ParseError as error:
            return FtraceUnparsed(
                lines=(number,), raw=(raw,), file=self.file, reason="not ftrace output: " + error.reason,
                column=error.column, expected=error.expected,
            )
        return FtraceUnparsed(
            lines=(number,), raw=(raw,), file=self.file,
            reason="the grammar accepts this line but the fast reader does not support its shape",
        )


def _function(match: "re.Match[str]", common: Dict[str, Any]) -> Event:
    return FunctionCall(func=match.group("func"), parent=match.group("parent"), **common)


def _stack_trace(match: "re.Match[str]", common: Dict[str, Any]) -> Event:
    return StackTrace(**common)


def _syscall_enter(match: "re.Match[str]", common: Dict[str, Any]) -> Event:
    syscall = match.group("syscall")
    return SyscallEnter(name="sys_" + syscall, syscall=syscall, fields_text=match.group("fields"), **common)


def _syscall_exit(match: "re.Match[str]", common: Dict[str, Any]) -> Event:
    syscall = match.group("syscall")
    return SyscallExit(
        name="sys_" + syscall, syscall=syscall, fields_text=match.group("retval"),
        retval=_retval(match.group("retval")), **common,
    )


def _trace_event(match: "re.Match[str]", common: Dict[str, Any]) -> Event:
    name = match.group("name")
    fields = match.group("fields")
    if name.startswith("sys_enter_"):
        return SyscallEnter(name=name, syscall=name[10:], fields_text=fields, **common)
    if name.startswith("sys_exit_"):
        return SyscallExit(name=name, syscall=name[9:], fields_text=fields, retval=_retval(fields.strip()), **common)
    return TraceEvent(name=name, fields_text=fields, **common)


# What may follow an event line's head, tried in this order.
_EVENT_BODIES = (
    (_FUNCTION, _function),
    (_TRACECMD_FUNCTION, _function),
    (_STACK_TRACE, _stack_trace),
    (_SYSCALL_ENTER, _syscall_enter),
    (_SYSCALL_EXIT, _syscall_exit),
    (_TRACE_EVENT, _trace_event),
)


# ---------------------------------------------------------------- the grammar

GRAMMAR = os.path.join(os.path.dirname(__file__), "grammars", "ftrace.lark")


@functools.lru_cache(maxsize=None)
def ftrace_parser() -> lark.Lark:
    """Return the ftrace grammar's LALR parser, built once per process."""
    return lark.Lark.open(GRAMMAR, parser="lalr", lexer="contextual", start="line", maybe_placeholders=False)


def parse_ftrace_line_tree(text: str, *, file: str = "<string>", line: Optional[int] = None) -> lark.Tree:
    """Parse one ftrace line with the grammar and return its tree.

    The reader uses this to explain lines its regexes reject, and the tests
    use it to check those regexes against the grammar.  Raises
    :class:`ParseError` with the column where the line stops being ftrace.
    """
    try:
        return ftrace_parser().parse(text)
    except lark.exceptions.UnexpectedInput as error:
        column = getattr(error, "column", None)
        if isinstance(error, lark.exceptions.UnexpectedEOF) or not isinstance(column, int) or column < 1:
            column = len(text) + 1
            found = "end of line"
        else:
            found = repr(text[column - 1 : column + 9])
        expected = tuple(sorted(getattr(error, "expected", None) or getattr(error, "allowed", None) or ()))
        reason = "unexpected %s at column %d" % (found, column)
        raise ParseError(reason, file=file, line=line, column=column, text=text, expected=expected) from None
    except lark.exceptions.LarkError as error:
        raise ParseError(str(error).splitlines()[0], file=file, line=line, text=text) from None


# ---------------------------------------------------------------- entry points


def parse_ftrace_lines(lines: Iterable[str], *, file: str = "<string>") -> Iterator[Event]:
    """Parse an iterable of ftrace lines (line ends optional) into events."""
    parser = FtraceParser(file)
    for number, raw in enumerate(read_lines(lines), 1):
        event = parser.feed(number, raw)
        if event is not None:
            yield event


def _parse_ftrace_file(path: "os.PathLike[str] | str") -> Iterator[Event]:
    name = "<stdin>" if str(path) == "-" else os.fspath(path)
    handle = open_trace(path)
    try:
        yield from parse_ftrace_lines(handle, file=name)
    except (OSError, EOFError) as error:
        raise InputError("%s: cannot read trace: %s" % (name, error)) from None
    finally:
        if str(path) != "-":
            handle.close()


def parse_ftrace(source: Source, *, file: Optional[str] = None) -> Iterator[Event]:
    """Parse ftrace text from a path, an open file, or an iterable of lines.

    A ``str`` containing a line break is taken as trace text, any other
    ``str`` or path-like as a file name (``-`` is standard input).
    """
    if isinstance(source, str) and ("\n" in source or "\r" in source):
        return parse_ftrace_lines(io.StringIO(source), file=file or "<string>")
    if isinstance(source, (str, os.PathLike)):
        return _parse_ftrace_file(source)
    return parse_ftrace_lines(source, file=file or getattr(source, "name", "<stream>"))


# ---------------------------------------------------------------- format detection

# Lines only ftrace prints: a graph line's "N) ", an event head's "task-pid [cpu]",
# "# tracer:", trace-cmd's header.  Lines only strace prints: "name(...) = ret",
# "+++ exited", "--- SIGxxx", "[pid N]".
_FTRACE_SIGNS = re.compile(
    r"[ \t]*(?:(?:\d+\.\d+ +\| +)?\d+\) .*(?:\||\(\)[ ;]|\}\Z|=>)"
    r"|[ \t]*\S.*-\d+ +(?:\( *[\d-]+\) +)?\[\d+\] "
    r"|[ \t]*# tracer: |cpus=\d+\Z|version = \d+\Z)"
)
_STRACE_SIGNS = re.compile(
    r"(?:\[pid +\d+\] |\d+ +)?(?:[\d:.]+ +)?(?:[a-z_0-9]+\(.*(?:\) += |<unfinished \.\.\.>)|<\.\.\. \w+ resumed>|\+\+\+ |--- )"
)

#: What :func:`detect_format` returns.
FORMATS = ("strace", "ftrace")


def detect_format(first_lines: Iterable[str]) -> str:
    """Return ``"ftrace"`` or ``"strace"`` for a trace, judged from its first lines.

    Counts the lines that only one of the tools prints; a tie (prose only, or
    an empty file) is ``"strace"``, the format straceparse reads by default.
    """
    ftrace = strace = 0
    for line in first_lines:
        line = line.rstrip("\r\n")
        if _FTRACE_SIGNS.match(line):
            ftrace += 1
        elif _STRACE_SIGNS.match(line):
            strace += 1
    return "ftrace" if ftrace > strace else "strace"
