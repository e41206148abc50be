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
100 ms.  Not user-space time, so never a finding: a gap that contains a
signal delivery to the thread or a stop of its process (``--- stopped by
SIGSTOP ---``), and a gap after a call interrupted by a signal
(``ERESTART*``), such as the one before ``restart_syscall`` resumes the
call after a stop.  A gap no longer than one tick of the log's clock (one second under
``-t``) cannot be told from no gap, so it is not reported either.
"""

from __future__ import annotations

from typing import Dict, Iterable, Optional, Tuple

from ..events import Event, Exit, Signal, Syscall
from ..processes import ProcessTable
from .engine import EVERY_SYSCALL, Finding, Rule, evidence_of, register
from .slow_syscall import BLOCKING_BY_DESIGN
from .timing import resolution_note, resolved_difference

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

#: Signals whose default action stops every thread of the process.
_STOP_SIGNALS = frozenset(("SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU"))

_CLONES = frozenset(("clone", "clone3"))


@register
class IdleGap(Rule):
    id = "idle-gap"
    summary = "a long gap between consecutive syscalls of one thread with no blocking call: user-space CPU time"
    options = {"min_ms": 100.0}
    option_help = {"min_ms": "gap from which a finding is made, in milliseconds"}

    syscalls = EVERY_SYSCALL  # each syscall of a thread ends the gap before it
    event_types = (Exit, Signal)

    def __init__(self, **settings) -> None:
        super().__init__(**settings)
        # pid -> when its last syscall ended, and that syscall.
        self._ends: Dict[Optional[int], Tuple[float, Syscall]] = {}
        # thread tid -> pid of its thread group, from clone(CLONE_THREAD); a
        # stop of one thread stops them all.
        self._groups: Dict[int, int] = {}

    @classmethod
    def describe_total(cls, count: int, seconds: float) -> str:
        return "%d gap%s between syscalls spent in user space, %.2f s in all" % (
            count, "" if count == 1 else "s", seconds,
        )

    def feed(self, event: Event, processes: ProcessTable) -> Iterable[Finding]:
        # This rule gets every syscall, so the common case (a finished call
        # with -T) computes its end here instead of calling _end_of.
        if not isinstance(event, Syscall):
            pid = event.pid
            if isinstance(event, Exit):
                self._forget(pid)
                if pid is not None:
                    self._groups.pop(pid, None)
            elif isinstance(event, Signal):
                self._interrupt(event)
            return ()
        time = event.time
        if time is None:
            return ()
        pid = event.pid
        ends = self._ends
        previous = ends.get(pid)
        if previous is not None and (time - previous[0]) * 1000.0 < self.min_ms:
            # The common case in full: a short gap, then a finished call with -T.
            duration = event.duration
            if duration is not None and event.errno is None and event.finished and event.syscall not in _CLONES:
                ends[pid] = (time + duration, event)
                return ()
            found = ()
        elif previous is None:
            found = ()
            # An end of unprefixed lines is only ever recorded alone, so only
            # a pid with no end of its own can meet one.
            if pid is None or None in ends:
                self._share_unprefixed(pid)
        else:
            found = self._gap(previous, event)
        if event.syscall in _CLONES and pid is not None:
            self._follow_thread(event)
        self._end_after(event, previous is not None)
        return found

    def _gap(self, previous: Tuple[float, Syscall], event: Syscall) -> Tuple[Finding, ...]:
        """Return the finding for a gap of ``min_ms`` or more after ``previous`` (the pid's last end and call), or none.

        The threshold comes first because checking the clock's resolution on
        every event cost a fifth of a scan.
        """
        if not event.started:
            return ()
        end, before = previous
        gap = resolved_difference(event.time - end, before, event)
        if gap is None:
            return ()
        return (self._finding(before, event, gap),)

    def _share_unprefixed(self, pid: Optional[int]) -> None:
        """Follow strace's stderr mode, where an unprefixed line belongs to whichever single process is left.

        Such a line may continue any pid followed so far, so its gap is
        unknown.  A prefixed line after it ends the unprefixed gap.
        """
        if pid is None:
            if len(self._ends) > (None in self._ends):
                self._ends.clear()
        else:
            self._forget(None)

    def _end_after(self, event: Syscall, known: bool) -> None:
        """Record where ``event`` ended, or forget its pid's end when the gap after it is not user-space time.

        ``known`` is True when the pid has an end recorded.
        """
        errno = event.errno
        end = None
        if errno is not None and errno.startswith("ERESTART"):
            # A signal interrupted the call: what follows is its delivery or a
            # stop, until the call restarts (restart_syscall after
            # ERESTART_RESTARTBLOCK) or the handler's next syscall.
            pass
        elif event.duration is not None and event.finished:
            end = event.time + event.duration
        else:
            end = _end_of(event)
        if end is not None:
            self._ends[event.pid] = (end, event)
        elif known:
            self._forget(event.pid)

    def _forget(self, pid: Optional[int]) -> None:
        """Drop the end of ``pid``'s last syscall: the gap after it is unknown or not user-space time."""
        self._ends.pop(pid, None)

    def _interrupt(self, signal: Signal) -> None:
        """End the gap of the thread that ``signal`` reached, and of its whole process when it stops.

        Such a gap is not user-space time, so it ends without a finding.
        """
        pid = signal.pid
        ends = self._ends
        if pid is None:
            # In strace's stderr mode an unprefixed line may belong to any pid followed so far.
            ends.clear()
            return
        self._forget(pid)
        if signal.stopped or signal.signal in _STOP_SIGNALS:
            groups = self._groups
            group = groups.get(pid, pid)
            for other in [other for other in ends if other is not None and groups.get(other, other) == group]:
                self._forget(other)

    def _follow_thread(self, event: Syscall) -> None:
        """Record the thread a finished ``clone(CLONE_THREAD)`` created, under its process."""
        if event.finished and event.retval is not None and event.retval > 0 and "CLONE_THREAD" in event.args_text:
            self._groups[event.retval] = self._groups.get(event.pid, event.pid)

    def _finding(self, before: Syscall, after: Syscall, gap: float) -> Finding:
        lines, evidence = evidence_of([before, after])
        who = "pid %d" % after.pid if after.pid is not None else "the process"
        message = "%s ran %.3f s in user space between %s and %s without a syscall%s" % (
            who, gap, before.syscall, after.syscall, resolution_note(before, after),
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
