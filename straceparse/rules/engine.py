"""The rule engine: rules see events in log order and yield findings with evidence.

A rule is a class with an ``id``, a one-line ``summary``, ``options`` (name
to default) and ``option_help`` (name to a sentence with the unit); the engine
makes one instance per scan, so a rule keeps whatever per-pid and per-fd state
it needs in ``self``.  For each event the engine first updates the shared
:class:`~straceparse.processes.ProcessTable` (what each fd is), then calls
every rule's :meth:`Rule.feed`; at the end of the stream it calls
:meth:`Rule.finish`.  A rule that meets argument text it cannot parse (a
:class:`~straceparse.errors.StraceparseError`) loses only that event: the
engine logs it and goes on, so one bad line never ends a scan.

When the stream ends the engine sets each finding's severity from the time it
cost against the span of the trace and of its pid (see :func:`severity_of`),
so :meth:`Scan.run` yields findings only after the last event.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Type

import attrs

from ..errors import StraceparseError
from ..events import Event, Syscall, Unparsed
from ..processes import ProcessTable

__all__ = [
    "Evidence",
    "Finding",
    "InvalidOptionError",
    "Rule",
    "RULES",
    "register",
    "Scan",
    "coerce_option",
    "measured_duration",
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

    ``cost_seconds`` is the time the fault cost; ``cost_source`` says where
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


def measured_duration(event: Syscall, next_time: Optional[float] = None) -> Tuple[Optional[float], str]:
    """Return how long ``event`` took and where that number came from.

    ``duration`` is strace's ``-T`` value; ``timestamps`` is the resumed
    line's time minus the call's time, or else ``next_time`` (the same pid's
    next event) minus the call's time.  ``(None, "unknown")`` without a clock.
    """
    if event.duration is not None:
        return event.duration, "duration"
    if event.time is not None and event.end_time is not None:
        return event.end_time - event.time, "timestamps"
    if event.time is not None and next_time is not None:
        return next_time - event.time, "timestamps"
    return None, "unknown"


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


class InvalidOptionError(StraceparseError):
    """A rule option whose value has the wrong type."""


class Rule:
    """Base class of rules; subclasses set ``id``, ``summary``, ``options`` and ``option_help``.

    Settings given to the constructor override ``options`` and become
    attributes of the instance.  A rule must keep its state bounded: per pid
    and per fd, dropped when the fd is closed or the pid exits, so memory does
    not grow with the length of the trace.  Read arguments (``event.args``,
    ``try_args()``) only for the syscalls the rule needs, because parsing them
    costs far more than the rest of a line.
    """

    id: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    options: ClassVar[Mapping[str, Any]] = {}
    option_help: ClassVar[Mapping[str, str]] = {}

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

    @classmethod
    def describe_total(cls, count: int, seconds: float) -> str:
        """Return the one-line total of ``count`` findings that cost ``seconds`` in all."""
        return "%d %s finding%s, %.2f s in all" % (count, cls.id, "" if count == 1 else "s", seconds)


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
            number = float(value) if kind is float else int(str(value).strip()) if isinstance(value, str) else value
        except (TypeError, ValueError):
            raise invalid("an integer" if kind is int else "a number") from None
        if kind is int and not isinstance(number, int):
            if isinstance(number, float) and number.is_integer():
                return int(number)
            raise invalid("an integer")
        return kind(number)
    if isinstance(default, (tuple, frozenset)):
        items = value.split(",") if isinstance(value, str) else list(value) if isinstance(value, (list, tuple)) else None
        if items is None:
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


class Scan:
    """Runs rules over one event stream and counts what it saw.

    ``events`` counts every event, ``unparsed`` the unparsed ones, and
    ``span_seconds`` the time between the first and last timestamped event.
    ``pid_spans`` holds the first and last time of each pid (one entry a pid).
    """

    def __init__(self, rules: Optional[Sequence[Rule]] = None) -> None:
        self.rules = list(rules) if rules is not None else select_rules()
        self.processes = ProcessTable()
        self.events = 0
        self.unparsed = 0
        self.first_time: Optional[float] = None
        self.last_time: Optional[float] = None
        self.pid_spans: Dict[Optional[int], List[float]] = {}

    @property
    def span_seconds(self) -> Optional[float]:
        if self.first_time is None or self.last_time is None:
            return None
        return self.last_time - self.first_time

    def run(self, events: Iterable[Event]) -> Iterator[Finding]:
        """Feed ``events`` to every rule, then yield the findings with their severity.

        Findings come out after the last event, because severity needs the
        whole trace's span.
        """
        processes = self.processes
        rules = self.rules
        found: List[Finding] = []
        pid_spans = self.pid_spans
        for event in events:
            self.events += 1
            if isinstance(event, Unparsed):
                self.unparsed += 1
                continue
            time = event.time
            if time is not None:
                if self.first_time is None:
                    self.first_time = time
                end = event.end_time if isinstance(event, Syscall) and event.end_time is not None else time
                if isinstance(event, Syscall) and event.duration is not None:
                    end = max(end, time + event.duration)
                if self.last_time is None or end > self.last_time:
                    self.last_time = end
                span = pid_spans.get(event.pid)
                if span is None:
                    pid_spans[event.pid] = [time, end]
                elif end > span[1]:
                    span[1] = end
            processes.observe(event)
            for rule in rules:
                try:
                    found.extend(rule.feed(event, processes))
                except StraceparseError as error:
                    log.warning("%s:%d: rule %s skipped the event: %s", event.file, event.line, rule.id, error)
        for rule in rules:
            found.extend(rule.finish(processes))
        for finding in found:
            yield self.graded(finding)

    def graded(self, finding: Finding) -> Finding:
        """Return ``finding`` with its severity and shares set from this scan's spans."""
        trace_share = _share(finding.cost_seconds, self.span_seconds)
        pid_span = self.pid_spans.get(finding.pid)
        process_share = _share(finding.cost_seconds, pid_span[1] - pid_span[0] if pid_span else None)
        return attrs.evolve(
            finding,
            severity=severity_of(finding.cost_seconds, trace_share, process_share),
            trace_share=trace_share,
            process_share=process_share,
        )


def _share(cost: float, span: Optional[float]) -> Optional[float]:
    if span is None or span <= 0:
        return None
    return min(cost / span, 1.0)
