"""The rule engine: rules see events in log order and yield findings with evidence.

A rule is a class with an ``id``, a one-line ``summary``, ``options`` (name
to default) and ``option_help`` (name to a sentence with the unit); the engine
makes one instance per scan, so a rule keeps whatever per-pid and per-fd state
it needs in ``self``.  For each event the engine first updates the shared
:class:`~straceparse.processes.ProcessTable` (what each fd is), then calls
:meth:`Rule.feed` of every rule that declared it needs the event (see
:class:`Rule`; a rule that declares nothing gets every event), in the order
of the rules; at the end of the stream it calls :meth:`Rule.finish`.  A rule that meets argument text it cannot parse (a
:class:`~straceparse.errors.StraceparseError`) loses only that event: the
engine logs it and goes on, so one bad line never ends a scan.

When the stream ends the engine sets each finding's severity from the time it
cost against the span of the trace and of its pid (see :func:`severity_of`),
so :meth:`Scan.run` yields findings only after the last event.
"""

from __future__ import annotations

import logging
import math
from typing import (
    AbstractSet, Any, Callable, ClassVar, Dict, FrozenSet, Iterable, Iterator, List, Mapping, Optional, Sequence,
    Tuple, Type,
)

import attrs

from ..errors import ParseError, StraceparseError
from ..events import Event, Syscall, Unparsed
from ..processes import ProcessTable
from ..processes import HANDLERS as TABLE_HANDLERS

__all__ = [
    "EVERY_SYSCALL",
    "Evidence",
    "Finding",
    "InvalidOptionError",
    "Rule",
    "RULES",
    "register",
    "Scan",
    "coerce_option",
    "select_rules",
    "severity_of",
    "UnknownRuleError",
]

log = logging.getLogger(__name__)


@attrs.frozen(slots=True)
class Evidence:
    """One line of the trace that backs a finding."""

    file: str
    line: int
    text: str


@attrs.frozen(slots=True, kw_only=True)
class Finding:
    """A latency fault found in a trace, with the lines that show it.

    ``cost_seconds`` is the time the fault cost; ``cost_source`` names where
    that number came from: ``duration`` (``-T``), ``timestamps`` (the
    difference of two stamps), or ``timeout`` (the call's own timeout, a floor
    used when the log has no usable clock).  ``lines`` are 1-based line
    numbers in ``file``; ``evidence`` holds those lines' text.  ``cpu`` is
    set by rules that read ftrace, whose lines name the CPU.
    """

    rule: str
    file: str
    message: str
    cost_seconds: float
    lines: Tuple[int, ...]
    evidence: Tuple[Evidence, ...]
    pid: Optional[int] = None
    fd: Optional[int] = None
    timeout_ms: Optional[float] = None
    cost_source: str = ""
    cpu: Optional[int] = None
    details: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    severity: str = ""
    trace_share: Optional[float] = None
    process_share: Optional[float] = None

    def to_dict(self) -> Dict[str, Any]:
        """Return the finding as plain JSON-ready data."""
        return {
            "rule": self.rule,
            "file": self.file,
            "pid": self.pid,
            "cpu": self.cpu,
            "fd": self.fd,
            "timeout_ms": self.timeout_ms,
            "cost_seconds": round(self.cost_seconds, 6),
            "cost_source": self.cost_source,
            "lines": list(self.lines),
            "message": self.message,
            "evidence": [{"file": e.file, "line": e.line, "text": e.text} for e in self.evidence],
            "details": dict(self.details),
            "severity": self.severity,
            "trace_share": None if self.trace_share is None else round(self.trace_share, 6),
            "process_share": None if self.process_share is None else round(self.process_share, 6),
        }


def evidence_of(events: Iterable[Event]) -> Tuple[Tuple[int, ...], Tuple[Evidence, ...]]:
    """Return the line numbers and evidence lines of ``events``, in line order, once each."""
    seen = {}
    for event in events:
        for number, text in zip(event.lines, event.raw):
            seen[(event.file, number)] = text
    keys = sorted(seen)
    return tuple(number for _, number in keys), tuple(Evidence(f, n, seen[(f, n)]) for f, n in keys)


#: The severities, lowest first.
SEVERITIES = ("low", "medium", "high")
#: Severity thresholds on the share of time a finding cost, highest first.
SEVERITY_SHARES = (("high", 0.25), ("medium", 0.05))
#: Severity thresholds on the cost in seconds, used when the log has no clock.
SEVERITY_SECONDS = (("high", 1.0), ("medium", 0.1))


