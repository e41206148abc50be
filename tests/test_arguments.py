"""The hand-written argument reader against the grammar it implements.

The reader may decline any text (lark then reads it), but whatever it reads
must come out equal to what the grammar's ``arguments`` rule gives.
"""

import functools

import pytest
from conftest import FIXTURES

from straceparse import ParseError
from straceparse.arguments import read_arguments
from straceparse.errors import StraceparseError
from straceparse.grammar import parse_arguments_with_lark
from straceparse.parser import parse_file
from straceparse.values import EMPTY_FLAG, BitSet, Flags, Member, Operation, Struct, Symbol

FIXTURE_FILES = sorted(path for path in FIXTURES.rglob("*") if path.is_file())


def argument_texts(path):
    """Yield every argument text in ``path``: each call's, each half of a split call's, each siginfo."""
    try:
        for event in parse_file(path):
            if event.kind == "syscall":
                yield event.args_text
                if event.split is not None:
                    yield event.args_text[: event.split]
                    yield event.args_text[event.split :]
            elif event.kind == "signal" and event.info_text:
                yield event.info_text
    except StraceparseError:
        return  # not a trace (an archive member list, a script)


def lark_or_none(text):
    try:
        return parse_arguments_with_lark(text)
    except ParseError:
        return None


@functools.lru_cache(maxsize=None)
def graded_texts(path):
    """Return each distinct argument text of ``path`` with the grammar's values for it, or None when it rejects it."""
    return tuple((text, lark_or_none(text)) for text in dict.fromkeys(argument_texts(path)))


def all_graded_texts():
    return [graded for path in FIXTURE_FILES for graded in graded_texts(path)]


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda path: str(path.relative_to(FIXTURES)))
def test_reader_matches_grammar_on_fixture(path):
    for text, expected in graded_texts(path):
        values = read_arguments(text)
        if values is None:
            continue
        assert expected is not None, "reader accepts text the grammar rejects: %r" % text
        assert values == expected, text


def test_reader_reads_every_valid_fixture_text():
    declined = [text for text, expected in all_graded_texts() if expected is not None and read_arguments(text) is None]
    assert declined == []


def test_reader_declines_invalid_fixture_texts():
    invalid = [text for text, expected in all_graded_texts() if expected is None]
    assert invalid, "the fixtures contain no invalid argument text to check"
    assert [text for text in invalid if read_arguments(text) is not None] == []


# Texts where lark's contextual lexer reads a token by parser state in a way the
# reader does not model, so the reader must leave them to lark.
DECLINED_CASES = [
    ("unfinished marker after a number", "5 <unfinished ...>"),
    ("NULL as a bit set member", "[A NULL]"),
    ("resuming text as a decoration", "5<... resuming interrupted poll ...>"),
    ("upper-case hex prefix", "0X10"),
    ("newline inside the text", "1,\n2"),
    ("unterminated string", '"abc'),
    ("two commas in a row", "1,, 2"),
    ("leading bar after ==", "1 == |2"),
    ("leading bar after &&", "a && |1"),
]


@pytest.mark.parametrize("case, text", DECLINED_CASES, ids=[case for case, _ in DECLINED_CASES])
def test_reader_declines_unmodelled_shape(case, text):
    assert read_arguments(text) is None


def test_null_member_of_bit_set_via_grammar():
    assert parse_arguments_with_lark("[A NULL]") == (BitSet((Symbol("A"), Symbol("NULL"))),)


# Shapes the grammar allows that real traces rarely print.
READ_CASES = [
    ("leading and trailing commas", ", 1, 2,", (1, 2)),
    ("lone comma", ",", ()),
    ("empty text", "", ()),
    ("spaces and tabs only", " \t ", ()),
    ("octal and negative hex", "0755, -0x10", (0o755, -16)),
    ("NULL-prefixed name", "NULLX", (Symbol("NULLX"),)),
    ("leading bar in a struct", "{a=|0x1|B}", (Struct((Member("a", Flags((EMPTY_FLAG, 1, Symbol("B")))),)),)),
    ("leading bar compared", "|0x1 == 1", (Operation("==", Flags((EMPTY_FLAG, 1)), 1),)),
]


@pytest.mark.parametrize("case, text, expected", READ_CASES, ids=[case for case, _, _ in READ_CASES])
def test_reader_reads_rare_shape(case, text, expected):
    assert read_arguments(text) == expected
    assert parse_arguments_with_lark(text) == expected
