"""Rule ``idle-gap``: a long stretch between two syscalls of one thread, spent in user space.

The gap runs from the end of one syscall to the start of the thread's next
one.  The end is known from ``-T`` or from the resumed half of a split call.
Without either, a call that cannot block (``mmap``, ``getrandom``) is taken
to end where it starts.  After a call that may block (a wait, a read, an
``openat``, a sleep) the gap is unknown, so it is skipped.  A gap of ``min_ms`` or
more is CPU time in the program (or time the thread was not scheduled),
with no syscall to blame:

    19:53:05.825355 openat(AT_FDCWD, "/srv/data.json", O_RDONLY) = 3 <0.000021>
    19:53:07.102311 mmap(NULL, 1052672, PROT_READ|PROT_WRITE, ...) = 0x7f... <0.000012>

Under strace every syscall stops the thread twice, so gaps also include
tracing overhead; a few milliseconds is noise, which is why the default is
100 ms.  Signal deliveries do not end a gap.
"""

from __future__ import annotations

from typing import Dict, Iterable, Optional, Tuple

from ..events import Event, Exit, Syscall
from ..processes import ProcessTable
from .engine import EVERY_SYSCALL, Finding, Rule, evidence_of, register
from .slow_syscall import BLOCKING_BY_DESIGN

__all__ = ["IdleGap"]

#: Syscalls that may block besides the waits: without a duration their end is unknown.
_MAY_BLOCK = frozenset(BLOCKING_BY_DESIGN) | frozenset(
    (
        "read", "readv", "pread64", "preadv", "preadv2", "recv", "recvfrom", "recvmsg", "recvmmsg",
        "write", "writev", "send", "sendto", "sendmsg", "sendmmsg", "connect", "flock", "fcntl", "fcntl64",
        "fsync", "fdatasync", "sync", "syncfs", "msync", "execve", "execveat", "clone", "clone3", "fork",
        "vfork", "splice", "sendfile", "sendfile64", "copy_file_range", "ioctl", "open", "openat", "openat2",
    )
)


@register
class IdleGap(Rule):
    id = "idle-gap"
    summary = "a long gap between consecutive syscalls of one thread with no blocking call: user-space CPU time"
    options = {"min_ms": 100.0}
    option_help = {"min_ms": "gap from which a finding is made, in milliseconds"}

    syscalls = EVERY_SYSCALL  # each syscall of a thread ends the gap before it
    event_types = (Exit,)

    def __init__(self, **settings) -> None:
        super().__init__(**settings)
        self._ends: Dict[Optional[int], Tuple[float, Syscall]] = {}

    @classmethod
    def describe_total(cls, count: int, seconds: float) -> str:
        return "%d gap%s between syscalls spent in user space, %.2f s in all" % (
            count, "" if count == 1 else "s", seconds,
        )

    def feed(self, event: Event, processes: ProcessTable) -> Iterable[Finding]:
        # This rule gets every syscall, so the common case (a finished call
        # with -T) computes its end here instead of calling _end_of.
        pid = event.pid
        time = event.time
        if time is None:
            if isinstance(event, Exit):
                self._ends.pop(pid, None)
            return ()
        if not isinstance(event, Syscall):
            if isinstance(event, Exit):
                self._ends.pop(pid, None)
            return ()
        ends = self._ends
        found = ()
        if pid is None:
            if len(ends) > (None in ends):
                # In strace's stderr mode an unprefixed line belongs to whichever single
                # process is left, so it may continue any pid followed so far.
                ends.clear()
        elif None in ends:
            del ends[None]
        previous = ends.pop(pid, None)
        if previous is not None and event.started:
            gap = time - previous[0]
            if gap * 1000.0 >= self.min_ms:
                found = (self._finding(previous[1], event, gap),)
        duration = event.duration
        if duration is not None and event.finished:
            ends[pid] = (time + duration, event)
        else:
            end = _end_of(event)
            if end is not None:
                ends[pid] = (end, event)
        return found

    def _finding(self, before: Syscall, after: Syscall, gap: float) -> Finding:
        lines, evidence = evidence_of([before, after])
        who = "pid %d" % after.pid if after.pid is not None else "the process"
        message = "%s ran %.3f s in user space between %s and %s without a syscall" % (
            who, gap, before.syscall, after.syscall,
        )
        return Finding(
            rule=self.id,
            file=after.file,
            message=message,
            cost_seconds=gap,
            lines=lines,
            evidence=evidence,
            pid=after.pid,
            cost_source="timestamps",
            details={"before": before.syscall, "after": after.syscall, "before_line": before.line,
                     "after_line": after.line},
        )


def _end_of(event: Syscall) -> Optional[float]:
    """Return when ``event`` returned on the log's clock, or None when the log cannot tell."""
    if not event.finished:
        return None
    if event.duration is not None:
        return event.time + event.duration
    if event.end_time is not None:
        return event.end_time
    if event.syscall in _MAY_BLOCK or not event.started:
        return None
    return event.time
