"""Comparing two traces of one workload: what the BAD run does that the GOOD run does not.

In: two event streams (GOOD and BAD; any iterable of events, so several files
or a per-process directory can be chained into one side).  Out: a
:class:`DiffReport` of per-syscall counts and time on each side, and the
changes, ranked by the time they cost BAD, most costly first.  Each event is
reduced to a comparable call signature (syscall, what its fds are, the wait
timeout, the result class), such as ``poll(socket, 200 ms) = 0 (Timeout)``,
so run-specific values (pids, addresses, buffer contents) do not count as
differences.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

import attrs

from .events import Event, Exit, Signal, Syscall, Unparsed
from .parser import Source, parse
from .processes import LISTENING, SOCKET, ProcessTable, fd_kind_of_decoration, leading_fd, _LEADING_FD
from .rules.engine import Evidence, evidence_of
from .rules.waits import WAIT_SYSCALLS, wait_of

__all__ = ["Change", "DiffReport", "SideSummary", "diff", "diff_events", "signature_of", "CHANGE_KINDS"]

#: Change kind to its meaning, BAD compared with GOOD.
CHANGE_KINDS = {
    "added": "only in BAD",
    "removed": "only in GOOD",
    "more": "more often in BAD",
    "fewer": "less often in BAD",
    "slower": "as often, but slower in BAD",
    "faster": "as often, but faster in BAD",
}

# Syscalls whose first argument is an fd (a number, not AT_FDCWD).
_FD_FIRST = frozenset(
    (
        "read", "write", "pread64", "pwrite64", "readv", "writev", "preadv", "pwritev", "preadv2", "pwritev2",
        "close", "shutdown", "fstat", "newfstatat", "fstatfs", "fsync", "fdatasync", "ftruncate", "fchmod",
        "fchown", "fcntl", "fcntl64", "ioctl", "lseek", "_llseek", "getdents", "getdents64", "flock",
        "send", "sendto", "sendmsg", "sendmmsg", "recv", "recvfrom", "recvmsg", "recvmmsg", "sendfile",
        "accept", "accept4", "bind", "connect", "listen", "getsockopt", "setsockopt", "getsockname",
        "getpeername", "epoll_ctl", "dup", "dup2", "dup3", "splice", "tee", "fallocate",
    )
)
# Syscalls that only take a socket: an fd seen in one of them is a socket
# even when the trace never showed where it came from (as in one file of
# an ``-ff`` set, where the fds were inherited).
_SOCKET_ONLY = frozenset(
    (
        "shutdown", "send", "sendto", "sendmsg", "sendmmsg", "recv", "recvfrom", "recvmsg", "recvmmsg",
        "accept", "accept4", "bind", "connect", "listen", "getsockopt", "setsockopt", "getsockname",
        "getpeername",
    )
)
# Syscalls that take a listening socket: the fd they are given is one.
_ACCEPTS = frozenset(("accept", "accept4"))
_EXAMPLES = 3  # example lines kept per signature and side


# ---------------------------------------------------------------- signatures


class _FdRoles:
    """What each fd is, per pid: the process table, sharpened by socket-only calls.

    A role must not depend on ``-yy``: a listening socket's decoration
    (``TCP:[127.0.0.1:2525]``, no peer) reads as a plain socket, so an fd
    that the table or an ``accept`` shows to be listening stays listening.
    """

    def __init__(self) -> None:
        self.processes = ProcessTable()
        self._sockets: Dict[Tuple[Optional[int], int], str] = {}

    def role(self, pid: Optional[int], fd: int, decoration: str = "") -> str:
        kind = self.processes.kind(pid, fd)
        seen = self._sockets.get((pid, fd))
        if decoration:
            decorated = fd_kind_of_decoration(decoration)
            if decorated == SOCKET and LISTENING in (kind, seen):
                return LISTENING
            return decorated
        if kind is not None:
            return LISTENING if seen == LISTENING else kind
        if seen is not None:
            return seen
        return "fd %d" % fd

    def observe(self, event: Event) -> None:
        if isinstance(event, Syscall):
            name = event.syscall
            if name in _SOCKET_ONLY:
                fd = leading_fd(event)
                if fd is not None:
                    role = LISTENING if name in _ACCEPTS else SOCKET
                    if self._sockets.get((event.pid, fd)) != LISTENING:
                        self._sockets[(event.pid, fd)] = role
            elif name == "close":
                fd = leading_fd(event)
                if fd is not None:
                    self._sockets.pop((event.pid, fd), None)
        self.processes.observe(event)


def _result_class(event: Syscall) -> str:
    """Reduce a return value to what matters for comparing runs: error, timeout, zero, positive."""
    if event.errno is not None:
        head = event.retval_text.partition(" ")[0] or "?"
        return "%s %s" % (head, event.errno)
    if event.retval is None:
        return "?" if event.finished else "unfinished"
    if event.retval == 0:
        return "0 (Timeout)" if event.annotation == "Timeout" else "0"
    return ">0" if event.retval > 0 else "<0"


def _call_of(event: Syscall, roles: _FdRoles) -> str:
    """Return the call part of a signature: ``poll(socket, 200 ms)``, ``write(socket)``, ``openat(...)``."""
    name = event.syscall
    if name in WAIT_SYSCALLS:
        wait = wait_of(event)
        if wait is not None:
            decorations = dict(wait.decorations)
            kinds = sorted({roles.role(event.pid, fd, decorations.get(fd, "")) for fd in wait.fds})
            timeout = "no timeout" if wait.timeout_ms is None else "%g ms" % wait.timeout_ms
            return "%s(%s)" % (name, ", ".join(kinds + [timeout]))
    if name in _FD_FIRST:
        match = _LEADING_FD.match(event.args_text)
        if match:
            if name in _ACCEPTS:
                return "%s(%s)" % (name, LISTENING)
            return "%s(%s)" % (name, roles.role(event.pid, int(match.group(1)), match.group(2) or ""))
    return "%s(...)" % name


def signature_of(event: Event, roles: Optional[_FdRoles] = None) -> Optional[str]:
    """Return the comparable signature of an event, or None for events a diff ignores.

    Syscalls give ``call = result class``; signals ``--- SIGCHLD ---``;
    process ends ``+++ exited with 0 +++``.  Messages and unparsed lines
    have no signature.
    """
    if isinstance(event, Syscall):
        return "%s = %s" % (_call_of(event, roles or _FdRoles()), _result_class(event))
    if isinstance(event, Signal):
        return "--- stopped by %s ---" % event.signal if event.stopped else "--- %s ---" % event.signal
    if isinstance(event, Exit):
        if event.signal is not None:
            return "+++ killed by %s +++" % event.signal
        return "+++ exited with %s +++" % event.status
    return None


# ---------------------------------------------------------------- one side


class _Tally:
    """Count, seconds and example events of one signature on one side."""

    __slots__ = ("syscall", "count", "seconds", "examples")

    def __init__(self, syscall: str) -> None:
        self.syscall = syscall
        self.count = 0
        self.seconds = 0.0
        self.examples: List[Event] = []


@attrs.frozen(slots=True, kw_only=True)
class SideSummary:
    """What one side of a diff read.

    ``time_sources`` counts how each call's time was found: ``duration``
    (``-T``), ``timestamps`` (to the resumed half, or to the process's next
    event: an upper bound that includes user-space time), ``timeout`` (a
    timed-out wait in a log with no clock: its timeout, a floor) or ``none``.
    """

    files: Tuple[str, ...]
    events: int
    unparsed: int
    span_seconds: Optional[float]
    time_sources: Mapping[str, int] = attrs.field(hash=False)

    def to_dict(self) -> Dict[str, Any]:
        """Return the summary as plain JSON-ready data."""
        return {
            "files": list(self.files),
            "events": self.events,
            "unparsed": self.unparsed,
            "span_seconds": None if self.span_seconds is None else round(self.span_seconds, 6),
            "time_sources": dict(self.time_sources),
        }


class _Profile:
    """Signature tallies of one side, built from its events in log order."""

    def __init__(self) -> None:
        self.tallies: Dict[str, _Tally] = {}
        self.files: Dict[str, None] = {}
        self.events = 0
        self.unparsed = 0
        self.first: Optional[float] = None
        self.last: Optional[float] = None
        self.sources: Dict[str, int] = {}
        self._roles: Dict[str, _FdRoles] = {}
        # (file, pid) -> the tally and event still waiting for the next event's time.
        self._open: Dict[Tuple[str, Optional[int]], Tuple[_Tally, Syscall]] = {}

    def add(self, event: Event) -> None:
        self.events += 1
        self.files.setdefault(event.file, None)
        if isinstance(event, Unparsed):
            self.unparsed += 1
            return
        self._clock(event)
        roles = self._roles.get(event.file)
        if roles is None:
            roles = self._roles[event.file] = _FdRoles()
        signature = signature_of(event, roles)
        roles.observe(event)
        if signature is None:
            return
        tally = self.tallies.get(signature)
        if tally is None:
            syscall = event.syscall if isinstance(event, Syscall) else event.kind
            tally = self.tallies[signature] = _Tally(syscall)
        tally.count += 1
        if len(tally.examples) < _EXAMPLES:
            tally.examples.append(event)
        if isinstance(event, Syscall):
            self._time(event, tally)

    def _clock(self, event: Event) -> None:
        key = (event.file, event.pid)
        waiting = self._open.pop(key, None)
        if waiting is not None and event.time is not None:
            tally, call = waiting
            tally.seconds += max(0.0, event.time - call.time)
        if event.time is not None:
            if self.first is None:
                self.first = event.time
            end = event.end_time if isinstance(event, Syscall) and event.end_time is not None else event.time
            if self.last is None or end > self.last:
                self.last = end

    def _time(self, event: Syscall, tally: _Tally) -> None:
        """Add the call's time to its tally now, or once the process's next event shows it."""
        if event.duration is not None:
            tally.seconds += event.duration
            source = "duration"
        elif event.time is not None and event.end_time is not None:
            tally.seconds += max(0.0, event.end_time - event.time)
            source = "timestamps"
        elif event.time is not None:
            self._open[(event.file, event.pid)] = (tally, event)
            source = "timestamps"
        else:
            wait = wait_of(event) if event.syscall in WAIT_SYSCALLS else None
            if wait is not None and wait.timed_out and wait.timeout_ms:
                tally.seconds += wait.timeout_ms / 1000.0
                source = "timeout"
            else:
                source = "none"
        self.sources[source] = self.sources.get(source, 0) + 1

    def summary(self) -> SideSummary:
        span = None if self.first is None or self.last is None else self.last - self.first
        return SideSummary(
            files=tuple(self.files), events=self.events, unparsed=self.unparsed,
            span_seconds=span, time_sources=dict(self.sources),
        )


# ---------------------------------------------------------------- the diff


@attrs.frozen(slots=True, kw_only=True)
class Change:
    """One signature whose count or time differs between GOOD and BAD.

    ``cost_seconds`` is the time BAD spent in it minus the time GOOD did
    (negative when BAD saves time).  ``lines_good``/``lines_bad`` are example
    lines; for a change only in BAD, ``lines_good`` shows the same call with
    the results it had in GOOD instead (listed in ``instead``), when GOOD made
    that call at all.
    """

    kind: str
    signature: str
    syscall: str
    count_good: int
    count_bad: int
    seconds_good: float
    seconds_bad: float
    lines_good: Tuple[Evidence, ...] = ()
    lines_bad: Tuple[Evidence, ...] = ()
    instead: Tuple[str, ...] = ()

    @property
    def cost_seconds(self) -> float:
        return self.seconds_bad - self.seconds_good

    @property
    def cost_per_call_seconds(self) -> float:
        """The cost per extra call (or per call, when the counts are equal)."""
        calls = abs(self.count_bad - self.count_good) or self.count_bad or 1
        return self.cost_seconds / calls

    def to_dict(self) -> Dict[str, Any]:
        """Return the change as plain JSON-ready data."""
        return {
            "kind": self.kind,
            "signature": self.signature,
            "syscall": self.syscall,
            "cost_seconds": round(self.cost_seconds, 6),
            "cost_per_call_seconds": round(self.cost_per_call_seconds, 6),
            "count_good": self.count_good,
            "count_bad": self.count_bad,
            "seconds_good": round(self.seconds_good, 6),
            "seconds_bad": round(self.seconds_bad, 6),
            "instead": list(self.instead),
            "lines": {
                "good": [_evidence_dict(e) for e in self.lines_good],
                "bad": [_evidence_dict(e) for e in self.lines_bad],
            },
        }


def _evidence_dict(evidence: Evidence) -> Dict[str, Any]:
    return {"file": evidence.file, "line": evidence.line, "text": evidence.text}


@attrs.frozen(slots=True)
class DiffReport:
    """The changes from GOOD to BAD, most costly first, with per-syscall totals.

    ``syscalls`` maps a syscall name to ``count_good``, ``count_bad``,
    ``seconds_good`` and ``seconds_bad``, ordered by how much its time moved.
    """

    changes: Tuple[Change, ...]
    syscalls: Mapping[str, Mapping[str, Any]] = attrs.field(hash=False)
    good: SideSummary = attrs.field(hash=False)
    bad: SideSummary = attrs.field(hash=False)

    def to_dict(self) -> Dict[str, Any]:
        """Return the report as the JSON object ``straceparse diff --format json`` prints."""
        return {
            "changes": [change.to_dict() for change in self.changes],
            "syscalls": [dict(syscall=name, **totals) for name, totals in self.syscalls.items()],
            "summary": {"good": self.good.to_dict(), "bad": self.bad.to_dict()},
        }


def _kind_of(good: Optional[_Tally], bad: Optional[_Tally], min_seconds: float) -> Optional[str]:
    count_good = good.count if good else 0
    count_bad = bad.count if bad else 0
    if count_good == 0:
        return "added"
    if count_bad == 0:
        return "removed"
    if count_bad != count_good:
        return "more" if count_bad > count_good else "fewer"
    delta = bad.seconds - good.seconds
    if abs(delta) < min_seconds:
        return None
    return "slower" if delta > 0 else "faster"


def _call_part(signature: str) -> str:
    return signature.rpartition(" = ")[0] or signature


def diff_events(good: Iterable[Event], bad: Iterable[Event], *, min_seconds: float = 0.001) -> DiffReport:
    """Compare the events of a GOOD and a BAD run and return the changes, most costly first.

    A signature seen as often on both sides is a change only when its time
    moved by ``min_seconds`` or more (``slower``/``faster``); any difference
    in count is a change.
    """
    sides = (_Profile(), _Profile())
    for profile, events in zip(sides, (good, bad)):
        for event in events:
            profile.add(event)
    good_profile, bad_profile = sides
    fewer_by_call: Dict[str, List[str]] = {}
    for signature, tally in good_profile.tallies.items():
        other = bad_profile.tallies.get(signature)
        if other is None or other.count < tally.count:
            fewer_by_call.setdefault(_call_part(signature), []).append(signature)

    changes = []
    for signature in list(good_profile.tallies) + [s for s in bad_profile.tallies if s not in good_profile.tallies]:
        good_tally = good_profile.tallies.get(signature)
        bad_tally = bad_profile.tallies.get(signature)
        kind = _kind_of(good_tally, bad_tally, min_seconds)
        if kind is None:
            continue
        instead: Tuple[str, ...] = ()
        good_examples = list(good_tally.examples) if good_tally else []
        if kind in ("added", "more"):
            instead = tuple(s for s in fewer_by_call.get(_call_part(signature), ()) if s != signature)
            if not good_examples:
                for other in instead:
                    good_examples.extend(good_profile.tallies[other].examples)
        changes.append(
            Change(
                kind=kind,
                signature=signature,
                syscall=(bad_tally or good_tally).syscall,
                count_good=good_tally.count if good_tally else 0,
                count_bad=bad_tally.count if bad_tally else 0,
                seconds_good=good_tally.seconds if good_tally else 0.0,
                seconds_bad=bad_tally.seconds if bad_tally else 0.0,
                lines_good=evidence_of(good_examples[:_EXAMPLES])[1],
                lines_bad=evidence_of(bad_tally.examples)[1] if bad_tally else (),
                instead=instead,
            )
        )
    changes.sort(key=lambda c: (-c.cost_seconds, -abs(c.count_bad - c.count_good), c.signature))
    return DiffReport(tuple(changes), _syscall_totals(good_profile, bad_profile), good_profile.summary(), bad_profile.summary())


def _syscall_totals(good: _Profile, bad: _Profile) -> Dict[str, Dict[str, Any]]:
    totals: Dict[str, Dict[str, Any]] = {}
    for side, profile in (("good", good), ("bad", bad)):
        for tally in profile.tallies.values():
            if tally.syscall in ("signal", "exit"):
                continue
            entry = totals.setdefault(
                tally.syscall, {"count_good": 0, "count_bad": 0, "seconds_good": 0.0, "seconds_bad": 0.0}
            )
            entry["count_" + side] += tally.count
            entry["seconds_" + side] += tally.seconds
    for entry in totals.values():
        entry["seconds_good"] = round(entry["seconds_good"], 6)
        entry["seconds_bad"] = round(entry["seconds_bad"], 6)
    order = sorted(
        totals,
        key=lambda name: (
            -abs(totals[name]["seconds_bad"] - totals[name]["seconds_good"]),
            -abs(totals[name]["count_bad"] - totals[name]["count_good"]),
            name,
        ),
    )
    return {name: totals[name] for name in order}


def diff(good: Source, bad: Source, *, min_seconds: float = 0.001) -> DiffReport:
    """Parse two traces (paths, open files or lines) and compare them; see :func:`diff_events`."""
    return diff_events(parse(good), parse(bad), min_seconds=min_seconds)
