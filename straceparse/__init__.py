"""straceparse: strace logs as typed events, and the latency faults hidden in them.

Iterate events::

    for event in straceparse.parse("trace.log"):
        if event.kind == "syscall" and event.syscall == "poll":
            print(event.pid, event.args[2], event.retval)

or run the rules::

    report = straceparse.scan("trace.log")
"""

__version__ = "0.1.0"

# The names below load their module on first use (PEP 562), so that
# ``import straceparse`` and the command's start stay fast: the command grows
# its standard input's pipe before the parser, grammar and rules load (see
# __main__.py).
_HOMES = {
    "CallNode": "calltree", "call_tree": "calltree", "function_totals": "calltree",
    "InputError": "errors", "ParseError": "errors", "StraceparseError": "errors",
    "Event": "events", "Exit": "events", "Message": "events", "Signal": "events", "StackFrame": "events",
    "Syscall": "events", "Unparsed": "events",
    "FtraceEvent": "ftrace", "detect_format": "ftrace", "parse_ftrace": "ftrace",
    "FdTarget": "values",
    "parse_arguments": "grammar",
    "parse": "parser", "parse_file": "parser", "parse_lines": "parser",
    "RULES": "rules", "Evidence": "rules", "Finding": "rules", "Rule": "rules", "Scan": "rules",
    "register": "rules", "select_rules": "rules",
    "ScanReport": "scanner", "scan": "scanner",
    "SummaryRow": "summary", "SummaryTable": "summary", "compare_summaries": "summary", "read_summaries": "summary",
    "TraceSet": "traceset", "trace_set": "traceset",
}


def __getattr__(name):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError("module 'straceparse' has no attribute %r" % name)
    import importlib

    value = getattr(importlib.import_module("." + home, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_HOMES))


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
