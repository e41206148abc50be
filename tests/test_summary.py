"""Summary tables of strace -c/-C/-w/-S/-U, over the real captures."""

import pytest

from straceparse import cli

from straceparse.parser import parse, read_lines
from straceparse.summary import SummaryRow, SummaryTableReader, compare_summaries, read_summaries

from conftest import CAPTURES, CORPUS

SUMMARY = CAPTURES / "summary"
CLASSIC = ("time_percent", "seconds", "usecs_per_call", "calls", "errors", "syscall")

TABLES = [
    # file, first table line, rows, total calls, total errors, total seconds
    ("exim-c-f.txt", 1, 65, 3682, 120, 0.020134),
    ("exim-c-w-f.txt", 1, 65, 3682, 120, 5.651648),
    ("exim-c-f-stderr.txt", 16, 65, 3681, 120, 0.016335),
    ("exim-C-f-tt.strace", 3857, 65, 3682, 120, 0.019273),
    ("py-threads-c-f.txt", 1, 44, 1087, 71, 0.03427),
    ("py-threads-c-f-w-S-calls.txt", 1, 44, 1064, 66, 0.938009),
    ("sh-signals-C-f-r.strace", 3177, 45, 2052, 306, 0.008661),
    ("sh-signals-c-f-U-columns.txt", 1, 45, 2051, 306, 0.006665),
    ("sh-signals-c-f-stderr.txt", 22, 45, 2052, 306, 0.003055),
]


def _only_table(path):
    tables = read_summaries(path)
    assert len(tables) == 1
    return tables[0]


@pytest.mark.parametrize("name, first, rows, calls, errors, seconds", TABLES, ids=[case[0] for case in TABLES])
def test_summary_table_totals(name, first, rows, calls, errors, seconds):
    table = _only_table(SUMMARY / name)
    assert table.lines[0] == first
    assert len(table.rows) == rows
    assert table.total.calls == calls
    assert table.total.errors == errors
    assert table.total.seconds == seconds


@pytest.mark.parametrize("name, first, rows, calls, errors, seconds", TABLES, ids=[case[0] for case in TABLES])
def test_summary_rows_add_up(name, first, rows, calls, errors, seconds):
    # strace's total row is the sum of its rows, so a misplaced field shows here.
    table = _only_table(SUMMARY / name)
    assert sum(row.calls for row in table.rows) == table.total.calls
    assert sum(row.errors for row in table.rows) == table.total.errors
    assert sum(row.time_percent for row in table.rows) == pytest.approx(100.0, abs=0.5)


@pytest.mark.parametrize("name, first, rows, calls, errors, seconds", TABLES, ids=[case[0] for case in TABLES])
def test_summary_table_ends_file(name, first, rows, calls, errors, seconds):
    path = SUMMARY / name
    table = _only_table(path)
    last = sum(1 for _ in path.open("rb"))
    assert table.lines == tuple(range(first, last + 1))
    assert table.file == str(path)
    assert table.kind == "summary"


def test_summary_classic_row():
    #  26.70    0.005376         224        24        13 wait4
    table = _only_table(SUMMARY / "exim-c-f.txt")
    assert table.columns == CLASSIC
    assert table.rows[0] == SummaryRow(
        syscall="wait4", calls=24, errors=13, time_percent=26.7, seconds=0.005376, usecs_per_call=224, line=3
    )


def test_summary_blank_errors_zero():
    #  16.55    0.003333           4       742           mmap
    row = _only_table(SUMMARY / "exim-c-f.txt").row("mmap")
    assert row.errors == 0
    assert row.calls == 742


def test_summary_wall_clock_poll():
    #  98.84    5.586000      253909        22         7 poll
    row = _only_table(SUMMARY / "exim-c-w-f.txt").row("poll")
    assert row.time_percent == 98.84
    assert row.seconds == 5.586
    assert row.usecs_per_call == 253909


def test_summary_sorted_by_calls():
    table = _only_table(SUMMARY / "py-threads-c-f-w-S-calls.txt")
    calls = [row.calls for row in table.rows]
    assert calls == sorted(calls, reverse=True)


def test_summary_chosen_columns():
    # wait4                     35         9  72.23    0.004814         137 0.000000 0.001557
    table = _only_table(SUMMARY / "sh-signals-c-f-U-columns.txt")
    assert table.columns == (
        "syscall", "calls", "errors", "time_percent", "seconds", "usecs_per_call", "min_seconds", "max_seconds",
    )
    assert table.rows[0] == SummaryRow(
        syscall="wait4", calls=35, errors=9, time_percent=72.23, seconds=0.004814, usecs_per_call=137,
        min_seconds=0.0, max_seconds=0.001557, line=3,
    )
    assert table.row("mmap").errors == 0
    assert table.total.max_seconds == 0.001557


def test_summary_total_blank_average():
    # 100.00    0.000476                    32         3 total
    table = _only_table(CORPUS / "21-strace-issue95-c-summary-sleep.log")
    assert table.total == SummaryRow(
        syscall="total", calls=32, errors=3, time_percent=100.0, seconds=0.000476, usecs_per_call=None, line=17
    )
    assert table.row("access").errors == 3
    assert len(table.rows) == 12


def test_summary_missing_syscall_row():
    assert _only_table(SUMMARY / "exim-c-f.txt").row("io_uring_enter") is None


