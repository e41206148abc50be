"""Typed values of strace's argument language.

A syscall's arguments come out of the grammar as plain Python values where one
fits (``int`` for every integer spelling, ``None`` for ``NULL``, ``Ellipsis``
for an elision ``...``) and as the frozen classes below for the rest.  Every
value renders back to strace's own spelling with :func:`render`, and parsing
that text gives an equal value; the property tests hold this module to it.
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Optional, Tuple

import attrs

__all__ = [
    "AbstractName",
    "AddressOf",
    "Array",
    "BitSet",
    "Call",
    "Changed",
    "Comment",
    "Commented",
    "CString",
    "DECORATION_PATTERN",
    "Decorated",
    "EMPTY_FLAG",
    "FdTarget",
    "Flags",
    "Member",
    "Operation",
    "Resuming",
    "Struct",
    "Symbol",
    "decode_c_string",
    "encode_c_string",
    "parse_decoration",
    "read_decorated",
    "read_number",
    "render",
    "to_json",
    "unwrap",
]


@attrs.frozen(slots=True)
class CString:
    """A C string argument; ``truncated`` is set when strace cut it (``"abc"...``)."""

    data: bytes
    truncated: bool = False

    @property
    def text(self) -> str:
        """The bytes decoded as UTF-8, undecodable bytes kept as surrogate escapes."""
        return self.data.decode("utf-8", "surrogateescape")


@attrs.frozen(slots=True)
class AbstractName:
    """An abstract Unix socket name, printed ``@"name"``."""

    string: CString


@attrs.frozen(slots=True)
class Symbol:
    """A named constant: ``O_RDONLY``, ``AT_FDCWD``, ``SIGCHLD``."""

    name: str


@attrs.frozen(slots=True)
class Flags:
    """A flag set joined by ``|``: ``O_RDONLY|O_CLOEXEC|0x10``.

    Items are terms, mostly symbols and integers, and under ``-X verbose``
    integers with their comment (``0x1 /* SOCK_STREAM */|0x80800 /* ... */``).
    Under ``-X raw``, strace 6.1 prints nothing for the zero
    ``AT_STATX_SYNC_AS_STAT`` part of ``statx``'s flags, so the text starts
    with ``|``: ``|0x900``.  That empty part is :data:`EMPTY_FLAG`
    (``Symbol("")``), always the first item: ``Flags((EMPTY_FLAG, 0x900))``.

    :func:`render` prints integer items as strace 6.1 does, so the text comes
    back as printed: in hex (``|0x900``, ``0x1|0x80800``) for the bits no name
    covers, and in octal after a mode's ``S_I*`` names (``S_IFREG|0644``).
    """

    items: Tuple[Any, ...]

    def names(self) -> Tuple[str, ...]:
        """Return the symbolic members, in order, without numbers, comments or the empty ``-X raw`` part."""
        return tuple(item.name for item in map(unwrap, self.items) if isinstance(item, Symbol) and item.name)


#: The first item of a ``-X raw`` flag set printed with a leading ``|`` (see :class:`Flags`).
EMPTY_FLAG = Symbol("")


@attrs.frozen(slots=True)
class Member:
    """A ``name=value`` pair, in a struct or as a named syscall argument."""

    name: str
    value: Any


@attrs.frozen(slots=True)
class Struct:
    """A struct ``{k=v, ...}``; positional members (``{4309, 206749490}``) are plain values.

    An elided tail shows up as an ``Ellipsis`` item.
    """

    items: Tuple[Any, ...]

    def get(self, name: str, default: Any = None) -> Any:
        """Return the value of member ``name``, or ``default`` when it is absent."""
        for item in self.items:
            if isinstance(item, Member) and item.name == name:
                return item.value
        return default

    def __getitem__(self, name: str) -> Any:
        for item in self.items:
            if isinstance(item, Member) and item.name == name:
                return item.value
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return any(isinstance(item, Member) and item.name == name for item in self.items)

    @property
    def elided(self) -> bool:
        """True when strace left members out (``...``)."""
        return any(item is Ellipsis for item in self.items)


@attrs.frozen(slots=True)
class Array:
    """An array ``[a, b, ...]``; an elided tail shows up as an ``Ellipsis`` item."""

    items: Tuple[Any, ...]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> Any:
        return self.items[index]


@attrs.frozen(slots=True)
class BitSet:
    """A set printed with spaces: a signal mask ``[INT TERM]``, an fd set ``[3 6]``.

    ``negated`` is set for ``~[...]`` (every member but these).
    NOTE: a one-member set (``[CHLD]``, ``[6]``) reads the same as a one-item
    array, so the grammar returns an :class:`Array` for it.
    """

    items: Tuple[Any, ...]
    negated: bool = False


@attrs.frozen(slots=True)
class Call:
    """A decoded helper call: ``htons(25)``, ``inet_addr("127.0.0.1")``, ``makedev(0x1, 0x3)``."""

    name: str
    args: Tuple[Any, ...]


@attrs.frozen(slots=True)
class Comment:
    """A comment standing alone, as in ``/* 35 vars */``."""

    text: str


@attrs.frozen(slots=True)
class Commented:
    """A value followed by strace's comment: ``0x7ffc3e152a38 /* 37 vars */``."""

    value: Any
    comment: str


