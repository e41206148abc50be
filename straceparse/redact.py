"""Redaction: replacing personal and network data in report text with stable placeholders.

In: strace lines and free text (messages, file names).  Out: the same text with
e-mail addresses, IPv4/IPv6 addresses, dotted host and domain names, user
names in ``/home/NAME`` paths and the buffers of read/write/send/recv calls
replaced by placeholders such as ``[ip-1]``.  One :class:`Redactor` gives the
same value the same placeholder for as long as it lives, so one report stays
readable (``[ip-1]`` talks to ``[ip-2]`` throughout).  Text that matches no
rule is kept as it is.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

import attrs

from .rules.engine import Evidence

__all__ = ["Redactor", "BUFFER_SYSCALLS", "redact_report"]

#: Syscalls whose string arguments carry the data read or written.
BUFFER_SYSCALLS = frozenset(
    (
        "read", "write", "pread64", "pwrite64", "readv", "writev", "preadv", "pwritev", "preadv2", "pwritev2",
        "send", "sendto", "sendmsg", "sendmmsg", "recv", "recvfrom", "recvmsg", "recvmmsg",
        "process_vm_readv", "process_vm_writev", "vmsplice",
    )
)

# File-name endings that look like a top-level domain but are not one.
_FILE_SUFFIXES = frozenset(
    (
        "so", "conf", "cfg", "ini", "py", "pyc", "txt", "log", "json", "html", "htm", "xml", "yaml", "yml",
        "toml", "c", "h", "cc", "cpp", "hpp", "js", "css", "md", "rst", "cache", "pid", "lock", "sock",
        "gz", "xz", "bz2", "zst", "tar", "tgz", "zip", "db", "sqlite", "pem", "crt", "key", "mo", "jar",
        "service", "socket", "target", "timer", "mount", "d", "dpkg", "list", "strace", "trace", "tmp",
        "bak", "old", "new", "png", "jpg", "gif", "svg", "pdf", "csv", "tsv", "sh", "pl", "rb", "go", "rs",
    )
)

_EMAIL = r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
# Candidates only: each match is checked with the ipaddress module, so a
# clock like 19:25:23 (not a valid address) stays as it is.
_IPV6 = r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?(?![\w:]|\.\d)"
_IPV4 = r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\d)"
_HOME = r"(?<=/home/)[^/\s\"'\\<>,)]+"  # a user name ends where a path, -y decoration or argument does
_HOST = (
    r"(?<![\w@./-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9](?![\w@/-]|\.\w)"
)
# A C string literal as strace prints it, with its "..." truncation mark.
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
# The syscall name of an strace line: after an optional pid and timestamp,
# either ``name(`` or ``<... name resumed>``.
_SYSCALL_NAME = re.compile(
    r"^(?:\[pid\s+\d+\]\s+|\d+\s+)?(?:[\d:.]+\s+)?(?:<\.\.\.\s+(?P<resumed>\w+)\s+resumed>|(?P<name>\w+)\()"
)
# " | 00010  03 00 3e 00 ...  ..>...... |": an -e read=/write= hexdump line, offset kept.
_DUMP_LINE = re.compile(r"(?P<head>[ \t]*\| [0-9a-f]{5,}  )")
_NODENAME = re.compile(r'nodename="([^"]+)"')
_MIN_REMEMBERED = 6  # shorter buffer contents are not searched for in free text


class Redactor:
    """Replaces sensitive values with numbered placeholders, the same one each time.

    ``names`` are extra words to redact as host names wherever they appear as
    whole words (a single-label host name such as ``vm`` cannot be
    distinguished from an ordinary word otherwise).  :meth:`learn` adds the host name of
    ``uname`` results it finds.
    """

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._placeholders: Dict[Tuple[str, str], str] = {}
        self._counts: Dict[str, int] = {}
        self._names: List[str] = []
        self._buffers: Dict[str, str] = {}
        self._pattern: Optional["re.Pattern[str]"] = None
        for name in names:
            self.add_name(name)

    # -- what to redact

    def add_name(self, name: str) -> None:
        """Redact ``name`` as a host name wherever it appears as a whole word."""
        if name and name not in self._names:
            self._names.append(name)
            self._pattern = None

    def learn(self, lines: Iterable[str]) -> None:
        """Find host names worth redacting in ``lines`` (the nodename of ``uname``)."""
        for line in lines:
            if "nodename=" in line:
                for match in _NODENAME.finditer(line):
                    self.add_name(match.group(1))

    def placeholder(self, category: str, value: str) -> str:
        """Return the placeholder of ``value``, numbering values per category in order of appearance."""
        key = (category, value)
        found = self._placeholders.get(key)
        if found is None:
            number = self._counts.get(category, 0) + 1
            self._counts[category] = number
            found = self._placeholders[key] = "[%s-%d]" % (category, number)
        return found

    @property
    def replaced(self) -> Dict[Tuple[str, str], str]:
        """Every (category, value) replaced so far, with its placeholder."""
        return dict(self._placeholders)

    # -- redacting

    def text(self, text: str) -> str:
        """Redact free text: addresses, names, home paths, and buffer contents already seen in lines."""
        for content in sorted(self._buffers, key=len, reverse=True):
            if content in text:
                text = text.replace(content, self._buffers[content])
        return self._compiled().sub(self._replace, text)

    def line(self, line: str) -> str:
        """Redact one strace line: the buffers of read/write/send/recv calls, then everything :meth:`text` covers.

        A hexdump line of ``-e read=``/``-e write=`` is a buffer too: its hex
        and text columns are replaced, and only the offset is kept.
        """
        dump = _DUMP_LINE.match(line)
        if dump is not None:
            return "%s[dump]" % dump.group("head")
        match = _SYSCALL_NAME.match(line)
        name = match and (match.group("name") or match.group("resumed"))
        if name in BUFFER_SYSCALLS:
            line = line[: match.end()] + _STRING.sub(self._replace_buffer, line[match.end() :])
        return self._compiled().sub(self._replace, line)

    def _replace_buffer(self, match: "re.Match[str]") -> str:
        content = match.group(1)
        if _is_ip(content):
            return match.group(0)  # a sockaddr's address: the address rule names it
        placeholder = self.placeholder("data", content)
        if len(content) >= _MIN_REMEMBERED:
            self._buffers[content] = placeholder
        return '"%s"' % placeholder

    def _compiled(self) -> "re.Pattern[str]":
        if self._pattern is None:
            parts = [
                "(?P<email>%s)" % _EMAIL,
                "(?P<ipv6>%s)" % _IPV6,
                "(?P<ipv4>%s)" % _IPV4,
                "(?P<home>%s)" % _HOME,
            ]
            if self._names:
                words = "|".join(re.escape(name) for name in sorted(self._names, key=len, reverse=True))
                parts.append(r"(?P<name>(?<![\w.-])(?:%s)(?![\w-]|\.\w))" % words)
            parts.append("(?P<host>%s)" % _HOST)
            # One alternation, one pass: a placeholder written by one kind
            # of value is never read again as another kind.
            self._pattern = re.compile("|".join(parts))
        return self._pattern

    def _replace(self, match: "re.Match[str]") -> str:
        kind = match.lastgroup or ""
        value = match.group(0)
        return _REPLACERS[kind](self, value)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _address(redactor: Redactor, value: str) -> str:
    return redactor.placeholder("ip", value) if _is_ip(value) else value


def _host(redactor: Redactor, value: str) -> str:
    if value.rsplit(".", 1)[-1].lower() in _FILE_SUFFIXES:
        return value
    return redactor.placeholder("host", value)


#: Match group name to the function that replaces what it matched.
_REPLACERS: Dict[str, Callable[[Redactor, str], str]] = {
    "email": lambda redactor, value: redactor.placeholder("email", value),
    "ipv6": _address,
    "ipv4": _address,
    "home": lambda redactor, value: redactor.placeholder("user", value),
    "name": lambda redactor, value: redactor.placeholder("host", value),
    "host": _host,
}


# ---------------------------------------------------------------- reports


def redact_report(report: Any, redactor: Optional[Redactor] = None) -> Any:
    """Return a copy of a scan or diff report with every string in it redacted.

    Evidence lines are read as strace lines (their buffers are replaced);
    every other string (messages, file names, details, signatures) as free
    text.  All lines are redacted before any free text, so a buffer quoted
    in a message gets the placeholder the line gave it.
    """
    redactor = redactor or Redactor()
    lines = list(_evidence_texts(report))
    redactor.learn(lines)
    for line in lines:
        redactor.line(line)
    return _redact_value(report, redactor)


def _evidence_texts(value: Any) -> Iterable[str]:
    if isinstance(value, Evidence):
        yield value.text
    elif attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            yield from _evidence_texts(getattr(value, field.name))
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _evidence_texts(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _evidence_texts(item)


def _redact_value(value: Any, redactor: Redactor) -> Any:
    """Redact strings anywhere inside attrs instances, mappings, lists and tuples."""
    if isinstance(value, str):
        return redactor.text(value)
    if isinstance(value, Evidence):
        return Evidence(redactor.text(value.file), value.line, redactor.line(value.text))
    if attrs.has(type(value)):
        changes = {}
        for field in attrs.fields(type(value)):
            if field.init:
                changes[field.alias or field.name.lstrip("_")] = _redact_value(getattr(value, field.name), redactor)
        return attrs.evolve(value, **changes)
    if isinstance(value, Mapping):
        return {_redact_value(key, redactor): _redact_value(item, redactor) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_redact_value(item, redactor) for item in value)
    return value
