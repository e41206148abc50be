"""The open files of each traced process, followed through the event stream.

:class:`ProcessTable` watches syscall events and keeps, per pid, a table of
file descriptors and what they are (a connected socket, a listening socket, a
pipe, a file, ...).  Children copy their parent's table when ``clone``,
``fork`` or ``vfork`` returns; threads (``CLONE_THREAD``/``CLONE_FILES``)
share it.  ``-y``/``-yy`` decorations, when present, name what an fd is and
win over what the table inferred.  An fd opened before the trace began is
unknown (``None``); rules treat unknown fds as possibly anything.

The table reads the arguments of only a few syscalls, mostly with a regex on
the argument text, so following it costs little per event.
"""

from __future__ import annotations

import re
from typing import Dict, Iterable, Optional

import attrs

from .events import Event, Exit, Syscall
from .values import Array, Decorated, unwrap

__all__ = ["FdInfo", "ProcessTable", "SOCKET", "LISTENING", "PIPE", "FILE", "OTHER", "fd_kind_of_decoration"]

SOCKET = "socket"
LISTENING = "listening"
PIPE = "pipe"
FILE = "file"
OTHER = "other"


@attrs.frozen(slots=True)
class FdInfo:
    """The kind of object an fd refers to, one of the module's kind constants.

    ``detail`` is the ``-yy`` decoration or the path the fd was opened with,
    when the trace showed it.
    """

    kind: str
    detail: str = ""


_LEADING_FD = re.compile(r"\s*(-?\d+)(?:<((?:->|[^<>]|<[^<>]*>)*)>)?")
_SOCKET_DECORATIONS = ("TCP", "UDP", "UNIX", "NETLINK", "socket:", "TCPv6", "UDPv6", "RAW", "PACKET", "SCTP")


def fd_kind_of_decoration(decoration: str) -> str:
    """Classify an ``-y``/``-yy`` decoration: ``TCP:[...]`` is a socket, ``pipe:[...]`` a pipe."""
    if decoration.startswith(_SOCKET_DECORATIONS):
        return SOCKET
    if decoration.startswith("pipe:"):
        return PIPE
    if decoration.startswith(("anon_inode:", "/dev/")):
        return OTHER
    return FILE


def leading_fd(event: Syscall) -> Optional[int]:
    """Return the syscall's first argument as an fd number, without the grammar."""
    match = _LEADING_FD.match(event.args_text)
    return int(match.group(1)) if match else None


