"""Rule ``slow-syscall``: syscalls that took longer than a threshold, grouped by syscall and fd.

The duration comes from strace's ``-T`` (``<0.200326>``) or, for a call
split into ``<unfinished ...>`` and ``<... resumed>`` halves, from the two
timestamps; calls with neither are not measured.  One finding per group of
syscall and what its first fd is (a file's path, ``socket``, ``pipe``), with
the count, the total and the slowest calls as evidence, reported when the
trace ends.  Syscalls that block by design (waits, sleeps, futex, wait4,
accept) are skipped by default; other rules judge those.
"""

from __future__ import annotations

import heapq
from typing import Dict, Iterable, List, Optional, Tuple

from ..events import Event, Syscall
from ..processes import FILE, ProcessTable, leading_fd
from .engine import Finding, Rule, evidence_of, register
from .timing import measured_duration
from .waits import WAIT_SYSCALLS

__all__ = ["SlowSyscall", "BLOCKING_BY_DESIGN"]

#: Syscalls whose purpose is to wait; their length is not a fault by itself.
BLOCKING_BY_DESIGN = tuple(
    sorted(
        WAIT_SYSCALLS
        | {
            "futex", "futex_time64", "futex_waitv", "nanosleep", "clock_nanosleep", "clock_nanosleep_time64",
            "pause", "rt_sigsuspend", "rt_sigtimedwait", "sigsuspend", "wait4", "waitid", "waitpid",
            "accept", "accept4", "restart_syscall", "epoll_wait_old", "io_getevents", "io_pgetevents",
            "io_uring_enter", "msgrcv", "semop", "semtimedop", "mq_timedreceive", "sigtimedwait",
        }
    )
)
_SLOWEST = 3  # calls kept as evidence per group


class _Group:
    __slots__ = ("count", "seconds", "slowest", "pid", "sources")

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.slowest: List[Tuple[float, int, Syscall]] = []  # a min-heap of the slowest calls
        self.pid: Optional[int] = None
        self.sources: Dict[str, None] = {}


@register
class SlowSyscall(Rule):
    id = "slow-syscall"
    summary = "syscalls that took longer than a threshold (-T or split calls), grouped by syscall and fd"
    options = {"min_ms": 100.0, "skip": BLOCKING_BY_DESIGN, "max_groups": 256}
    option_help = {
        "min_ms": "duration from which a call is slow, in milliseconds",
        "skip": "comma-separated syscalls never reported (default: those that block by design)",
        "max_groups": "groups of syscall and fd followed; slow calls of further groups are not counted",
    }

    syscalls = frozenset()  # every call it needs comes through min_seconds()

    def __init__(self, **settings) -> None:
        super().__init__(**settings)
        self._skip = frozenset(self.skip)
        self._groups: Dict[Tuple[str, str], _Group] = {}
        self._order = 0

    @classmethod
    def describe_total(cls, count: int, seconds: float) -> str:
        return "%d group%s of slow syscalls, %.2f s in all" % (count, "" if count == 1 else "s", seconds)

    def min_seconds(self) -> Optional[float]:
        # A nanosecond below the threshold, so that rounding in min_ms / 1000
        # never keeps out a call that feed's own test (seconds * 1000 >= min_ms) takes.
        return self.min_ms / 1000.0 - 1e-9

    def feed(self, event: Event, processes: ProcessTable) -> Iterable[Finding]:
        if not isinstance(event, Syscall) or event.syscall in self._skip:
            return ()
        if event.duration is None and event.end_time is None:
            return ()
        seconds, source = measured_duration(event)
        if seconds is None or seconds * 1000.0 < self.min_ms:
            return ()
        key = (event.syscall, _target(event, processes))
        group = self._groups.get(key)
        if group is None:
            if len(self._groups) >= self.max_groups:
                return ()
            group = self._groups[key] = _Group()
            group.pid = event.pid
        elif group.pid != event.pid:
            group.pid = None
        group.count += 1
        group.seconds += seconds
        group.sources[source] = None
        self._order += 1
        entry = (seconds, self._order, event)
        if len(group.slowest) < _SLOWEST:
            heapq.heappush(group.slowest, entry)
        else:
            heapq.heappushpop(group.slowest, entry)
        return ()

    def finish(self, processes: ProcessTable) -> Iterable[Finding]:
        found = [self._finding(key, group) for key, group in self._groups.items()]
        self._groups.clear()
        return found

    def _finding(self, key: Tuple[str, str], group: _Group) -> Finding:
        syscall, target = key
        slowest = sorted(group.slowest, key=lambda entry: entry[1])
        events = [event for _, _, event in slowest]
        longest = max(seconds for seconds, _, _ in slowest)
        lines, evidence = evidence_of(events)
        where = " on %s" % target if target else ""
        message = "%d %s call%s%s took %g ms or more: %.3f s in all, the slowest %.3f s" % (
            group.count, syscall, "" if group.count == 1 else "s", where, self.min_ms, group.seconds, longest,
        )
        return Finding(
            rule=self.id,
            file=events[0].file,
            message=message,
            cost_seconds=group.seconds,
            lines=lines,
            evidence=evidence,
            pid=group.pid,
            # An fd number names nothing once the group spans several processes.
            fd=leading_fd(events[0]) if target and group.pid is not None else None,
            cost_source="duration" if "duration" in group.sources else "timestamps",
            details={"syscall": syscall, "target": target, "calls": group.count, "max_seconds": round(longest, 6)},
        )


def _target(event: Syscall, processes: ProcessTable) -> str:
    """Name what the call's first fd is: a file's path, the fd kind, or ``fd N``; empty when it has none."""
    text = event.args_text
    if not text[:1].isdigit():
        return ""
    fd = leading_fd(event)
    if fd is None:
        return ""
    info = processes.info(event.pid, fd)
    if info is None:
        return "fd %d" % fd
    if info.kind == FILE and info.detail:
        return info.detail
    return info.kind
