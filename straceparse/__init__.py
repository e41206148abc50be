"""straceparse: strace logs as typed events, and the latency faults hidden in them.

Iterate events::

    for event in straceparse.parse("trace.log"):
        if event.kind == "syscall" and event.syscall == "poll":
            print(event.pid, event.args[2], event.retval)

or run the rules::

    report = straceparse.scan("trace.log")
"""

__version__ = "0.1.0"

from .errors import InputError, ParseError, StraceparseError
from .events import Event, Exit, Message, Signal, StackFrame, Syscall, Unparsed
from .values import FdTarget
from .grammar import parse_arguments
from .parser import parse, parse_file, parse_lines
from .rules import RULES, Evidence, Finding, Rule, Scan, register, select_rules
from .scanner import ScanReport, scan

__all__ = [
    "Event",
    "Evidence",
    "Exit",
    "FdTarget",
    "Finding",
    "InputError",
    "Message",
    "ParseError",
    "RULES",
    "Rule",
    "Scan",
    "ScanReport",
    "Signal",
    "StackFrame",
    "StraceparseError",
    "Syscall",
    "Unparsed",
    "parse",
    "parse_arguments",
    "parse_file",
    "parse_lines",
    "register",
    "scan",
    "select_rules",
]
