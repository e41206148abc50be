"""The command line, run end to end as a user runs it."""

import json
import subprocess
import sys

from conftest import CORPUS, EXIM_TRACES

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
    result = run("scan", str(CORPUS / "21-strace-issue95-c-summary-sleep.log"))
    assert result.returncode == 0
    assert "no findings" in result.stdout


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
    result = subprocess.run(["straceparse", "rules"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "\npoll-timeout-before-close\t" in result.stdout
