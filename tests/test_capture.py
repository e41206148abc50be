"""Fresh traces taken with the machine's strace: a server that waits out a poll before close.

A small Python program forks a loopback client and serves it: the server
reads QUIT, polls the connection for input with a 150 ms timeout, replies and
closes.  When the client waits for the reply, the poll times out, which
gives one finding.  When the client shuts down its side first, the poll
returns at once and there is no finding.  Skipped where strace is missing or ptrace is not permitted.
"""

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

import straceparse

SERVER = textwrap.dedent(
    """
    import os, select, socket, sys
    mode = sys.argv[1]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    if os.fork() == 0:
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(b"QUIT\\r\\n")
        if mode == "shutwr":
            client.shutdown(socket.SHUT_WR)
        while client.recv(100):
            pass
        os._exit(0)
    conn, _ = listener.accept()
    conn.recv(100)
    poller = select.poll()
    poller.register(conn, select.POLLIN)
    poller.poll(150)
    conn.sendall(b"221 closing\\r\\n")
    conn.close()
    os.wait()
    """
)


def strace_unavailable():
    if shutil.which("strace") is None:
        return "strace is not installed"
    probe = subprocess.run(["strace", "-o", "/dev/null", "true"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return "strace cannot trace here (ptrace not permitted?): " + probe.stderr.strip()[:200]
    return None


RULE = "poll-timeout-before-close"
REASON = strace_unavailable()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


def capture(tmp_path, mode, *flags):
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    log = tmp_path / ("trace-%s.log" % mode)
    subprocess.run(
        ["strace", "-f", *flags, "-o", str(log), sys.executable, str(script), mode],
        check=True,
        timeout=60,
    )
    return log


@pytest.mark.parametrize("flags", [("-r",), ("-tt", "-T"), ("-ttt", "-yy")], ids=["r", "tt-T", "ttt-yy"])
def test_waiting_client_gives_one_finding(tmp_path, flags):
    report = straceparse.scan(str(capture(tmp_path, "wait", *flags)), select=[RULE])
    assert report.summary["unparsed"] == 0
    assert len(report.findings) == 1
    finding = report.findings[0]
    assert finding.timeout_ms == 150
    assert finding.details["ended_by"] == "closed"
    assert 0.149 <= finding.cost_seconds < 2.0


@pytest.mark.parametrize("flags", [("-r",), ("-tt", "-T")], ids=["r", "tt-T"])
def test_client_closing_first_gives_none(tmp_path, flags):
    report = straceparse.scan(str(capture(tmp_path, "shutwr", *flags)), select=[RULE])
    assert report.summary["unparsed"] == 0
    assert report.findings == ()


def test_megabyte_hexdump_attached(tmp_path):
    # Past 0xFFFFF bytes strace widens the hexdump's offset column to six digits.
    log = tmp_path / "dump.strace"
    program = "import os; os.write(1, bytes(range(256)) * 4400)"
    with open(os.devnull, "wb") as sink:
        subprocess.run(
            ["strace", "-e", "trace=write", "-e", "write=1", "-o", str(log), sys.executable, "-c", program],
            stdout=sink, check=True, timeout=120,
        )
    events = list(straceparse.parse(str(log)))
    writes = [event for event in events if event.kind == "syscall" and event.syscall == "write" and event.dump]
    assert [event.kind for event in events if event.kind == "unparsed"] == []
    assert len(writes) == 1
    assert writes[0].dump == bytes(range(256)) * 4400
    assert writes[0].render() == list(writes[0].raw)
