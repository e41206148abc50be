"""Rule ``poll-timeout-before-close``: a wait on a connection that only a timeout ends.

The pattern: in one process, a poll/ppoll/select/pselect6/epoll_wait on a
socket with a positive timeout returns 0 (timed out), and the process then
closes or shuts down that socket, or exits, without a successful read of it
in between.  Nothing was ever going to arrive, so the whole timeout is added
to every connection.  Exim 4.96 does exactly this after replying to QUIT:
``poll([{fd=6, events=POLLIN}], 1, 200) = 0 (Timeout)``, then the 221 reply
and exit, 200 ms later than needed.

The same loss in another shape: after the last reply on a connection, the
process waits with a timeout, the waits run out again and again, and only the
peer's close (a read that returns 0) ends them.  haproxy waiting on
``epoll_wait(3, [], 200, 1000) = 0`` until the client closes is an example.
Those timeouts are reported when the end-of-file read arrives.

Not findings: a wait that returns ready (the peer closed first), a timed-out
wait on a pipe, a file, a listening socket or a UDP socket (see the
``dns-timeout`` rule), a zero timeout (a non-blocking check), an infinite wait.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Set, Tuple

from ..events import Event, Exit, Syscall
from ..processes import SOCKET, ProcessTable, leading_fd
from .engine import Finding, Rule, evidence_of, register
from .timing import measured_duration, resolved_difference
from .sockets import DECORATION_MARKER, DatagramSockets
from .waits import WAIT_SYSCALLS, EpollInterest, Wait, wait_of

__all__ = ["PollTimeoutBeforeClose"]

_READS = frozenset(("read", "readv", "recv", "recvfrom", "recvmsg", "recvmmsg", "pread64", "preadv", "preadv2"))
_CLOSES = frozenset(("close", "shutdown"))
_PROCESS_ENDS = frozenset(("exit_group",))
_WRITES = frozenset(("write", "writev", "send", "sendto", "sendmsg", "sendmmsg", "pwrite64", "pwritev", "pwritev2"))
_NEW_FDS = frozenset(("accept", "accept4", "socket", "open", "openat", "openat2", "creat", "dup", "dup2", "dup3"))
_FOLLOWING = 6  # events of the pid kept after the wait, as evidence
_LINGER_EVIDENCE = 4  # timed-out waits kept as evidence of one lingering connection


class _Linger:
    """A connection whose reply went out, with the timed-out waits that came after it."""

    __slots__ = ("reply", "waits", "seconds", "count", "sources", "timeout_ms")

    def __init__(self, reply: Syscall) -> None:
        self.reply = reply
        self.waits: List[Syscall] = []
        self.seconds = 0.0
        self.count = 0
        self.sources: Set[str] = set()
        self.timeout_ms: Optional[float] = None


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
    summary = "a wait on a socket times out, then the process closes it or exits with no successful read of it"
    options = {"min_ms": 1.0}
    option_help = {"min_ms": "smallest wait timeout to consider, in milliseconds (shorter waits are polls)"}

    # Writes start lingering connections, waits start pending ones, and
    # socket() starts a UDP socket.  Reads, closes and exits matter only to a
    # pid with one of those, which the rule watches (see feed).
    syscalls = _WRITES | WAIT_SYSCALLS | frozenset(("epoll_ctl", "socket"))
    event_types = (Exit,)
    args_markers = (DECORATION_MARKER,)

    def __init__(self, **settings) -> None:
        super().__init__(**settings)
        self._pending: Dict[Optional[int], Dict[int, _Pending]] = {}
        self._lingers: Dict[Optional[int], Dict[int, _Linger]] = {}
        self._unmeasured: Dict[Optional[int], List[Tuple[_Linger, Syscall, float]]] = {}
        self._epoll = EpollInterest()
        self._datagrams = DatagramSockets()

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
        if (
            isinstance(event, Syscall) and event.syscall in _WRITES and pid not in self._pending
            and pid not in self._unmeasured and DECORATION_MARKER not in event.args_text
        ):
            # Most writes come from a pid with no pending wait and no wait to
            # measure.  Such a write changes nothing but may start a lingering
            # connection, so the pid's watch changes only then (a pid's state
            # changes only with its own events, each of which sets the watch).
            if self._start_linger(event, processes):
                self.watch(pid)
            return ()
        found = self._feed(event, processes)
        # A pending wait also takes the pid's next events as evidence and its
        # next time as the wait's end, as does a wait that had no duration.
        pid = event.pid
        self.watch_while(
            pid,
            pid in self._pending or pid in self._lingers or pid in self._unmeasured
            or self._datagrams.has_sockets(pid),
        )
        return found

    def _feed(self, event: Event, processes: ProcessTable) -> Iterable[Finding]:
        pid = event.pid
        self._datagrams.observe(event)
        if pid in self._unmeasured and event.time is not None:
            self._measure(pid, event)
        if isinstance(event, Exit):
            self._lingers.pop(pid, None)
            self._unmeasured.pop(pid, None)
            return self._close_all(pid, event)
        if not isinstance(event, Syscall):
            return ()
        found: List[Finding] = []
        if pid in self._pending:
            for pending in self._waits_of(pid):
                if pending.event is not event:
                    if pending.next_time is None and event.time is not None:
                        pending.next_time = event.time
                    if len(pending.following) < _FOLLOWING:
                        pending.following.append(event)
        name = event.syscall
        # Reads, closes and new fds below change only a pid's pending waits and
        # lingering connections; most pids have neither, so spare the fd regex.
        followed = pid in self._pending or pid in self._lingers
        if name == "epoll_ctl":
            self._epoll.observe(event)
        elif name in _READS:
            if not followed:
                return found
            fd = leading_fd(event)
            pending = self._pending.get(pid, {}).get(fd) if fd is not None else None
            succeeded = event.errno is None and event.retval is not None and event.retval >= 0
            if pending is not None and succeeded:
                pending.fds.discard(fd)
                del self._pending[pid][fd]
                if not self._pending[pid]:
                    del self._pending[pid]
            if fd is not None and succeeded:
                linger = self._forget_linger(pid, fd)
                if linger is not None and linger.count and event.retval == 0:
                    found.append(self._linger_finding(linger, fd, event))
        elif name in _WRITES:
            self._start_linger(event, processes)
        elif name in _CLOSES:
            if not followed:
                return found
            fd = leading_fd(event)
            pending = self._pending.get(pid, {}).get(fd) if fd is not None else None
            if pending is not None:
                found.append(self._finding(pending, fd, event, "closed" if name == "close" else "shut down"))
                self._drop(pid, pending)
            if fd is not None and name == "close":
                self._forget_linger(pid, fd)
        elif name == "exit":
            # A thread's own exit leaves the process's sockets open: nothing ended the wait.
            self._lingers.pop(pid, None)
            self._pending.pop(pid, None)
        elif name in _PROCESS_ENDS:
            self._lingers.pop(pid, None)
            found.extend(self._close_all(pid, event))
        else:
            wait = wait_of(event, self._epoll)
            if wait is not None:
                self._wait(event, wait, processes)
        if followed and name in _NEW_FDS and event.retval is not None and event.retval >= 0 and event.errno is None:
            # The fd number is new again, so whatever waited on its old holder is over.
            self._forget_linger(pid, event.retval)
            pending = self._pending.get(pid, {}).get(event.retval)
            if pending is not None:
                pending.fds.discard(event.retval)
                del self._pending[pid][event.retval]
                if not self._pending[pid]:
                    del self._pending[pid]
        return found

    def finish(self, processes: ProcessTable) -> Iterable[Finding]:
        """Report timed-out waits that were followed by a reply when the trace ends.

        A log pasted into a bug report is often cut after the reply: the
        wait timed out, the process wrote to a socket without reading, and
        the close is not in the excerpt.  A wait followed by nothing, or by
        no write, stays unreported because the trace does not show what
        came after it.
        """
        found = []
        for pid in list(self._pending):
            for pending in self._waits_of(pid):
                reply = next((event for event in pending.following if _is_socket_write(event, processes)), None)
                if reply is None or not pending.fds:
                    continue
                found.append(self._finding(pending, min(pending.fds), reply, "log ended"))
        self._pending.clear()
        return found

    def _wait(self, event: Syscall, wait: Wait, processes: ProcessTable) -> None:
        pid = event.pid
        if wait.timed_out and wait.timeout_ms is not None and wait.timeout_ms >= self.min_ms:
            self._linger_wait(event, wait)
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
        fds = [
            fd for fd in wait.fds
            if processes.kind(pid, fd) in (SOCKET, None) and not self._datagrams.is_datagram(pid, fd)
        ]
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

    # -- connections that linger after their reply

    def _start_linger(self, event: Syscall, processes: ProcessTable) -> bool:
        """Start following the connection a successful write to a TCP socket replied on; return True if it did."""
        if event.errno is not None or event.retval is None or event.retval <= 0:
            return False
        fd = leading_fd(event)
        if fd is None or processes.kind(event.pid, fd) != SOCKET or self._datagrams.is_datagram(event.pid, fd):
            return False
        self._lingers.setdefault(event.pid, {})[fd] = _Linger(event)
        return True

    def _forget_linger(self, pid: Optional[int], fd: int) -> Optional[_Linger]:
        table = self._lingers.get(pid)
        if not table:
            return None
        linger = table.pop(fd, None)
        if not table:
            del self._lingers[pid]
        return linger

    def _linger_wait(self, event: Syscall, wait: Wait) -> None:
        table = self._lingers.get(event.pid)
        if not table:
            return
        lingers = {id(table[fd]): table[fd] for fd in wait.fds if fd in table}
        for linger in lingers.values():
            linger.count += 1
            linger.timeout_ms = wait.timeout_ms
            if len(linger.waits) < _LINGER_EVIDENCE:
                linger.waits.append(event)
            measured, source = measured_duration(event)
            if measured is not None:
                linger.seconds += max(measured, wait.timeout_ms / 1000.0)
                linger.sources.add(source)
            elif event.time is not None:
                self._unmeasured.setdefault(event.pid, []).append((linger, event, wait.timeout_ms / 1000.0))
            else:
                linger.seconds += wait.timeout_ms / 1000.0
                linger.sources.add("timeout")

    def _measure(self, pid: Optional[int], next_event: Event) -> None:
        """Charge each wait that had no duration with the time until the pid's next event.

        A wait whose span the log's clock cannot resolve is charged its timeout.
        """
        for linger, event, floor in self._unmeasured.pop(pid):
            measured = resolved_difference(next_event.time - event.time, event, next_event)
            if measured is None:
                linger.seconds += floor
                linger.sources.add("timeout")
            else:
                linger.seconds += max(measured, floor)
                linger.sources.add("timestamps")

    def _linger_finding(self, linger: _Linger, fd: int, end: Syscall) -> Finding:
        first = linger.waits[0]
        lines, evidence = evidence_of([linger.reply, *linger.waits, end])
        source = "timeout" if "timeout" in linger.sources or not linger.sources else sorted(linger.sources)[0]
        message = (
            "after the reply on socket fd %d, %s timed out %d time%s (%g ms each) before the peer closed; "
            "%.3f s spent waiting for the close"
            % (fd, first.syscall, linger.count, "" if linger.count == 1 else "s", linger.timeout_ms, linger.seconds)
        )
        return Finding(
            rule=self.id,
            file=first.file,
            message=message,
            cost_seconds=linger.seconds,
            lines=lines,
            evidence=evidence,
            pid=first.pid,
            fd=fd,
            timeout_ms=linger.timeout_ms,
            cost_source=source,
            details={
                "syscall": first.syscall,
                "ended_by": "peer closed",
                "timeouts": linger.count,
                "reply_line": linger.reply.line,
                "wait_line": first.line,
                "end_line": end.line,
            },
        )

    # -- findings

    def _finding(self, pending: _Pending, fd: int, end: Event, how: str) -> Finding:
        wait_event = pending.event
        wait = pending.wait
        timeout_s = wait.timeout_ms / 1000.0
        measured, source = measured_duration(wait_event, pending.next_time)
        if measured is None:
            source = "timeout"
        cost = timeout_s if measured is None else max(measured, timeout_s)
        following = pending.following if how != "log ended" else pending.following[: pending.following.index(end)]
        events = [wait_event] + [e for e in following if e is not end] + [end]
        lines, evidence = evidence_of(events)
        who = "pid %d" % wait_event.pid if wait_event.pid is not None else "the process"
        if how == "exited":
            then = "then %s exited with no successful read of it" % who
        elif how == "log ended":
            then = "then %s wrote to fd %s without reading it, and the trace ends before the close" % (
                who,
                leading_fd(end),
            )
        else:
            then = "then %s %s it with no successful read of it" % (who, how)
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


def _is_socket_write(event: Event, processes: ProcessTable) -> bool:
    """Tell whether ``event`` wrote bytes to an fd that is a socket or not known to be anything else."""
    if not isinstance(event, Syscall) or event.syscall not in _WRITES or event.errno is not None:
        return False
    fd = leading_fd(event)
    return fd is not None and (event.retval or 0) > 0 and processes.kind(event.pid, fd) in (SOCKET, None)
