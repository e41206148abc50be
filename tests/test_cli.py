"""The command line, run end to end as a user runs it."""

import io
import json
import os
import subprocess
import sys

import pytest
from conftest import CAPTURES, CORPUS, EXIM_TRACES

from straceparse.cli import main

EXIM = str(EXIM_TRACES / "exim-f-r-s128.strace")
POLL_RULE = ("--rule", "poll-timeout-before-close")


def run(*args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "straceparse", *args], input=stdin, capture_output=True, text=True, check=False
    )


def test_scan_text_exit_status_one():
    result = run("scan", EXIM)
    assert result.returncode == 1
    assert result.stderr == ""


def test_scan_text_prints_evidence():
    out = run("scan", *POLL_RULE, EXIM).stdout
    assert out.startswith(EXIM + ":772: poll-timeout-before-close [high]: poll on socket fd 6 timed out after 200 ms")
    assert "   772 | 13524      0.000032 poll([{fd=6, events=POLLIN}], 1, 200 <unfinished ...>" in out
    assert "8 connections lost 1.60 s to poll timeouts before close\n" in out


def test_scan_json_shape():
    result = run("scan", *POLL_RULE, "--format", "json", EXIM)
    data = json.loads(result.stdout)
    assert set(data) == {"findings", "summary"}
    assert len(data["findings"]) == 8
    first = data["findings"][0]
    for key in ("rule", "file", "pid", "fd", "timeout_ms", "cost_seconds", "lines", "message"):
        assert key in first
    assert first["lines"][:2] == [772, 1260]
    assert data["summary"]["events"] == 9035
    assert data["summary"]["unparsed"] == 0


def test_scan_stdin():
    with open(EXIM) as handle:
        result = run("scan", *POLL_RULE, "--format", "json", "-", stdin=handle.read())
    data = json.loads(result.stdout)
    assert result.returncode == 1
    assert len(data["findings"]) == 8
    assert data["findings"][0]["file"] == "<stdin>"


def test_scan_clean_trace_exit_zero():
    result = run("scan", str(CAPTURES / "flags" / "true-f-tt-n-i.strace"))
    assert result.returncode == 0
    assert "no findings" in result.stdout


def test_scan_summary_table_exit_two():
    # An strace -c table lists no call, so scan checked nothing: not a clean result.
    result = run("scan", str(CORPUS / "21-strace-issue95-c-summary-sleep.log"))
    assert result.returncode == 2
    assert "no trace of calls to check" in result.stdout
    assert "no findings" not in result.stdout


def test_scan_missing_file_exit_two():
    result = run("scan", "no-such-trace.log")
    assert result.returncode == 2
    assert result.stderr == (
        "straceparse: error: no-such-trace.log: cannot open trace: No such file or directory\n"
    )


def test_scan_unknown_rule_exit_two():
    result = run("scan", "--rule", "no-such-rule", EXIM)
    assert result.returncode == 2
    assert result.stderr.startswith("straceparse: error: unknown rule 'no-such-rule'; known rules: ")


def test_usage_error_exit_two():
    result = run("scan")
    assert result.returncode == 2
    assert "error: the following arguments are required: FILE" in result.stderr


def test_main_returns_status(capsys):
    assert main(["scan", *POLL_RULE, "--format", "json", EXIM]) == 1
    assert json.loads(capsys.readouterr().out)["summary"]["findings"] == 8


def test_scan_all_rules_by_default():
    out = run("scan", EXIM).stdout
    assert "8 connections lost 1.60 s to poll timeouts before close\n" in out
    assert EXIM + ":575: idle-gap [low]: pid 13513 ran 0.330 s in user space between getrandom and openat" in out


