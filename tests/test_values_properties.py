"""Property tests of the argument language: values rendered as strace prints them parse back equal."""

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from straceparse import ParseError, parse_arguments
from straceparse.arguments import read_arguments
from straceparse.grammar import parse_arguments_with_lark
from straceparse.values import (
    AbstractName,
    AddressOf,
    Array,
    BitSet,
    Call,
    Changed,
    Comment,
    Commented,
    CString,
    EMPTY_FLAG,
    Decorated,
    Flags,
    Member,
    Operation,
    Resuming,
    Struct,
    Symbol,
    decode_c_string,
    encode_c_string,
    render,
)

IDENTIFIER_START = string.ascii_letters + "_"
IDENTIFIER_REST = IDENTIFIER_START + string.digits

names = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(IDENTIFIER_START),
    st.text(IDENTIFIER_REST, max_size=12),
).filter(lambda name: name != "NULL")

integers = st.integers(min_value=-(2**63), max_value=2**64)
symbols = st.builds(Symbol, names)
strings = st.builds(CString, st.binary(max_size=40), st.booleans())
comment_text = st.text(string.ascii_letters + string.digits + " |_-.:", max_size=20).map(str.strip).filter(
    lambda text: text and "*/" not in text
)
# A decoration ending in "-" renders as "...->", which reads as the "->" of a socket's
# address pair; docs/limits.md lists it.
decoration_text = st.text(string.ascii_letters + string.digits + "/:.[]_-", min_size=1, max_size=30).filter(
    lambda text: not text.endswith(("(deleted)", "-"))
)

atoms = st.one_of(
    integers,
    symbols,
    strings,
    st.just(None),
    st.builds(AddressOf, names),
    st.builds(AbstractName, st.builds(CString, st.binary(max_size=20))),
    st.builds(Decorated, st.integers(min_value=0, max_value=4096), decoration_text, st.booleans()),
    st.builds(Resuming, names),
)
terms = st.one_of(
    atoms,
    st.builds(Commented, st.one_of(integers, symbols), comment_text),
    st.builds(Operation, st.sampled_from(["*", "<<"]), st.one_of(integers, symbols), st.one_of(integers, symbols)),
)
expressions = st.one_of(
    terms,
    st.builds(Flags, st.lists(st.one_of(integers, symbols, st.builds(Commented, integers, comment_text)), min_size=2, max_size=5).map(tuple)),
    # -X raw's flag set with an empty first part: |0x900
    st.builds(lambda items: Flags((EMPTY_FLAG,) + items), st.lists(st.one_of(integers, symbols), min_size=1, max_size=4).map(tuple)),
    st.builds(Changed, integers, integers, st.sampled_from(["->", "=>"])),
    st.builds(Operation, st.just("=="), st.builds(Call, names, st.just((Symbol("s"),))), st.one_of(integers, symbols)),
)


def containers(children):
    items = st.lists(st.one_of(children, st.just(Ellipsis)), max_size=4).map(tuple)
    members = st.lists(st.one_of(children, st.builds(Member, names, children), st.just(Ellipsis)), max_size=4).map(tuple)
    bits = st.one_of(st.integers(min_value=0, max_value=1024), symbols)
    return st.one_of(
        st.builds(Struct, members),
        st.builds(Array, items),
        st.builds(Call, names, items),
        st.builds(BitSet, st.lists(bits, min_size=2, max_size=5).map(tuple), st.just(False)),
        st.builds(BitSet, st.lists(bits, max_size=5).map(tuple), st.just(True)),
    )


values = st.recursive(expressions, containers, max_leaves=12)
arguments = st.lists(st.one_of(values, st.builds(Member, names, values), st.builds(Comment, comment_text)), max_size=6).map(
    tuple
)


@settings(max_examples=400, deadline=None)
@given(arguments)
def test_rendered_arguments_parse_back(args):
    text = ", ".join(render(value) for value in args)
    assert parse_arguments(text) == args


@given(st.binary(max_size=200))
def test_c_string_round_trip(data):
    assert decode_c_string(encode_c_string(data)) == data


@given(st.binary(max_size=64))
def test_string_argument_round_trip(data):
    assert parse_arguments(encode_c_string(data)) == (CString(data),)


# ---------------------------------------------------------------- the hand-written reader
# parse_arguments tries straceparse.arguments first; these hold it to the grammar.


@settings(max_examples=400, deadline=None)
@given(arguments)
def test_reader_matches_grammar_on_rendered(args):
    text = ", ".join(render(value) for value in args)
    assert read_arguments(text) == parse_arguments_with_lark(text)


# Pieces of the argument language, valid and not, joined at random: the reader
# must read what the grammar reads, equal, and decline the rest.
FRAGMENTS = [
    "NULL", "a", "NULLX", "1", "-1", "0x1f", "0755", "0X1", ",", ", ", " ", "\t", "=", "==", "|", "->", "=>",
    "&&", "<<", "*", "...", '"s"', '"\\n"', "/* c */", "<x>", "<a<b>>", "(deleted)", "<unfinished ...>",
    "<... resuming interrupted poll ...>", "<", "-", "(", ")", "[", "]", "{", "}", "~", "&", "@", "\n",
]


def grammar_or_none(text):
    try:
        return parse_arguments_with_lark(text)
    except ParseError:
        return None


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join))
def test_reader_matches_grammar_on_fragments(text):
    values = read_arguments(text)
    if values is not None:
        assert values == grammar_or_none(text)
