"""The strace grammar, one construct at a time, over real lines from the fixtures.

Each case is a line copied from a capture or a corpus file, the path to one
value inside the parsed event, and the value expected there.
"""

import pytest
from conftest import CAPTURES

from straceparse import ParseError, parse_arguments
from straceparse.events import Exit, Signal, Syscall
from straceparse.grammar import parse_line_tree
from straceparse.parser import parse_lines
from straceparse.values import (
    AbstractName,
    Array,
    BitSet,
    Call,
    Changed,
    Comment,
    Commented,
    CString,
    Decorated,
    Flags,
    Member,
    Operation,
    Resuming,
    Struct,
    Symbol,
)


def only_event(line):
    events = list(parse_lines([line]))
    assert len(events) == 1, events
    return events[0]


# (construct, real line, index of the argument, expected value)
ARGUMENT_CASES = [
    (
        "decimal and hex integers",
        "13513      0.000890 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f55c39e7000",
        4,
        -1,
    ),
    (
        "NULL",
        "13513      0.000890 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f55c39e7000",
        0,
        None,
    ),
    (
        "flag set",
        "24374      0.000050 openat(AT_FDCWD, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = 3",
        2,
        Flags((Symbol("O_RDONLY"), Symbol("O_CLOEXEC"))),
    ),
    (
        "C string",
        "24374      0.000050 openat(AT_FDCWD, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = 3",
        1,
        CString(b"/etc/ld.so.cache"),
    ),
    (
        "C string escapes",
        '[pid 14169]      0.000026 read(6, "QUIT\\r\\n", 8191) = 6',
        1,
        CString(b"QUIT\r\n"),
    ),
    (
        "array of structs",
        "[pid 14169]      0.000033 poll([{fd=6, events=POLLIN}], 1, 200) = 0 (Timeout)",
        0,
        Array((Struct((Member("fd", 6), Member("events", Symbol("POLLIN")))),)),
    ),
    (
        "struct with elision and makedev call",
        '14293 19:25:08.567294 newfstatat(2</dev/null<char 1:3>>, "", {st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}, AT_EMPTY_PATH) = 0 <0.000008>',
        2,
        Struct(
            (
                Member("st_mode", Flags((Symbol("S_IFCHR"), 0o666))),
                Member("st_rdev", Call("makedev", (1, 3))),
                Ellipsis,
            )
        ),
    ),
    (
        "nested -yy decoration",
        '14293 19:25:08.567294 newfstatat(2</dev/null<char 1:3>>, "", {st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}, AT_EMPTY_PATH) = 0 <0.000008>',
        0,
        Decorated(2, "/dev/null<char 1:3>"),
    ),
    (
        "htons and inet_addr calls",
        '14293 19:25:09.305114 accept(4<TCP:[127.0.0.1:2525]>, {sa_family=AF_INET, sin_port=htons(37478), sin_addr=inet_addr("127.0.0.1")}, [28 => 16]) = 5<TCP:[127.0.0.1:2525->127.0.0.1:37478]> <0.000013>',
        1,
        Struct(
            (
                Member("sa_family", Symbol("AF_INET")),
                Member("sin_port", Call("htons", (37478,))),
                Member("sin_addr", Call("inet_addr", (CString(b"127.0.0.1"),))),
            )
        ),
    ),
    (
        "value-result with spaced arrow",
        '14293 19:25:09.305114 accept(4<TCP:[127.0.0.1:2525]>, {sa_family=AF_INET, sin_port=htons(37478), sin_addr=inet_addr("127.0.0.1")}, [28 => 16]) = 5<TCP:[127.0.0.1:2525->127.0.0.1:37478]> <0.000013>',
        2,
        Array((Changed(28, 16, "=>"),)),
    ),
    (
        "value-result with tight arrow",
        '17:09:54.582146 accept4(5, {sa_family=AF_INET, sin_port=htons(33378), sin_addr=inet_addr("127.0.0.1")}, [128->16], SOCK_NONBLOCK) = 8',
        2,
        Array((Changed(128, 16),)),
    ),
    (
        "comment after a value",
        '13513      0.000000 execve("/usr/sbin/exim4", ["/usr/sbin/exim4", "-C", "/srv/lab/trace-captures/exim/exim-minimal.conf", "-bdf"], 0x7ffc3e152a38 /* 37 vars */) = 0',
        2,
        Commented(0x7FFC3E152A38, "37 vars"),
    ),
    (
        "negated signal set",
        "[pid  6329] rt_sigprocmask(SIG_BLOCK, [HUP], ~[KILL SEGV STOP TTIN RTMIN RT_1], 8) = 0",
        2,
        BitSet(tuple(Symbol(name) for name in ("KILL", "SEGV", "STOP", "TTIN", "RTMIN", "RT_1")), negated=True),
    ),
    (
        "one-member signal set",
        "[pid  6329] rt_sigprocmask(SIG_BLOCK, [HUP], ~[KILL SEGV STOP TTIN RTMIN RT_1], 8) = 0",
        1,
        Array((Symbol("HUP"),)),
    ),
    (
        "named arguments of clone",
        "14293 19:25:09.307075 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7fa3ec5e4c50) = 14299 <0.000380>",
        0,
        Member("child_stack", None),
    ),
    (
        "product in a struct",
        "13513      0.000155 prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0",
        3,
        Struct((Member("rlim_cur", Operation("*", 8192, 1024)), Member("rlim_max", Symbol("RLIM64_INFINITY")))),
    ),
    (
        "abstract unix socket name",
        '13513      0.000087 bind(3, {sa_family=AF_UNIX, sun_path=@"/srv/lab/trace-captures/exim/spool/exim_daemon_notify"}, 56) = 0',
        1,
        Struct(
            (
                Member("sa_family", Symbol("AF_UNIX")),
                Member("sun_path", AbstractName(CString(b"/srv/lab/trace-captures/exim/spool/exim_daemon_notify"))),
            )
        ),
    ),
    (
        "decoded wait status",
        "13513      0.000035 wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], WNOHANG, NULL) = 13524",
        1,
        Array(
            (
                Struct(
                    (
                        Operation(
                            "&&",
                            Call("WIFEXITED", (Symbol("s"),)),
                            Operation("==", Call("WEXITSTATUS", (Symbol("s"),)), 0),
                        ),
                    )
                ),
            )
        ),
    ),
    (
        "deleted file decoration",
        "14300 19:25:09.334917 close(4</srv/lab/trace-captures/exim/spool/msglog/1xZYu5-0003id-0z>(deleted)) = 0 <0.000018>",
        0,
        Decorated(4, "/srv/lab/trace-captures/exim/spool/msglog/1xZYu5-0003id-0z", deleted=True),
    ),
    (
        "restart_syscall argument",
        "restart_syscall(<... resuming interrupted clock_nanosleep ...>) = ? ERESTART_RESTARTBLOCK (Interrupted by signal)",
        0,
        Resuming("clock_nanosleep"),
    ),
    (
        "X verbose comments inside flags",
        "24612 socket(0x1 /* AF_UNIX */, 0x1 /* SOCK_STREAM */|0x80800 /* SOCK_CLOEXEC|SOCK_NONBLOCK */, 0) = 3",
        1,
        Flags((Commented(1, "SOCK_STREAM"), Commented(0x80800, "SOCK_CLOEXEC|SOCK_NONBLOCK"))),
    ),
    (
        "old positional timespec",
        "[pid  5173] futex(0x7faf3c0bce54, FUTEX_WAIT_BITSET_PRIVATE, 1, {4309, 256843419}, ffffffff <unfinished ...>",
        3,
        Struct((4309, 256843419)),
    ),
]


