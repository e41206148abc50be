"""The strace dialects: prefixes, timestamps, decorations, frames, noise, and accounting for every line."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import subprocess
import sys

import pytest

from straceparse import Exit, Message, Signal, Syscall, Unparsed, parse, parse_lines
from straceparse.cli import main
from straceparse.events import UNPARSED_REASONS
from straceparse.values import Decorated, parse_decoration

from conftest import CAPTURES, CORPUS, EXIM_TRACES

# Every strace text file among the fixtures: the corpus logs and every capture
# except the ftrace ones, the capture scripts and the ground-truth files.
STRACE_FILES = sorted(CORPUS.glob("*.log")) + sorted(
    path
    for path in CAPTURES.rglob("*")
    if path.is_file()
    and "ftrace" not in path.parts
    and path.suffix not in (".md", ".jsonl", ".py", ".sh")
    and not path.name.startswith("results-")
)


def _ids(paths):
    return [str(path.relative_to(path.parents[1])) for path in paths]


def _events(text: str):
    return list(parse_lines(io.StringIO(text)))


def _only(text: str):
    events = _events(text)
    assert len(events) == 1, events
    return events[0]


# ---------------------------------------------------------------- prefixes and timestamps

# (line, pid, timestamp, timestamp_kind, syscall); the first rows are real lines
# from the fixtures, the rest follow strace's documented formats for flags
# the fixtures lack (-i, -n, -Y, ns precision, integer -ttt).
PREFIX_CASES = [
    ("13513      0.001003 brk(NULL)           = 0x560d4bb7b000", 13513, 0.001003, "relative", "brk"),
    ("[pid 14169]      0.000061 alarm(300)    = 0", 14169, 0.000061, "relative", "alarm"),
    ("[pid  5173] futex(0x7f5, FUTEX_WAKE_PRIVATE, 1) = 0", 5173, None, None, "futex"),
    ("14293 19:25:08.540474 brk(NULL)         = 0x56362b524000 <0.000008>", 14293, 69908.540474, "clock", "brk"),
    ("[pid 1231632]      0.000 read(7, \"QUIT\\r\\n\", 8191) = 6", 1231632, 0.0, "relative", "read"),
    ("1796412345.123456 close(3) = 0", None, 1796412345.123456, "epoch", "close"),
    ("1796412345 close(3) = 0", None, 1796412345.0, "epoch", "close"),
    ("14300 1796412345 close(3) = 0", 14300, 1796412345.0, "epoch", "close"),
    ("19:25:08.123456789 close(3) = 0 <0.000012345>", None, 69908.123456789, "clock", "close"),
    ("19:25:08 (+     0.000123) close(3) = 0", None, 0.000123, "relative", "close"),
    ("19:25:08 close(3) = 0", None, 69908.0, "clock", "close"),
    ("1234<bash> close(3) = 0", 1234, None, None, "close"),
    ("[pid  1234<bash>] close(3) = 0", 1234, None, None, "close"),
    ("[00007f52679d5b47] close(3) = 0", None, None, None, "close"),
    ("[????????????????] close(3) = 0", None, None, None, "close"),
    ("[  3] close(3) = 0", None, None, None, "close"),
    # strace -f -tt -n -i (fixtures/captures/flags/true-f-tt-n-i.strace): the number comes before the pointer.
    ("20715 22:02:33.280383 [   3] [00007f899c1b8a07] close(3) = 0", 20715, 79353.280383, "clock", "close"),
    ("    exit_group(0)                           = ?", None, None, None, "exit_group"),
]


@pytest.mark.parametrize("line, pid, timestamp, kind, syscall", PREFIX_CASES)
def test_prefix_fields_per_dialect(line, pid, timestamp, kind, syscall):
    event = _only(line + "\n")
    assert event.pid == pid
    assert event.timestamp == (pytest.approx(timestamp, abs=1e-9) if timestamp is not None else None)
    assert event.timestamp_kind == kind
    assert event.syscall == syscall


@pytest.mark.parametrize("line, pid, timestamp, kind, syscall", PREFIX_CASES)
def test_prefix_renders_back(line, pid, timestamp, kind, syscall):
    assert _only(line + "\n").render() == [line]


def test_comm_and_pointer_fields():
    event = _only("20715 22:02:33.280383 [   3] [00007f899c1b8a07] close(3) = 0\n")
    assert event.ip == 0x7F899C1B8A07
    assert event.syscall_number == 3
    assert _only("1234<bash> close(3) = 0\n").comm == "bash"


def test_epoch_nanoseconds_render_back():
    # strace --absolute-timestamps=format:unix,precision:ns: more digits than the float holds.
    first = next(iter(parse(CAPTURES / "flags" / "sh-ls-f-ttt-ns-T.strace")))
    assert first.timestamp_kind == "epoch"
    assert first.layout[0].stamp_text == "1796429225.357934497"
    assert first.render() == list(first.raw)


def test_clock_midnight_wrap():
    first, second = _events("23:59:59.900000 close(3) = 0\n00:00:00.100000 close(4) = 0\n")
    assert second.time - first.time == pytest.approx(0.2)


def test_relative_stamps_sum_over_resumed():
    events = _events("     0.500000 read(3,  <unfinished ...>\n     0.250000 <... read resumed>\"\", 1) = 0\n     0.250000 close(3) = 0\n")
    assert [event.time for event in events] == [pytest.approx(0.5), pytest.approx(1.0)]


# ---------------------------------------------------------------- -y / -yy

DECORATIONS = [
    ("TCP:[127.0.0.1:2525->127.0.0.1:37478]", {"kind": "socket", "protocol": "TCP", "local": {"address": "127.0.0.1", "port": 2525}, "peer": {"address": "127.0.0.1", "port": 37478}}),
    ("TCP:[127.0.0.1:2525]", {"kind": "socket", "protocol": "TCP", "local": {"address": "127.0.0.1", "port": 2525}}),
    ("TCPv6:[[::1]:2525->[::1]:40000]", {"kind": "socket", "protocol": "TCPv6", "local": {"address": "::1", "port": 2525}, "peer": {"address": "::1", "port": 40000}}),
    ("TCP:[4242]", {"kind": "socket", "protocol": "TCP", "inode": 4242}),
    ("UNIX-STREAM:[33105->33106]", {"kind": "socket", "protocol": "UNIX-STREAM", "inode": 33105, "peer_inode": 33106}),
    ('UNIX-STREAM:[33101,@"/tmp/.X11-unix/X0"]', {"kind": "socket", "protocol": "UNIX-STREAM", "inode": 33101, "path": "@/tmp/.X11-unix/X0"}),
    ("pipe:[256639555]", {"kind": "pipe", "inode": 256639555}),
    ("/dev/null<char 1:3>", {"kind": "path", "path": "/dev/null", "device": "char 1:3"}),
    ("/etc/passwd", {"kind": "path", "path": "/etc/passwd"}),
    ("anon_inode:[eventpoll]", {"kind": "anon_inode", "path": "eventpoll"}),
]


@pytest.mark.parametrize("decoration, expected", DECORATIONS)
def test_decoration_typed_target(decoration, expected):
    assert parse_decoration(decoration).to_dict() == expected


def test_decorated_argument_deleted_file():
    line = "14300 19:25:09.334917 close(4</srv/lab/trace-captures/exim/spool/msglog/1xZYu5-0003id-0z>(deleted)) = 0 <0.000018>\n"
    (argument,) = _only(line).args
    assert isinstance(argument, Decorated)
    assert argument.target.deleted
    assert argument.target.path == "/srv/lab/trace-captures/exim/spool/msglog/1xZYu5-0003id-0z"


def test_decorated_return_value():
    line = "14561 16:35:02.506310 <... accept4 resumed> {sa_family=AF_INET, sin_port=htons(48638), sin_addr=inet_addr(\"127.0.0.1\")}, [16], SOCK_CLOEXEC) = 8<TCP:[127.0.0.1:3920->127.0.0.1:48638]> <0.000012>\n"
    event = _only(line)
    assert event.retval == 8
    assert event.retval_target.peer == ("127.0.0.1", 48638)
    assert event.started is False


def test_nested_decoration_argument():
    (argument, _, _) = _only('read(0</dev/null<char 1:3>>, "", 4096) = 0\n').args
    assert argument.target.device == "char 1:3"


# ---------------------------------------------------------------- -k frames and hexdumps


def test_stack_frames_attach_to_call():
    events = list(parse(CAPTURES / "stack" / "poller-f-k-tt-poll.strace"))
    first = events[0]
    assert first.syscall == "poll"
    assert len(first.stack) == 16
    assert first.stack[0].function == "poll"
    assert first.stack[0].offset == 0x10
    assert first.stack[0].address == 0xFC230


def test_stack_after_signal_line():
    signals = [event for event in parse(CAPTURES / "stack" / "sh-true-f-k.strace") if event.kind == "signal"]
    assert [(event.lines[0], len(event.stack)) for event in signals] == [(780, 12), (1170, 12)]
    assert signals[0].stack[0].function == "wait4"
    assert signals[0].render() == list(signals[0].raw)


def test_stack_after_exit_line():
    events = list(parse(CORPUS / "26-strace-pr268-kk-stack-srcinfo.log"))
    exit_event = [event for event in events if isinstance(event, Exit)][0]
    assert exit_event.stack[-1].module == "/usr/bin/ls"
    assert exit_event.stack[0].source == "../sysdeps/unix/sysv/linux/_exit.c:30"


def test_hexdump_attaches_to_read():
    events = list(parse(CAPTURES / "binary" / "gzip-blob-s4096-hexdump-read3-write1.strace"))
    read = [event for event in events if isinstance(event, Syscall) and event.dump is not None][0]
    assert read.dump[:4] == b"\x7fELF"
    assert not [event for event in events if isinstance(event, Unparsed)]


# ---------------------------------------------------------------- noise and joins


def test_attach_message_inside_clone_line():
    events = [event for event in parse(EXIM_TRACES / "exim-f-r-s128-stderr.strace") if 636 in event.lines or getattr(event, "inside", None) == 636]
    message, clone = events
    assert isinstance(message, Message)
    assert message.lines == ()
    assert message.inside == 636
    assert message.target == 14166
    assert clone.lines == (636, 637)
    assert clone.retval == 14166


def test_attach_message_before_unfinished():
    clone = [event for event in parse(EXIM_TRACES / "exim-f-r-s128-stderr.strace") if 763 in event.lines][0]
    assert clone.lines == (763, 764, 766)
    assert clone.retval == 14167


def test_write_with_glued_output():
    path = CAPTURES / "http" / "traces" / "http-server-f-r-s128-stderr.strace"
    write = [event for event in parse(path) if 1579 in event.lines][0]
    assert write.lines == (1579, 1580)
    assert write.retval == 60
    assert write.args[2] == 60


# Lines of `strace -f ls /nope1 /nope2 2>&1 >/dev/null`: ls printed its error into the lines of its writes.
INLINE_OUTPUT = [
    ("ls-missing-f-r-stderr-piped.strace", 140, '2, "ls: ", 4', "ls: "),
    ("ls-missing-f-r-stderr-piped.strace", 141, "2, \"cannot access '/nope1'\", 22", "cannot access '/nope1'"),
    ("ls-missing-f-tt-T-stderr-piped.strace", 145, '2, ": No such file or directory", 27', ": No such file or directory"),
]


@pytest.mark.parametrize("name, line, args_text, output", INLINE_OUTPUT)
def test_write_with_inline_output(name, line, args_text, output):
    write = [event for event in parse(CAPTURES / "stderr" / name) if line in event.lines][0]
    assert write.lines == (line,)
    assert write.args_text == args_text
    assert write.args[2] == write.retval
    assert [cut[2] for cut in write.cuts] == [output]


# Calls that print to fd 1 in a log written to the same file (`> FILE 2>&1`): cat's copy_file_range,
# and a write, sendfile and splice of copy_out.py.  The output may end before the call's ")".
PRINTED_OUTPUT = [
    ("cat-copy-f-tt-T-mixed.strace", (93, 95), "copy_file_range", "3, NULL, 1, NULL, 9223372035781033984, 0", 24, ["hello world"]),
    ("cat-copy-f-tt-T-mixed.strace", (150,), "copy_file_range", "3, NULL, 1, NULL, 9223372035781033984, 0", 3, ["abc"]),
    ("py-copy-out-f-tt-T-mixed.strace", (1, 2), "write", '1, "one\\ntwo", 7', 7, ["one", "two"]),
    ("py-copy-out-f-tt-T-mixed.strace", (3, 5), "sendfile", "1, 3, NULL, 4096", 24, ["hello world"]),
    ("py-copy-out-f-tt-T-mixed.strace", (7, 8), "splice", "4, NULL, 1, NULL, 64, 0", 28, ["spliced line", "and no line end"]),
]


@pytest.mark.parametrize("name, lines, syscall, args_text, retval, output", PRINTED_OUTPUT)
def test_call_with_printed_output(name, lines, syscall, args_text, retval, output):
    call = [event for event in parse(CAPTURES / "stderr" / name) if lines[0] in event.lines][0]
    assert call.lines == lines
    assert call.syscall == syscall
    assert call.args_text == args_text
    assert call.retval == retval
    assert [cut[2] for cut in call.cuts if cut[2]] == output


@pytest.mark.parametrize("name, line", [("cat-copy-f-tt-T-mixed.strace", 94), ("py-copy-out-f-tt-T-mixed.strace", 4)])
def test_printed_output_line_unparsed(name, line):
    noise = [event for event in parse(CAPTURES / "stderr" / name) if line in event.lines][0]
    assert noise.reason == "program-output"


def test_output_end_count_mismatch_unjoined():
    # The same lines as copy_out.py's write, with a return value its output does not add up to.
    events = _events('01:00:03.279897 write(1, "one\\ntwo", 7one\ntwo) = 6 <0.000010>\n')
    assert [event.reason for event in events] == ["program-output", "incomplete"]


def test_multiline_program_output():
    events = list(parse(CORPUS / "19-iputils-ping-dns-poll5000-multiline-stdout.log"))
    write = [event for event in events if 8 in event.lines][0]
    noise = [event for event in events if event.lines == (9,)][0]
    assert write.lines == (8, 10)
    assert write.retval == 157
    assert noise.reason == "program-output"


def test_wrapped_lines_joined():
    events = list(parse(CORPUS / "00-exim-bug3142-strace-r-ms.log"))
    joined = {event.lines: event for event in events}
    assert joined[(2, 3)].syscall == "newfstatat"
    assert joined[(14, 15)].retval_text == "-1 EAGAIN (Resource temporarily unavailable)"
    assert not [event for event in events if isinstance(event, Unparsed)]


def test_debug_lines_around_call():
    events = list(parse(CORPUS / "25-wsl-strace-dv-debug-interleaved.log"))
    brk = [event for event in events if isinstance(event, Syscall) and event.syscall == "brk"][0]
    assert brk.lines == (15, 16)
    assert brk.retval == 0x76E000
    assert {event.reason for event in events if isinstance(event, Unparsed) and event.line in (6, 12, 13)} == {"debug"}


def test_crlf_line_ends():
    assert _only("close(3) = 0\r\n").retval == 0


def test_pid_inferred_for_last_process():
    poll = [event for event in parse(EXIM_TRACES / "exim-f-r-s128-stderr.strace") if 1395 in event.lines][0]
    assert poll.pid == 14061
    assert poll.pid_inferred
    assert poll.lines == (1326, 1395)


def test_pid_not_inferred_without_f():
    events = _events("clone(child_stack=NULL, flags=SIGCHLD) = 42\nclose(3) = 0\n")
    assert events[1].pid is None


# ---------------------------------------------------------------- unfinished and resumed

def test_resumed_without_start():
    event = _only("[pid  5173] <... futex resumed> ) = 0\n")
    assert event.started is False
    assert event.finished is True


def test_unfinished_never_resumed():
    event = _only("[pid  5173] futex(0x7f5, FUTEX_WAIT, 0, NULL <unfinished ...>\n")
    assert event.finished is False
    assert event.render() == ["[pid  5173] futex(0x7f5, FUTEX_WAIT, 0, NULL <unfinished ...>"]


# The first line of exim-f-tt-T-yy.strace, cut by head -c after its pid, and inside its stamp.
CUT_AFTER_PID = ["14293 ", "14293 19:25:0", "[pid 14293] "]


@pytest.mark.parametrize("line", CUT_AFTER_PID)
def test_line_cut_after_pid_incomplete(line):
    (event,) = list(parse_lines([line]))
    assert event.reason == "incomplete"
    assert event.detail == "the line stops after its pid"


# The second line of exim-f-tt-T-yy.strace, cut by head -c inside its -T duration.
CUT_IN_DURATION = [
    "14293 19:25:08.540474 brk(NULL)         = 0x56362b524000 <0.0000",
    "14293 19:25:08.540474 brk(NULL)         = 0x56362b524000 <0.",
    "14293 19:25:08.540474 brk(NULL)         = 0x56362b524000 <",
]


@pytest.mark.parametrize("line", CUT_IN_DURATION)
def test_line_cut_in_duration_incomplete(line):
    (event,) = list(parse_lines([line]))
    assert event.reason == "incomplete"
    assert event.detail == "the line stops inside its -T duration"


def test_line_whole_duration_parses():
    (event,) = list(parse_lines(["14293 19:25:08.540474 brk(NULL)         = 0x56362b524000 <0.000008>"]))
    assert event.duration == 0.000008


def test_unprefixed_start_resumes_with_pid():
    # strace -f to stderr: "vfork(" has no pid until the child exists, then "[pid  8360] <... vfork resumed>".
    events = list(parse(CAPTURES / "stderr" / "sh-fork-f-stderr.strace"))
    vfork = [event for event in events if 66 in event.lines][0]
    assert vfork.lines == (66, 67, 70)
    assert (vfork.pid, vfork.retval, vfork.started, vfork.finished) == (8360, 8361, True, True)
    assert vfork.render() == list(vfork.raw)


# Split calls whose halves print different -Y names or -i addresses, or a pid column on one half only.
SPLIT_PREFIXES = [
    ("sh-f-i.strace", 73, "7748  [00007fcf7f3dead7] execve("),
    ("sh-f-Y.strace", 73, "7784<sh> execve("),
    ("py-fork-f-tt-T-yy-i-n-Y-stderr.strace", 1284, "[pid  8564<python3>] 00:13:26.242233 [  61] [00007ff1b0ef1bd3] wait4("),
]


@pytest.mark.parametrize("name, line, start", SPLIT_PREFIXES)
def test_split_call_halves_render_own_prefix(name, line, start):
    call = [event for event in parse(CAPTURES / "flags" / name) if line in event.lines][0]
    assert call.render()[0].startswith(start)
    assert call.render() == list(call.raw)


def test_verbose_comments_arguments_parse():
    calls = [event for event in parse(CAPTURES / "flags" / "sh-ls-f-X-verbose-y.strace") if event.kind == "syscall"]
    assert [event.lines for event in calls if event.try_args() is None] == []


# Lines of sh-ls-f-X-verbose-y.strace: -X verbose comments in a signal set and before an -y decoration.
VERBOSE_ARGUMENTS = [
    (33, 1, "BitSet(items=(Commented(value=32, comment='RTMIN'), Commented(value=33, comment='RT_1')), negated=True)"),
    (39, 0, "Decorated(value=Commented(value=-100, comment='AT_FDCWD'), decoration='/tmp/xv', deleted=False)"),
]


@pytest.mark.parametrize("line, index, expected", VERBOSE_ARGUMENTS)
def test_verbose_comment_values(line, index, expected):
    call = [event for event in parse(CAPTURES / "flags" / "sh-ls-f-X-verbose-y.strace") if line in event.lines][0]
    value = call.args[index]
    if line == 33:
        value = value.items[1].value  # sa_mask in the sigaction struct
    assert repr(value) == expected


def test_unmarked_resume_joins_call():
    # strace -z: "8228  00:13:14.515423 wait4(8230,  <unfinished ...>" then "[{WIFSIGNALED(s) ...}], 0, NULL) = 8230 <0.000666>".
    wait = [event for event in parse(CAPTURES / "flags" / "py-fork-f-tt-T-z.strace") if 1142 in event.lines][0]
    assert wait.lines == (1142, 1143)
    assert (wait.syscall, wait.pid, wait.retval, wait.duration) == ("wait4", 8228, 8230, 0.000666)
    assert wait.render() == list(wait.raw)


def test_resumed_itself_unfinished():
    events = _events("[pid  5173] futex(0x7f5, FUTEX_WAIT, 0, NULL <unfinished ...>\n[pid  5173] <... futex resumed> <unfinished ...>) = ?\n")
    (event,) = events
    assert event.lines == (1, 2)
    assert event.finished is False
    assert event.retval is None


def test_child_runs_before_clone_returns():
    text = (
        "[pid 24701] clone(child_stack=NULL, flags=SIGCHLD <unfinished ...>\n"
        "[pid 24704] set_robust_list(0x7fd8a9318a20, 24) = 0\n"
        "[pid 24701] <... clone resumed>, child_tidptr=0x7fd8a9318a10) = 24704\n"
    )
    robust, clone = _events(text)
    assert robust.pid == 24704
    assert clone.lines == (1, 3)
    assert clone.retval == 24704


def test_restart_and_signal_stop_forms():
    events = _events(
        "restart_syscall(<... resuming interrupted poll ...>) = 1\n"
        "wait4(-1, 0x7ffd, 0, NULL) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)\n"
        "--- stopped by SIGSTOP ---\n"
        "getpid() = ? <unavailable>\n"
        "close(3) = 0 (INJECTED)\n"
    )
    assert events[0].args[0].syscall == "poll"
    assert events[1].errno == "ERESTARTSYS"
    assert isinstance(events[2], Signal) and events[2].stopped
    assert events[3].retval is None
    assert [event.render() for event in events[3:]] == [["getpid() = ? <unavailable>"], ["close(3) = 0 (INJECTED)"]]


# ---------------------------------------------------------------- accounting for every line


def _nonblank_lines(path):
    with open(path, "rb") as handle:
        return [number for number, line in enumerate(handle.read().split(b"\n"), 1) if line.strip()]


@pytest.mark.parametrize("path", STRACE_FILES, ids=_ids(STRACE_FILES))
def test_every_line_cited_once(path):
    cited = [number for event in parse(path) for number in event.lines]
    assert sorted(cited) == _nonblank_lines(path)


@pytest.mark.parametrize("path", STRACE_FILES, ids=_ids(STRACE_FILES))
def test_unparsed_reasons_are_known(path):
    reasons = {event.reason for event in parse(path) if isinstance(event, Unparsed)}
    assert reasons <= set(UNPARSED_REASONS)


@pytest.mark.parametrize("path", STRACE_FILES, ids=_ids(STRACE_FILES))
def test_events_render_back(path):
    for event in parse(path):
        if isinstance(event, (Syscall, Signal, Exit)):
            assert event.render() == list(event.raw), event.lines


def _three_ways(path):
    """Feed one log whole, line by line, and with its first lines cut (as when strace attaches)."""
    text = path.read_bytes().decode("utf-8", "surrogateescape")
    whole = list(parse_lines(io.StringIO(text)))
    by_line = list(parse_lines(iter(text.splitlines(keepends=True))))
    lines = text.splitlines(keepends=True)
    cut = 5
    tail = list(parse_lines(iter(lines[cut:])))
    return whole, by_line, tail, cut


@pytest.mark.parametrize("path", STRACE_FILES[:40], ids=_ids(STRACE_FILES[:40]))
def test_three_feeds_agree(path):
    whole, by_line, tail, cut = _three_ways(path)
    assert whole == by_line
    cited = sorted(number + cut for event in tail for number in event.lines)
    assert cited == [number for number in _nonblank_lines(path) if number > cut]


def test_cli_parse_accounts_for_lines(capsys):
    path = CORPUS / "23-lkml-seccomp-email-quoted-printable-wrapped.log"
    assert main(["parse", str(path)]) == 0
    objects = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    cited = sorted(number for item in objects for number in item["lines"])
    assert cited == _nonblank_lines(path)
    unparsed = sum(1 for item in objects if item["kind"] == "unparsed")
    assert main(["scan", "--format", "json", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["unparsed"] == unparsed


def test_cli_parse_unparsed_object(capsys):
    path = CORPUS / "21-strace-issue95-c-summary-sleep.log"
    main(["parse", str(path)])
    first = json.loads(capsys.readouterr().out.splitlines()[0])
    assert first["kind"] == "unparsed"
    assert first["lines"] == [1]
    assert first["reason"] == "not-strace"
    assert first["column"] == 1


@pytest.mark.parametrize("path", STRACE_FILES, ids=_ids(STRACE_FILES))
def test_scan_and_parse_unparsed_agree(path, capsys):
    events = list(parse(path))
    unparsed = sum(1 for event in events if isinstance(event, Unparsed))
    status = main(["scan", "--format", "json", str(path)])
    if unparsed == len(events):
        # A file with no trace line at all (a program's own output) is an input error.
        assert status == 2
        assert "none of its %d lines could be read" % unparsed in capsys.readouterr().err
        return
    assert json.loads(capsys.readouterr().out)["summary"]["unparsed"] == unparsed


# ---------------------------------------------------------------- input


@pytest.mark.parametrize("opener, suffix", [(gzip.open, ".gz"), (lzma.open, ".xz"), (bz2.open, ".bz2")])
def test_compressed_input(tmp_path, opener, suffix):
    path = tmp_path / ("trace.log" + suffix)
    with opener(path, "wb") as handle:
        handle.write(b"close(3) = 0\n")
    (event,) = list(parse(path))
    assert event.syscall == "close"


def test_invalid_utf8_kept():
    event = _only(io.BytesIO(b'write(1, "\xff\xfe", 2) = 2\n').read().decode("utf-8", "surrogateescape"))
    assert event.args[1].data == b"\xff\xfe"
    assert event.render() == ['write(1, "\udcff\udcfe", 2) = 2']


def test_cli_parse_stdin():
    result = subprocess.run(
        [sys.executable, "-m", "straceparse", "parse", "-"], input=b"close(3) = 0\n", capture_output=True, check=True
    )
    assert json.loads(result.stdout)["syscall"] == "close"


def test_frame_without_call_is_orphan():
    events = _events(" > /usr/bin/curl() [0xe9a1]\nclose(3) = 0\n")
    assert events[0].reason == "orphan-frame"
    assert events[1].syscall == "close"


def test_attach_message_cuts_argument_list():
    path = CAPTURES / "stderr" / "sh-spawn-f-tt-T-stderr.strace"
    lines = path.read_text().splitlines()
    assert lines[79].endswith('newfstatat(AT_FDCWD, "/root/.cargo/bin/sleep", strace: Process 28434 attached')
    events = [event for event in parse(path) if 80 in event.lines]
    assert [event.kind for event in events] == ["syscall"]
    assert events[0].lines == (80, 81)
    assert events[0].errno == "ENOENT"
    assert events[0].render() == lines[79:81]
