"""Reading the files of ``strace -ff -o PREFIX`` as one trace.

In: a directory, or paths named ``PREFIX.PID`` whose lines have no pid column.
Out: one event stream in which each event carries the pid from its file's name
and keeps its own ``file`` and line numbers.  Raises
:class:`~straceparse.errors.InputError` for a path that names no pid.

Order: when every file stamps its lines with a time of day (``-t``, ``-tt``)
or with the epoch (``-ttt``), the files are merged by event time, keeping one
pending event per file.  Otherwise (no timestamps, ``-r`` deltas, which are
per file, or a mix) the files follow one another in pid order.
"""

from __future__ import annotations

import heapq
import itertools
import os
import re
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import attrs

from .errors import InputError
from .events import Event, Unparsed
from .parser import StraceParser, _read_handle, open_trace, read_lines

__all__ = ["TraceFile", "TraceSet", "trace_file", "trace_set", "group_sources"]

# "exim.14349": strace -ff -o exim writes one file per pid, named PREFIX.PID.
_PID_SUFFIX = re.compile(r"(?P<prefix>.*)\.(?P<pid>\d+)\Z")
_MERGEABLE = ("clock", "epoch")  # timestamps that mean the same instant in every file
_PEEK_LINES = 20  # lines read from each file to learn its timestamp kind

PathLike = Union[str, "os.PathLike[str]"]


@attrs.frozen(slots=True)
class TraceFile:
    """One file of a ``-ff`` set: its path, the pid its name gives, and its name prefix."""

    path: str
    pid: int
    prefix: str


def trace_file(path: PathLike) -> TraceFile:
    """Return the :class:`TraceFile` for ``path``, taking the pid from its ``.PID`` suffix.

    Raises :class:`InputError` when the name does not end in a pid.
    """
    text = os.fspath(path)
    match = _PID_SUFFIX.match(os.path.basename(text))
    if match is None:
        raise InputError(
            "%s: not a file of strace -ff: its name does not end in .PID (like exim.14349); "
            "scan it on its own instead" % text
        )
    return TraceFile(text, int(match.group("pid")), os.path.join(os.path.dirname(text), match.group("prefix")))


def _first_events(path: str, pid: Optional[int]) -> List[Event]:
    """Parse the first lines of ``path`` (a throwaway parser; the file is closed again)."""
    parser = StraceParser(path, pid=pid)
    events: List[Event] = []
    handle = open_trace(path)
    try:
        for number, raw in enumerate(itertools.islice(read_lines(handle), _PEEK_LINES), 1):
            events.extend(parser.feed(number, raw))
    finally:
        handle.close()
    return events


def _timestamp_kind(path: str) -> Optional[str]:
    for event in _first_events(path, None):
        if event.timestamp_kind is not None:
            return event.timestamp_kind
    return None


def _has_pid_column(path: str) -> bool:
    """True when the first parsed line of ``path`` starts with a pid, as ``strace -f`` writes."""
    for event in _first_events(path, None):
        if not isinstance(event, Unparsed):
            return event.pid is not None
    return False


class TraceSet:
    """The files of one ``strace -ff`` run, read as one trace.

    ``files`` are sorted by pid.  ``merged`` is True when :meth:`events`
    interleaves them by time (see the module docstring).  ``lines`` and
    ``unparsed`` count what the last :meth:`events` pass read.
    """

    def __init__(self, files: Sequence[TraceFile], name: Optional[str] = None) -> None:
        if not files:
            raise InputError("%s: no strace -ff files (named PREFIX.PID) to read" % (name or "trace set"))
        self.files: Tuple[TraceFile, ...] = tuple(sorted(files, key=lambda item: (item.pid, item.path)))
        self.name = name or self.files[0].prefix
        kinds = {_timestamp_kind(item.path) for item in self.files}
        kinds.discard(None)
        self.timestamp_kind: Optional[str] = kinds.pop() if len(kinds) == 1 else None
        self.merged = self.timestamp_kind in _MERGEABLE
        self.lines = 0
        self.unparsed = 0
        #: Files of a directory that were not read, because their names end in no pid.
        self.skipped: Tuple[str, ...] = ()

    def __repr__(self) -> str:
        return "TraceSet(%r, %d files, merged=%s)" % (self.name, len(self.files), self.merged)

    @property
    def paths(self) -> List[str]:
        return [item.path for item in self.files]

    def events(self) -> Iterator[Event]:
        """Yield the events of every file, merged by time or file after file."""
        self.lines = self.unparsed = 0
        streams = [self._file_events(item) for item in self.files]
        if not self.merged:
            return itertools.chain.from_iterable(streams)
        # NOTE: merging keeps every file open at once, so a set larger than the
        # open-file limit fails with an InputError.  A -t/-tt file that starts
        # after midnight is placed on the first day.
        return (event for _, _, event in heapq.merge(*(self._keyed(index, stream) for index, stream in enumerate(streams))))

    __iter__ = events

    @staticmethod
    def _keyed(index: int, stream: Iterator[Event]) -> Iterator[Tuple[float, int, Event]]:
        # An event without a time (an unparsed line) sorts with the event before
        # it in its file.  The file index breaks ties, so events never compare.
        key = float("-inf")
        for event in stream:
            if event.time is not None:
                key = event.time
            yield key, index, event

    def _file_events(self, item: TraceFile) -> Iterator[Event]:
        parser = StraceParser(item.path, pid=item.pid)
        handle = open_trace(item.path)
        try:
            yield from _read_handle(parser, handle)
        except (OSError, EOFError) as error:
            raise InputError("%s: cannot read trace: %s" % (item.path, error)) from None
        finally:
            handle.close()
            self.lines += parser.lines
            self.unparsed += parser.unparsed


