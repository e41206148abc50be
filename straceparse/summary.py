"""Summary tables of ``strace -c``, ``-C``, ``-w``, ``-S`` and ``-U`` as typed rows.

In: lines of strace output, alone (``-c``) or after a trace (``-C``).  Out:
:class:`SummaryTable` events, one per table, whose rows carry the columns the
table printed (``-U`` picks and orders them) and ``None`` for the others.
:func:`compare_summaries` lines two tables up syscall by syscall.  Nothing
here raises for bad input: a line that is not part of a table is left to the
caller.

Strategy: a table starts at its header line.  The dashed line under the
header gives each column's span, and a row's fields are assigned to columns
by where they sit, because strace leaves a zero ``errors`` field (and, in
old versions, the total's ``usecs/call``) blank.
"""

from __future__ import annotations

import os
import re
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple, Union

import attrs

from .events import Event

__all__ = [
    "SummaryRow",
    "SummaryTable",
    "SummaryChange",
    "SummaryTableReader",
    "read_summaries",
    "compare_summaries",
    "format_comparison",
]

# Header words, as strace prints them, and the SummaryRow field each fills:
#   % time     seconds  usecs/call     calls    errors syscall              (strace -c)
#   syscall                calls    errors % time     seconds  usecs/call shortest  longest
#                                                                (strace -c -U name,calls,...)
COLUMNS = {
    "% time": "time_percent",
    "seconds": "seconds",
    "usecs/call": "usecs_per_call",
    "calls": "calls",
    "errors": "errors",
    "syscall": "syscall",
    "shortest": "min_seconds",
    "longest": "max_seconds",
}
_HEADER_WORD = re.compile("|".join(re.escape(word) for word in COLUMNS))
_HEADER = re.compile(r" *(?:(?:%s) *)+\Z" % _HEADER_WORD.pattern)
#   ------ ----------- ----------- --------- --------- ----------------
_DASHES = re.compile(r"-+(?: +-+)*\Z")
#   System call usage summary for 32 bit mode:
_PERSONALITY = re.compile(r"System call usage summary for (?P<mode>.+) mode:\Z")
_SYSCALL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_TOTAL = "total"


def _float(text: str) -> float:
    return float(text)


def _int(text: str) -> int:
    return int(text)


# The converter of each numeric column.  A ValueError means the line is not a table row.
_CONVERT = {
    "time_percent": _float,
    "seconds": _float,
    "usecs_per_call": _int,
    "calls": _int,
    "errors": _int,
    "min_seconds": _float,
    "max_seconds": _float,
}


@attrs.frozen(slots=True, kw_only=True)
class SummaryRow:
    """One row of a summary table, or its ``total`` row.

    Seconds are floats as printed, ``usecs_per_call`` the printed integer.
    A column the table did not print is None, except ``errors``: strace
    leaves a zero errors field blank, so a blank one reads as 0.
    """

    syscall: str
    calls: Optional[int] = None
    errors: Optional[int] = None
    time_percent: Optional[float] = None
    seconds: Optional[float] = None
    usecs_per_call: Optional[int] = None
    min_seconds: Optional[float] = None
    max_seconds: Optional[float] = None
    line: int = 0


@attrs.frozen(slots=True, kw_only=True)
class SummaryTable(Event):
    """One summary table, from its header (or personality line) to its total row.

    ``columns`` names the SummaryRow fields in the order the table printed
    them.  ``personality`` is ``32 bit`` or ``x32`` when strace headed the
    table "System call usage summary for 32 bit mode:".  ``total`` is None
    when the table was cut before its total row.
    """

    rows: Tuple[SummaryRow, ...] = ()
    total: Optional[SummaryRow] = None
    columns: Tuple[str, ...] = ()
    personality: Optional[str] = None

    kind = "summary"

    def to_dict(self) -> Dict[str, Any]:
        """Return the table as JSON-ready data: the common event keys, the columns and every row."""
        out = self._common_dict()
        out["columns"] = list(self.columns)
        out["personality"] = self.personality
        out["rows"] = [attrs.asdict(row) for row in self.rows]
        out["total"] = attrs.asdict(self.total) if self.total is not None else None
        return out

    def by_syscall(self) -> Dict[str, SummaryRow]:
        """Return the rows keyed by syscall name."""
        return {row.syscall: row for row in self.rows}

    def row(self, syscall: str) -> Optional[SummaryRow]:
        """Return the row of ``syscall``, or None when the table has none."""
        for row in self.rows:
            if row.syscall == syscall:
                return row
        return None