def _int(value) -> Optional[int]:
    value = unwrap(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


_CLONES = frozenset(("clone", "clone3", "fork", "vfork"))
_DUPS = frozenset(("dup", "dup2", "dup3"))
_SOCKET_RESULTS = frozenset(("socket", "accept", "accept4"))
_FILE_RESULTS = frozenset(("open", "openat", "openat2", "creat"))
_OTHER_RESULTS = frozenset(
    ("epoll_create", "epoll_create1", "eventfd", "eventfd2", "timerfd_create", "signalfd", "signalfd4",
     "inotify_init", "inotify_init1", "memfd_create", "pidfd_open", "fanotify_init", "userfaultfd")
)
_CLOSES = frozenset(("close",))
_ENDS = frozenset(("exit_group",))

#: Syscalls whose events change the table; everything else passes untouched.
WATCHED = (
    _CLONES | _DUPS | _SOCKET_RESULTS | _FILE_RESULTS | _OTHER_RESULTS | _CLOSES
    | frozenset(("listen", "pipe", "pipe2", "socketpair", "fcntl", "fcntl64", "close_range"))
)


class ProcessTable:
    """Per-pid fd tables, updated by :meth:`observe` for each event in log order."""

    def __init__(self) -> None:
        self._tables: Dict[Optional[int], Dict[int, FdInfo]] = {}

    def table(self, pid: Optional[int]) -> Dict[int, FdInfo]:
        """Return the fd table of ``pid``, creating an empty one for a pid not seen before."""
        table = self._tables.get(pid)
        if table is None:
            table = self._tables[pid] = {}
        return table

    def kind(self, pid: Optional[int], fd: int) -> Optional[str]:
        """Return what ``fd`` is in ``pid``, or None when the trace has not shown it."""
        info = self._tables.get(pid, {}).get(fd)
        return info.kind if info is not None else None

    def info(self, pid: Optional[int], fd: int) -> Optional[FdInfo]:
        """Return the :class:`FdInfo` of ``fd`` in ``pid``, or None when unknown."""
        return self._tables.get(pid, {}).get(fd)

    def learn(self, pid: Optional[int], fd: int, decoration: str) -> None:
        """Record the fd kind that an ``-y``/``-yy`` decoration shows for ``fd``."""
        table = self.table(pid)
        known = table.get(fd)
        kind = fd_kind_of_decoration(decoration)
        if known is None or (known.kind != kind and not (known.kind == LISTENING and kind == SOCKET)):
            table[fd] = FdInfo(kind, decoration)

    def observe(self, event: Event) -> None:
        """Update the tables with what ``event`` did."""
        if isinstance(event, Syscall):
            self.observe_syscall(event)
        elif isinstance(event, Exit):
            self._tables.pop(event.pid, None)

    def observe_syscall(self, event: Syscall) -> None:
        """Update the tables with what one syscall did.

        Most syscalls change no table, so they cost one set lookup plus two
        checks for the rare work every syscall may need: a pid first seen in
        strace's stderr mode, and an ``-y`` decoration on the first argument.
        """
        name = event.syscall
        tables = self._tables
        if None in tables:
            self._share_unprefixed(event.pid)
        text = event.args_text
        if "<" in text and text[:1].isdigit() and "<" in text[:12]:
            match = _LEADING_FD.match(text)
            if match and match.group(2):
                self.learn(event.pid, int(match.group(1)), match.group(2))
        if name not in WATCHED:
            return
        pid = event.pid
        retval = event.retval
        if name in _CLOSES:
            fd = leading_fd(event)
            if fd is not None:
                self.table(pid).pop(fd, None)
            return
        if retval is None or retval < 0 or event.errno is not None:
            return
        table = self.table(pid)
        if name in _SOCKET_RESULTS:
            table[retval] = FdInfo(SOCKET, _result_decoration(event))
        elif name in _FILE_RESULTS:
            table[retval] = FdInfo(FILE, _result_decoration(event))
        elif name in _OTHER_RESULTS:
            table[retval] = FdInfo(OTHER)
        elif name == "listen":
            fd = leading_fd(event)
            if fd is not None:
                table[fd] = FdInfo(LISTENING, table.get(fd, FdInfo(SOCKET)).detail)
        elif name in _DUPS:
            fd = leading_fd(event)
            source = table.get(fd) if fd is not None else None
            if source is not None:
                table[retval] = source
            else:
                table.pop(retval, None)
        elif name in ("fcntl", "fcntl64"):
            if "F_DUPFD" in event.args_text:
                fd = leading_fd(event)
                source = table.get(fd) if fd is not None else None
                if source is not None:
                    table[retval] = source
        elif name in ("pipe", "pipe2", "socketpair"):
            self._pair(table, event, PIPE if name != "socketpair" else SOCKET)
        elif name == "close_range":
            args = event.try_args()
            if args and len(args) >= 2:
                low, high = _int(args[0]), _int(args[1])
                if low is not None and high is not None:
                    for fd in [fd for fd in table if low <= fd <= high]:
                        del table[fd]
        elif name in _CLONES and retval > 0:
            self._clone(pid, retval, event)

    def _share_unprefixed(self, pid: Optional[int]) -> None:
        """Give a pid first seen in strace's stderr mode the table of the unprefixed lines.

        In that mode the first process has no [pid N] prefix until it has a
        child, so an unseen pid is that process, or a child whose own clone
        has not returned yet (the clone then gives it its proper table).
        """
        if pid is not None and pid not in self._tables:
            self._tables[pid] = self._tables[None]

    def _pair(self, table: Dict[int, FdInfo], event: Syscall, kind: str) -> None:
        args = event.try_args()
        if not args:
            return
        pair = args[-1] if kind == SOCKET else args[0]
        if isinstance(pair, Array):
            for item in pair.items:
                fd = _int(item)
                if fd is not None:
                    detail = item.decoration if isinstance(item, Decorated) else ""
                    table[fd] = FdInfo(kind, detail)

    def _clone(self, parent: Optional[int], child: int, event: Syscall) -> None:
        shared = "CLONE_FILES" in event.args_text or "CLONE_THREAD" in event.args_text
        parent_table = self.table(parent)
        child_table = self._tables.get(child)
        if shared:
            if child_table:
                # The child ran before the parent's clone returned: keep what it showed.
                parent_table.update(child_table)
            self._tables[child] = parent_table
            return
        inherited = dict(parent_table)
        if child_table:
            inherited.update(child_table)
        self._tables[child] = inherited

    def pids(self) -> Iterable[Optional[int]]:
        """Return the pids that have a table."""
        return list(self._tables)


def _result_decoration(event: Syscall) -> str:
    head = event.retval_text.partition(" ")[0]
    start = head.find("<")
    return head[start + 1 : -1] if start >= 0 and head.endswith(">") else ""
