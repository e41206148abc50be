"""The rule engine: rules see events in log order and yield findings with evidence.

A rule is a class with an ``id``, a one-line ``summary`` and ``options``
(name to default); the engine makes one instance per scan, so a rule keeps
whatever per-pid and per-fd state it needs in ``self``.  For each event the
engine first updates the shared :class:`~straceparse.processes.ProcessTable`
(what each fd is), then calls every rule's :meth:`Rule.feed`; at the end of
the stream it calls :meth:`Rule.finish`.  A rule that meets argument text it
cannot parse (a :class:`~straceparse.errors.StraceparseError`) loses only that
event: the engine logs it and goes on, so one bad line never ends a scan.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Type

import attrs

from ..errors import StraceparseError
from ..events import Event, Syscall, Unparsed
from ..processes import ProcessTable

__all__ = ["Evidence", "Finding", "Rule", "RULES", "register", "Scan", "select_rules", "UnknownRuleError"]

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
        }


def evidence_of(events: Iterable[Event]) -> Tuple[Tuple[int, ...], Tuple[Evidence, ...]]:
    """Return the line numbers and evidence lines of ``events``, in line order, once each."""
    seen = {}
    for event in events:
        for number, text in zip(event.lines, event.raw):
            seen[(event.file, number)] = text
    keys = sorted(seen)
    return tuple(number for _, number in keys), tuple(Evidence(f, n, seen[(f, n)]) for f, n in keys)


class UnknownRuleError(StraceparseError):
    """A rule id or option that does not exist."""


class Rule:
    """Base class of rules; subclasses set ``id``, ``summary`` and ``options``.

    Settings given to the constructor override ``options`` and become
    attributes of the instance.
    """

    id: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    options: ClassVar[Mapping[str, Any]] = {}

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
    """Class decorator: add a rule to :data:`RULES` under its id."""
    if not cls.id:
        raise ValueError("rule class %s has no id" % cls.__name__)
    RULES[cls.id] = cls
    return cls


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
    return [RULES[rule_id](**settings.get(rule_id, {})) for rule_id in chosen if rule_id not in ignore]


class Scan:
    """Runs rules over one event stream and counts what it saw.

    ``events`` counts every event, ``unparsed`` the unparsed ones, and
    ``span_seconds`` the time between the first and last timestamped event.
    """

    def __init__(self, rules: Optional[Sequence[Rule]] = None) -> None:
        self.rules = list(rules) if rules is not None else select_rules()
        self.processes = ProcessTable()
        self.events = 0
        self.unparsed = 0
        self.first_time: Optional[float] = None
        self.last_time: Optional[float] = None

    @property
    def span_seconds(self) -> Optional[float]:
        if self.first_time is None or self.last_time is None:
            return None
        return self.last_time - self.first_time

    def run(self, events: Iterable[Event]) -> Iterator[Finding]:
        """Feed ``events`` to every rule and yield findings as they complete."""
        processes = self.processes
        rules = self.rules
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
                if self.last_time is None or end > self.last_time:
                    self.last_time = end
            processes.observe(event)
            for rule in rules:
                try:
                    yield from rule.feed(event, processes)
                except StraceparseError as error:
                    log.warning("%s:%d: rule %s skipped the event: %s", event.file, event.line, rule.id, error)
        for rule in rules:
            yield from rule.finish(processes)