class _OpenTable:
    """A table being read: its lines so far, column spans and rows."""

    __slots__ = ("lines", "raw", "columns", "spans", "rows", "total", "personality", "after_rows")

    def __init__(self, personality: Optional[str] = None) -> None:
        self.lines: List[int] = []
        self.raw: List[str] = []
        self.columns: Tuple[str, ...] = ()
        self.spans: List[Tuple[int, int]] = []
        self.rows: List[SummaryRow] = []
        self.total: Optional[SummaryRow] = None
        self.personality = personality
        self.after_rows = False  # the dashed line above the total was seen

    def add(self, number: int, raw: str) -> None:
        self.lines.append(number)
        self.raw.append(raw)


class SummaryTableReader:
    """Recognises summary table lines among other strace lines, one line at a time.

    Offer each line with :meth:`feed`; it returns ``(consumed, table)``.
    ``consumed`` is True when the line belongs to a table and must not be
    parsed as anything else.  ``table`` is a finished :class:`SummaryTable`
    to emit before the line itself: it comes with the total row, or with
    the first line that does not continue an open table (then ``consumed``
    is False).  Call :meth:`finish` at the end of the input for a table cut
    before its total.  :attr:`active` is True while a table is open.
    """

    def __init__(self, file: str = "<string>") -> None:
        self.file = file
        self._table: Optional[_OpenTable] = None
        # A plain attribute, not a property: the parser reads it for every line.
        self.active = False

    def feed(self, number: int, raw: str) -> Tuple[bool, Optional[SummaryTable]]:
        """Offer one line (``number`` is 1-based, ``raw`` has no line end)."""
        table = self._table
        if table is None:
            return self._start(number, raw), None
        if self._continue(table, number, raw):
            if table.total is not None:
                return True, self.finish()
            return True, None
        finished = self.finish()
        return self._start(number, raw), finished

    def finish(self) -> Optional[SummaryTable]:
        """Close the open table, if any, and return it."""
        table, self._table = self._table, None
        self.active = False
        if table is None:
            return None
        return SummaryTable(
            lines=tuple(table.lines),
            raw=tuple(table.raw),
            file=self.file,
            rows=tuple(table.rows),
            total=table.total,
            columns=table.columns,
            personality=table.personality,
        )

    def _start(self, number: int, raw: str) -> bool:
        text = raw.rstrip()
        personality = _PERSONALITY.match(text)
        if personality:
            self._table = _OpenTable(personality.group("mode"))
            self._table.add(number, raw)
            self.active = True
            return True
        if _is_header(text):
            self._table = _OpenTable()
            self._header(self._table, number, raw)
            self.active = True
            return True
        return False

    @staticmethod
    def _header(table: _OpenTable, number: int, raw: str) -> None:
        table.columns = tuple(COLUMNS[word] for word in _HEADER_WORD.findall(raw))
        table.add(number, raw)

    def _continue(self, table: _OpenTable, number: int, raw: str) -> bool:
        text = raw.rstrip()
        if not table.columns:
            # After a personality line only a header may follow.
            if not _is_header(text):
                return False
            self._header(table, number, raw)
            return True
        if not table.spans:
            if not _DASHES.match(text):
                return False
            table.spans = [match.span() for match in re.finditer(r"-+", text)]
            if len(table.spans) != len(table.columns):
                return False
            table.add(number, raw)
            return True
        if _DASHES.match(text):
            if table.after_rows:
                return False
            table.after_rows = True
            table.add(number, raw)
            return True
        row = _row(table, number, raw)
        if row is None:
            return False
        if row.syscall == _TOTAL:
            table.total = row
        elif table.after_rows:
            return False
        else:
            table.rows.append(row)
        table.add(number, raw)
        return True


def _is_header(text: str) -> bool:
    return "syscall" in text and _HEADER.match(text) is not None


def _row(table: _OpenTable, number: int, raw: str) -> Optional[SummaryRow]:
    """Read one data row by placing each field in the column it overlaps most."""
    fields: Dict[str, str] = {}
    for match in re.finditer(r"\S+", raw):
        column = table.columns[_nearest_span(table.spans, match.start(), match.end())]
        if column in fields:
            return None
        fields[column] = match.group()
    name = fields.pop("syscall", None)
    if name is None or not _SYSCALL_NAME.match(name):
        return None
    values: Dict[str, object] = {}
    try:
        for column, text in fields.items():
            values[column] = _CONVERT[column](text)
    except ValueError:
        return None
    if "errors" in table.columns and "errors" not in values:
        values["errors"] = 0
    if "calls" in table.columns and "calls" not in values:
        return None
    return SummaryRow(syscall=name, line=number, **values)


