"""Rule ``dns-timeout``: a DNS query over UDP whose answer never comes before the wait times out.

The pattern: a process sends on a UDP socket to port 53 (``connect`` to
``htons(53)`` then ``sendto``/``send``/``write``, or ``sendto`` with the
address), then waits on that socket (poll, select, epoll) and the wait
returns 0.  glibc's resolver waits 5000 ms per try and retries, so one lost
answer adds 5 s or more to a name lookup:

    sendto(3<UDP:[127.0.0.1:35159->127.0.0.1:53]>, "\\250\\6\\1\\0..."..., 40, MSG_NOSIGNAL, NULL, 0) = 40
    poll([{fd=3<UDP:[127.0.0.1:35159->127.0.0.1:53]>, events=POLLIN}], 1, 5000) = 0 (Timeout)

Each timed-out wait is one finding.  Not findings: a wait that returns the
answer, a zero timeout (``poll(..., 0)`` checking that the socket can send).
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional

from ..events import Event, Exit, Syscall
from ..processes import ProcessTable, leading_fd
from .engine import Finding, Rule, evidence_of, register
from .timing import measured_duration
from .sockets import DECORATION_MARKER, UNCONNECTED, DatagramSockets, port_of_address
from .waits import EpollInterest, wait_of

__all__ = ["DnsTimeout"]

_SENDS = frozenset(("sendto", "send", "sendmsg", "sendmmsg", "write", "writev"))
_ANSWERS = frozenset(("recvfrom", "recv", "recvmsg", "recvmmsg", "read", "readv"))


class _Query:
    """The last send of a DNS query on one socket, and the timed-out wait waiting for its next event."""

    __slots__ = ("send", "wait", "timeout_ms")

    def __init__(self, send: Syscall) -> None:
        self.send = send
        self.wait: Optional[Syscall] = None
        self.timeout_ms = 0.0


@register
class DnsTimeout(Rule):
    id = "dns-timeout"
    summary = "a DNS query sent over UDP to port 53 gets no answer before the wait times out"
    options = {"port": 53, "min_ms": 100.0}
    option_help = {
        "port": "the name server's UDP port",
        "min_ms": "smallest wait timeout to consider, in milliseconds",
    }

    # socket() starts a UDP socket; sends, answers, waits, closes and exits
    # matter only to a pid with one, which the rule watches (see feed).
    syscalls = frozenset(("socket", "epoll_ctl"))
    event_types = (Exit,)
    args_markers = (DECORATION_MARKER,)

    def __init__(self, **settings) -> None:
        super().__init__(**settings)
        self._sockets = DatagramSockets()
        self._epoll = EpollInterest()
        self._queries: Dict[Optional[int], Dict[int, _Query]] = {}
        self._unmeasured: Dict[Optional[int], _Query] = {}

    @classmethod
    def describe_total(cls, count: int, seconds: float) -> str:
        return "%d DNS quer%s timed out, %.2f s spent waiting for answers" % (
            count, "y" if count == 1 else "ies", seconds,
        )

    def feed(self, event: Event, processes: ProcessTable) -> Iterable[Finding]:
        found = self._feed(event)
        pid = event.pid
        self.watch_while(pid, pid in self._queries or pid in self._unmeasured or self._sockets.has_sockets(pid))
        return found

    def _feed(self, event: Event) -> List[Finding]:
        pid = event.pid
        self._sockets.observe(event)
        found: List[Finding] = []
        waiting = self._unmeasured.pop(pid, None)
        if waiting is not None:
            found.append(self._finding(waiting, event.time))
        if isinstance(event, Exit):
            self._queries.pop(pid, None)
            self._epoll.forget(pid)
            return found
        if not isinstance(event, Syscall):
            return found
        name = event.syscall
        if name in _SENDS:
            self._send(event)
        elif name == "epoll_ctl":
            self._epoll.observe(event)
        elif pid not in self._queries:
            pass  # the cases below change only a pid's open queries: spare the fd regex
        elif name in _ANSWERS:
            fd = leading_fd(event)
            if fd is not None and event.errno is None:
                self._forget(pid, fd)
        elif name == "close":
            fd = leading_fd(event)
            if fd is not None:
                self._forget(pid, fd)
        elif self._queries.get(pid):
            wait = wait_of(event, self._epoll)
            if wait is not None and wait.timed_out and wait.timeout_ms is not None and wait.timeout_ms >= self.min_ms:
                found.extend(self._timed_out(event, wait.fds, wait.timeout_ms))
        return found

    def _send(self, event: Syscall) -> None:
        if not self._sockets.has_sockets(event.pid):
            return
        fd = leading_fd(event)
        if fd is None or event.errno is not None:
            return
        port = self._sockets.peer_port(event.pid, fd)
        if port is None:
            return
        if port == UNCONNECTED and event.syscall in ("sendto", "sendmsg"):
            port = port_of_address(event.args_text)
        if port == self.port:
            self._queries.setdefault(event.pid, {})[fd] = _Query(event)

    def _forget(self, pid: Optional[int], fd: int) -> None:
        table = self._queries.get(pid)
        if table is not None:
            table.pop(fd, None)
            if not table:
                del self._queries[pid]

    def _timed_out(self, event: Syscall, fds, timeout_ms: float) -> List[Finding]:
        table = self._queries.get(event.pid, {})
        for fd in fds:
            query = table.get(fd)
            if query is None:
                continue
            query.wait = event
            query.timeout_ms = timeout_ms
            self._forget(event.pid, fd)
            measured, _ = measured_duration(event)
            if measured is None and event.time is not None:
                self._unmeasured[event.pid] = query  # measured at the pid's next event
                return []
            return [self._finding(query, None)]
        return []

    def finish(self, processes: ProcessTable) -> Iterable[Finding]:
        found = [self._finding(query, None) for query in self._unmeasured.values()]
        self._unmeasured.clear()
        return found

    def _finding(self, query: _Query, next_time: Optional[float]) -> Finding:
        wait = query.wait
        fd = leading_fd(query.send)
        measured, source = measured_duration(wait, next_time)
        timeout_s = query.timeout_ms / 1000.0
        if measured is None:
            cost, source = timeout_s, "timeout"
        else:
            cost = max(measured, timeout_s)
        lines, evidence = evidence_of([query.send, wait])
        message = "DNS query on UDP fd %s got no answer: %s timed out after %g ms; %.3f s lost" % (
            fd, wait.syscall, query.timeout_ms, cost,
        )
        return Finding(
            rule=self.id,
            file=wait.file,
            message=message,
            cost_seconds=cost,
            lines=lines,
            evidence=evidence,
            pid=wait.pid,
            fd=fd,
            timeout_ms=query.timeout_ms,
            cost_source=source,
            details={"syscall": wait.syscall, "send_line": query.send.line, "wait_line": wait.line},
        )