def trace_set(*paths: PathLike) -> TraceSet:
    """Build a :class:`TraceSet` from one directory or from ``PREFIX.PID`` files.

    A directory contributes every file in it whose name ends in ``.PID``; it
    must hold the files of one prefix only.  Raises :class:`InputError` for a
    directory without such files, for files of several prefixes, or for a
    path that names no pid.
    """
    files: List[TraceFile] = []
    skipped: List[str] = []
    for path in paths:
        text = os.fspath(path)
        if os.path.isdir(text):
            found = _directory_files(text, skipped)
            if not found:
                raise InputError("%s: no strace -ff files (named PREFIX.PID) in this directory" % text)
            files.extend(found)
        else:
            files.append(trace_file(text))
    prefixes = sorted({item.prefix for item in files})
    if len(prefixes) > 1:
        raise InputError(
            "files of %d strace -ff runs given as one trace (prefixes %s); scan each run on its own"
            % (len(prefixes), ", ".join(prefixes))
        )
    name = os.fspath(paths[0]) if len(paths) == 1 else None
    trace = TraceSet(files, name)
    trace.skipped = tuple(skipped)
    return trace


def _directory_files(directory: str, skipped: Optional[List[str]] = None) -> List[TraceFile]:
    """Return the ``PREFIX.PID`` files of ``directory``; add the paths of the other files to ``skipped``."""
    found = []
    for entry in sorted(os.listdir(directory)):
        path = os.path.join(directory, entry)
        if not os.path.isfile(path):
            continue
        if _PID_SUFFIX.match(entry):
            found.append(trace_file(path))
        elif skipped is not None:
            skipped.append(path)
    return found


def _prefix_files(prefix: str) -> List[str]:
    """Return the ``PREFIX.PID`` files that ``strace -ff -o PREFIX`` wrote, sorted by pid, or none."""
    directory, base = os.path.split(prefix)
    try:
        names = os.listdir(directory or ".")
    except OSError:
        return []
    found = []
    for name in names:
        match = _PID_SUFFIX.match(name)
        if match is not None and name[: name.rfind(".")] == base:
            found.append((int(name[name.rfind(".") + 1 :]), os.path.join(directory, name)))
    return [path for _, path in sorted(found)]


def group_sources(sources: Iterable[object]) -> List[object]:
    """Replace directories and runs of ``-ff`` files among ``sources`` by :class:`TraceSet` objects.

    A directory always becomes a trace set, and so does a path that does not
    exist but is the prefix of ``PREFIX.PID`` files (``strace -ff -o PREFIX``).  Paths named ``PREFIX.PID`` whose
    lines have no pid column are grouped by prefix, at the place of the first
    one.  A file whose lines carry pids (``strace -f``) stays a trace of its
    own whatever its name.  Other sources (open files, ``-``, lines) pass
    through unchanged.  A file already read through an earlier source
    (``dir/run dir/run.8180``) is not read again.
    """
    grouped: List[object] = []
    runs: Dict[str, List[TraceFile]] = {}  # prefix -> files; the list sits in ``grouped`` too
    run_ids = set()
    covered: set = set()  # the real paths of the files read so far

    def new_files(paths: Iterable[str]) -> List[str]:
        fresh = [path for path in paths if os.path.realpath(path) not in covered]
        covered.update(os.path.realpath(path) for path in fresh)
        return fresh
    for source in sources:
        if isinstance(source, str) and "\n" in source:
            grouped.append(source)
            continue
        if not isinstance(source, (str, os.PathLike)) or os.fspath(source) == "-":
            grouped.append(source)
            continue
        path = os.fspath(source)
        if os.path.isdir(path):
            directory = trace_set(path)
            new_files(directory.paths)
            grouped.append(directory)
            continue
        if not os.path.exists(path):
            prefixed = _prefix_files(path)
            if prefixed:
                # The prefix given to strace -ff -o: its PREFIX.PID files are the trace.
                fresh = new_files(prefixed)
                if fresh:
                    grouped.append(trace_set(*fresh))
                continue
        if os.path.isfile(path) and not new_files([path]):
            continue
        match = _PID_SUFFIX.match(os.path.basename(path))
        if match is None or not os.path.isfile(path) or _has_pid_column(path):
            grouped.append(source)
            continue
        item = trace_file(path)
        if item.prefix not in runs:
            runs[item.prefix] = []
            run_ids.add(id(runs[item.prefix]))
            grouped.append(runs[item.prefix])
        runs[item.prefix].append(item)
    return [TraceSet(entry) if id(entry) in run_ids else entry for entry in grouped]
