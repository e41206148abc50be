"""Reading ``strace -ff`` file sets as one trace, over the real captures."""

import json
import shutil

import pytest

from straceparse import cli, scan
from straceparse.errors import InputError
from straceparse.traceset import TraceSet, group_sources, trace_file, trace_set

from conftest import CAPTURES, EXIM_TRACES

FF_SETS = [
    # directory, files, non-blank lines, merged by time
    (EXIM_TRACES / "exim-ff-tt-T", 42, 9035, True),
    (EXIM_TRACES / "exim-ff-plain", 42, 9035, False),
    (CAPTURES / "http" / "traces" / "http-server-ff", 7, 1779, False),
    (CAPTURES / "signals" / "traces" / "sh-signals-ff", 18, 2111, False),
    (CAPTURES / "threads" / "traces" / "py-threads-ff", 12, 1126, False),
]

# Sessions that waited out the 200 ms poll after QUIT, from exim/analysis-summary.txt.
EXIM_TIMEOUT_PIDS = {
    "exim-ff-tt-T": [14355, 14415, 14416, 14429, 14432, 14457, 14458, 14491],
    "exim-ff-plain": [14526, 14529, 14530, 14543, 14546, 14549, 14550, 14563],
}


@pytest.mark.parametrize("directory, files, lines, merged", FF_SETS, ids=lambda value: getattr(value, "name", None))
def test_trace_set_reads_every_line(directory, files, lines, merged):
    traces = trace_set(directory)
    events = list(traces.events())
    assert len(traces.files) == files
    assert traces.merged is merged
    assert traces.lines == lines
    assert traces.unparsed == 0
    assert sum(len(event.lines) for event in events) == lines


@pytest.mark.parametrize("directory, files, lines, merged", FF_SETS, ids=lambda value: getattr(value, "name", None))
def test_trace_set_pids_from_names(directory, files, lines, merged):
    traces = trace_set(directory)
    pid_of_file = {item.path: item.pid for item in traces.files}
    for event in traces.events():
        assert event.pid == pid_of_file[event.file], (event.file, event.line)


@pytest.mark.parametrize("directory, files, lines, merged", FF_SETS, ids=lambda value: getattr(value, "name", None))
def test_trace_set_keeps_file_order(directory, files, lines, merged):
    # Within each file, line numbers rise: merging never reorders one file.
    last_line = {}
    for event in trace_set(directory).events():
        assert event.line > last_line.get(event.file, 0)
        last_line[event.file] = event.line


def test_merged_set_in_time_order():
    times = [event.time for event in trace_set(EXIM_TRACES / "exim-ff-tt-T").events()]
    assert all(time is not None for time in times)
    assert times == sorted(times)


def test_merged_set_interleaves_files():
    files = [event.file for event in trace_set(EXIM_TRACES / "exim-ff-tt-T").events()]
    switches = sum(1 for before, after in zip(files, files[1:]) if before != after)
    assert switches > 41


def test_unmerged_set_follows_pid_order():
    traces = trace_set(EXIM_TRACES / "exim-ff-plain")
    pids = [event.pid for event in traces.events()]
    assert pids == sorted(pids)
    assert traces.files[0].pid == 14520


def test_parent_clone_precedes_child():
    # The daemon's clone that made pid 14355 comes before 14355's first event.
    first_of_child = None
    clone_line = None
    for position, event in enumerate(trace_set(EXIM_TRACES / "exim-ff-tt-T").events()):
        if event.kind == "syscall" and event.syscall == "clone" and event.retval == 14355:
            clone_line = position
        if event.pid == 14355 and first_of_child is None:
            first_of_child = position
    assert clone_line is not None
    assert clone_line < first_of_child


@pytest.mark.parametrize("name, cost_source", [("exim-ff-tt-T", "duration"), ("exim-ff-plain", "timeout")])
def test_scan_exim_ff_directory(name, cost_source):
    report = scan(EXIM_TRACES / name, select=["poll-timeout-before-close"])
    assert sorted(finding.pid for finding in report.findings) == EXIM_TIMEOUT_PIDS[name]
    assert {finding.cost_source for finding in report.findings} == {cost_source}
    assert {finding.fd for finding in report.findings} == {6}
    assert report.summary["unparsed"] == 0
    assert len(report.summary["files"]) == 42


def test_scan_exim_ff_costs():
    timed = scan(EXIM_TRACES / "exim-ff-tt-T", select=["poll-timeout-before-close"])
    plain = scan(EXIM_TRACES / "exim-ff-plain", select=["poll-timeout-before-close"])
    assert all(0.2002 < finding.cost_seconds < 0.2004 for finding in timed.findings)
    assert [finding.cost_seconds for finding in plain.findings] == [0.2] * 8