def test_reader_consumes_only_table():
    path = SUMMARY / "exim-C-f-tt.strace"
    reader = SummaryTableReader(str(path))
    consumed = []
    tables = []
    with path.open("rb") as handle:
        for number, raw in enumerate(read_lines(handle), 1):
            is_table_line, table = reader.feed(number, raw)
            if is_table_line:
                consumed.append(number)
            if table is not None:
                tables.append(table)
    assert consumed == list(range(3857, 3926))
    assert len(tables) == 1
    assert reader.active is False


def test_reader_closes_on_other_line():
    lines = [
        "% time     seconds  usecs/call     calls    errors syscall",
        "------ ----------- ----------- --------- --------- ----------------",
        " 21.85    0.000104          17         6           mmap",
        "1234 close(3) = 0",
    ]
    reader = SummaryTableReader()
    results = [reader.feed(number, raw) for number, raw in enumerate(lines, 1)]
    assert [consumed for consumed, _ in results] == [True, True, True, False]
    table = results[3][1]
    assert table.lines == (1, 2, 3)
    assert table.total is None
    assert [row.syscall for row in table.rows] == ["mmap"]


def test_reader_finish_cut_table():
    reader = SummaryTableReader()
    reader.feed(1, "% time     seconds  usecs/call     calls    errors syscall")
    table = reader.finish()
    assert table.lines == (1,)
    assert table.rows == ()
    assert reader.finish() is None


def test_reader_personality_heading():
    lines = [
        "System call usage summary for 32 bit mode:",
        "% time     seconds  usecs/call     calls    errors syscall",
        "------ ----------- ----------- --------- --------- ----------------",
        " 50.00    0.000010          10         1           read",
        "------ ----------- ----------- --------- --------- ----------------",
        "100.00    0.000020          10         2           total",
    ]
    tables = read_summaries(lines)
    assert len(tables) == 1
    assert tables[0].personality == "32 bit"
    assert tables[0].lines == (1, 2, 3, 4, 5, 6)
    assert tables[0].total.calls == 2


@pytest.mark.parametrize(
    "line",
    [
        "25017 19:54:14.076202 close(3)          = 0",
        "strace: Process 25054 attached",
        "Killed",
        "------ -----",
        " 21.85    0.000104          17         6           mmap",
        "% time is not a header",
    ],
)
def test_reader_ignores_non_tables(line):
    reader = SummaryTableReader()
    assert reader.feed(1, line) == (False, None)
    assert reader.active is False


def test_compare_cpu_and_wall_clock():
    cpu = _only_table(SUMMARY / "exim-c-f.txt")
    wall = _only_table(SUMMARY / "exim-c-w-f.txt")
    changes = compare_summaries(cpu, wall)
    assert changes[0].syscall == "poll"
    assert changes[0].seconds_delta == pytest.approx(5.586 - 0.000138)
    assert changes[0].calls_delta == 0
    assert changes[0].errors_delta == 0
    assert len(changes) == 65


def test_compare_one_sided_syscall():
    threads = _only_table(SUMMARY / "py-threads-c-f.txt")
    shell = _only_table(SUMMARY / "sh-signals-c-f-U-columns.txt")
    changes = {change.syscall: change for change in compare_summaries(threads, shell)}
    assert changes["wait4"].before is None
    assert changes["wait4"].calls_delta == 35
    assert changes["clone3"].after is None
    assert changes["clone3"].calls_delta == -11


def test_cli_summary_compares_tables(capsys):
    status = cli.main(["summary", str(SUMMARY / "exim-c-f.txt"), str(SUMMARY / "exim-c-w-f.txt")])
    lines = capsys.readouterr().out.splitlines()
    assert status == cli.EXIT_CLEAN
    assert lines[0].split() == [
        "syscall", "calls", "before", "calls", "after", "change", "seconds", "before", "seconds", "after", "change",
    ]
    assert lines[1].split() == ["poll", "22", "22", "+0", "0.000138", "5.586000", "+5.585862"]
    assert len(lines) == 66


def test_cli_summary_without_table(capsys):
    trace = str(CAPTURES / "exim" / "traces" / "exim-f-tt-T-yy.strace")
    status = cli.main(["summary", trace, str(SUMMARY / "exim-c-f.txt")])
    assert status == cli.EXIT_ERROR
    assert capsys.readouterr().err == (
        "straceparse: error: %s: no strace summary table found (a header like '%% time     seconds ...'); "
        "summary compares the tables of strace -c or -C; for a trace of the calls themselves, use straceparse "
        "scan or diff\n" % trace
    )


def test_parser_emits_summary_table():
    events = list(parse(CAPTURES / "summary" / "exim-C-f-tt.strace"))
    tables = [event for event in events if event.kind == "summary"]
    assert len(tables) == 1
    assert tables[0].lines[0] == 3857
    assert tables[0].total.calls == sum(row.calls for row in tables[0].rows)
    assert not [event for event in events if event.kind == "unparsed"]


def test_parser_table_rows_not_timestamps():
    events = list(parse(CAPTURES / "summary" / "sh-signals-C-f-r.strace"))
    last_syscall = [event for event in events if event.kind == "syscall"][-1]
    assert events[-1].kind == "summary"
    assert last_syscall.time < 10
