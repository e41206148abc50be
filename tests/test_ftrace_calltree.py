"""Call trees from function_graph excerpts: whole, started mid-tree, cut, per task."""

from __future__ import annotations

import pytest

from straceparse import call_tree, function_totals
from straceparse.calltree import CallTreeBuilder
from straceparse.ftrace import parse_ftrace_lines

from conftest import CORPUS, FIXTURES

POLL = FIXTURES / "ftrace" / "exim-poll-200ms-funcgraph.ftrace"


def test_poll_excerpt_one_whole_tree():
    trees = call_tree(POLL)
    assert len(trees) == 1
    assert trees[0].whole


def test_poll_excerpt_call_chain():
    root = call_tree(POLL)[0]
    chain = [root.func, root.children[0].func, root.children[0].children[0].func,
             root.children[0].children[0].children[0].func]
    assert chain == ["__x64_sys_poll", "do_sys_poll", "sock_poll", "tcp_poll"]


def test_poll_excerpt_root_duration():
    root = call_tree(POLL)[0]
    assert root.duration == pytest.approx(0.2044351)
    assert root.lines == tuple(range(5, 21))


def test_elided_excerpt_still_balances():
    trees = call_tree(CORPUS / "00-exim-bug3142-funcgraph.ftrace")
    assert [tree.func for tree in trees] == ["__x64_sys_poll"]
    assert trees[0].whole


def test_mid_tree_start_adopts_calls():
    first = call_tree(CORPUS / "02-perftools-funcgraph-abstime-19s-read.ftrace")[0]
    assert first.func == "vfs_read"
    assert not first.started
    assert first.finished
    assert first.duration == pytest.approx(19.354058)
    assert [child.func for child in first.children] == ["tty_read", "__fsnotify_parent", "fsnotify"]


def test_cut_excerpt_leaves_call_open():
    last = call_tree(CORPUS / "02-perftools-funcgraph-abstime-19s-read.ftrace")[-1]
    assert last.func == "vfs_read"
    assert last.started
    assert not last.finished
    assert last.duration is None


def test_tail_comment_names_orphan_close():
    trees = call_tree(CORPUS / "02-perftools-funcgraph-abstime-19s-read.ftrace")
    names = {node.func for tree in trees for node in tree.walk() if not node.started}
    assert {"__schedule", "schedule", "schedule_timeout", "n_tty_read", "tty_read", "vfs_read"} <= names
    assert "ldsem_down_read" in names


def test_nodur_graph_has_no_durations():
    trees = call_tree(CORPUS / "03-perftools-funcgraph-maxdepth-noduration.ftrace")
    nodur = trees[-1]
    assert nodur.func == "do_sys_open"
    assert [node.duration for node in nodur.walk()] == [None] * len(list(nodur.walk()))


def test_tasks_get_separate_trees():
    trees = call_tree(CORPUS / "06-kernel-doc-function-graph-options.ftrace")
    proc = [tree for tree in trees if tree.pid == 4802]
    assert len(proc) == 1
    assert proc[0].task == "sh"


def test_task_switch_sets_pid():
    trees = call_tree(CORPUS / "12-perf-ftrace-irq-marker-tab-indented.ftrace")
    by_func = {tree.func: tree for tree in trees}
    assert by_func["switch_mm_irqs_off"].pid is None
    assert by_func["finish_task_switch"].pid == 5785


def test_tracecmd_funcgraph_tree():
    trees = call_tree(CORPUS / "10-hiboma-tracecmd-report-funcgraph-entry-exit.ftrace")
    assert [tree.func for tree in trees] == ["__math_state_restore", "sys_open"]
    assert trees[1].pid == 2564
    getname = trees[1].children[0].children[0]
    assert getname.func == "getname"
    assert getname.duration == pytest.approx(32.205e-6)


def test_builder_returns_depth0_tree_when_closed():
    lines = (POLL.read_text().splitlines())
    builder = CallTreeBuilder()
    done = [len(builder.feed(event)) for event in parse_ftrace_lines(lines)]
    assert done[-1] == 1
    assert sum(done) == 1


def test_self_time_subtracts_children():
    root = call_tree(POLL)[0]
    do_sys_poll = root.children[0]
    assert do_sys_poll.self_time == pytest.approx(0.2044328 - (1.783 + 204420.3 + 0.987 + 0.641) / 1e6)


def test_totals_order_by_total():
    totals = function_totals(call_tree(POLL))
    assert [total.func for total in totals[:3]] == ["__x64_sys_poll", "do_sys_poll", "poll_schedule_timeout.constprop.0"]
    sock_poll = next(total for total in totals if total.func == "sock_poll")
    assert sock_poll.calls == 2
