"""Reading the wait syscalls: which fds a call waits on and for how long.

poll, ppoll, select, pselect6, epoll_wait, epoll_pwait and epoll_pwait2 all
take a set of fds and a timeout, each in its own shape.  :func:`wait_of`
reads both out of a syscall event into one :class:`Wait`, so rules need not
know the shapes.  epoll calls name an epoll fd, not the fds it watches; the
caller passes the interest list it has followed from ``epoll_ctl``.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import attrs

from ..events import Syscall
from ..values import Array, BitSet, Member, Struct, unwrap

__all__ = ["Wait", "wait_of", "WAIT_SYSCALLS", "timespec_seconds", "EpollInterest"]

#: The syscalls :func:`wait_of` understands.
WAIT_SYSCALLS = frozenset(
    ("poll", "ppoll", "select", "_newselect", "pselect6", "epoll_wait", "epoll_pwait", "epoll_pwait2")
)


@attrs.frozen(slots=True)
class Wait:
    """A wait call read out of its arguments.

    ``timeout_ms`` is None for an infinite wait (``-1``, ``NULL``);
    ``fds`` are the fds waited on for input; ``timed_out`` is True when the
    call returned 0.
    """

    syscall: str
    fds: Tuple[int, ...]
    timeout_ms: Optional[float]
    timed_out: bool
    decorations: Tuple[Tuple[int, str], ...] = ()


def _int(value: Any) -> Optional[int]:
    value = unwrap(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def timespec_seconds(value: Any) -> Optional[float]:
    """Return the seconds of a ``{tv_sec=, tv_nsec=}`` / ``{tv_sec=, tv_usec=}`` struct.

    Also reads the positional form of old strace (``{4309, 206749490}``, taken
    as seconds and nanoseconds).  Returns None for NULL or any other shape.
    """
    value = unwrap(value)
    if not isinstance(value, Struct):
        return None
    seconds = _int(value.get("tv_sec"))
    if seconds is None:
        positional = [item for item in value.items if not isinstance(item, Member)]
        if len(positional) == 2 and _int(positional[0]) is not None and _int(positional[1]) is not None:
            return _int(positional[0]) + _int(positional[1]) / 1e9
        return None
    if "tv_nsec" in value:
        fraction = _int(value.get("tv_nsec"))
        return seconds + (fraction or 0) / 1e9
    fraction = _int(value.get("tv_usec"))
    return seconds + (fraction or 0) / 1e6


def _fd_list(value: Any) -> Tuple[Tuple[int, ...], Tuple[Tuple[int, str], ...]]:
    """Read the fds of a pollfd array or an fd set, with their -yy decorations."""
    value = unwrap(value)
    fds = []
    decorations = []
    if isinstance(value, (Array, BitSet)):
        for item in value.items:
            target = item
            if isinstance(item, Struct):
                target = item.get("fd")
            fd = _int(target)
            if fd is None:
                continue
            fds.append(fd)
            decoration = getattr(target, "decoration", None)
            if decoration:
                decorations.append((fd, decoration))
    return tuple(fds), tuple(decorations)


class EpollInterest:
    """The fds registered with each epoll fd, followed from ``epoll_ctl``, per pid."""

    def __init__(self) -> None:
        self._sets: Dict[Tuple[Optional[int], int], Dict[int, None]] = {}

    def observe(self, event: Syscall) -> None:
        """Record an ``epoll_ctl`` ADD or DEL."""
        if event.syscall != "epoll_ctl" or event.errno is not None:
            return
        args = event.try_args()
        if not args or len(args) < 3:
            return
        epfd, operation, fd = _int(args[0]), unwrap(args[1]), _int(args[2])
        if epfd is None or fd is None:
            return
        name = getattr(operation, "name", "")
        members = self._sets.setdefault((event.pid, epfd), {})
        if name == "EPOLL_CTL_ADD":
            members[fd] = None
        elif name == "EPOLL_CTL_DEL":
            members.pop(fd, None)

    def members(self, pid: Optional[int], epfd: int) -> Tuple[int, ...]:
        return tuple(self._sets.get((pid, epfd), ()))

    def forget(self, pid: Optional[int]) -> None:
        for key in [key for key in self._sets if key[0] == pid]:
            del self._sets[key]


def wait_of(event: Syscall, epoll: Optional[EpollInterest] = None) -> Optional[Wait]:
    """Read a wait syscall's fds and timeout; None for other syscalls or unreadable arguments."""
    name = event.syscall
    if name not in WAIT_SYSCALLS:
        return None
    args = event.try_args()
    if args is None:
        return None
    timed_out = event.retval == 0 and event.errno is None
    fds: Tuple[int, ...] = ()
    decorations: Tuple[Tuple[int, str], ...] = ()
    timeout_ms: Optional[float] = None
    if name == "poll" and len(args) >= 3:
        fds, decorations = _fd_list(args[0])
        timeout = _int(args[2])
        timeout_ms = None if timeout is None or timeout < 0 else float(timeout)
    elif name == "ppoll" and len(args) >= 3:
        fds, decorations = _fd_list(args[0])
        seconds = timespec_seconds(args[2])
        timeout_ms = None if seconds is None else seconds * 1000.0
    elif name in ("select", "_newselect", "pselect6") and len(args) >= 5:
        fds, decorations = _fd_list(args[1])
        seconds = timespec_seconds(args[4])
        timeout_ms = None if seconds is None else seconds * 1000.0
    elif name in ("epoll_wait", "epoll_pwait") and len(args) >= 4:
        epfd = _int(args[0])
        if epoll is not None and epfd is not None:
            fds = epoll.members(event.pid, epfd)
        timeout = _int(args[3])
        timeout_ms = None if timeout is None or timeout < 0 else float(timeout)
    elif name == "epoll_pwait2" and len(args) >= 4:
        epfd = _int(args[0])
        if epoll is not None and epfd is not None:
            fds = epoll.members(event.pid, epfd)
        seconds = timespec_seconds(args[3])
        timeout_ms = None if seconds is None else seconds * 1000.0
    else:
        return None
    return Wait(name, fds, timeout_ms, timed_out, decorations)