@pytest.mark.parametrize("construct, line, index, expected", ARGUMENT_CASES, ids=[c[0] for c in ARGUMENT_CASES])
def test_argument_construct(construct, line, index, expected):
    event = only_event(line)
    assert isinstance(event, Syscall)
    assert event.args[index] == expected


def test_truncated_string_from_capture():
    line = (CAPTURES / "exim" / "traces" / "exim-f-r-s128.strace").read_text().splitlines()[18]
    assert line.startswith('13513      0.000271 read(3, "\\177ELF')
    data = only_event(line).args[1]
    assert data.truncated
    assert data.data[:8] == b"\x7fELF\x02\x01\x01\x03"
    assert len(data.data) == 128


def test_comment_standing_alone():
    assert parse_arguments("0x7ffc3e152a38, /* 37 vars */") == (0x7FFC3E152A38, Comment("37 vars"))


def test_octal_integer():
    assert parse_arguments("0755") == (0o755,)


# (construct, real line, expected (retval, errno, annotation, duration))
RETVAL_CASES = [
    ("address", "13513      0.001003 brk(NULL)           = 0x560d4bb7b000", (0x560D4BB7B000, None, None, None)),
    (
        "errno with text",
        "13513      0.000180 access(\"/etc/ld.so.preload\", R_OK) = -1 ENOENT (No such file or directory)",
        (-1, "ENOENT", "No such file or directory", None),
    ),
    ("timeout", "[pid 14169]      0.000033 poll([{fd=6, events=POLLIN}], 1, 200) = 0 (Timeout)", (0, None, "Timeout", None)),
    (
        "ready poll annotation",
        "     0.000060 poll([{fd=4, events=POLLIN}, {fd=3, events=POLLIN}], 2, -1) = 1 ([{fd=4, revents=POLLIN}])",
        (1, None, "[{fd=4, revents=POLLIN}]", None),
    ),
    (
        "unknown with restart errno",
        "wait4(-1, 0x7ffccf316220, 0, NULL)      = ? ERESTARTSYS (To be restarted if SA_RESTART is set)",
        (None, "ERESTARTSYS", "To be restarted if SA_RESTART is set", None),
    ),
    ("unknown alone", "[pid 14169]      0.000041 exit_group(0) = ?", (None, None, None, None)),
    (
        "duration and decoration",
        '14293 19:25:09.305114 accept(4<TCP:[127.0.0.1:2525]>, {sa_family=AF_INET, sin_port=htons(37478), sin_addr=inet_addr("127.0.0.1")}, [28 => 16]) = 5<TCP:[127.0.0.1:2525->127.0.0.1:37478]> <0.000013>',
        (5, None, None, 0.000013),
    ),
    (
        "flags annotation",
        "     0.000024 fcntl(7, F_GETFL)         = 0x8c01 (flags O_WRONLY|O_APPEND|O_NONBLOCK|O_LARGEFILE)",
        (0x8C01, None, "flags O_WRONLY|O_APPEND|O_NONBLOCK|O_LARGEFILE", None),
    ),
]


