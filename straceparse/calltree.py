"""Call trees rebuilt from function_graph events.

In: ftrace events in line order (other events are skipped).  Out:
:class:`CallNode` trees, one forest per CPU, and per task when the trace
shows which task ran (funcgraph-proc, trace-cmd's task column, or the
``0) task-1 => task-2`` switch lines).  A trace cut at either end still
gives trees: a closing brace with no opening becomes a node with
``started=False`` that adopts the deeper calls before it, and a call still
open at the end has ``finished=False`` and no duration.  Nothing here raises
for bad input.
"""

from __future__ import annotations

from typing import Dict, Iterable, Iterator, List, Optional, Tuple

from .events import Event
from .ftrace import FtraceEvent, FuncgraphEntry, FuncgraphExit, FuncgraphLeaf, Header, LostEvents, TaskSwitch, parse_ftrace
from .parser import Source

__all__ = ["CallNode", "CallTreeBuilder", "call_tree", "function_totals", "FunctionTotal"]


class CallNode:
    """One kernel function call and the calls it made.

    ``entry`` is the opening line's event (None when the excerpt starts
    inside the call), ``exit`` the closing or leaf event (None when it ends
    inside it).  ``duration`` is in seconds, as the closing line printed it.
    """

    __slots__ = ("func", "cpu", "task", "pid", "depth", "entry", "exit", "children", "parent")

    def __init__(self, func: Optional[str], cpu: Optional[int], task: Optional[str], pid: Optional[int],
                 depth: int, entry: Optional[FtraceEvent] = None, exit: Optional[FtraceEvent] = None) -> None:
        self.func = func
        self.cpu = cpu
        self.task = task
        self.pid = pid
        self.depth = depth
        self.entry = entry
        self.exit = exit
        self.children: List[CallNode] = []
        self.parent: Optional[CallNode] = None

    def __repr__(self) -> str:
        return "CallNode(%s, cpu=%s, depth=%d, duration=%s, children=%d)" % (
            self.func, self.cpu, self.depth, self.duration, len(self.children),
        )

    @property
    def started(self) -> bool:
        """False when the trace contains the call's end but not its start."""
        return self.entry is not None

    @property
    def finished(self) -> bool:
        """False when the trace ends (or is cut) before the call returned."""
        return self.exit is not None

    @property
    def duration(self) -> Optional[float]:
        """Seconds the call took, from its closing line; None if that line is missing or has no duration."""
        return getattr(self.exit, "duration", None)

    @property
    def self_time(self) -> Optional[float]:
        """Seconds spent in the call itself: its duration less its children's."""
        duration = self.duration
        if duration is None:
            return None
        return max(duration - sum(child.duration or 0.0 for child in self.children), 0.0)

    @property
    def file(self) -> str:
        event = self.entry or self.exit
        return event.file if event is not None else "<string>"

    @property
    def whole(self) -> bool:
        """True when this call and every call under it has both its opening and its end in the trace."""
        return all(node.started and node.finished for node in self.walk())

    def walk(self) -> Iterator["CallNode"]:
        """Yield this node and every node under it, depth first, in call order."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def events(self) -> List[FtraceEvent]:
        """Return the events of this call's lines in line order: entries, leaves and exits."""
        found = {}
        for node in self.walk():
            for event in (node.entry, node.exit):
                if event is not None:
                    found[id(event)] = event
        return sorted(found.values(), key=lambda event: event.line)

    @property
    def first_line(self) -> int:
        """The line number where this call's subtree starts in the trace."""
        node = self
        while node.entry is None and node.children:
            node = node.children[0]
        event = node.entry or node.exit
        return event.line if event is not None else 0

    @property
    def lines(self) -> Tuple[int, ...]:
        """The line numbers of this call's subtree, in order."""
        return tuple(event.line for event in self.events())


# The key of one stream of nested calls: the CPU, and the pid when known.
_Key = Tuple[Optional[int], Optional[int]]


class _Stream:
    __slots__ = ("open", "pending")

    def __init__(self) -> None:
        self.open: List[CallNode] = []  # calls entered and not yet returned, outermost first
        self.pending: List[CallNode] = []  # finished calls with no parent yet (they may get one)