def _nearest_span(spans: List[Tuple[int, int]], start: int, end: int) -> int:
    best, best_score = 0, None
    for index, (span_start, span_end) in enumerate(spans):
        overlap = min(end, span_end) - max(start, span_start)
        # A positive overlap wins; otherwise the smallest gap (a negative overlap) does.
        if best_score is None or overlap > best_score:
            best, best_score = index, overlap
    return best


def read_summaries(
    source: Union[str, "os.PathLike[str]", Iterable[str]], *, file: Optional[str] = None
) -> List[SummaryTable]:
    """Return every summary table in a file (a path, ``-``) or an iterable of lines.

    Lines outside tables (the trace of ``-C``, ``strace: Process N
    attached``, the program's own output) are skipped.  Raises
    :class:`~straceparse.errors.InputError` when the file cannot be opened.
    """
    # Imported here because the parser imports this module for its table reader.
    from .parser import open_trace, read_lines

    if isinstance(source, (str, os.PathLike)):
        name = file or os.fspath(source)
        handle = open_trace(source)
        try:
            return list(_tables(read_lines(handle), name))
        finally:
            handle.close()
    return list(_tables(read_lines(source), file or "<string>"))


def _tables(lines: Iterable[str], file: str) -> Iterator[SummaryTable]:
    reader = SummaryTableReader(file)
    for number, raw in enumerate(lines, 1):
        _, table = reader.feed(number, raw)
        if table is not None:
            yield table
    table = reader.finish()
    if table is not None:
        yield table


@attrs.frozen(slots=True, kw_only=True)
class SummaryChange:
    """The difference between one syscall's rows in two summaries.

    ``before``/``after`` are None when the syscall is missing from that
    table.  The deltas are ``after - before``, with a missing row read as
    zero calls, errors and seconds.  A delta is None when the column is
    missing from either table.
    """

    syscall: str
    before: Optional[SummaryRow]
    after: Optional[SummaryRow]
    calls_delta: Optional[int]
    errors_delta: Optional[int]
    seconds_delta: Optional[float]


def compare_summaries(before: SummaryTable, after: SummaryTable) -> List[SummaryChange]:
    """Line up two tables syscall by syscall, largest change in seconds first.

    Ties (and tables without a seconds column) are ordered by the change in
    calls, then by name.  Syscalls present in only one table are included.
    """
    old = before.by_syscall()
    new = after.by_syscall()
    changes = []
    for name in sorted(set(old) | set(new)):
        first, second = old.get(name), new.get(name)
        changes.append(
            SummaryChange(
                syscall=name,
                before=first,
                after=second,
                calls_delta=_delta(before, after, first, second, "calls"),
                errors_delta=_delta(before, after, first, second, "errors"),
                seconds_delta=_delta(before, after, first, second, "seconds"),
            )
        )
    changes.sort(key=lambda change: (-abs(change.seconds_delta or 0.0), -abs(change.calls_delta or 0), change.syscall))
    return changes


def _delta(before: SummaryTable, after: SummaryTable, first, second, column: str):
    if column not in before.columns or column not in after.columns:
        return None
    old = getattr(first, column) if first is not None else 0
    new = getattr(second, column) if second is not None else 0
    difference = new - old
    return round(difference, 6) if isinstance(difference, float) else difference


def format_comparison(changes: Iterable[SummaryChange]) -> str:
    """Render changes as an aligned text table: calls and seconds before, after, and the change."""
    layout = "%-20s %12s %12s %9s %14s %14s %12s"
    out = [layout % ("syscall", "calls before", "calls after", "change", "seconds before", "seconds after", "change")]
    for change in changes:
        out.append(
            layout
            % (
                change.syscall,
                _shown(change.before, "calls"),
                _shown(change.after, "calls"),
                "" if change.calls_delta is None else "%+d" % change.calls_delta,
                _shown(change.before, "seconds"),
                _shown(change.after, "seconds"),
                "" if change.seconds_delta is None else "%+.6f" % change.seconds_delta,
            )
        )
    return "\n".join(out) + "\n"


def _shown(row: Optional[SummaryRow], column: str) -> str:
    value = getattr(row, column) if row is not None else None
    if value is None:
        return "-"
    return "%.6f" % value if isinstance(value, float) else str(value)