@pytest.mark.parametrize("construct, line, expected", RETVAL_CASES, ids=[c[0] for c in RETVAL_CASES])
def test_return_value(construct, line, expected):
    event = only_event(line)
    retval, errno, annotation, duration = expected
    assert event.retval == retval
    assert event.errno == errno
    assert event.annotation == annotation
    assert event.duration == duration


# (prefix style, real line, expected (pid, timestamp, timestamp kind))
PREFIX_CASES = [
    ("bare pid and -r", "13513      0.001003 brk(NULL)           = 0x560d4bb7b000", (13513, 0.001003, "relative")),
    ("bracket pid and -r", "[pid 14169]      0.000026 read(6, \"QUIT\\r\\n\", 8191) = 6", (14169, 0.000026, "relative")),
    ("no pid and -r", "     0.000037 fcntl(7, F_GETFD)         = 0", (None, 0.000037, "relative")),
    ("bare pid and -tt", "14293 19:25:08.540474 brk(NULL)         = 0x56362b524000 <0.000008>", (14293, 69908.540474, "clock")),
    ("bare pid and -ttt", "24765 1796414023.609622 brk(NULL)       = 0x5640d8605000", (24765, 1796414023.609622, "epoch")),
    ("no pid and -tt", "17:09:53.663154 epoll_wait(3, [{EPOLLIN, {u32=5, u64=5}}], 200, 1000) = 1", (None, 61793.663154, "clock")),
    ("padded bracket pid", "[pid  5173] futex(0x7faf3c0bce28, FUTEX_WAKE_PRIVATE, 1) = 0", (5173, None, None)),
    ("nothing", "brk(NULL)                               = 0x55d2d0ac3000", (None, None, None)),
]


