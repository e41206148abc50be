"""straceparse: strace logs as typed events, and the latency faults hidden in them.

Iterate events::

    for event in straceparse.parse("trace.log"):
        if event.kind == "syscall" and event.syscall == "poll":
            print(event.pid, event.args[2], event.retval)

or run the rules::

    report = straceparse.scan("trace.log")
"""

__version__ = "0.1.0"

from .calltree import CallNode, call_tree, function_totals
from .errors import InputError, ParseError, StraceparseError
from .events import Event, Exit, Message, Signal, StackFrame, Syscall, Unparsed
from .ftrace import FtraceEvent, detect_format, parse_ftrace
from .values import FdTarget
from .grammar import parse_arguments
from .parser import parse, parse_file, parse_lines
from .rules import RULES, Evidence, Finding, Rule, Scan, register, select_rules
from .scanner import ScanReport, scan
from .summary import SummaryRow, SummaryTable, compare_summaries, read_summaries
from .traceset import TraceSet, trace_set

__all__ = [
    "CallNode",
    "Event",
    "Evidence",
    "Exit",
    "FdTarget",
    "Finding",
    "FtraceEvent",
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
    "SummaryRow",
    "SummaryTable",
    "Syscall",
    "TraceSet",
    "Unparsed",
    "call_tree",
    "detect_format",
    "function_totals",
    "parse",
    "parse_ftrace",
    "parse_arguments",
    "parse_file",
    "parse_lines",
    "register",
    "scan",
    "compare_summaries",
    "read_summaries",
    "select_rules",
    "trace_set",
]
