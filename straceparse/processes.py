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
from typing import Callable, Dict, Iterable, Optional

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
    text = event.args_text
    head = text.partition(",")[0]
    if head.isdecimal():
        # The common ``3, ...`` or ``3``: what the regex would match, in under half its time (timeit, CPython 3.11).
        return int(head)
    match = _LEADING_FD.match(text)
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



class ProcessTable:
    """Per-pid fd tables, updated by :meth:`observe` for each event in log order."""

    def __init__(self) -> None:
        self._tables: Dict[Optional[int], Dict[int, FdInfo]] = {}
        #: True once a table of strace's unprefixed lines (pid None) was made;
        #: from then on every syscall may have to share it (see observe_syscall).
        self.unprefixed_seen = False

    def table(self, pid: Optional[int]) -> Dict[int, FdInfo]:
        """Return the fd table of ``pid``, creating an empty one for a pid not seen before."""
        table = self._tables.get(pid)
        if table is None:
            table = self._tables[pid] = {}
            if pid is None:
                self.unprefixed_seen = True
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

        Most syscalls change no table.  :class:`~straceparse.rules.Scan`
        therefore calls this only for argument text with a ``<`` (an ``-y``
        decoration) or once :attr:`unprefixed_seen` is set.  Otherwise it calls
        the syscall's handler in :data:`HANDLERS` itself, if there is one.  A
        new case here must be added to that test too.
        """
        pid = event.pid
        if None in self._tables:
            self._share_unprefixed(pid)
        text = event.args_text
        if "<" in text and text[:1].isdigit() and "<" in text[:12]:
            match = _LEADING_FD.match(text)
            if match and match.group(2):
                self.learn(pid, int(match.group(1)), match.group(2))
        handler = HANDLERS.get(event.syscall)
        if handler is not None:
            handler(self, event)

    # The handlers of HANDLERS.  Those of syscalls that return an fd or take
    # one from another change nothing unless the call succeeded.

    def _close(self, event: Syscall) -> None:
        # The most frequent syscall here: leading_fd() and table() inline.
        head = event.args_text.partition(",")[0]
        fd = int(head) if head.isdecimal() else leading_fd(event)
        if fd is not None:
            table = self._tables.get(event.pid)
            if table is None:
                self.table(event.pid)
            else:
                table.pop(fd, None)

    def _succeeded(self, event: Syscall) -> Optional[Dict[int, FdInfo]]:
        """Return the pid's table when ``event`` returned a non-negative value without an errno, else None."""
        retval = event.retval
        if retval is None or retval < 0 or event.errno is not None:
            return None
        return self.table(event.pid)

    def _new_socket(self, event: Syscall) -> None:
        table = self._succeeded(event)
        if table is not None:
            table[event.retval] = _fd_info(SOCKET, event)

    def _new_file(self, event: Syscall) -> None:
        table = self._succeeded(event)
        if table is not None:
            table[event.retval] = _fd_info(FILE, event)

    def _new_other(self, event: Syscall) -> None:
        table = self._succeeded(event)
        if table is not None:
            table[event.retval] = _PLAIN[OTHER]

    def _listen(self, event: Syscall) -> None:
        table = self._succeeded(event)
        fd = leading_fd(event)
        if table is not None and fd is not None:
            table[fd] = FdInfo(LISTENING, table.get(fd, _PLAIN[SOCKET]).detail)

    def _dup(self, event: Syscall) -> None:
        table = self._succeeded(event)
        if table is None:
            return
        fd = leading_fd(event)
        source = table.get(fd) if fd is not None else None
        if source is not None:
            table[event.retval] = source
        else:
            table.pop(event.retval, None)

    def _fcntl(self, event: Syscall) -> None:
        table = self._succeeded(event)
        if table is not None and "F_DUPFD" in event.args_text:
            fd = leading_fd(event)
            source = table.get(fd) if fd is not None else None
            if source is not None:
                table[event.retval] = source

    def _pipe(self, event: Syscall) -> None:
        table = self._succeeded(event)
        if table is not None:
            self._pair(table, event, PIPE)

    def _socketpair(self, event: Syscall) -> None:
        table = self._succeeded(event)
        if table is not None:
            self._pair(table, event, SOCKET)

    def _close_range(self, event: Syscall) -> None:
        table = self._succeeded(event)
        args = event.try_args() if table is not None else None
        if args and len(args) >= 2:
            low, high = _int(args[0]), _int(args[1])
            if low is not None and high is not None:
                for fd in [fd for fd in table if low <= fd <= high]:
                    del table[fd]

    def _cloned(self, event: Syscall) -> None:
        if self._succeeded(event) is not None and event.retval > 0:
            self._clone(event.pid, event.retval, event)

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


#: One shared FdInfo per kind for fds without an ``-y`` decoration: FdInfo is frozen, so tables may share it.
_PLAIN = {kind: FdInfo(kind) for kind in (SOCKET, LISTENING, PIPE, FILE, OTHER)}


def _fd_info(kind: str, event: Syscall) -> FdInfo:
    """Return what the fd ``event`` returned is, with its ``-y`` decoration if it has one."""
    if "<" in event.retval_text:
        return FdInfo(kind, _result_decoration(event))
    return _PLAIN[kind]


#: Syscall name to the ProcessTable method that applies one such syscall to the pid's table.
HANDLERS: Dict[str, Callable[[ProcessTable, Syscall], None]] = {
    **dict.fromkeys(_CLOSES, ProcessTable._close),
    **dict.fromkeys(_SOCKET_RESULTS, ProcessTable._new_socket),
    **dict.fromkeys(_FILE_RESULTS, ProcessTable._new_file),
    **dict.fromkeys(_OTHER_RESULTS, ProcessTable._new_other),
    "listen": ProcessTable._listen,
    **dict.fromkeys(_DUPS, ProcessTable._dup),
    "fcntl": ProcessTable._fcntl,
    "fcntl64": ProcessTable._fcntl,
    "pipe": ProcessTable._pipe,
    "pipe2": ProcessTable._pipe,
    "socketpair": ProcessTable._socketpair,
    "close_range": ProcessTable._close_range,
    **dict.fromkeys(_CLONES, ProcessTable._cloned),
}

#: Syscalls whose events change the table; everything else passes untouched.
WATCHED = frozenset(HANDLERS)