def test_console_script_runs():
    # The script pip installed beside this Python: the venv's bin need not be on PATH.
    script = os.path.join(os.path.dirname(sys.executable), "straceparse")
    result = subprocess.run([script, "rules"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "\npoll-timeout-before-close\t" in result.stdout


def test_scan_empty_file_exit_two(tmp_path):
    empty = tmp_path / "empty.strace"
    empty.write_text("")
    result = run("scan", str(empty))
    assert result.returncode == 2
    assert result.stderr == "straceparse: error: %s: no lines to read; expected strace or ftrace output\n" % empty


def test_scan_not_a_trace_exit_two():
    readme = str(CAPTURES / "exim" / "analysis-summary.txt")
    result = run("scan", readme)
    assert result.returncode == 2
    assert result.stderr.startswith("straceparse: error: %s: none of its " % readme)
    assert result.stderr.endswith("check that the file is strace or ftrace output\n")


def test_scan_negative_threshold_exit_two():
    result = run("scan", "--set", "idle-gap.min_ms=-5", EXIM)
    assert result.returncode == 2
    assert result.stderr == (
        "straceparse: error: invalid value '-5' for idle-gap.min_ms: expected a number of 0 or more (default 100.0)\n"
    )


def test_scan_names_unparsed_lines():
    path = str(CORPUS / "01-haproxy-pollhup.log")
    out = run("scan", path).stdout
    assert "\nunparsed: %s:26 (not-strace), " % path in out


def test_top_zero_count_exit_two():
    result = run("top", "-n", "0", str(CORPUS / "06-kernel-doc-function-graph-options.ftrace"))
    assert result.returncode == 2
    assert "invalid count '0': expected an integer of 1 or more" in result.stderr


def test_diff_summary_table_exit_two():
    table = str(CAPTURES / "summary" / "exim-c-f.txt")
    result = run("diff", EXIM, table)
    assert result.returncode == 2
    assert result.stderr == (
        "straceparse: error: %s: no syscall to compare; diff reads strace logs "
        "(for -c tables, use straceparse summary)\n" % table
    )


def test_scan_gzip_on_stdin():
    import gzip

    with open(EXIM, "rb") as handle:
        packed = gzip.compress(handle.read())
    result = subprocess.run(
        [sys.executable, "-m", "straceparse", "scan", *POLL_RULE, "--format", "json", "-"],
        input=packed, capture_output=True, check=False,
    )
    assert result.returncode == 1
    assert len(json.loads(result.stdout)["findings"]) == 8


def test_scan_cut_gzip_on_stdin_exit_two():
    import gzip

    with open(EXIM, "rb") as handle:
        packed = gzip.compress(handle.read())[:3000]
    result = subprocess.run(
        [sys.executable, "-m", "straceparse", "scan", "-"], input=packed, capture_output=True, check=False
    )
    assert result.returncode == 2
    assert result.stderr == (
        b"straceparse: error: cannot read compressed input: Compressed file ended before the end-of-stream "
        b"marker was reached; decompress what is there (for example zcat FILE > trace.log) and read that\n"
    )


# ---------------------------------------------------------------- Ctrl-C and standard input


class _InputCutByCtrlC(io.BufferedIOBase):
    """Standard input that gives one block of a trace, then a Ctrl-C while the command waits for more."""

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self._data = data

    def readable(self):
        return True

    def read1(self, size=-1):
        if self._data:
            data, self._data = self._data, b""
            return data
        raise KeyboardInterrupt

    read = read1


def test_scan_stdin_ctrl_c_reports(monkeypatch, capsys):
    with open(EXIM, "rb") as handle:
        data = handle.read()
    monkeypatch.setattr("straceparse.cli.open_trace", lambda path: _InputCutByCtrlC(data))
    assert main(["scan", *POLL_RULE, "-"]) == 1
    out = capsys.readouterr().out
    assert "<stdin>: read until Ctrl-C; the report covers the lines that came before it.\n" in out
    assert "8 connections lost 1.60 s to poll timeouts before close\n" in out


def test_scan_ctrl_c_while_parsing_exits_130(monkeypatch, capsys):
    def interrupted(*sources, **options):
        raise KeyboardInterrupt

    monkeypatch.setattr("straceparse.cli.scan", interrupted)
    assert main(["scan", EXIM]) == 130
    assert capsys.readouterr().err == "straceparse: interrupted\n"


def test_scan_stdin_same_as_file():
    with open(EXIM, "rb") as handle:
        piped = run("scan", "--format", "json", "-", stdin=handle.read().decode("utf-8"))
    from_file = run("scan", "--format", "json", EXIM)
    assert json.loads(piped.stdout)["summary"]["events"] == json.loads(from_file.stdout)["summary"]["events"]
    assert piped.stdout.replace("<stdin>", EXIM) == from_file.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="F_SETPIPE_SZ is Linux's")
def test_command_grows_stdin_pipe():
    # 1032 is F_GETPIPE_SZ.  The entry point grows the pipe before the package loads.
    script = "import fcntl; from straceparse.__main__ import _grow_stdin_pipe; _grow_stdin_pipe(); print(fcntl.fcntl(0, 1032))"
    result = subprocess.run([sys.executable, "-c", script], input="", capture_output=True, text=True, check=True)
    with open("/proc/sys/fs/pipe-max-size") as handle:
        limit = int(handle.read())
    assert int(result.stdout) == (1 << 20 if limit >= 1 << 20 else 65536)


# The first 3 lines of exim-f-r-s128.strace, compressed with `zstd -c` (zstd 1.5.4).
EXIM_HEAD_ZSTD = bytes.fromhex(
    "28b52ffd04585d0700c28e322500a9ac0ea8f8c27ebd3ba8bef81fbe4065cc230ad61ba47a3fc651ad1033b5ddffffd51f5e86ee6e"
    "f0432fc364cdd78f73791c805092c1444d105641d2427441040eabc22a487a8c2e8755b020004516765156f5b878a6f338a9dbf67e9c"
    "eeb68db58c4803305fbf71c4e301990e09d99e764f43bf71844cbccbd57b439f9077685d3013d39b65cdd78f08308bd8053ec28c53b80"
    "a49dd344edb960ee70a6552ef826fcd1469ab447ab993f011062cf0e0113236edc392d36c27735791f080bd8b3ffc56f4e964e80c0b00"
    "ef18795a2e74d5ca5ccd1a87eba24c2f4a5b7a25646e6606e75a000780867672"
)


def _zstandard_installed():
    try:
        import zstandard  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(_zstandard_installed(), reason="the zstandard module reads zstd traces when it is installed")
def test_scan_zstd_without_module_says_so(tmp_path):
    path = tmp_path / "trace.log.zst"
    path.write_bytes(EXIM_HEAD_ZSTD)
    result = run("scan", str(path))
    assert result.returncode == 2
    assert result.stderr == (
        "straceparse: error: %s: the trace is zstd-compressed and the optional zstandard module is not installed; "
        "decompress it first (zstd -d %s) or install the module (pip install zstandard)\n" % (path, path)
    )


@pytest.mark.skipif(_zstandard_installed(), reason="the zstandard module reads zstd traces when it is installed")
def test_scan_zstd_stdin_without_module_says_so():
    result = subprocess.run(
        [sys.executable, "-m", "straceparse", "scan", "-"], input=EXIM_HEAD_ZSTD, capture_output=True, check=False
    )
    assert result.returncode == 2
    assert result.stderr.decode() == (
        "straceparse: error: <stdin>: the trace is zstd-compressed and the optional zstandard module is not "
        "installed; decompress it first (pipe it through zstd -dc) or install the module (pip install zstandard)\n"
    )
