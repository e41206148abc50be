"""-y/-yy decorations on real lines: where each one ends, and the fd target it names.

The lines come from fixtures/captures/decorations/, made with strace 6.1.  They
name paths that end in "-" (``3</tmp/sp-gaps/build->``) and paths with "->",
"<" and spaces, which strace escapes as ``\\76`` and ``\\74``.  They also name a
pipe and sockets whose decorations contain "->" and quoted Unix socket paths.
"""

from __future__ import annotations

import re

import pytest
from conftest import CAPTURES

from straceparse import Syscall, parse
from straceparse.arguments import read_arguments
from straceparse.grammar import parse_arguments_with_lark, strace_parser
from straceparse.values import DECORATION_PATTERN, Decorated, parse_decoration

PYTHON_TRACE = CAPTURES / "decorations" / "py-fd-decorations-f-tt-T-yy.strace"
SHELL_TRACE = CAPTURES / "decorations" / "sh-dash-path-f-tt-T-yy.strace"


def _calls(path):
    return {event.lines[0]: event for event in parse(path) if isinstance(event, Syscall)}


@pytest.fixture(scope="module")
def python_calls():
    return _calls(PYTHON_TRACE)


@pytest.fixture(scope="module")
def shell_calls():
    return _calls(SHELL_TRACE)


def _path(path, deleted=False):
    target = {"kind": "path", "path": path}
    if deleted:
        target["deleted"] = True
    return target


BUILD = _path("/tmp/sp-gaps/build-")
BUILD_DELETED = _path("/tmp/sp-gaps/build-", deleted=True)
OUT = _path("/tmp/sp-gaps/out-")
ARROW = _path("/tmp/sp-gaps/a->b")
UNIX_LISTENER = {"kind": "socket", "protocol": "UNIX-STREAM", "inode": 138497, "path": "sock->"}
UNIX_ACCEPTED = {"kind": "socket", "protocol": "UNIX-STREAM", "inode": 138506, "peer_inode": 138502, "path": "sock->"}
TCP_ACCEPTED = {
    "kind": "socket",
    "protocol": "TCP",
    "local": {"address": "127.0.0.1", "port": 33515},
    "peer": {"address": "127.0.0.1", "port": 47398},
}

# (line of py-fd-decorations-f-tt-T-yy.strace, the targets of its decorated
# arguments in order, the target of its decorated return value or None)
PYTHON_CASES = [
    # openat(AT_FDCWD</tmp/sp-gaps>, "build-", ...) = 3</tmp/sp-gaps/build-> <0.000044>
    (541, [_path("/tmp/sp-gaps")], BUILD),
    # openat(AT_FDCWD</tmp/sp-gaps>, "a->b", ...) = 4</tmp/sp-gaps/a-\76b> <0.000020>
    (543, [_path("/tmp/sp-gaps")], ARROW),
    # openat(AT_FDCWD</tmp/sp-gaps>, "a<b c", ...) = 6</tmp/sp-gaps/a\74b c> <0.000019>
    (545, [_path("/tmp/sp-gaps")], _path("/tmp/sp-gaps/a<b c")),
    # copy_file_range(3</tmp/sp-gaps/build->, [0], 5</tmp/sp-gaps/out->, [0], 5, 0) = 5
    (547, [BUILD, OUT], None),
    # sendfile(5</tmp/sp-gaps/out->, 3</tmp/sp-gaps/build->, [0] => [5], 5) = 5
    (548, [OUT, BUILD], None),
    # dup2(3</tmp/sp-gaps/build->, 6</tmp/sp-gaps/a-\76b>) = 6</tmp/sp-gaps/build->
    (550, [BUILD, ARROW], BUILD),
    # splice(3</tmp/sp-gaps/build->, [0], 8<pipe:[138477]>, NULL, 5, 0) = 5
    (552, [BUILD, {"kind": "pipe", "inode": 138477}], None),
    # newfstatat(3</tmp/sp-gaps/build->(deleted), "", {...}, AT_EMPTY_PATH) = 0
    (555, [BUILD_DELETED], None),
    # close(6</tmp/sp-gaps/build->(deleted)) = 0
    (556, [BUILD_DELETED], None),
    # accept4(3<TCP:[127.0.0.1:33515]>, {...}, [16], SOCK_CLOEXEC) = 9<TCP:[127.0.0.1:33515->127.0.0.1:47398]>
    (684, [{"kind": "socket", "protocol": "TCP", "local": {"address": "127.0.0.1", "port": 33515}}], TCP_ACCEPTED),
    # socketpair(AF_UNIX, ..., [11<UNIX-STREAM:[138491->138492]>, 12<UNIX-STREAM:[138492->138491]>]) = 0
    (688, [], None),
    # accept4(13<UNIX-STREAM:[138497,"sock->"]>, {sa_family=AF_UNIX}, [110 => 2], SOCK_CLOEXEC)
    #   = 15<UNIX-STREAM:[138506->138502,"sock->"]>
    (698, [UNIX_LISTENER], UNIX_ACCEPTED),
    # recvfrom(15<UNIX-STREAM:[138506->138502,"sock->"]>, "y", 1, 0, NULL, NULL) = 1
    (701, [UNIX_ACCEPTED], None),
]


