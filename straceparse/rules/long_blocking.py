"""Rule ``long-blocking-syscall``: a syscall that stayed in the kernel for at least ``min_ms``.

Reads ftrace only (strace events are skipped).  Two sources of evidence:
a function_graph call tree whose outermost syscall function
(``__x64_sys_poll``, ``__arm64_sys_ppoll``, ``do_sys_poll``, ``do_select``,
``do_epoll_wait``, ``do_nanosleep``, ``futex_wait``, ...) took ``min_ms`` or
more, and a ``sys_enter_*``/``sys_exit_*`` tracepoint pair of one task that
far apart.  When the syscall's own timeout is in the trace (the ``poll``
and ``epoll_wait`` entry events print it), the finding states whether the call
waited the whole timeout: the Exim case, ``__x64_sys_poll`` closing at
``@ 204435.1 us`` after a 200 ms poll that nothing ended early.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Tuple

from ..calltree import CallNode, CallTreeBuilder
from ..events import Event
from ..ftrace import FtraceEvent, SyscallEnter, SyscallExit
from ..processes import ProcessTable
from .engine import Finding, Rule, evidence_of, register

__all__ = ["LongBlockingSyscall", "syscall_of_function"]

# Prefixes of a syscall's kernel entry function, by architecture and kernel
# version: __x64_sys_poll (x86-64, 4.17+), __arm64_sys_ppoll, __ia32_sys_*,
# __se_sys_/__do_sys_ (SYSCALL_DEFINE wrappers), sys_/SyS_ (before 4.17).
_ENTRY_PREFIXES = ("__x64_sys_", "__arm64_sys_", "__ia32_sys_", "__riscv_sys_", "__se_sys_", "__do_sys_",
                   "sys_", "SyS_")

# Kernel functions that do a syscall's waiting, and the syscall they serve,
# for excerpts traced from below the entry function (set_graph_function).
_WAIT_FUNCTIONS = {
    "do_sys_poll": "poll",
    "do_select": "select",
    "core_sys_select": "select",
    "do_epoll_wait": "epoll_wait",
    "ep_poll": "epoll_wait",
    "do_nanosleep": "nanosleep",
    "hrtimer_nanosleep": "nanosleep",
    "futex_wait": "futex",
    "futex_wait_queue": "futex",
    "futex_wait_queue_me": "futex",
    "do_futex": "futex",
}

# Syscalls whose entry tracepoint prints the timeout as a number of
# milliseconds, and that argument's name.  ppoll, select, epoll_pwait2,
# nanosleep and futex pass a pointer instead, so their timeout is not visible.
_TIMEOUT_ARGUMENTS = {"poll": "timeout_msecs", "epoll_wait": "timeout", "epoll_pwait": "timeout"}

_MAX_EVIDENCE_LINES = 40


def syscall_of_function(func: Optional[str]) -> Optional[str]:
    """Return the syscall a kernel function implements (``__x64_sys_poll`` -> ``poll``), or None."""
    if func is None:
        return None
    wait = _WAIT_FUNCTIONS.get(func)
    if wait is not None:
        return wait
    for prefix in _ENTRY_PREFIXES:
        if func.startswith(prefix) and len(func) > len(prefix):
            return func[len(prefix) :]
    return None


def _timeout_ms(enter: Optional[SyscallEnter]) -> Optional[float]:
    if enter is None:
        return None
    argument = _TIMEOUT_ARGUMENTS.get(enter.syscall)
    value = enter.args.get(argument) if argument is not None else None
    # The tracepoint prints an int as unsigned hex, so -1 (wait forever) reads as 0xffffffff.
    if value is None or value >= 0x80000000:
        return None
    return float(value)


def _who(task: Optional[str], pid: Optional[int], cpu: Optional[int]) -> str:
    parts = []
    if task is not None and pid is not None:
        parts.append("task %s-%d" % (task, pid))
    elif pid is not None:
        parts.append("pid %d" % pid)
    if cpu is not None:
        parts.append("CPU %d" % cpu)
    return " on ".join(parts) if parts else "an unknown task"


def _outcome(duration: float, timeout_ms: Optional[float], retval: Optional[int]) -> Tuple[str, Optional[bool]]:
    """Describe the call's end against its timeout; return the text and whether it waited it all."""
    if timeout_ms is None:
        return "its timeout is not in the trace", None
    if duration * 1000.0 >= timeout_ms:
        returned = "" if retval is None else " (returned %d)" % retval
        return "it waited its whole %g ms timeout%s" % (timeout_ms, returned), True
    returned = "" if retval is None else " %d" % retval
    return "it returned%s before its %g ms timeout" % (returned, timeout_ms), False


def _heaviest_path(node: CallNode) -> List[CallNode]:
    path = [node]
    while node.children:
        node = max(node.children, key=lambda child: child.duration or 0.0)
        path.append(node)
    return path


def _evidence_events(node: CallNode) -> List[FtraceEvent]:
    """Return the whole subtree's lines when short, else the lines of its slowest call chain."""
    events = node.events()
    if len(events) <= _MAX_EVIDENCE_LINES:
        return events
    chosen = []
    for call in _heaviest_path(node):
        chosen.extend(event for event in (call.entry, call.exit) if event is not None)
    return sorted(set(chosen), key=lambda event: event.line)


