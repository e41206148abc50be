"""Rule ``poll-timeout-before-close``: a wait on a connection that only a timeout ends.

The pattern: in one process, a poll/ppoll/select/pselect6/epoll_wait on a
socket with a positive timeout returns 0 (timed out), and the process then
closes or shuts down that socket, or exits, without a successful read of it
in between.  Nothing was ever going to arrive, so the whole timeout is added
to every connection.  Exim 4.96 does exactly this after replying to QUIT:
``poll([{fd=6, events=POLLIN}], 1, 200) = 0 (Timeout)``, then the 221 reply
and exit, 200 ms later than needed.

Not findings: a wait that returns ready (the peer closed first), a timed-out
wait on a pipe, a file or a listening socket, a zero timeout (a non-blocking
check), an infinite wait.
"""

from __future__ import annotations

from typing import Dict, Iterable, Iterator, List, Optional

from ..events import Event, Exit, Syscall
from ..processes import LISTENING, SOCKET, ProcessTable, leading_fd
from .engine import Finding, Rule, evidence_of, register
from .waits import EpollInterest, Wait, wait_of

__all__ = ["PollTimeoutBeforeClose"]

_READS = frozenset(("read", "readv", "recv", "recvfrom", "recvmsg", "recvmmsg", "pread64", "preadv", "preadv2"))
_CLOSES = frozenset(("close", "shutdown"))
_PROCESS_ENDS = frozenset(("exit_group", "exit"))
_FOLLOWING = 6  # events of the pid kept after the wait, as evidence


class _Pending:
    """A timed-out wait whose connection has not been read, closed or left yet."""

    __slots__ = ("event", "wait", "fds", "following", "next_time")

    def __init__(self, event: Syscall, wait: Wait, fds) -> None:
        self.event = event
        self.wait = wait
        self.fds = set(fds)
        self.following: List[Event] = []
        self.next_time: Optional[float] = None


@register
class PollTimeoutBeforeClose(Rule):
    id = "poll-timeout-before-close"
    summary = "a wait on a socket times out, then the process closes it or exits without reading it"
    options = {"min_ms": 1.0}

    def __init__(self, **settings) -> None:
        super().__init__(**settings)
        self._pending: Dict[Optional[int], Dict[int, _Pending]] = {}
        self._epoll = EpollInterest()

    @classmethod
    def describe_total(cls, count: int, seconds: float) -> str:
        return "%d connection%s lost %.2f s to poll timeouts before close" % (
            count, "" if count == 1 else "s", seconds,
        )

    # -- state

    def _waits_of(self, pid: Optional[int]) -> List[_Pending]:
        unique = []
        for pending in self._pending.get(pid, {}).values():
            if pending not in unique:
                unique.append(pending)
        return unique

    def _drop(self, pid: Optional[int], pending: _Pending) -> None:
        table = self._pending.get(pid)
        if not table:
            return
        for fd in list(pending.fds):
            if table.get(fd) is pending:
                del table[fd]
        if not table:
            del self._pending[pid]

    # -- events

    def feed(self, event: Event, processes: ProcessTable) -> Iterable[Finding]:
        pid = event.pid
        if isinstance(event, Exit):
            return self._close_all(pid, event)
        if not isinstance(event, Syscall):
            return ()
        found: List[Finding] = []
        for pending in self._waits_of(pid):
            if pending.event is not event:
                if pending.next_time is None and event.time is not None:
                    pending.next_time = event.time
                if len(pending.following) < _FOLLOWING:
                    pending.following.append(event)
        name = event.syscall
        if name == "epoll_ctl":
            self._epoll.observe(event)
        elif name in _READS:
            fd = leading_fd(event)
            pending = self._pending.get(pid, {}).get(fd) if fd is not None else None
            if pending is not None and event.errno is None and event.retval is not None and event.retval >= 0:
                pending.fds.discard(fd)
                del self._pending[pid][fd]
                if not self._pending[pid]:
                    del self._pending[pid]
        elif name in _CLOSES:
            fd = leading_fd(event)
            pending = self._pending.get(pid, {}).get(fd) if fd is not None else None
            if pending is not None:
                found.append(self._finding(pending, fd, event, "closed" if name == "close" else "shut down"))
                self._drop(pid, pending)
        elif name in _PROCESS_ENDS:
            found.extend(self._close_all(pid, event))
        else:
            wait = wait_of(event, self._epoll)
            if wait is not None:
                self._wait(event, wait, processes)
        return found

    def _wait(self, event: Syscall, wait: Wait, processes: ProcessTable) -> None:
        pid = event.pid
        table = self._pending.get(pid, {})
        for fd in wait.fds:
            old = table.get(fd)
            if old is not None:
                old.fds.discard(fd)
                del table[fd]
        if not wait.timed_out or wait.timeout_ms is None or wait.timeout_ms < self.min_ms:
            if not table and pid in self._pending:
                del self._pending[pid]
            return
        for fd, decoration in wait.decorations:
            processes.learn(pid, fd, decoration)
        fds = [fd for fd in wait.fds if processes.kind(pid, fd) in (SOCKET, None)]
        if not fds:
            return
        pending = _Pending(event, wait, fds)
        table = self._pending.setdefault(pid, {})
        for fd in fds:
            table[fd] = pending

    def _close_all(self, pid: Optional[int], event: Event) -> List[Finding]:
        found = []
        for pending in self._waits_of(pid):
            fd = min(pending.fds) if pending.fds else None
            if fd is None:
                continue
            found.append(self._finding(pending, fd, event, "exited"))
        self._pending.pop(pid, None)
        return found

    # -- findings

    def _finding(self, pending: _Pending, fd: int, end: Event, how: str) -> Finding:
        wait_event = pending.event
        wait = pending.wait
        timeout_s = wait.timeout_ms / 1000.0
        measured: Optional[float] = None
        source = "timeout"
        if wait_event.duration is not None:
            measured, source = wait_event.duration, "duration"
        elif wait_event.time is not None and wait_event.end_time is not None:
            measured, source = wait_event.end_time - wait_event.time, "timestamps"
        elif wait_event.time is not None and pending.next_time is not None:
            measured, source = pending.next_time - wait_event.time, "timestamps"
        cost = timeout_s if measured is None else max(measured, timeout_s)
        events = [wait_event] + [e for e in pending.following if e is not end] + [end]
        lines, evidence = evidence_of(events)
        who = "pid %d" % wait_event.pid if wait_event.pid is not None else "the process"
        if how == "exited":
            then = "then %s exited without reading it" % who
        else:
            then = "then %s %s it without reading it" % (who, how)
        message = "%s on socket fd %d timed out after %g ms, %s; %.3f s lost" % (
            wait.syscall,
            fd,
            wait.timeout_ms,
            then,
            cost,
        )
        return Finding(
            rule=self.id,
            file=wait_event.file,
            message=message,
            cost_seconds=cost,
            lines=lines,
            evidence=evidence,
            pid=wait_event.pid,
            fd=fd,
            timeout_ms=wait.timeout_ms,
            cost_source=source,
            details={
                "syscall": wait.syscall,
                "measured_seconds": None if measured is None else round(measured, 6),
                "ended_by": how,
                "wait_line": wait_event.line,
                "end_line": end.line,
            },
        )
