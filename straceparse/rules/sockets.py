"""Datagram sockets and their peer ports, followed through the event stream.

:class:`DatagramSockets` learns, per pid, which fds are UDP sockets and which
port they are connected to, from ``socket(..., SOCK_DGRAM, ...)``,
``connect(fd, {... sin_port=htons(53) ...})`` and ``-yy`` decorations like
``3<UDP:[127.0.0.1:35159->127.0.0.1:53]>``.  It reads argument text with
string methods and a regex only, never the grammar.
"""

from __future__ import annotations

import re
from typing import Dict, Optional

from ..events import Event, Exit, Syscall
from ..processes import leading_fd

__all__ = ["DatagramSockets", "port_of_address", "UNCONNECTED", "DECORATION_MARKER", "WATCHED"]

#: Argument text that may hold a UDP decoration (``-yy``), whatever the syscall.
DECORATION_MARKER = "<UDP"
#: Syscalls that change the table, besides any call whose text has :data:`DECORATION_MARKER`.
WATCHED = frozenset(("socket", "connect", "close", "exit_group"))

#: The peer port of a UDP socket that has not been connected.
UNCONNECTED = 0

_PORT = re.compile(r"sin6?_port=htons\((\d+)\)")
_DECORATED_UDP = re.compile(r"\d+<UDP(?:v6)?:\[(.*?)\]>")
_DECORATED_PEER_PORT = re.compile(r"->.*:(\d+)$")


def port_of_address(args_text: str) -> Optional[int]:
    """Return the port of the first ``sin_port=htons(N)`` in argument text, or None."""
    match = _PORT.search(args_text)
    return int(match.group(1)) if match else None


class DatagramSockets:
    """UDP sockets per pid: fd to peer port (:data:`UNCONNECTED` before ``connect``).

    NOTE: the table is per pid, so a thread that uses a UDP socket another
    thread created is not followed unless ``-yy`` decorations name the socket.
    """

    def __init__(self) -> None:
        self._ports: Dict[Optional[int], Dict[int, int]] = {}

    def peer_port(self, pid: Optional[int], fd: int) -> Optional[int]:
        """Return the peer port of UDP socket ``fd``, :data:`UNCONNECTED`, or None when ``fd`` is not one."""
        return self._ports.get(pid, {}).get(fd)

    def is_datagram(self, pid: Optional[int], fd: int) -> bool:
        return fd in self._ports.get(pid, {})

    def has_sockets(self, pid: Optional[int]) -> bool:
        """Tell whether ``pid`` has any UDP socket followed."""
        return pid in self._ports

    def observe(self, event: Event) -> None:
        """Update the table with what ``event`` did to UDP sockets."""
        if isinstance(event, Exit):
            self._ports.pop(event.pid, None)
            return
        if not isinstance(event, Syscall):
            return
        name = event.syscall
        text = event.args_text
        if name not in WATCHED:
            if DECORATION_MARKER in text:
                self._learn_decorations(event.pid, text)
            return
        if DECORATION_MARKER in text:
            self._learn_decorations(event.pid, text)
        if name == "socket":
            if event.errno is None and event.retval is not None and event.retval >= 0 and "SOCK_DGRAM" in text:
                if text.startswith(("AF_INET,", "AF_INET6,")):
                    self._ports.setdefault(event.pid, {})[event.retval] = UNCONNECTED
        elif name == "connect":
            fd = leading_fd(event)
            table = self._ports.get(event.pid)
            if fd is not None and table is not None and fd in table and event.errno is None:
                port = port_of_address(text)
                if port is not None:
                    table[fd] = port
        elif name == "close":
            fd = leading_fd(event)
            table = self._ports.get(event.pid)
            if fd is not None and table is not None:
                table.pop(fd, None)
                if not table:
                    del self._ports[event.pid]
        elif name == "exit_group":
            self._ports.pop(event.pid, None)

    def _learn_decorations(self, pid: Optional[int], text: str) -> None:
        for match in _DECORATED_UDP.finditer(text):
            fd = int(match.group(0).partition("<")[0])
            peer = _DECORATED_PEER_PORT.search(match.group(1))
            self._ports.setdefault(pid, {})[fd] = int(peer.group(1)) if peer else UNCONNECTED