@attrs.frozen(slots=True)
class Changed:
    """A value-result argument: ``[128->16]`` (before ``->`` after), or ``[28 => 16]``."""

    before: Any
    after: Any
    arrow: str = "->"


@attrs.frozen(slots=True)
class Operation:
    """An operator strace prints between two values.

    ``<<`` (``FUTEX_OP_SET<<28``), ``*`` (``rlim_cur=8192*1024``), and in
    decoded wait statuses ``==`` and ``&&``
    (``WIFEXITED(s) && WEXITSTATUS(s) == 0``).
    """

    operator: str
    left: Any
    right: Any

    @property
    def value(self) -> Optional[int]:
        """The result for ``*`` and ``<<`` between integers, else None."""
        if isinstance(self.left, int) and isinstance(self.right, int):
            if self.operator == "*":
                return self.left * self.right
            if self.operator == "<<" and 0 <= self.right < 4096:
                return self.left << self.right
        return None


@attrs.frozen(slots=True)
class AddressOf:
    """An address strace names instead of printing: ``&sin6_addr``."""

    name: str


@attrs.frozen(slots=True)
class Decorated:
    """A value with an ``-y``/``-yy`` decoration: ``6<TCP:[127.0.0.1:2525->127.0.0.1:37478]>``.

    ``decoration`` is the text between the outer angle brackets.
    """

    value: Any
    decoration: str
    deleted: bool = False

    @property
    def target(self) -> "FdTarget":
        """What the fd refers to, read from the decoration (see :func:`parse_decoration`)."""
        return parse_decoration(self.decoration, self.deleted)


@attrs.frozen(slots=True)
class Resuming:
    """The argument of ``restart_syscall``: ``<... resuming interrupted poll ...>``."""

    syscall: str