def severity_of(cost: float, trace_share: Optional[float], process_share: Optional[float]) -> str:
    """Grade a finding: ``high``, ``medium`` or ``low``.

    The larger of the two shares decides: a finding that costs a quarter of
    its process's life or more is high, a twentieth or more medium.  A short
    process (one SMTP session) thus rates its 200 ms wait high even in a long
    trace.  Without a clock the cost alone decides (1 s high, 0.1 s medium).
    """
    shares = [share for share in (trace_share, process_share) if share is not None]
    if shares:
        value, thresholds = max(shares), SEVERITY_SHARES
    else:
        value, thresholds = cost, SEVERITY_SECONDS
    for name, threshold in thresholds:
        if value >= threshold:
            return name
    return "low"


class UnknownRuleError(StraceparseError):
    """A rule id or option that does not exist."""


_UNPARSED_EXAMPLES = 5  # unparsed lines a scan names in its summary


class InvalidOptionError(StraceparseError):
    """A rule option whose value has the wrong type."""


class _EverySyscall(frozenset):
    """The type of :data:`EVERY_SYSCALL`: an empty frozenset the engine reads as "every name"."""

    def __repr__(self) -> str:
        return "EVERY_SYSCALL"


#: A value for :attr:`Rule.syscalls`: every syscall event reaches ``feed``.
EVERY_SYSCALL: FrozenSet[str] = _EverySyscall()


class Rule:
    """Base class of rules; subclasses set ``id``, ``summary``, ``options`` and ``option_help``.

    Settings given to the constructor override ``options`` and become
    attributes of the instance.  A rule must keep its state bounded: per pid
    and per fd, dropped when the fd is closed or the pid exits, so memory does
    not grow with the length of the trace.  Read arguments (``event.args``,
    ``try_args()``) only for the syscalls the rule needs, because parsing them
    costs far more than the rest of a line.

    Which events reach :meth:`feed`: with ``syscalls`` left at None, every
    event.  A rule that sets ``syscalls`` gets the syscall events of those
    names (:data:`EVERY_SYSCALL` for all of them), plus the events that one
    of its other declarations selects: ``event_types`` (event classes other
    than :class:`~straceparse.events.Syscall`, such as
    :class:`~straceparse.events.Exit`), ``failed_syscalls`` (every syscall
    with an errno), ``args_markers`` (every syscall whose argument text
    contains one of the strings), :meth:`min_seconds` (every syscall whose
    measured duration reaches it) and the pids passed to :meth:`watch` (every
    event of those pids).  The declarations only spare calls: ``feed`` must
    return nothing and change nothing for the events they leave out.
    """

    id: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    options: ClassVar[Mapping[str, Any]] = {}
    option_help: ClassVar[Mapping[str, str]] = {}

    syscalls: ClassVar[Optional[AbstractSet[str]]] = None
    event_types: ClassVar[Tuple[type, ...]] = ()
    failed_syscalls: ClassVar[bool] = False
    args_markers: ClassVar[Tuple[str, ...]] = ()

    def __init__(self, **settings: Any) -> None:
        for name, default in self.options.items():
            setattr(self, name, default)
        for name, value in settings.items():
            if name not in self.options:
                raise UnknownRuleError(
                    "rule %s has no option %r; options: %s" % (self.id, name, ", ".join(sorted(self.options)) or "none")
                )
            setattr(self, name, value)

    def feed(self, event: Event, processes: ProcessTable) -> Iterable[Finding]:
        """Look at one event; return the findings it completes."""
        return ()

    def finish(self, processes: ProcessTable) -> Iterable[Finding]:
        """Return the findings still open when the stream ends."""
        return ()

    def min_seconds(self) -> Optional[float]:
        """Return the duration from which any syscall reaches :meth:`feed`, in seconds; None for no such hook.

        The duration is what :func:`~straceparse.rules.timing.measured_duration`
        measures without a next event, before the check of the clock's resolution.
        The engine calls this once, when a scan starts.
        """
        return None

    # The pids this rule watches, and the scan's count of watchers per pid
    # (set by Scan); class defaults let a rule run outside a scan too.
    _watched: AbstractSet[Optional[int]] = frozenset()
    _watch_counts: Optional["_WatchCounts"] = None

    def watch(self, pid: Optional[int]) -> None:
        """Have every further event of ``pid`` reach :meth:`feed`, until :meth:`unwatch`.

        For state that waits for a pid's next event, whatever its syscall.
        """
        watched = self._watched
        if pid in watched:
            return
        if not isinstance(watched, set):
            watched = self._watched = set()
        watched.add(pid)
        counts = self._watch_counts
        if counts is not None:
            counts.add(pid)

    def unwatch(self, pid: Optional[int]) -> None:
        """Stop :meth:`watch` for ``pid``; nothing happens when it was not watched."""
        watched = self._watched
        if pid not in watched:
            return
        watched.discard(pid)
        counts = self._watch_counts
        if counts is not None:
            counts.remove(pid)

    def watch_while(self, pid: Optional[int], needed: bool) -> None:
        """Turn :meth:`watch` on or off for ``pid`` to match ``needed``, at the cost of one set lookup."""
        if needed != (pid in self._watched):
            if needed:
                self.watch(pid)
            else:
                self.unwatch(pid)

    def watching(self, pid: Optional[int]) -> bool:
        """Tell whether :meth:`watch` is on for ``pid``."""
        return pid in self._watched

    @classmethod
    def describe_total(cls, count: int, seconds: float) -> str:
        """Return the one-line total of ``count`` findings that cost ``seconds`` in all."""
        return "%d %s finding%s, %.2f s in all" % (count, cls.id, "" if count == 1 else "s", seconds)

    @classmethod
    def describe_unmeasured(cls, count: int) -> str:
        """Return the one-line total of ``count`` findings whose cost the log could not measure.

        Such findings have ``cost_source`` ``unknown`` and a ``cost_seconds`` of 0,
        which :meth:`describe_total` would print as a measured 0.00 s.
        """
        return "%d %s finding%s, time not measurable from the log" % (count, cls.id, "" if count == 1 else "s")


