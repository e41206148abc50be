"""The engine's dispatch spares rules only events they would ignore.

Each real trace is scanned twice: once as ``straceparse scan`` does, where
each rule gets only the events it declared or watches, and once with every
rule fed every event.  The findings must be the same, in the same order.
Low thresholds make the rules act on many more events than at their
defaults, so most of their paths run.
"""

from __future__ import annotations

import pytest

from straceparse.rules import RULES, Rule, select_rules
from straceparse.rules.engine import EVERY_SYSCALL, Scan
from straceparse.scanner import read_events

from conftest import FIXTURES

TRACE_SUFFIXES = (".strace", ".log", ".ftrace", ".trace", ".txt", ".out")
TRACES = sorted(
    path for path in FIXTURES.rglob("*")
    if path.is_file() and path.suffix in TRACE_SUFFIXES and path.name not in ("LOG.md",)
)

# Thresholds well below the defaults: every measured call is slow, two
# failures make a storm, any gap is idle time.
LOW = {
    "slow-syscall": {"min_ms": 0.0, "max_groups": 100000},
    "idle-gap": {"min_ms": 0.0},
    "error-storm": {"min_count": 2, "min_ms": 0.0},
    "repeated-timeout": {"min_count": 1, "min_ms": 0.0},
    "poll-timeout-before-close": {"min_ms": 0.0},
    "dns-timeout": {"min_ms": 0.0},
    "long-blocking-syscall": {"min_ms": 0.0},
}


def _findings(path, every_event: bool):
    rules = select_rules(settings=LOW)
    if every_event:
        for rule in rules:
            rule.syscalls = None  # the default of a rule that declares nothing
    try:
        events = read_events(str(path))
        return [finding.to_dict() for finding in Scan(rules).run(events)]
    except Exception as error:  # a file that is not a trace: both runs must fail alike
        return type(error).__name__


def test_trace_fixtures_found():
    assert len(TRACES) > 50


@pytest.mark.parametrize("path", TRACES, ids=lambda path: str(path.relative_to(FIXTURES)))
def test_dispatch_matches_every_event(path):
    assert _findings(path, every_event=False) == _findings(path, every_event=True)


def test_dispatch_low_thresholds_find_things():
    counts = {rule_id: 0 for rule_id in RULES}
    for path in TRACES:
        found = _findings(path, every_event=False)
        if isinstance(found, list):
            for finding in found:
                counts[finding["rule"]] += 1
    for rule_id in LOW:
        assert counts[rule_id] > 0, rule_id


class _Counting(Rule):
    id = "counting-test-rule"

    def __init__(self, **settings) -> None:
        super().__init__(**settings)
        self.kinds = []

    def feed(self, event, processes):
        self.kinds.append(event.kind)
        return ()


def test_undeclared_rule_gets_every_event():
    path = FIXTURES / "corpus" / "15-puma-restart-hang-sigvtalrm-erestartsys.log"
    rule = _Counting()
    run = Scan([rule])
    list(run.run(read_events(str(path))))
    assert len(rule.kinds) == run.events - run.unparsed


def test_every_syscall_is_empty_frozenset():
    assert EVERY_SYSCALL == frozenset()
    assert repr(EVERY_SYSCALL) == "EVERY_SYSCALL"
