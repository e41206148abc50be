"""Rule ``error-storm``: the same failing call repeated many times in one thread.

A storm is a run of at least ``min_count`` calls with the same syscall and
the same errno in one pid, where no more than ``max_gap`` other syscalls of
that pid come between two of them.  Storms that cost less than ``min_ms``
are dropped.  The arguments may change
from call to call, because a path search (``openat`` returning ``ENOENT``
for each directory) or an fd sweep changes them every time:

    fcntl(441032195, F_GETFD)               = -1 EBADF (Bad file descriptor)
    fcntl(441032196, F_GETFD)               = -1 EBADF (Bad file descriptor)

The finding gives the count, the time from the first call to the end of the
last, and the time inside the failing calls when ``-T`` shows it.  When the
log's clock cannot resolve that span (a storm inside one second of ``-t``
stamps), the cost is the time inside the calls if ``-T`` gave it, or else
unknown, as in a log with no clock.  Not
findings: ``ERESTART*`` returns, which strace prints when a signal interrupts
a call; sparse failures such as Python's ``ioctl(fd, TCGETS)`` = ``ENOTTY``
once per imported file, which ``max_gap`` splits into short runs; runs
shorter than ``min_count``.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Tuple

from ..events import Event, Exit, Syscall
from ..processes import ProcessTable
from .engine import Finding, Rule, evidence_of, register
from .timing import clock_resolution, resolution_note, resolved_difference

__all__ = ["ErrorStorm"]

_EXAMPLES = 3  # first failing calls kept as evidence, plus the last one


class _Storm:
    __slots__ = ("count", "first", "first_index", "examples", "last", "last_index", "widest_gap", "syscall_seconds",
                 "timed")

    def __init__(self, event: Syscall, index: int) -> None:
        self.count = 0
        self.first = event
        self.first_index = index
        self.widest_gap = 0  # the maximum count of other syscalls of the pid between two failing calls
        self.examples: List[Syscall] = []
        self.last = event
        self.last_index = index
        self.syscall_seconds = 0.0
        self.timed = True

    def add(self, event: Syscall, index: int) -> None:
        self.count += 1
        if len(self.examples) < _EXAMPLES:
            self.examples.append(event)
        self.widest_gap = max(self.widest_gap, index - self.last_index - 1)
        self.last = event
        self.last_index = index
        if event.duration is None:
            self.timed = False
        else:
            self.syscall_seconds += event.duration


@register
class ErrorStorm(Rule):
    id = "error-storm"
    summary = "the same syscall fails with the same errno many times in one thread, with few other calls between"
    options = {"min_count": 20, "max_gap": 4, "min_ms": 10.0}
    option_help = {
        "min_count": "failing calls that make a storm",
        "max_gap": "other syscalls of the same pid allowed between two failing calls of one storm",
        "min_ms": "storms that cost less are not reported, in milliseconds (a log without a clock reports all)",
    }

    # A failed call starts a storm. While the pid has one, every syscall of
    # the pid counts towards max_gap, so the rule watches the pid (see _end).
    syscalls = frozenset()
    failed_syscalls = True
    event_types = (Exit,)

    def __init__(self, **settings) -> None:
        super().__init__(**settings)
        self._storms: Dict[Optional[int], Dict[Tuple[str, str], _Storm]] = {}
        self._index: Dict[Optional[int], int] = {}

    @classmethod
    def describe_total(cls, count: int, seconds: float) -> str:
        return "%d storm%s of failing calls, %.2f s in all" % (count, "" if count == 1 else "s", seconds)

    @classmethod
    def describe_unmeasured(cls, count: int) -> str:
        return "%d storm%s of failing calls, time not measurable from the log" % (count, "" if count == 1 else "s")

    def feed(self, event: Event, processes: ProcessTable) -> Iterable[Finding]:
        pid = event.pid
        if isinstance(event, Exit):
            self._index.pop(pid, None)
            return self._end(pid, list(self._storms.get(pid, {})))
        if not isinstance(event, Syscall):
            return ()
        index = self._index.get(pid, 0) + 1
        self._index[pid] = index
        storms = self._storms.get(pid)
        found: List[Finding] = []
        if storms:
            stale = [key for key, storm in storms.items() if index - storm.last_index > self.max_gap + 1]
            if stale:
                found = self._end(pid, stale)
        errno = event.errno
        if errno is None or errno.startswith("ERESTART") or not event.finished:
            return found
        key = (event.syscall, errno)
        storms = self._storms.get(pid)
        if storms is None:
            storms = self._storms[pid] = {}
            self.watch(pid)
        storm = storms.get(key)
        if storm is None:
            storm = storms[key] = _Storm(event, index)
        storm.add(event, index)
        return found

    def finish(self, processes: ProcessTable) -> Iterable[Finding]:
        found: List[Finding] = []
        for pid in list(self._storms):
            found.extend(self._end(pid, list(self._storms[pid])))
        return found

    def _end(self, pid: Optional[int], keys: List[Tuple[str, str]]) -> List[Finding]:
        storms = self._storms.get(pid)
        if storms is None:
            return []
        found = []
        for key in keys:
            storm = storms.pop(key)
            if storm.count >= self.min_count:
                finding = self._finding(key, storm)
                if finding.cost_source == "unknown" or finding.cost_seconds * 1000.0 >= self.min_ms:
                    found.append(finding)
        if not storms:
            del self._storms[pid]
            self.unwatch(pid)
        return found

    def _finding(self, key: Tuple[str, str], storm: _Storm) -> Finding:
        syscall, errno = key
        first, last = storm.first, storm.last
        events = storm.examples + ([last] if last not in storm.examples else [])
        lines, evidence = evidence_of(events)

        cost, source = 0.0, "unknown"
        span = None
        if first.time is not None and last.time is not None:
            end = last.time + (last.duration or 0.0)
            span = resolved_difference(end - first.time, first, last)
        if span is not None:
            cost, source = span, "timestamps"
        elif storm.timed:
            cost, source = storm.syscall_seconds, "duration"

        # The pid's syscall counter runs while the storm lasts, so the calls
        # it counted that are not the storm's own are the other syscalls between.
        others = storm.last_index - storm.first_index + 1 - storm.count
        if others:
            message = (
                "%s failed with %s %d times, with %d other syscalls of the thread in between "
                "(at most %d between two failures)" % (syscall, errno, storm.count, others, storm.widest_gap)
            )
        else:
            message = "%s failed with %s %d times in a row" % (syscall, errno, storm.count)
        if source != "unknown":
            message += " over %.3f s%s" % (cost, resolution_note(first, last) if source == "timestamps" else "")
        elif first.time is None:
            message += "; the log has no clock to measure the time spent"
        else:
            message += "; the log's clock, which ticks every %g s, is too coarse to measure the time spent" % (
                clock_resolution(first)
            )
        if storm.timed:
            message += " (%.3f s inside the calls)" % storm.syscall_seconds
        return Finding(
            rule=self.id,
            file=first.file,
            message=message,
            cost_seconds=cost,
            lines=lines,
            evidence=evidence,
            pid=first.pid,
            cost_source=source,
            details={
                "syscall": syscall,
                "errno": errno,
                "calls": storm.count,
                "other_syscalls": others,
                "syscall_seconds": round(storm.syscall_seconds, 6) if storm.timed else None,
                "first_line": first.line,
                "last_line": last.line,
            },
        )