#: Every registered rule class, by id.
RULES: Dict[str, Type[Rule]] = {}


def register(cls: Type[Rule]) -> Type[Rule]:
    """Class decorator: add a rule to :data:`RULES` under its id.

    Raises :class:`ValueError` when the class has no id, or when another
    class (not a reload of the same module's class) already has the id.
    """
    if not cls.id:
        raise ValueError("rule class %s has no id" % cls.__name__)
    known = RULES.get(cls.id)
    if known is not None and (known.__module__, known.__qualname__) != (cls.__module__, cls.__qualname__):
        raise ValueError(
            "rule id %r of %s.%s is already taken by %s.%s; give the rule another id"
            % (cls.id, cls.__module__, cls.__qualname__, known.__module__, known.__qualname__)
        )
    RULES[cls.id] = cls
    return cls


_TRUE = frozenset(("1", "true", "yes", "on"))
_FALSE = frozenset(("0", "false", "no", "off"))


def coerce_option(rule_id: str, name: str, default: Any, value: Any) -> Any:
    """Convert ``value`` (a string from the command line, or a TOML value) to the type of ``default``.

    Booleans take true/false/yes/no/on/off/1/0; tuples take a comma-separated
    string or a list.  Raises :class:`InvalidOptionError` naming the rule, the
    option and the value.
    """
    def invalid(expected: str) -> InvalidOptionError:
        return InvalidOptionError(
            "invalid value %r for %s.%s: expected %s (default %r)" % (value, rule_id, name, expected, default)
        )

    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise invalid("true or false")
    if isinstance(default, (int, float)):
        kind = type(default)
        if isinstance(value, bool):
            raise invalid("a number")
        try:
            if kind is float:
                number = float(value)
            elif isinstance(value, str):
                number = int(value.strip())
            else:
                number = value
        except (TypeError, ValueError):
            raise invalid("an integer" if kind is int else "a number") from None
        if kind is int and not isinstance(number, int):
            if isinstance(number, float) and number.is_integer():
                number = int(number)
            else:
                raise invalid("an integer")
        # Thresholds and counts are never negative, and a count that defaults to
        # one or more means "how many", which zero would switch off silently.
        lowest = None
        if kind is int and default >= 1:
            lowest = 1
        elif default >= 0:
            lowest = 0
        if lowest is not None and number < lowest:
            raise invalid("%s of %d or more" % ("an integer" if kind is int else "a number", lowest))
        return kind(number)
    if isinstance(default, (tuple, frozenset)):
        if isinstance(value, str):
            items = value.split(",")
        elif isinstance(value, (list, tuple)):
            items = list(value)
        else:
            raise invalid("a comma-separated list")
        return type(default)(str(item).strip() for item in items if str(item).strip())
    return str(value)


