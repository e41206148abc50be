"""Flag sets (``Flags``) over real lines: ``-X raw``'s leading ``|``, and rendering back as printed.

The ``-X raw`` lines come from ``captures/flags/*-X-raw.strace``; every flag
set in every fixture must render back to the text strace printed.
"""

import pytest
from conftest import CAPTURES, FIXTURES

from straceparse.arguments import read_arguments
from straceparse.errors import StraceparseError
from straceparse.grammar import parse_arguments_with_lark
from straceparse.parser import parse_file
from straceparse.values import (
    EMPTY_FLAG,
    Array,
    Call,
    Changed,
    Commented,
    Decorated,
    Flags,
    Member,
    Operation,
    Struct,
    Symbol,
    render,
    to_json,
)

RAW_LS = CAPTURES / "flags" / "sh-ls-stat-f-tt-T-X-raw.strace"
RAW_STAT = CAPTURES / "flags" / "sh-stat-cached-f-tt-T-X-raw.strace"
VERBOSE_LS = CAPTURES / "flags" / "sh-ls-f-X-verbose-y.strace"
MODES = CAPTURES / "flags" / "stat-modes-e-statx.strace"
EXIM_YY = CAPTURES / "exim" / "traces" / "exim-f-tt-T-yy.strace"


def call_at(path, line):
    return [event for event in parse_file(path) if line in event.lines][0]


# (case, capture, line number, argument index, expected value, text strace printed)
RAW_CASES = [
    # 19386 00:49:42.374723 statx(-100, "/", |0x900, 0x25e, {stx_mask=0x17ff, ...}) = 0 <0.000009>
    ("statx empty sync part", RAW_LS, 202, 2, Flags((EMPTY_FLAG, 0x900)), "|0x900"),
    # 19387 00:49:42.384146 statx(-100, "/", |0x900, 0xfff, {stx_mask=0x1fff, ...}) = 0 <0.000008>, from stat /
    ("stat statx empty sync part", RAW_LS, 507, 2, Flags((EMPTY_FLAG, 0x900)), "|0x900"),
    # 20756 00:52:36.159911 statx(-100, "/bin", |0x800, 0xfff, {...}) = 0, from stat -L /bin
    ("statx follow symlinks", RAW_STAT, 609, 2, Flags((EMPTY_FLAG, 0x800)), "|0x800"),
    # 20754 00:52:36.120920 statx(-100, "/", 0x2000|0x100, 0xfff, {...}) = 0, from stat --cached=never
    ("statx force sync", RAW_STAT, 207, 2, Flags((0x2000, 0x100)), "0x2000|0x100"),
    # 20755 00:52:36.140298 statx(-100, "/", 0x4000|0x900, 0xfff, {...}) = 0, from stat --cached=always
    ("statx dont sync", RAW_STAT, 408, 2, Flags((0x4000, 0x900)), "0x4000|0x900"),
    # 19386 00:49:42.374849 socket(0x1, 0x1|0x80800, 0) = 3 <0.000017>
    ("socket type and flags", RAW_LS, 206, 1, Flags((0x1, 0x80800)), "0x1|0x80800"),
]
RAW_IDS = [case[0] for case in RAW_CASES]


@pytest.mark.parametrize("case, path, line, index, expected, printed", RAW_CASES, ids=RAW_IDS)
def test_raw_flags_value_typed(case, path, line, index, expected, printed):
    assert call_at(path, line).args[index] == expected


@pytest.mark.parametrize("case, path, line, index, expected, printed", RAW_CASES, ids=RAW_IDS)
def test_raw_flags_render_as_printed(case, path, line, index, expected, printed):
    assert render(expected) == printed


@pytest.mark.parametrize("case, path, line, index, expected, printed", RAW_CASES, ids=RAW_IDS)
def test_raw_flags_readers_agree(case, path, line, index, expected, printed):
    text = call_at(path, line).args_text
    assert read_arguments(text) is not None, text
    assert read_arguments(text) == parse_arguments_with_lark(text)


@pytest.mark.parametrize("case, path, line, index, expected, printed", RAW_CASES, ids=RAW_IDS)
def test_raw_flags_call_renders_back(case, path, line, index, expected, printed):
    call = call_at(path, line)
    assert call.render() == list(call.raw)


@pytest.mark.parametrize("path", [RAW_LS, RAW_STAT], ids=lambda path: path.name)
def test_raw_capture_every_call_parses(path):
    calls = [event for event in parse_file(path) if event.kind == "syscall"]
    assert calls
    assert [event.lines for event in calls if event.try_args() is None] == []


