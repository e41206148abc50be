"""What scan reports to its reader: notes on unchecked input, unknown costs, input errors and evidence gaps."""

import json

import pytest
from conftest import CAPTURES, EXIM_TRACES

from straceparse import scan
from straceparse.cli import main

SUMMARY = CAPTURES / "summary"

SUMMARY_NOTE = (
    "%s: not checked, because the file contains only an strace -c/-C summary table, which counts calls but does "
    "not list them. The rules need a trace of the calls themselves: record without -c, or with -C, which prints "
    "both the calls and the table. To compare two summary tables, run straceparse summary BEFORE AFTER."
)


# ---------------------------------------------------------------- strace -c summary tables


@pytest.mark.parametrize(
    "name, summary_only",
    [
        ("exim-c-f.txt", True),
        ("exim-c-w-f.txt", True),
        ("exim-c-f-stderr.txt", True),  # "Process N attached" messages before the table
        ("py-threads-c-f.txt", True),
        ("py-threads-c-f-w-S-calls.txt", True),
        ("sh-signals-c-f-U-columns.txt", True),
        ("sh-signals-c-f-stderr.txt", True),  # the program's own output is unparsed lines
        ("exim-C-f-tt.strace", False),  # -C: the calls, then the table
        ("sh-signals-C-f-r.strace", False),
    ],
)
def test_scan_summary_only_files(name, summary_only):
    path = str(SUMMARY / name)
    report = scan(path)
    assert report.summary["summary_only_files"] == ([path] if summary_only else [])
    assert report.checked_nothing is summary_only
    assert report.notes() == ([SUMMARY_NOTE % path] if summary_only else [])


def test_scan_summary_note_several_files():
    first, second = str(SUMMARY / "exim-c-f.txt"), str(SUMMARY / "py-threads-c-f.txt")
    report = scan(first, second)
    assert report.notes() == [
        "%s, %s: not checked, because these files contain only strace -c/-C summary tables, which count calls "
        "but do not list them. The rules need a trace of the calls themselves: record without -c, or with -C, "
        "which prints both the calls and the table. To compare two summary tables, run straceparse summary "
        "BEFORE AFTER." % (first, second)
    ]


def test_cli_summary_table_text(capsys):
    path = str(SUMMARY / "exim-c-f.txt")
    assert main(["scan", path]) == 2
    captured = capsys.readouterr()
    assert captured.out == (
        SUMMARY_NOTE % path + "\n"
        "no trace of calls to check\n"
        "1 event read from 1 file, 0 unparsed lines\n"
    )
    assert captured.err == (
        "straceparse: error: no trace of calls to check: every file is an strace -c summary table\n"
    )


def test_cli_summary_table_json(capsys):
    path = str(SUMMARY / "exim-c-f.txt")
    assert main(["scan", "--format", "json", path]) == 2
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["summary_only_files"] == [path]
    assert summary["notes"] == [SUMMARY_NOTE % path]


def test_cli_summary_table_markdown(capsys, monkeypatch):
    monkeypatch.chdir(CAPTURES.parent.parent)
    assert main(["scan", "--format", "markdown", "fixtures/captures/summary/exim-c-f.txt"]) == 2
    out = capsys.readouterr().out
    assert out.startswith("## straceparse scan: no trace of calls to check\n")
    assert out.endswith(
        "\n**Note:** fixtures/captures/summary/exim-c-f.txt: not checked, because the file contains only an "
        "strace -c/-C summary table, which counts calls but does not list them. The rules need a trace of "
        "the calls themselves: record without -c, or with -C, which prints both the calls and the table. "
        "To compare two summary tables, run straceparse summary BEFORE AFTER.\n"
    )


def test_cli_summary_beside_trace(capsys):
    # The checked trace sets the exit status by its findings, and the table only gets the note.
    table = str(SUMMARY / "exim-c-f.txt")
    trace = str(EXIM_TRACES / "exim-f-r-s128.strace")
    assert main(["scan", "--rule", "poll-timeout-before-close", table, trace]) == 1
    captured = capsys.readouterr()
    assert SUMMARY_NOTE % table + "\n8 connections lost 1.60 s to poll timeouts before close\n" in captured.out
    assert captured.err == ""