def select_rules(
    select: Optional[Sequence[str]] = None,
    ignore: Sequence[str] = (),
    settings: Optional[Mapping[str, Mapping[str, Any]]] = None,
) -> List[Rule]:
    """Instantiate the rules to run: all registered ones, or those in ``select``, minus ``ignore``.

    ``settings`` maps a rule id to option overrides.  Raises
    :class:`UnknownRuleError` for an id that is not registered.
    """
    settings = settings or {}
    for rule_id in list(select or ()) + list(ignore) + list(settings):
        if rule_id not in RULES:
            raise UnknownRuleError("unknown rule %r; known rules: %s" % (rule_id, ", ".join(sorted(RULES))))
    chosen = list(select) if select else sorted(RULES)
    rules = []
    for rule_id in chosen:
        if rule_id in ignore:
            continue
        cls = RULES[rule_id]
        overrides = settings.get(rule_id, {})
        typed = {
            name: coerce_option(rule_id, name, cls.options[name], value) if name in cls.options else value
            for name, value in overrides.items()
        }
        rules.append(cls(**typed))
    return rules


_Feed = Callable[[Event, ProcessTable], Iterable[Finding]]
_Handler = Callable[[ProcessTable, Syscall], None]


class _Dispatch:
    """Which rules' ``feed`` an event reaches, built from the rules' declarations (see :class:`Rule`).

    ``by_name`` maps a syscall name to the feeds it always reaches, in rule
    order, and to the fd table's handler of the name (one of
    :data:`~straceparse.processes.HANDLERS`, or None), which one lookup
    thus finds too.  ``by_type`` maps an event class to its feeds.  Both
    fill on first sight of a name or class, so a ``read`` event costs one
    dict lookup, not a call to every rule.  The other declarations add rules to single events: the
    scan collects their indexes and calls :meth:`feeds_with`.
    """

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = list(rules)
        self.feeds: List[_Feed] = [rule.feed for rule in self.rules]
        self.by_name: Dict[str, Tuple[Tuple[_Feed, ...], Optional[_Handler]]] = {}
        self.by_type: Dict[type, Tuple[_Feed, ...]] = {}
        # Syscall name or event class -> the indexes of the rules in its by_name or by_type entry.
        self.always: Dict[Any, FrozenSet[int]] = {}
        # (syscall name or event class, extra rule indexes) -> feeds, for feeds_with().
        self._with_extra: Dict[Tuple[Any, FrozenSet[int]], Tuple[_Feed, ...]] = {}
        self.failing: FrozenSet[int] = frozenset(
            index for index, rule in enumerate(self.rules) if rule.syscalls is not None and rule.failed_syscalls
        )
        markers: Dict[str, set] = {}
        slow: List[Tuple[float, int]] = []
        for index, rule in enumerate(self.rules):
            if rule.syscalls is None:
                continue
            for marker in rule.args_markers:
                markers.setdefault(marker, set()).add(index)
            seconds = rule.min_seconds()
            if seconds is not None:
                slow.append((seconds, index))
        self.markers: Tuple[Tuple[str, FrozenSet[int]], ...] = tuple(
            (marker, frozenset(indexes)) for marker, indexes in markers.items()
        )
        # The built-in rules share one marker, which the scan tests with a single `in`.
        self.marker: Optional[str] = self.markers[0][0] if len(self.markers) == 1 else None
        self.slow = tuple(slow)
        # Infinity when no rule has min_seconds(): no duration reaches it, so the scan needs no None test.
        self.slow_from: float = min(seconds for seconds, _ in slow) if slow else math.inf

    def _remember(self, key: Any, indexes: Iterable[int]) -> Tuple[_Feed, ...]:
        chosen = frozenset(indexes)
        self.always[key] = chosen
        return tuple(self.feeds[index] for index in sorted(chosen))

    def for_syscall(self, name: str) -> Tuple[Tuple[_Feed, ...], Optional[_Handler]]:
        """Return the feeds a syscall of this name always reaches and its fd table handler, and remember them."""
        feeds = self._remember(
            name,
            (
                index for index, rule in enumerate(self.rules)
                if rule.syscalls is None or rule.syscalls is EVERY_SYSCALL or name in rule.syscalls
            ),
        )
        entry = self.by_name[name] = (feeds, TABLE_HANDLERS.get(name))
        return entry

    def for_type(self, kind: type) -> Tuple[_Feed, ...]:
        """Return the feeds an event of class ``kind`` (not a syscall) always reaches, and remember them."""
        feeds = self.by_type[kind] = self._remember(
            kind,
            (
                index for index, rule in enumerate(self.rules)
                if rule.syscalls is None or issubclass(kind, rule.event_types)
            ),
        )
        return feeds

    def marked_rules(self, text: str) -> FrozenSet[int]:
        """Return the indexes of the rules one of whose ``args_markers`` occurs in ``text``."""
        found: FrozenSet[int] = frozenset()
        for marker, indexes in self.markers:
            if marker in text:
                found = found.union(indexes)
        return found

    def slow_rules(self, seconds: float) -> FrozenSet[int]:
        """Return the indexes of the rules whose :meth:`Rule.min_seconds` ``seconds`` reaches."""
        return frozenset(index for threshold, index in self.slow if seconds >= threshold)

    def watchers(self, pid: Optional[int]) -> FrozenSet[int]:
        """Return the indexes of the rules that watch ``pid``."""
        # Rule._watched directly: a call to watching() per rule would cost more than the test.
        return frozenset(index for index, rule in enumerate(self.rules) if pid in rule._watched)

    def feeds_with(self, event: Event, extra: FrozenSet[int]) -> Tuple[_Feed, ...]:
        """Return the feeds ``event`` always reaches and those of the rules in ``extra``, once each, in rule order."""
        key = (event.syscall if isinstance(event, Syscall) else type(event), extra)
        feeds = self._with_extra.get(key)
        if feeds is None:
            feeds = self._with_extra[key] = tuple(
                self.feeds[index] for index in sorted(self.always[key[0]].union(extra))
            )
        return feeds