@pytest.mark.parametrize("style, line, expected", PREFIX_CASES, ids=[c[0] for c in PREFIX_CASES])
def test_line_prefix(style, line, expected):
    event = only_event(line)
    pid, timestamp, kind = expected
    assert event.pid == pid
    assert event.timestamp == pytest.approx(timestamp) if timestamp is not None else event.timestamp is None
    assert event.timestamp_kind == kind


def test_signal_line():
    event = only_event(
        "     0.000018 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=14169, si_uid=102, si_status=0, si_utime=0, si_stime=0} ---"
    )
    assert isinstance(event, Signal)
    assert event.signal == "SIGCHLD"
    assert event.info["si_pid"] == 14169


def test_stop_signal_line():
    event = only_event("24695      0.000020 --- stopped by SIGSTOP ---")
    assert isinstance(event, Signal)
    assert event.stopped
    assert event.signal == "SIGSTOP"


EXIT_CASES = [
    ("[pid 14169]      0.000685 +++ exited with 0 +++", (14169, 0, None)),
    ("24374      0.001113 +++ killed by SIGTERM +++", (24374, None, "SIGTERM")),
]


@pytest.mark.parametrize("line, expected", EXIT_CASES)
def test_exit_line(line, expected):
    event = only_event(line)
    assert isinstance(event, Exit)
    assert (event.pid, event.status, event.signal) == expected


def test_grammar_accepts_whole_lines():
    lines = [case[1] for case in ARGUMENT_CASES if "<unfinished" not in case[1]] + [case[1] for case in RETVAL_CASES]
    for line in lines:
        assert parse_line_tree(line) is not None


def test_argument_error_message():
    with pytest.raises(ParseError) as raised:
        parse_arguments("1, (2", file="trace.log", line=7)
    assert str(raised.value).splitlines()[0].startswith("trace.log:7:4: unexpected '(2' at column 4; expected ")
    assert str(raised.value).splitlines()[1:] == ["    1, (2", "       ^"]


def test_lazy_argument_error_names_line():
    event = list(parse_lines(["brk(NULL) = 0", "foo(1, (2) = 0"], file="t.log"))[1]
    assert event.try_args() is None
    with pytest.raises(ParseError) as raised:
        event.args
    assert raised.value.file == "t.log"
    assert raised.value.line == 2
    assert raised.value.column == 8  # of the log line "foo(1, (2) = 0", not of its arguments


# Real lines, each with one damaged argument: the error's line and column point into the log.
ARGUMENT_ERROR_PLACES = [
    # A -X raw line of sh-ls-stat-f-tt-T-X-raw.strace with "&&" put after the flags.
    (['123 statx(AT_FDCWD, "/x", |0x800 &&, 0x2) = 0'], 1, 36),
    # A split poll of exim-f-r-s128.strace with its resumed half damaged.
    (
        [
            "13524      0.000032 poll([{fd=6, events=POLLIN}], 1, 200 <unfinished ...>",
            "13524      0.200326 <... poll resumed>, ,) = 0 (Timeout)",
        ],
        2,
        41,
    ),
]


@pytest.mark.parametrize("lines, line, column", ARGUMENT_ERROR_PLACES)
def test_argument_error_place_in_log(lines, line, column):
    event = [event for event in parse_lines(lines, file="t.log") if event.kind == "syscall"][0]
    with pytest.raises(ParseError) as raised:
        event.args
    assert (raised.value.line, raised.value.column) == (line, column)
    assert raised.value.text == lines[line - 1]
    assert "at column %d" % column in raised.value.reason