def test_finding_names_its_file():
    report = scan(EXIM_TRACES / "exim-ff-tt-T", select=["poll-timeout-before-close"])
    for finding in report.findings:
        assert finding.file.endswith("exim.%d" % finding.pid)
        assert {evidence.file for evidence in finding.evidence} == {finding.file}


def test_scan_listed_ff_files_as_one():
    paths = sorted((EXIM_TRACES / "exim-ff-tt-T").iterdir())
    as_files = scan(*paths, select=["poll-timeout-before-close"])
    as_directory = scan(EXIM_TRACES / "exim-ff-tt-T", select=["poll-timeout-before-close"])
    assert [finding.to_dict() for finding in as_files.findings] == [
        finding.to_dict() for finding in as_directory.findings
    ]


def test_scan_ff_prefix_as_directory():
    # The name given to strace -ff -o is not a file: its PREFIX.PID files are read.
    as_prefix = scan(str(EXIM_TRACES / "exim-ff-tt-T" / "exim"), select=["poll-timeout-before-close"])
    as_directory = scan(EXIM_TRACES / "exim-ff-tt-T", select=["poll-timeout-before-close"])
    assert [finding.to_dict() for finding in as_prefix.findings] == [
        finding.to_dict() for finding in as_directory.findings
    ]
    assert len(as_prefix.summary["files"]) == 42


def test_file_given_twice_read_once():
    prefix = str(EXIM_TRACES / "exim-ff-tt-T" / "exim")
    twice = scan(prefix, prefix + ".14417", select=["poll-timeout-before-close"])
    assert twice.summary["events"] == 9035
    assert len(twice.summary["files"]) == 42


def test_missing_path_not_a_prefix():
    with pytest.raises(InputError, match="cannot open trace: No such file or directory"):
        scan(str(EXIM_TRACES / "exim-ff-tt-T" / "exi"))


def test_group_sources_keeps_f_logs_apart():
    log = EXIM_TRACES / "exim-f-tt-T-yy.strace"
    ff_file = EXIM_TRACES / "exim-ff-tt-T" / "exim.14355"
    grouped = group_sources([log, ff_file, "-"])
    assert grouped[0] == log
    assert isinstance(grouped[1], TraceSet)
    assert grouped[2] == "-"


def test_group_sources_pid_named_f_log(tmp_path):
    # A strace -f log (pid column on every line) stays a trace of its own, whatever its name.
    copy = tmp_path / "run.25017"
    shutil.copy(CAPTURES / "summary" / "exim-C-f-tt.strace", copy)
    assert group_sources([copy]) == [copy]


def test_group_sources_passes_lines_through():
    lines = ["1234 close(3) = 0\n"]
    assert group_sources([lines]) == [lines]


def test_trace_file_without_pid():
    with pytest.raises(InputError) as caught:
        trace_file("traces/exim.log")
    assert str(caught.value) == (
        "traces/exim.log: not a file of strace -ff: its name does not end in .PID (like exim.14349); "
        "scan it on its own instead"
    )


def test_trace_set_empty_directory(tmp_path):
    with pytest.raises(InputError) as caught:
        trace_set(tmp_path)
    assert str(caught.value) == "%s: no strace -ff files (named PREFIX.PID) in this directory" % tmp_path


def test_trace_set_two_prefixes(tmp_path):
    shutil.copy(EXIM_TRACES / "exim-ff-plain" / "exim.14520", tmp_path / "exim.14520")
    shutil.copy(EXIM_TRACES / "exim-ff-plain" / "exim.14526", tmp_path / "other.14526")
    with pytest.raises(InputError) as caught:
        trace_set(tmp_path)
    assert str(caught.value) == (
        "files of 2 strace -ff runs given as one trace (prefixes %s, %s); scan each run on its own"
        % (tmp_path / "exim", tmp_path / "other")
    )


def test_cli_scan_ff_directory(capsys):
    status = cli.main(["scan", "--format", "json", str(EXIM_TRACES / "exim-ff-plain")])
    report = json.loads(capsys.readouterr().out)
    assert status == cli.EXIT_FINDINGS
    assert report["summary"]["findings"] == 8
    assert report["summary"]["cost_seconds"] == 1.6
    assert report["summary"]["events"] == 9035


def test_directory_extra_file_reported(tmp_path):
    for path in sorted((EXIM_TRACES / "exim-ff-tt-T").iterdir()):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "README.txt").write_text("notes about the run\n")
    report = scan(str(tmp_path), select=["poll-timeout-before-close"])
    assert report.summary["skipped_files"] == [str(tmp_path / "README.txt")]
    assert len(report.findings) == 8