@attrs.frozen(slots=True)
class FdTarget:
    """What an ``-y``/``-yy`` decoration says an fd refers to.

    ``kind`` is ``path`` (a file or device), ``socket``, ``pipe``,
    ``anon_inode`` or ``other``.  Sockets carry ``protocol`` (``TCP``,
    ``UNIX-STREAM``, ...) and, when strace knew them, ``local`` and ``peer``
    as (address, port) pairs, the socket ``inode`` and ``peer_inode``, or the
    Unix socket ``path`` (``@name`` for an abstract one).  A device path
    carries ``device`` (``char 1:3``).  ``deleted`` is set for a file removed
    while open.
    """

    kind: str
    path: Optional[str] = None
    protocol: Optional[str] = None
    local: Optional[Tuple[str, int]] = None
    peer: Optional[Tuple[str, int]] = None
    inode: Optional[int] = None
    peer_inode: Optional[int] = None
    device: Optional[str] = None
    deleted: bool = False

    def to_dict(self) -> dict:
        """Return the JSON form: every field that is set, addresses as ``{"address", "port"}``."""
        out: dict = {"kind": self.kind}
        for name in ("path", "protocol", "inode", "peer_inode", "device"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        for name in ("local", "peer"):
            pair = getattr(self, name)
            if pair is not None:
                out[name] = {"address": pair[0], "port": pair[1]}
        if self.deleted:
            out["deleted"] = True
        return out


# An -y/-yy decoration with its angle brackets, as strace 6.1 prints one after an fd:
#   3</tmp/build->  4</tmp/a-\76b>  0</dev/null<char 1:3>>  3</tmp/build->(deleted)
#   9<TCP:[127.0.0.1:59099->127.0.0.1:41632]>  15<UNIX-STREAM:[138506->138502,"sock->"]>
# strace escapes "<" and ">" in a path (\74, \76) but not in a Unix socket's quoted
# path.  So a raw ">" ends the decoration, except inside a quoted string and in the
# "->" between a socket's two ends, where an address (a digit, or "[" for IPv6)
# follows.  A path that ends in "-" therefore ends at its own ">".  No two
# alternatives can match the same text, so text without a closing ">" fails in
# linear time.  The DECORATION terminal of grammars/strace.lark is the same pattern.
DECORATION_PATTERN = (
    r'<(?!<)(?:->(?=[0-9\[])|"(?:[^"\\\n]|\\.)*"|\\.|[^<>"\\\n]|<[^<>\n]*>)*>(?:\(deleted\))?'
)

# TCP:[127.0.0.1:2525->127.0.0.1:37478], TCPv6:[[::1]:2525->[::1]:40000], TCP:[127.0.0.1:2525]
_ENDPOINT = r"(?:\[(?P<{0}6>[0-9A-Fa-f:.]+)\]|(?P<{0}4>[0-9.]+)):(?P<{0}port>\d+)"
_INET_SOCKET = re.compile(
    r"(?P<protocol>[A-Za-z0-9-]+):\[" + _ENDPOINT.format("l") + r"(?:->" + _ENDPOINT.format("p") + r")?\]\Z"
)
# UNIX-STREAM:[33105->33106], UNIX:[12345], pipe:[256639555], socket:[4242]
_INODE_OBJECT = re.compile(r"(?P<protocol>[A-Za-z0-9-]+):\[(?P<inode>\d+)(?:->(?P<peer>\d+))?\]\Z")
# UNIX:[33101,"/run/sock"], UNIX-STREAM:[33101,@"abstract"], UNIX-STREAM:[138506->138502,"sock->"]
_UNIX_PATH = re.compile(
    r"(?P<protocol>UNIX[A-Za-z0-9-]*):\[(?P<inode>\d+)(?:->(?P<peer>\d+))?,(?P<path>@?\".*\")\]\Z"
)
# /dev/null<char 1:3>
_DEVICE = re.compile(r"(?P<path>.*)<(?P<device>(?:char|block) \d+:\d+)>\Z")
# anon_inode:[eventpoll], anon_inode:inotify
_ANON_INODE = "anon_inode:"


def _endpoint(match: "re.Match[str]", side: str) -> Optional[Tuple[str, int]]:
    address = match.group(side + "6") or match.group(side + "4")
    if address is None:
        return None
    return address, int(match.group(side + "port"))


def parse_decoration(decoration: str, deleted: bool = False) -> FdTarget:
    """Read an ``-y``/``-yy`` decoration (the text between the angle brackets) into an :class:`FdTarget`.

    Never raises: text of no known shape comes back as kind ``other`` with
    the text as ``path``.
    """
    if decoration.startswith("/"):
        device = _DEVICE.match(decoration)
        if device:
            path = _decode_path(device.group("path"))
            return FdTarget("path", path=path, device=device.group("device"), deleted=deleted)
        return FdTarget("path", path=_decode_path(decoration), deleted=deleted)
    if decoration.startswith(_ANON_INODE):
        return FdTarget("anon_inode", path=decoration[len(_ANON_INODE) :].strip("[]"))
    inet = _INET_SOCKET.match(decoration)
    if inet:
        return FdTarget(
            "socket", protocol=inet.group("protocol"), local=_endpoint(inet, "l"), peer=_endpoint(inet, "p")
        )
    inode = _INODE_OBJECT.match(decoration)
    if inode:
        protocol = inode.group("protocol")
        peer = inode.group("peer")
        kind = "pipe" if protocol == "pipe" else "socket"
        return FdTarget(
            kind,
            protocol=None if kind == "pipe" or protocol == "socket" else protocol,
            inode=int(inode.group("inode")),
            peer_inode=int(peer) if peer else None,
        )
    unix = _UNIX_PATH.match(decoration)
    if unix:
        path = unix.group("path")
        abstract = path.startswith("@")
        text = decode_c_string(path[1:] if abstract else path).decode("utf-8", "surrogateescape")
        peer = unix.group("peer")
        return FdTarget(
            "socket",
            protocol=unix.group("protocol"),
            inode=int(unix.group("inode")),
            peer_inode=int(peer) if peer else None,
            path=("@" if abstract else "") + text,
        )
    return FdTarget("other", path=decoration, deleted=deleted)


def _decode_path(text: str) -> str:
    """Undo strace's escapes in a decoration's path: ``/tmp/a-\\76b`` is ``/tmp/a->b``.

    strace prints a path as the inside of a C string with ``<`` and ``>``
    escaped too (``\\74``, ``\\76``).  Bytes that are not UTF-8 come back as
    surrogate escapes, as in :attr:`CString.text`.
    """
    if "\\" not in text:
        return text
    return decode_c_string('"%s"' % text).decode("utf-8", "surrogateescape")


def unwrap(value: Any) -> Any:
    """Return ``value`` without its comment or decoration: ``6<TCP:[...]>`` gives 6."""
    while isinstance(value, (Commented, Decorated)):
        value = value.value
    return value


# ---------------------------------------------------------------- tokens


def read_number(token: str) -> int:
    """Return the integer a NUMBER token spells: decimal, hex ``0x1f`` or octal ``0755``, maybe negative."""
    if token[0] in "123456789":
        return int(token)
    negative = token.startswith("-")
    digits = token[1:] if negative else token
    if digits.startswith(("0x", "0X")):
        value = int(digits, 16)
    elif len(digits) > 1 and digits.startswith("0"):
        value = int(digits, 8)
    else:
        value = int(digits)
    return -value if negative else value


_DELETED = "(deleted)"


def read_decorated(value: Any, token: str) -> Decorated:
    """Attach a DECORATION token (``<TCP:[...]>``, ``</tmp/x>(deleted)``) to ``value``."""
    if token.endswith(_DELETED):
        return Decorated(value, token[1 : -1 - len(_DELETED)], deleted=True)
    return Decorated(value, token[1:-1])


# ---------------------------------------------------------------- C strings

_ESCAPE = re.compile(rb"\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {
    b"n": b"\n",
    b"t": b"\t",
    b"r": b"\r",
    b"v": b"\v",
    b"f": b"\f",
    b"a": b"\a",
    b"b": b"\b",
    b"e": b"\x1b",
}


def _unescape(match: "re.Match[bytes]") -> bytes:
    code = match.group(1)
    if code[:1] == b"x":
        return bytes((int(code[1:], 16),))
    if code[:1].isdigit():
        return bytes((int(code, 8) & 0xFF,))
    return _SIMPLE_ESCAPES.get(code, code)


def decode_c_string(quoted: str) -> bytes:
    """Decode a quoted strace string (``"QUIT\\r\\n"``, quotes included) to bytes.

    Bytes the log held that were not valid UTF-8 come back unchanged, because
    the reader decodes lines with ``surrogateescape``.
    """
    body = quoted[1:-1].encode("utf-8", "surrogateescape")
    if b"\\" not in body:
        return body
    return _ESCAPE.sub(_unescape, body)


_PRINTABLE = frozenset(range(0x20, 0x7F)) - {ord('"'), ord("\\")}
_RENDER_ESCAPES = {
    ord("\n"): "\\n",
    ord("\t"): "\\t",
    ord("\r"): "\\r",
    ord("\v"): "\\v",
    ord("\f"): "\\f",
    ord('"'): '\\"',
    ord("\\"): "\\\\",
}


def encode_c_string(data: bytes) -> str:
    """Quote ``data`` the way strace prints a string, with three-digit octal escapes."""
    out = ['"']
    for byte in data:
        if byte in _PRINTABLE:
            out.append(chr(byte))
        else:
            out.append(_RENDER_ESCAPES.get(byte) or "\\%03o" % byte)
    out.append('"')
    return "".join(out)


# ---------------------------------------------------------------- rendering


def _render_items(items: Tuple[Any, ...]) -> str:
    return ", ".join(render(item) for item in items)


def render(value: Any) -> str:
    """Render ``value`` in strace's spelling; integers come out in decimal, except in a :class:`Flags`."""
    if value is None:
        return "NULL"
    if value is Ellipsis:
        return "..."
    if isinstance(value, bool):
        raise TypeError("bool is not a strace value: %r" % (value,))
    if isinstance(value, int):
        return str(value)
    renderer = _RENDERERS.get(type(value))
    if renderer is None:
        raise TypeError("not a strace value: %r" % (value,))
    return renderer(value)


_TIGHT_OPERATORS = ("<<", "*")


def _hex(number: int) -> str:
    # C's "%#x" spelling, which strace uses: 0 is "0", not Python's "0x0".
    if number == 0:
        return "0"
    return "%s0x%x" % ("-" if number < 0 else "", abs(number))


def _mode_octal(number: int) -> str:
    # C's "%#03o", which strace prints a mode's permission bits with: 0644, 007, 000.
    digits = "%o" % abs(number)
    if digits[0] != "0":
        digits = "0" + digits
    return ("-" if number < 0 else "") + digits.rjust(3, "0")


def _render_flag(item: Any, previous: Any) -> str:
    if isinstance(item, int) and not isinstance(item, bool):
        # st_mode=S_IFDIR|S_ISVTX|0777: the bits after a file type or S_ISUID-like name are octal.
        if isinstance(previous, Symbol) and previous.name.startswith("S_I"):
            return _mode_octal(item)
        return _hex(item)
    if isinstance(item, Commented) and isinstance(item.value, int) and not isinstance(item.value, bool):
        return "%s /* %s */" % (_hex(item.value), item.comment)
    return render(item)


def _render_flags(value: Flags) -> str:
    items = value.items
    return "|".join(_render_flag(item, items[index - 1] if index else None) for index, item in enumerate(items))

_RENDERERS = {
    CString: lambda v: encode_c_string(v.data) + ("..." if v.truncated else ""),
    AbstractName: lambda v: "@" + render(v.string),
    Symbol: lambda v: v.name,
    Flags: _render_flags,
    Member: lambda v: "%s=%s" % (v.name, render(v.value)),
    Struct: lambda v: "{%s}" % _render_items(v.items),
    Array: lambda v: "[%s]" % _render_items(v.items),
    BitSet: lambda v: ("~" if v.negated else "") + "[%s]" % " ".join(render(i) for i in v.items),
    Call: lambda v: "%s(%s)" % (v.name, _render_items(v.args)),
    Comment: lambda v: "/* %s */" % v.text,
    Commented: lambda v: "%s /* %s */" % (render(v.value), v.comment),
    Changed: lambda v: (
        "%s->%s" % (render(v.before), render(v.after))
        if v.arrow == "->"
        else "%s => %s" % (render(v.before), render(v.after))
    ),
    Operation: lambda v: (
        "%s%s%s" if v.operator in _TIGHT_OPERATORS else "%s %s %s"
    ) % (render(v.left), v.operator, render(v.right)),
    AddressOf: lambda v: "&" + v.name,
    Resuming: lambda v: "<... resuming interrupted %s ...>" % v.syscall,
    Decorated: lambda v: "%s<%s>%s" % (render(v.value), v.decoration, "(deleted)" if v.deleted else ""),
}


# ---------------------------------------------------------------- JSON


def _string_json(value: CString) -> dict:
    try:
        out: dict = {"type": "string", "text": value.data.decode("utf-8")}
    except UnicodeDecodeError:
        out = {"type": "string", "hex": value.data.hex()}
    if value.truncated:
        out["truncated"] = True
    return out


def _items_json(kind: str):
    return lambda value: {"type": kind, "items": [to_json(item) for item in value.items]}


def _decorated_json(value: Decorated) -> dict:
    out = {"type": "decorated", "value": to_json(value.value), "decoration": value.decoration}
    out["fd"] = value.target.to_dict()
    return out


_JSON = {
    CString: _string_json,
    AbstractName: lambda v: {"type": "abstract", "name": _string_json(v.string)},
    Symbol: lambda v: {"type": "symbol", "name": v.name},
    Flags: _items_json("flags"),
    Member: lambda v: {"type": "member", "name": v.name, "value": to_json(v.value)},
    Struct: _items_json("struct"),
    Array: _items_json("array"),
    BitSet: lambda v: {"type": "bitset", "items": [to_json(i) for i in v.items], "negated": v.negated},
    Call: lambda v: {"type": "call", "name": v.name, "args": [to_json(a) for a in v.args]},
    Comment: lambda v: {"type": "comment", "text": v.text},
    Commented: lambda v: {"type": "commented", "value": to_json(v.value), "comment": v.comment},
    Changed: lambda v: {"type": "changed", "before": to_json(v.before), "after": to_json(v.after), "arrow": v.arrow},
    Operation: lambda v: {
        "type": "operation", "operator": v.operator, "left": to_json(v.left), "right": to_json(v.right)
    },
    AddressOf: lambda v: {"type": "address_of", "name": v.name},
    Resuming: lambda v: {"type": "resuming", "syscall": v.syscall},
    Decorated: _decorated_json,
}


def to_json(value: Any) -> Any:
    """Return ``value`` as JSON-ready data.

    Integers stay numbers and ``NULL`` is ``null``; every other value is an
    object whose ``type`` names its class (``string``, ``symbol``, ``flags``,
    ``struct``, ``array``, ``decorated`` with a typed ``fd``, ...).  A string
    that is valid UTF-8 gives ``text``, any other gives ``hex``.
    """
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if value is Ellipsis:
        return {"type": "ellipsis"}
    converter = _JSON.get(type(value))
    if converter is None:
        raise TypeError("not a strace value: %r" % (value,))
    return converter(value)