class _WatchCounts:
    """How many rules :meth:`Rule.watch` each pid, for one scan.

    While the scan feeds events, each pid's span also holds its count as a
    third item: the scan reads that span for every timestamped event anyway,
    so the watch test then costs a list item instead of a dict lookup.
    """

    def __init__(self) -> None:
        self.counts: Dict[Optional[int], int] = {}
        #: The scan's pid spans while it feeds events, else empty.
        self.spans: Dict[Optional[int], List[Any]] = {}

    def add(self, pid: Optional[int]) -> None:
        """Count one more rule that watches ``pid``."""
        count = self.counts[pid] = self.counts.get(pid, 0) + 1
        self._set_span(pid, count)

    def remove(self, pid: Optional[int]) -> None:
        """Count one rule fewer that watches ``pid``."""
        left = self.counts[pid] - 1
        if left:
            self.counts[pid] = left
        else:
            del self.counts[pid]
        self._set_span(pid, left)

    def clear(self) -> None:
        """Forget every count."""
        self.counts.clear()
        for span in self.spans.values():
            span[2] = 0

    def _set_span(self, pid: Optional[int], count: int) -> None:
        span = self.spans.get(pid)
        if span is not None:
            span[2] = count


class Scan:
    """Runs rules over one event stream and counts what it saw.

    ``events`` counts every event, ``unparsed`` the unparsed ones, and
    ``span_seconds`` the time between the first and last timestamped event.
    ``pid_spans`` maps each pid to its first and last time.  ``other_events``
    counts the events that are neither syscalls nor unparsed, by class, so a
    caller can tell a trace of calls from a file of summary tables.
    """

    def __init__(self, rules: Optional[Sequence[Rule]] = None) -> None:
        self.rules = list(rules) if rules is not None else select_rules()
        self.processes = ProcessTable()
        self.events = 0
        self.unparsed = 0
        #: (file, line, reason) of the first unparsed lines, for a pointer in reports.
        self.unparsed_examples: List[Tuple[str, int, str]] = []
        #: reason -> how many unparsed lines gave it.
        self.unparsed_reasons: Dict[str, int] = {}
        #: How many syscalls had arguments that a rule asked for and the grammar could not read, and
        #: the ParseError of the first few: such a call may hide a finding.
        self.unread_arguments = 0
        self.unread_argument_errors: List[ParseError] = []
        self.other_events: Dict[type, int] = {}
        self.first_time: Optional[float] = None
        self.last_time: Optional[float] = None
        self.pid_spans: Dict[Optional[int], List[float]] = {}
        # pid -> how many rules watch it; shared with the rules' watch() and unwatch().
        self._watch_counts = _WatchCounts()
        for rule in self.rules:
            rule._watched = set()
            rule._watch_counts = self._watch_counts
        self._dispatch = _Dispatch(self.rules)

    @property
    def span_seconds(self) -> Optional[float]:
        if self.first_time is None or self.last_time is None:
            return None
        return self.last_time - self.first_time

    def run(self, events: Iterable[Event]) -> Iterator[Finding]:
        """Feed ``events`` to the rules that need them, then yield the findings with their severity.

        Findings come out after the last event, because severity needs the
        whole trace's span.  The loop keeps its counters in locals and
        looks each event's feeds up in :class:`_Dispatch`, which took the
        engine with all seven rules from 4.6-9.0 to 1.6-2.7 µs per event on
        a loaded 2-core machine (benchmarks/bench_rules.py, docs/performance.md).
        """
        found: List[Finding] = []
        try:
            self._feed_all(events, found)
        finally:
            self._close_watches()
        for rule in self.rules:
            found.extend(rule.finish(self.processes))
        # Repeats of one cause in one process (four DNS timeouts of getent) are graded by their sum too.
        group_costs: Dict[Tuple[str, Optional[int]], float] = {}
        for finding in found:
            key = (finding.rule, finding.pid)
            group_costs[key] = group_costs.get(key, 0.0) + finding.cost_seconds
        for finding in found:
            yield self.graded(finding, group_costs[(finding.rule, finding.pid)])

    def _close_watches(self) -> None:
        for rule in self.rules:
            rule._watched = set()
        self._watch_counts.clear()

    def _feed_all(self, events: Iterable[Event], found: List[Finding]) -> None:
        # Attributes are loaded into locals once.  The common event (a syscall
        # that changes no fd table and that only its name selects rules for)
        # calls no Python function except its rules' feeds.
        processes = self.processes
        observe_syscall = processes.observe_syscall
        observe = processes.observe
        # ProcessTable.observe_syscall does more than the syscall's handler only
        # for an -y decoration or once a table of unprefixed lines was made.
        dispatch = self._dispatch
        by_name = dispatch.by_name
        by_type = dispatch.by_type
        failing = dispatch.failing
        marker = dispatch.marker
        markers = dispatch.markers
        angle_markers = all("<" in marker for marker, _ in markers)
        slow_from = dispatch.slow_from
        slow_rules = dispatch.slow_rules
        pid_spans = self.pid_spans
        other_events = self.other_events
        reasons = self.unparsed_reasons
        count = unparsed = 0
        watch_counts = self._watch_counts.counts
        self._watch_counts.spans = pid_spans
        try:
            for count, event in enumerate(events, 1):
                pid = event.pid
                time = event.time
                # Rules added for this event only; None on almost every event.
                extra: Optional[FrozenSet[int]] = None
                syscall = isinstance(event, Syscall)
                if syscall:
                    name = event.syscall
                    text = event.args_text
                    try:
                        feeds, handler = by_name[name]
                    except KeyError:
                        feeds, handler = dispatch.for_syscall(name)
                    angle = "<" in text
                    if angle or processes.unprefixed_seen:
                        observe_syscall(event)
                    elif handler is not None:
                        handler(processes, event)
                    # The call's end extends the pid's span, and its duration is
                    # tested against min_seconds().  That duration is
                    # timing.measured_duration() without a next event and without
                    # the clock's resolution, inline because a call per syscall
                    # would cost more than the test.
                    duration = event.duration
                    if time is None:
                        if duration is not None and duration >= slow_from:
                            extra = slow_rules(duration)
                        watched = watch_counts and pid in watch_counts
                    else:
                        end_time = event.end_time
                        if end_time is None:
                            if duration is None:
                                end = time
                            else:
                                end = time + duration
                                if duration >= slow_from:
                                    extra = slow_rules(duration)
                        else:
                            end = end_time
                            seconds = end_time - time if duration is None else duration
                            if duration is not None and time + duration > end_time:
                                end = time + duration
                            if seconds >= slow_from:
                                extra = slow_rules(seconds)
                        try:
                            span = pid_spans[pid]
                        except KeyError:
                            span = self._start_span(pid, time, end)
                        else:
                            if end > span[1]:
                                span[1] = end
                        watched = span[2]
                    if event.errno is not None and failing:
                        extra = failing if extra is None else failing.union(extra)
                    # A text without "<" has none of the markers that contain one,
                    # and the single-character test was made above.
                    if markers and (angle or not angle_markers):
                        if marker is not None:
                            if marker in text:
                                indexes = markers[0][1]
                                extra = indexes if extra is None else indexes.union(extra)
                        else:
                            marked = dispatch.marked_rules(text)
                            if marked:
                                extra = marked if extra is None else marked.union(extra)
                else:
                    if isinstance(event, Unparsed):
                        unparsed += 1
                        reason = event.reason
                        if unparsed <= _UNPARSED_EXAMPLES:
                            self.unparsed_examples.append((event.file, event.line, reason))
                        reasons[reason] = reasons.get(reason, 0) + 1
                        continue
                    observe(event)
                    kind = type(event)
                    other_events[kind] = other_events.get(kind, 0) + 1
                    try:
                        feeds = by_type[kind]
                    except KeyError:
                        feeds = dispatch.for_type(kind)
                    if time is not None:
                        span = pid_spans.get(pid)
                        if span is None:
                            self._start_span(pid, time, time)
                        elif time > span[1]:
                            span[1] = time
                    watched = watch_counts and pid in watch_counts
                if watched:
                    watchers = dispatch.watchers(pid)
                    extra = watchers if extra is None else watchers.union(extra)
                if extra is not None:
                    feeds = dispatch.feeds_with(event, extra)
                for feed in feeds:
                    try:
                        result = feed(event, processes)
                        if result:
                            found.extend(result)
                    except StraceparseError as error:
                        log.warning(
                            "%s:%d: rule %s skipped the event: %s", event.file, event.line, feed.__self__.id, error
                        )
                # The arguments a rule read, or the ParseError it got and went on without.
                if syscall and event._args is not None and event._args.__class__ is ParseError:
                    self._count_unread(event)
        finally:
            self.events += count
            self.unparsed += unparsed
            self._watch_counts.spans = {}
            for span in pid_spans.values():
                del span[2:]
            # The last end of any pid is the last end of the trace.
            if pid_spans:
                self.last_time = max(span[1] for span in pid_spans.values())

    def _count_unread(self, event: Syscall) -> None:
        """Count a syscall whose arguments a rule asked for and could not get."""
        self.unread_arguments += 1
        if len(self.unread_argument_errors) < _UNPARSED_EXAMPLES:
            try:
                event.args
            except ParseError as error:
                self.unread_argument_errors.append(error)

    def _start_span(self, pid: Optional[int], time: float, end: float) -> List[Any]:
        """Start and return the span of a pid first seen with a timestamp, and the trace's span for the first pid.

        While events are fed, a span's third item is the pid's count of watchers (see :class:`_WatchCounts`).
        """
        span = self.pid_spans[pid] = [time, end, self._watch_counts.counts.get(pid, 0)]
        if self.first_time is None:
            self.first_time = time
        return span

    def graded(self, finding: Finding, group_cost: Optional[float] = None) -> Finding:
        """Return ``finding`` with its severity and shares set from this scan's spans.

        ``group_cost`` is the cost of every finding of the same rule and pid,
        this one included.  The severity is the higher of the finding's own
        and the group's, so repeats of one cause that fill a process rate
        high even when each alone is under a quarter of it.  The shares
        stay the finding's own.
        """
        trace_share = _share(finding.cost_seconds, self.span_seconds)
        pid_span = self.pid_spans.get(finding.pid)
        pid_seconds = pid_span[1] - pid_span[0] if pid_span else None
        process_share = _share(finding.cost_seconds, pid_seconds)
        severity = severity_of(finding.cost_seconds, trace_share, process_share)
        if group_cost is not None and group_cost > finding.cost_seconds:
            group_severity = severity_of(
                group_cost, _share(group_cost, self.span_seconds), _share(group_cost, pid_seconds)
            )
            severity = max(severity, group_severity, key=SEVERITIES.index)
        # Sums and differences of clock readings carry float noise (0.20004399999999745); the clocks
        # strace prints resolve 1 ns at best.
        return attrs.evolve(
            finding, cost_seconds=round(finding.cost_seconds, 9), severity=severity, trace_share=trace_share,
            process_share=process_share,
        )


def _share(cost: float, span: Optional[float]) -> Optional[float]:
    if span is None or span <= 0:
        return None
    return min(cost / span, 1.0)
