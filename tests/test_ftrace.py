"""The ftrace reader: typed fields from real lines, round trips, the grammar as its specification."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from straceparse.errors import ParseError
from straceparse.ftrace import (
    FtraceParser,
    detect_format,
    parse_ftrace,
    parse_ftrace_line_tree,
    parse_ftrace_lines,
)

from conftest import CAPTURES, CORPUS, FIXTURES

FTRACE_FILES = sorted(CORPUS.glob("*.ftrace")) + sorted((CAPTURES / "ftrace").glob("*.trace")) + sorted(
    (FIXTURES / "ftrace").glob("*.ftrace")
)


def _one(line: str):
    event = FtraceParser("t").feed(1, line)
    assert event is not None
    return event


# (line, kind, expected fields): real lines from the corpus and captures.
LINES = [
    ("  0)               |  __x64_sys_poll() {", "funcgraph_entry",
     {"cpu": 0, "depth": 0, "func": "__x64_sys_poll", "pid": None}),
    ("  0)   0.421 us    |          __pollwait();", "funcgraph_leaf",
     {"cpu": 0, "depth": 4, "func": "__pollwait", "duration": 0.421e-6, "marker": None}),
    ("  0) @ 204432.8 us |    }", "funcgraph_exit",
     {"cpu": 0, "depth": 1, "func": None, "duration": 0.2044328, "marker": "@"}),
    ("7238523.638066 |   0)   19354026 us |            } /* __schedule */", "funcgraph_exit",
     {"timestamp": 7238523.638066, "depth": 5, "func": "__schedule", "duration": 19.354026, "marker": None}),
    (" 1)   getname() {", "funcgraph_entry", {"cpu": 1, "depth": 1, "func": "getname"}),
    (" 1)     getname_flags();", "funcgraph_leaf", {"depth": 2, "func": "getname_flags", "duration": None}),
    ("    0)    sh-4802     | + 49.370 us   |                }", "funcgraph_exit",
     {"cpu": 0, "task": "sh", "pid": 4802, "depth": 7, "duration": 49.37e-6, "marker": "+"}),
    ("    2) $ 3594274 us  |  }", "funcgraph_exit", {"cpu": 2, "depth": 0, "duration": 3.594274, "marker": "$"}),
    ("    1)   0.651 us    |      cgroup_migrate_add_task(); /* = 0xffff93fcfd346c00 */", "funcgraph_leaf",
     {"func": "cgroup_migrate_add_task", "retval": 0xFFFF93FCFD346C00}),
    ("    1)   2.335 us    |        } /* cpu_cgroup_can_attach = -22 */", "funcgraph_exit",
     {"func": "cpu_cgroup_can_attach", "retval": -22}),
    ("    0)   1.757 us    |        } /* kmem_cache_free() */", "funcgraph_exit", {"func": "kmem_cache_free"}),
    ("   1)               |                /* I'm a comment! */", "funcgraph_comment", {"text": "I'm a comment!"}),
    ("\t   2)   ==========> |", "funcgraph_irq", {"cpu": 2, "entering": True}),
    ("\t   2)    <idle>-0    =>   <...>-5785", "task_switch",
     {"cpu": 2, "prev_task": "<idle>", "prev_pid": 0, "next_task": "<...>", "next_pid": 5785}),
    ("\t ------------------------------------------", "separator", {"comment": None}),
    ("            ruby-2564  [001] 107227.460641: funcgraph_entry:        7.076 us   |  __math_state_restore();",
     "funcgraph_leaf", {"task": "ruby", "pid": 2564, "cpu": 1, "depth": 0, "duration": 7.076e-6}),
    ("            ruby-2564  [001] 107227.460801: funcgraph_exit:       + 11.065 us  |        }", "funcgraph_exit",
     {"depth": 3, "duration": 11.065e-6, "marker": "+", "timestamp": 107227.460801}),
    ("          svscan-1678  [000] .... 6412438.703521: do_nanosleep <-hrtimer_nanosleep", "function",
     {"task": "svscan", "pid": 1678, "cpu": 0, "flags": "....", "func": "do_nanosleep",
      "parent": "hrtimer_nanosleep"}),
    ("          vmstat-11789 [000] 1763207.021204: do_nanosleep <-hrtimer_nanosleep", "function",
     {"flags": None, "timestamp": 1763207.021204}),
    ("           sleep-89142 [001] ...1. 162573.215752: function:             mutex_unlock", "function",
     {"func": "mutex_unlock", "parent": None, "flags": "...1."}),
    ("          <idle>-0     [000] d.h.   230.859993: <stack trace>", "stack_trace", {"task": "<idle>", "pid": 0}),
    (" => tick_sched_timer", "stack_frame", {"frame": "tick_sched_timer"}),
    ("   kworker/u36:1-51219 [000] d..2. 162583.266957: sched_switch:         kworker/u36:1:51219 [120] R ==> "
     "kworker/u33:2:49692 [120] Latency: 4024.977 usecs", "trace_event",
     {"task": "kworker/u36:1", "pid": 51219, "name": "sched_switch"}),
    (" memfd:sealed-91-2367    [001] d..2.  1462.072324: sched_switch: prev_comm=memfd:sealed-91 prev_pid=2367 "
     "prev_prio=120 prev_state=S ==> next_comm=python3 next_pid=22813 next_prio=120", "trace_event",
     {"task": "memfd:sealed-91", "pid": 2367}),
    ("         python3-22877   (  22877) [000] .....  1470.806066: sched_process_exec: filename=/usr/bin/python3 "
     "pid=22877 old_pid=22877", "trace_event", {"tgid": 22877, "cpu": 0, "flags": "....."}),
    ("         python3-22813   [001] .....  1461.818051: sys_poll(ufds: 0x7f1baf3402c0, nfds: 1, timeout_msecs: 0xc8)",
     "sys_enter", {"syscall": "poll", "name": "sys_poll"}),
    ("         python3-22813   [001] .....  1462.018299: sys_poll -> 0x0", "sys_exit", {"syscall": "poll", "retval": 0}),
    ("  # tracer: function_graph", "header", {"text": "# tracer: function_graph"}),
    ("  ##### CPU 3 buffer started ####", "header", {"cpu": 3}),
    ("CPU 0 is empty", "header", {"cpu": 0}),
    ("cpus=8", "header", {"text": "cpus=8"}),
    ("CPU:3 [LOST 1228 EVENTS]", "lost_events", {"cpu": 3, "count": 1228}),
]


@pytest.mark.parametrize("line, kind, fields", LINES, ids=[case[1] + "-" + str(i) for i, case in enumerate(LINES)])
def test_line_typed_fields(line, kind, fields):
    event = _one(line)
    assert event.kind == kind
    for name, expected in fields.items():
        value = getattr(event, name)
        if isinstance(expected, float):
            assert value == pytest.approx(expected), name
        else:
            assert value == expected, name


@pytest.mark.parametrize("line, kind, fields", LINES, ids=[case[1] + "-" + str(i) for i, case in enumerate(LINES)])
def test_line_renders_back(line, kind, fields):
    assert _one(line).render() == line


def test_syscall_enter_args_as_integers():
    event = _one(LINES[25][0])
    assert event.args == {"ufds": 0x7F1BAF3402C0, "nfds": 1, "timeout_msecs": 200}


def test_trace_event_fields_split():
    event = _one(LINES[24][0])
    assert event.fields == {"filename": "/usr/bin/python3", "pid": "22877", "old_pid": "22877"}


def test_to_dict_shared_keys():
    data = _one(LINES[0][0]).to_dict()
    assert list(data)[:4] == ["kind", "file", "lines", "pid"]
    assert data["kind"] == "funcgraph_entry"
    assert data["lines"] == [1]


# ---------------------------------------------------------------- whole files


@pytest.mark.parametrize("path", FTRACE_FILES, ids=lambda path: path.name)
def test_file_every_line_accounted(path):
    lines = path.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    covered = {event.line for event in parse_ftrace(path)}
    blank = {number for number, line in enumerate(lines, 1) if not line.strip()}
    assert covered | blank == set(range(1, len(lines) + 1))
    assert not covered & blank


@pytest.mark.parametrize("path", FTRACE_FILES, ids=lambda path: path.name)
def test_file_round_trip(path):
    for event in parse_ftrace(path):
        assert event.render() == event.raw[0], event.line


@pytest.mark.parametrize("path", FTRACE_FILES, ids=lambda path: path.name)
def test_file_unparsed_have_reasons(path):
    for event in parse_ftrace(path):
        if event.kind == "unparsed":
            assert event.reason.startswith(("not ftrace output: ", "elision mark: ")), event.line


# What each unparsed line of the corpus is: prose, a command's output, or an elision mark.
UNPARSED = {
    "00-exim-bug3142-funcgraph.ftrace": 1,
    "02-perftools-funcgraph-abstime-19s-read.ftrace": 1,
    "03-perftools-funcgraph-maxdepth-noduration.ftrace": 8,
    "05-perftools-functrace-function-tracer.ftrace": 16,
    "06-kernel-doc-function-graph-options.ftrace": 2,
    "07-kernel-doc-function-tracer.ftrace": 0,
    "08-tracecmd-report-wakeup-latency.ftrace": 9,
    "10-hiboma-tracecmd-report-funcgraph-entry-exit.ftrace": 1,
    "11-wikibook-function-tracer-stacktrace-event.ftrace": 0,
    "12-perf-ftrace-irq-marker-tab-indented.ftrace": 2,
}


@pytest.mark.parametrize("name, count", sorted(UNPARSED.items()))
def test_corpus_unparsed_counts(name, count):
    assert sum(event.kind == "unparsed" for event in parse_ftrace(CORPUS / name)) == count


def test_unparsed_prose_reason_text():
    event = _one("Neat.")
    assert event.reason == "not ftrace output: unexpected 'Neat.' at column 1"
    assert event.column == 1


def test_unparsed_elision_reason_text():
    event = _one("  ... [other socket polls] ...")
    assert event.reason == "elision mark: lines were left out of the excerpt here"


# The grammar is the specification: every line the regexes read, it reads as the same kind.
_TREE_NAMES = {
    "funcgraph_irq": ("funcgraph_irq_entry", "funcgraph_irq_exit"),
    "sys_enter": ("sys_enter", "trace_event"),
    "sys_exit": ("sys_exit", "trace_event"),
}


@pytest.mark.parametrize("path", FTRACE_FILES, ids=lambda path: path.name)
def test_grammar_agrees_with_reader(path):
    for event in parse_ftrace(path):
        if event.kind == "unparsed":
            continue
        tree = parse_ftrace_line_tree(event.raw[0])
        names = {subtree.data for subtree in tree.iter_subtrees()}
        assert names & set(_TREE_NAMES.get(event.kind, (event.kind,))), (event.line, names)


def test_grammar_error_names_column():
    with pytest.raises(ParseError) as caught:
        parse_ftrace_line_tree("  0)   0.421 ms    |  }", file="x.ftrace", line=7)
    assert str(caught.value) == (
        "x.ftrace:7:14: unexpected 'ms    |  }' at column 14\n"
        "      0)   0.421 ms    |  }\n"
        "                 ^"
    )


# ---------------------------------------------------------------- three ways in


def test_feed_whole_lines_and_cut():
    path = CORPUS / "02-perftools-funcgraph-abstime-19s-read.ftrace"
    text = path.read_text()
    whole = [event.to_dict() for event in parse_ftrace(text)]
    by_line = [event.to_dict() for event in parse_ftrace_lines(text.splitlines(keepends=True))]
    assert by_line == whole
    cut = list(parse_ftrace_lines(text.splitlines()[40:]))
    assert [event.render() for event in cut] == [event.raw[0] for event in list(parse_ftrace(text))[-len(cut):]]


# ---------------------------------------------------------------- format detection


@pytest.mark.parametrize("path", FTRACE_FILES, ids=lambda path: path.name)
def test_detect_ftrace_files(path):
    assert detect_format(path.read_text(errors="replace").splitlines()[:50]) == "ftrace"


@pytest.mark.parametrize(
    "path",
    sorted(CORPUS.glob("*.log")) + [CAPTURES / "exim" / "traces" / "exim-f-tt-T-yy.strace"],
    ids=lambda path: path.name,
)
def test_detect_strace_files(path):
    assert detect_format(path.read_text(errors="replace").splitlines()[:50]) == "strace"


def test_detect_empty_is_strace():
    assert detect_format([]) == "strace"


# ---------------------------------------------------------------- any input


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80), max_size=8))
def test_any_text_one_event_per_line(lines):
    lines = [line.replace("\n", " ").replace("\r", " ") for line in lines]
    events = list(parse_ftrace_lines(lines))
    assert [event.line for event in events] == [n for n, line in enumerate(lines, 1) if line.strip(" \t")]
    for event in events:
        assert event.render() == event.raw[0]