class CallTreeBuilder:
    """Builds call trees one event at a time.

    :meth:`feed` returns the trees that are final: a depth-0 call that
    returned.  :meth:`finish` returns the rest: calls whose caller is not in
    the trace, and calls still open at the end.
    """

    def __init__(self) -> None:
        self._streams: Dict[_Key, _Stream] = {}
        self._running: Dict[Optional[int], Tuple[Optional[str], int]] = {}  # CPU -> task after a switch line

    def _who(self, event: FtraceEvent) -> Tuple[Optional[str], Optional[int]]:
        if event.pid is not None:
            return event.task, event.pid
        return self._running.get(event.cpu, (None, None))

    def feed(self, event: Event) -> List[CallNode]:
        """Add one event; return the trees it completed.

        A new ``# tracer:`` header or a lost-events line breaks the graph's
        continuity, so it ends every tree in progress (as :meth:`finish` does).
        """
        if isinstance(event, LostEvents) or isinstance(event, Header) and event.text.startswith("# tracer:"):
            return self.finish()
        if isinstance(event, TaskSwitch):
            self._running[event.cpu] = (event.next_task, event.next_pid)
            return []
        if not isinstance(event, (FuncgraphEntry, FuncgraphExit, FuncgraphLeaf)):
            return []
        task, pid = self._who(event)
        stream = self._streams.setdefault((event.cpu, pid), _Stream())
        depth = event.depth
        if isinstance(event, FuncgraphEntry):
            self._close_deeper(stream, depth - 1)
            node = CallNode(event.func, event.cpu, task, pid, depth, entry=event)
            stream.open.append(node)
            return []
        self._close_deeper(stream, depth)
        if isinstance(event, FuncgraphLeaf):
            node = CallNode(event.func, event.cpu, task, pid, depth, entry=event, exit=event)
            return self._place(stream, node)
        if stream.open and stream.open[-1].depth == depth:
            node = stream.open.pop()
            node.exit = event
            if node.func is None:
                node.func = event.func
            return self._place(stream, node)
        # A closing brace whose opening is before the excerpt: it adopts the
        # deeper calls that finished just before it at this level.
        node = CallNode(event.func, event.cpu, task, pid, depth, exit=event)
        siblings = stream.open[-1].children if stream.open else stream.pending
        keep = len(siblings)
        while keep and siblings[keep - 1].depth > depth:
            keep -= 1
        node.children = siblings[keep:]
        del siblings[keep:]
        for child in node.children:
            child.parent = node
        return self._place(stream, node)

    def _close_deeper(self, stream: _Stream, depth: int) -> None:
        """Leave open calls deeper than ``depth`` unfinished: their closing lines are missing."""
        while stream.open and stream.open[-1].depth > depth:
            node = stream.open.pop()
            self._place(stream, node)

    def _place(self, stream: _Stream, node: CallNode) -> List[CallNode]:
        if stream.open:
            parent = stream.open[-1]
            node.parent = parent
            parent.children.append(node)
            return []
        if node.depth == 0:
            return [node]
        stream.pending.append(node)
        return []

    def finish(self) -> List[CallNode]:
        """Return the trees not returned by :meth:`feed`, calls open at the end included."""
        trees: List[CallNode] = []
        for stream in self._streams.values():
            while stream.open:
                node = stream.open.pop()
                trees.extend(self._place(stream, node))
            trees.extend(stream.pending)
            stream.pending = []
        self._streams.clear()
        self._running.clear()
        trees.sort(key=lambda node: node.first_line)
        return trees


def build_call_trees(events: Iterable[Event]) -> List[CallNode]:
    """Return every call tree in ``events``, ordered by their first line."""
    builder = CallTreeBuilder()
    trees: List[CallNode] = []
    for event in events:
        trees.extend(builder.feed(event))
    trees.extend(builder.finish())
    trees.sort(key=lambda node: node.first_line)
    return trees


def call_tree(source: Source) -> List[CallNode]:
    """Parse a function_graph trace (a path, text, a file or lines) and return its call trees.

    Each root is the outermost call the excerpt shows on one CPU (and task);
    walk it with :meth:`CallNode.walk`.
    """
    return build_call_trees(parse_ftrace(source))


class FunctionTotal:
    """The time one kernel function took over a trace."""

    __slots__ = ("func", "calls", "total", "self_total", "max")

    def __init__(self, func: str) -> None:
        self.func = func
        self.calls = 0
        self.total = 0.0
        self.self_total = 0.0
        self.max = 0.0


def function_totals(trees: Iterable[CallNode]) -> List[FunctionTotal]:
    """Sum the durations of each function's calls, most total time first.

    ``total`` counts a recursive function once per level, so it can exceed
    the trace's span; ``self_total`` never double counts.  Calls without a
    duration (cut by the excerpt, or nofuncgraph-duration) are not counted.
    """
    totals: Dict[str, FunctionTotal] = {}
    for tree in trees:
        for node in tree.walk():
            duration = node.duration
            if duration is None or node.func is None:
                continue
            total = totals.get(node.func)
            if total is None:
                total = totals[node.func] = FunctionTotal(node.func)
            total.calls += 1
            total.total += duration
            total.self_total += node.self_time or 0.0
            total.max = max(total.max, duration)
    return sorted(totals.values(), key=lambda total: (-total.total, total.func))
