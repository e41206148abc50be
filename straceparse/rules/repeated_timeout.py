"""Rule ``repeated-timeout``: the same wait times out again and again in one thread.

A call site is the syscall with what it waits on: for poll, select and epoll
the fds and the timeout, for futex the address and the operation (a
``FUTEX_WAIT_BITSET`` deadline is absolute, so it changes on every call).
When one site returns 0 (poll family) or ``ETIMEDOUT`` (futex) at least
``min_count`` times, its timeouts are one finding, reported when the thread
exits or the trace ends:

    futex(0x86e784, FUTEX_WAIT_BITSET_PRIVATE, 1291, {11968799, 665191036}, ffffffff) = -1 ETIMEDOUT (...)

Timeouts that pace work (a retry every 400 ms while a backend is down) and
those of an idle event loop look alike in a trace.  Severity, the share of
the thread's time the waits took, separates them.  Not findings: waits on
listening sockets only (an accept loop ticking while no client comes), waits
shorter than ``min_ms``, infinite waits.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Tuple

from ..events import Event, Exit, Syscall
from ..processes import LISTENING, ProcessTable, leading_fd
from .engine import Finding, Rule, evidence_of, register
from .timing import measured_duration, resolved_difference
from .waits import EpollInterest, WAIT_SYSCALLS, timespec_seconds, wait_of

__all__ = ["RepeatedTimeout"]

_FUTEXES = frozenset(("futex", "futex_time64"))
_ABSOLUTE_FUTEX_OPS = ("FUTEX_WAIT_BITSET", "FUTEX_LOCK_PI", "FUTEX_WAIT_REQUEUE_PI")
_EXAMPLES = 3  # timed-out calls kept as evidence: the first ones and the last
_MAX_SITES = 64  # call sites followed per thread; more are not counted


class _Site:
    """The timeouts of one call site in one thread."""

    __slots__ = ("label", "timeout_ms", "count", "seconds", "sources", "examples", "last", "first_deadline",
                 "last_deadline")

    def __init__(self, label: str, timeout_ms: Optional[float]) -> None:
        self.label = label
        self.timeout_ms = timeout_ms
        self.count = 0
        self.seconds = 0.0
        self.sources: Dict[str, None] = {}
        self.examples: List[Syscall] = []
        self.last: Optional[Syscall] = None
        self.first_deadline: Optional[float] = None
        self.last_deadline: Optional[float] = None

    def add(self, event: Syscall, seconds: Optional[float], source: str) -> None:
        self.count += 1
        if seconds is not None:
            self.seconds += seconds
        self.sources[source] = None
        if len(self.examples) < _EXAMPLES:
            self.examples.append(event)
        else:
            self.last = event


@register
class RepeatedTimeout(Rule):
    id = "repeated-timeout"
    summary = "the same wait (syscall, fds or futex address, timeout) times out again and again in one thread"
    options = {"min_count": 3, "min_ms": 1.0, "include_listening": False}
    option_help = {
        "min_count": "timeouts of one call site in one thread that make a finding",
        "min_ms": "smallest relative timeout to count, in milliseconds (shorter waits are polls)",
        "include_listening": "also count waits on listening sockets only (an idle accept loop)",
    }

    syscalls = _FUTEXES | WAIT_SYSCALLS | frozenset(("epoll_ctl", "close", "exit_group"))
    event_types = (Exit,)

    def __init__(self, **settings) -> None:
        super().__init__(**settings)
        self._sites: Dict[Optional[int], Dict[Tuple, _Site]] = {}
        self._unmeasured: Dict[Optional[int], Tuple[_Site, Syscall, float]] = {}
        self._epoll = EpollInterest()

    @classmethod
    def describe_total(cls, count: int, seconds: float) -> str:
        return "%d wait%s timed out over and over, %.2f s in all" % (count, "" if count == 1 else "s", seconds)

    @classmethod
    def describe_unmeasured(cls, count: int) -> str:
        return "%d wait%s timed out over and over, time not measurable from the log" % (
            count, "" if count == 1 else "s",
        )

    def feed(self, event: Event, processes: ProcessTable) -> Iterable[Finding]:
        pid = event.pid
        if pid in self._unmeasured:
            waiting = self._unmeasured.pop(pid)
            self.unwatch(pid)
            site, wait_event, floor = waiting
            measured = None
            if event.time is not None:
                measured = resolved_difference(event.time - wait_event.time, wait_event, event)
            if measured is not None:
                site.add(wait_event, max(measured, floor), "timestamps")
            else:
                site.add(wait_event, floor, "timeout")
        if isinstance(event, Exit):
            self._epoll.forget(pid)
            return self._report(pid)
        if not isinstance(event, Syscall):
            return ()
        name = event.syscall
        # close first: in typical traces it is the most frequent of the syscalls this rule declares.
        if name == "close":
            if not self._sites.get(pid):
                return ()  # nothing waits on any fd of this pid: spare the fd regex
            return self._closed(pid, leading_fd(event))
        elif name in _FUTEXES:
            if event.errno == "ETIMEDOUT":
                self._futex(event)
        elif name == "epoll_ctl":
            self._epoll.observe(event)
        elif name in WAIT_SYSCALLS:
            if event.retval == 0 and event.errno is None:
                self._wait(event, processes)
        elif name == "exit_group":
            return self._report(pid)
        return ()

    def _closed(self, pid: Optional[int], fd: Optional[int]) -> List[Finding]:
        """End the call sites that wait on ``fd``: a later wait on the same number is another socket."""
        sites = self._sites.get(pid)
        if not sites or fd is None:
            return []
        ended = [key for key in sites if key[0] != "futex" and fd in key[1]]
        found = [self._finding(sites.pop(key)) for key in ended if sites[key].count >= self.min_count]
        for key in ended:
            sites.pop(key, None)
        return found

    def _site(self, pid: Optional[int], key: Tuple, label: str, timeout_ms: Optional[float]) -> Optional[_Site]:
        sites = self._sites.setdefault(pid, {})
        site = sites.get(key)
        if site is None:
            if len(sites) >= _MAX_SITES:
                return None
            site = sites[key] = _Site(label, timeout_ms)
        return site

    def _wait(self, event: Syscall, processes: ProcessTable) -> None:
        wait = wait_of(event, self._epoll)
        if wait is None or not wait.timed_out or wait.timeout_ms is None or wait.timeout_ms < self.min_ms:
            return
        if not self.include_listening and wait.fds:
            if all(processes.kind(event.pid, fd) == LISTENING for fd in wait.fds):
                return
        fds = tuple(sorted(wait.fds))
        label = "%s on fd %s with a %g ms timeout" % (wait.syscall, ", ".join(map(str, fds)) or "?", wait.timeout_ms)
        site = self._site(event.pid, (wait.syscall, fds, wait.timeout_ms), label, wait.timeout_ms)
        if site is not None:
            self._count(site, event, wait.timeout_ms / 1000.0)

    def _futex(self, event: Syscall) -> None:
        address, _, rest = event.args_text.partition(",")
        operation = rest.strip().partition(",")[0]
        absolute = operation.startswith(_ABSOLUTE_FUTEX_OPS)
        args = event.try_args()
        seconds = timespec_seconds(args[3]) if args and len(args) >= 4 else None
        timeout_ms = None if absolute or seconds is None else seconds * 1000.0
        if timeout_ms is not None and timeout_ms < self.min_ms:
            return
        label = "futex %s on %s" % (operation, address.strip())
        site = self._site(event.pid, ("futex", address.strip(), operation), label, timeout_ms)
        if site is None:
            return
        if absolute and seconds is not None:
            if site.first_deadline is None:
                site.first_deadline = seconds
            site.last_deadline = seconds
        self._count(site, event, None if timeout_ms is None else timeout_ms / 1000.0)

    def _count(self, site: _Site, event: Syscall, floor: Optional[float]) -> None:
        measured, source = measured_duration(event)
        if measured is not None:
            site.add(event, max(measured, floor or 0.0), source)
        elif event.time is not None:
            # Measured at the pid's next event, whatever its syscall.
            self._unmeasured[event.pid] = (site, event, 0.0 if floor is None else floor)
            self.watch(event.pid)
        elif floor is not None:
            site.add(event, floor, "timeout")
        else:
            site.add(event, None, "unknown")

    def finish(self, processes: ProcessTable) -> Iterable[Finding]:
        for pid, (site, event, floor) in list(self._unmeasured.items()):
            site.add(event, floor, "timeout")
        self._unmeasured.clear()
        found: List[Finding] = []
        for pid in list(self._sites):
            found.extend(self._report(pid))
        return found

    def _report(self, pid: Optional[int]) -> List[Finding]:
        sites = self._sites.pop(pid, {})
        return [self._finding(site) for site in sites.values() if site.count >= self.min_count]

    def _finding(self, site: _Site) -> Finding:
        first = site.examples[0]
        events = list(site.examples) + ([site.last] if site.last is not None else [])
        lines, evidence = evidence_of(events)
        sources = [source for source in site.sources if source != "unknown"]
        if not sources:
            source = "unknown"
        elif "timeout" in sources:
            source = "timeout"  # at least one wait counted only its timeout, a floor
        else:
            source = sources[0]
        details = {"syscall": first.syscall, "timeouts": site.count, "call_site": site.label}
        message = "%s timed out %d times" % (site.label, site.count)
        if site.first_deadline is not None and site.last_deadline is not None and site.count > 1:
            span = site.last_deadline - site.first_deadline
            details["deadline_span_seconds"] = round(span, 6)
            message += "; its deadlines span %.3f s" % span
        if source == "unknown":
            message += "; the log has no clock to measure the time spent"
        else:
            message += "; %.3f s spent in these waits" % site.seconds
        return Finding(
            rule=self.id,
            file=first.file,
            message=message,
            cost_seconds=site.seconds,
            lines=lines,
            evidence=evidence,
            pid=first.pid,
            timeout_ms=site.timeout_ms,
            cost_source=source,
            details=details,
        )