def _targets(values):
    return [value.target.to_dict() for value in values if isinstance(value, Decorated)]


@pytest.mark.parametrize("line, arguments, retval", PYTHON_CASES, ids=[str(case[0]) for case in PYTHON_CASES])
def test_decorated_argument_targets(python_calls, line, arguments, retval):
    assert _targets(python_calls[line].args) == arguments


@pytest.mark.parametrize("line, arguments, retval", PYTHON_CASES, ids=[str(case[0]) for case in PYTHON_CASES])
def test_decorated_retval_target(python_calls, line, arguments, retval):
    target = python_calls[line].retval_target
    assert (target.to_dict() if target is not None else None) == retval


@pytest.mark.parametrize("line, arguments, retval", PYTHON_CASES, ids=[str(case[0]) for case in PYTHON_CASES])
def test_decorated_line_reader_matches_grammar(python_calls, line, arguments, retval):
    text = python_calls[line].args_text
    assert read_arguments(text) == parse_arguments_with_lark(text)


def test_socketpair_array_of_decorations(python_calls):
    (array,) = [value for value in python_calls[688].args if type(value).__name__ == "Array"]
    targets = _targets(array.items)
    assert targets[0] == {"kind": "socket", "protocol": "UNIX-STREAM", "inode": 138491, "peer_inode": 138492}
    assert targets[1] == {"kind": "socket", "protocol": "UNIX-STREAM", "inode": 138492, "peer_inode": 138491}


# (line of sh-dash-path-f-tt-T-yy.strace, the targets of its decorated arguments)
SHELL_CASES = [
    # dup2(3</tmp/sp-gaps/build->, 4) = 4</tmp/sp-gaps/build->
    (51, [BUILD]),
    # read(0</tmp/sp-gaps/build->, "", 131072) = 0
    (188, [BUILD]),
    # dup2(11</dev/null<char 1:3>>, 0</tmp/sp-gaps/build->) = 0</dev/null<char 1:3>>
    (199, [{"kind": "path", "path": "/dev/null", "device": "char 1:3"}, BUILD]),
]


@pytest.mark.parametrize("line, arguments", SHELL_CASES, ids=[str(case[0]) for case in SHELL_CASES])
def test_shell_dash_path_targets(shell_calls, line, arguments):
    assert _targets(shell_calls[line].args) == arguments


@pytest.mark.parametrize("path", [PYTHON_TRACE, SHELL_TRACE], ids=["python", "shell"])
def test_decorated_capture_args_all_parse(path):
    failures = [event.lines for event in parse(path) if isinstance(event, Syscall) and event.to_dict()["args"] is None]
    assert failures == []


# The text between the angle brackets, as strace 6.1 printed it in the captures,
# and what parse_decoration makes of it.
DECORATION_TEXTS = [
    (r"/tmp/sp-gaps/a-\76b", ARROW),
    (r"/tmp/sp-gaps/a\74b c", _path("/tmp/sp-gaps/a<b c")),
    ('UNIX-STREAM:[138497,"sock->"]', UNIX_LISTENER),
    ('UNIX-STREAM:[138506->138502,"sock->"]', UNIX_ACCEPTED),
]


@pytest.mark.parametrize("decoration, expected", DECORATION_TEXTS)
def test_parse_decoration_escapes_and_peers(decoration, expected):
    assert parse_decoration(decoration).to_dict() == expected


# (text after the fd, the decoration token the pattern takes from it)
DECORATION_ENDS = [
    ("</tmp/sp-gaps/build->, [0], 5</tmp/sp-gaps/out->, [0], 5, 0", "</tmp/sp-gaps/build->"),
    ("</tmp/sp-gaps/build->(deleted), \"\"", "</tmp/sp-gaps/build->(deleted)"),
    ("<TCP:[127.0.0.1:33515->127.0.0.1:47398]>, \"ping\"", "<TCP:[127.0.0.1:33515->127.0.0.1:47398]>"),
    ("<TCPv6:[[::1]:2525->[::1]:40000]>, 1", "<TCPv6:[[::1]:2525->[::1]:40000]>"),
    ('<UNIX-STREAM:[138506->138502,"sock->"]>, "y"', '<UNIX-STREAM:[138506->138502,"sock->"]>'),
    ("</dev/null<char 1:3>>, 0</tmp/sp-gaps/build->", "</dev/null<char 1:3>>"),
]


@pytest.mark.parametrize("text, token", DECORATION_ENDS)
def test_decoration_pattern_end(text, token):
    assert re.match(DECORATION_PATTERN, text).group(0) == token


def test_decoration_pattern_same_in_grammar():
    # lark reads the "\n" escape of the .lark file into a newline character.
    pattern = strace_parser().get_terminal("DECORATION").pattern.value
    assert pattern.replace("\n", r"\n") == DECORATION_PATTERN