def test_raw_capture_has_no_unparsed_line():
    kinds = {event.kind for path in (RAW_LS, RAW_STAT) for event in parse_file(path)}
    assert "unparsed" not in kinds


def test_empty_part_left_out_of_names():
    assert Flags((EMPTY_FLAG, 0x900, Symbol("AT_EMPTY_PATH"))).names() == ("AT_EMPTY_PATH",)


def test_empty_part_json_is_empty_symbol():
    assert to_json(Flags((EMPTY_FLAG, 0x900))) == {"type": "flags", "items": [{"type": "symbol", "name": ""}, 0x900]}


def test_verbose_names_the_empty_part():
    # The same statx flags under -X verbose: the part -X raw prints as nothing is 0.
    # -100 /* AT_FDCWD */</tmp/xv>, "/", 0 /* AT_STATX_SYNC_AS_STAT */|0x800 /* AT_NO_AUTOMOUNT */, ...
    statx = [event for event in parse_file(VERBOSE_LS) if event.kind == "syscall" and event.syscall == "statx"][0]
    assert statx.args[2] == Flags((Commented(0, "AT_STATX_SYNC_AS_STAT"), Commented(0x800, "AT_NO_AUTOMOUNT")))


# (case, capture, line number, argument index, struct member, text strace printed there)
MODE_CASES = [
    # statx(AT_FDCWD, "m0", ..., {stx_mask=STATX_ALL|STATX_MNT_ID, stx_attributes=0, stx_mode=S_IFREG|000, ...}) = 0
    ("mode of zero", MODES, 1, 4, "stx_mode", "S_IFREG|000"),
    # statx(AT_FDCWD, "m7", ..., {..., stx_mode=S_IFREG|007, stx_size=0, ...}) = 0
    ("mode of one digit", MODES, 2, 4, "stx_mode", "S_IFREG|007"),
    # 14300 19:25:09.331127 newfstatat(AT_FDCWD</srv/lab/...>, "/var/tmp", {st_mode=S_IFDIR|S_ISVTX|0777, ...}, 0) = 0
    ("mode after sticky bit", EXIM_YY, 1207, 2, "st_mode", "S_IFDIR|S_ISVTX|0777"),
]


@pytest.mark.parametrize(
    "case, path, line, index, member, printed", MODE_CASES, ids=[case[0] for case in MODE_CASES]
)
def test_mode_member_renders_as_printed(case, path, line, index, member, printed):
    assert render(call_at(path, line).args[index][member]) == printed


# (case, value, text render gives): spellings no fixture line holds.
RENDER_CASES = [
    ("zero after a name", Flags((Symbol("O_RDONLY"), 0)), "O_RDONLY|0"),
    ("negative after a name", Flags((Symbol("A"), -16)), "A|-0x10"),
]


@pytest.mark.parametrize("case, value, text", RENDER_CASES, ids=[case[0] for case in RENDER_CASES])
def test_flags_render_number_spelling(case, value, text):
    assert render(value) == text


def flag_sets(value):
    """Yield every Flags inside ``value``, depth first."""
    if isinstance(value, Flags):
        yield value
        children = value.items
    elif isinstance(value, (Struct, Array)):
        children = value.items
    elif isinstance(value, Call):
        children = value.args
    elif isinstance(value, (Member, Commented, Decorated)):
        children = (value.value,)
    elif isinstance(value, Changed):
        children = (value.before, value.after)
    elif isinstance(value, Operation):
        children = (value.left, value.right)
    elif isinstance(value, tuple):
        children = value
    else:
        return
    for child in children:
        yield from flag_sets(child)


FIXTURE_FILES = sorted(path for path in FIXTURES.rglob("*") if path.is_file())


def unprinted_flag_sets(path):
    """Return (line, rendered text) for each flag set of ``path`` whose rendering is not in its call's text."""
    missing = []
    try:
        for event in parse_file(path):
            if event.kind != "syscall":
                continue
            values = event.try_args()
            for flags in flag_sets(values or ()):
                if render(flags) not in event.args_text:
                    missing.append((event.lines[0], render(flags)))
    except StraceparseError:
        pass  # not a trace (a script, a results file)
    return missing


def test_fixture_flag_sets_render_as_printed():
    missing = {str(path.relative_to(FIXTURES)): unprinted_flag_sets(path) for path in FIXTURE_FILES}
    assert {name: sets for name, sets in missing.items() if sets} == {}