@register
class LongBlockingSyscall(Rule):
    id = "long-blocking-syscall"
    summary = "a syscall stays in the kernel for min_ms or longer (ftrace function_graph or syscall events)"
    options = {"min_ms": 100.0}
    option_help = {"min_ms": "time in the kernel from which a syscall is reported, in milliseconds"}
    syscalls = frozenset()  # strace events never matter here
    event_types = (FtraceEvent,)

    def __init__(self, **settings) -> None:
        super().__init__(**settings)
        self._trees = CallTreeBuilder()
        # The last syscall entry event of each pid (or of each CPU when there is no pid).
        self._entered: Dict[Tuple[str, Optional[int]], SyscallEnter] = {}
        self._covered: set = set()  # entry events a call tree finding already used

    @classmethod
    def describe_total(cls, count: int, seconds: float) -> str:
        return "%d syscall%s blocked %.2f s in all (ftrace)" % (count, "" if count == 1 else "s", seconds)

    def feed(self, event: Event, processes: ProcessTable) -> Iterable[Finding]:
        if not isinstance(event, FtraceEvent):
            return ()
        if isinstance(event, SyscallEnter):
            self._entered[("pid", event.pid)] = event
            self._entered[("cpu", event.cpu)] = event
            return ()
        if isinstance(event, SyscallExit):
            return self._exited(event)
        return self._from_trees(self._trees.feed(event))

    def finish(self, processes: ProcessTable) -> Iterable[Finding]:
        # NOTE: a sys_enter event with no sys_exit by the end of the trace is
        # not reported, because how long that call blocked is unknown.
        return self._from_trees(self._trees.finish())

    # -- syscall tracepoints

    def _exited(self, event: SyscallExit) -> List[Finding]:
        enter = self._entered.pop(("pid", event.pid), None)
        if enter is None or enter.syscall != event.syscall:
            return []
        if self._entered.get(("cpu", enter.cpu)) is enter:
            del self._entered[("cpu", enter.cpu)]
        if id(enter) in self._covered:
            self._covered.discard(id(enter))
            return []
        # NOTE: a call tree that completes only at the end of the trace (its
        # caller is missing) is checked after this exit event, so a trace with
        # both function_graph and syscall events can report such a call twice.
        if enter.time is None or event.time is None:
            return []
        duration = event.time - enter.time
        if duration * 1000.0 < self.min_ms:
            return []

        timeout_ms = _timeout_ms(enter)
        outcome, whole = _outcome(duration, timeout_ms, event.retval)
        message = "%s by %s blocked for %.3f ms; %s" % (
            event.syscall, _who(event.task, event.pid, event.cpu), duration * 1000.0, outcome,
        )
        lines, evidence = evidence_of([enter, event])
        return [
            Finding(
                rule=self.id, file=event.file, message=message, cost_seconds=duration, lines=lines,
                evidence=evidence, pid=event.pid, cpu=event.cpu, timeout_ms=timeout_ms, cost_source="timestamps",
                details={
                    "syscall": event.syscall, "task": event.task, "retval": event.retval,
                    "waited_whole_timeout": whole, "threshold_ms": self.min_ms,
                },
            )
        ]

    # -- call trees

    def _from_trees(self, trees: List[CallNode]) -> List[Finding]:
        found = []
        for tree in trees:
            stack = [tree]
            while stack:
                node = stack.pop()
                syscall = syscall_of_function(node.func)
                duration = node.duration
                if syscall is not None and duration is not None and duration * 1000.0 >= self.min_ms:
                    found.append(self._tree_finding(node, syscall, duration))
                    continue  # the outermost syscall function speaks for the calls under it
                stack.extend(reversed(node.children))
        return found

    def _entry_event_of(self, node: CallNode, syscall: str) -> Optional[SyscallEnter]:
        key = ("pid", node.pid) if node.pid is not None else ("cpu", node.cpu)
        enter = self._entered.get(key)
        if enter is None or enter.syscall != syscall:
            return None
        return enter

    def _tree_finding(self, node: CallNode, syscall: str, duration: float) -> Finding:
        enter = self._entry_event_of(node, syscall)
        if enter is not None:
            self._covered.add(id(enter))
        timeout_ms = _timeout_ms(enter)
        retval = getattr(node.exit, "retval", None)
        outcome, whole = _outcome(duration, timeout_ms, retval)
        name = node.func if node.func == syscall else "%s (%s)" % (node.func, syscall)
        cut = "" if node.whole else " (the excerpt holds only part of its call tree)"
        message = "%s on %s blocked for %.3f ms%s; %s" % (
            name, _who(node.task, node.pid, node.cpu), duration * 1000.0, cut, outcome,
        )
        evidence_events: List[Event] = list(_evidence_events(node))
        if enter is not None:
            evidence_events.insert(0, enter)
        _, evidence = evidence_of(evidence_events)
        lines = tuple(sorted(set(node.lines) | ({enter.line} if enter is not None else set())))
        return Finding(
            rule=self.id, file=node.file, message=message, cost_seconds=duration, lines=lines,
            evidence=evidence, pid=node.pid, cpu=node.cpu, timeout_ms=timeout_ms, cost_source="duration",
            details={
                "syscall": syscall, "function": node.func, "task": node.task, "retval": retval,
                "waited_whole_timeout": whole, "threshold_ms": self.min_ms, "whole_tree": node.whole,
                "marker": getattr(node.exit, "marker", None),
            },
        )
