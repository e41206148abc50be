"""Loading the ``.lark`` grammars and turning their parse trees into values.

The strace grammar is built once per process with lark's LALR parser and the
contextual lexer, and the transformer runs inside the parser so no tree is
kept.  :func:`parse_arguments` is the one entry the rest of the package uses;
it raises :class:`~straceparse.errors.ParseError`, never a lark exception.
It tries the hand-written reader of :mod:`straceparse.arguments` first, and
lark only for the texts that reader declines, errors included.
"""

from __future__ import annotations

import functools
import pathlib
from typing import Any, Tuple

import lark
from lark import Transformer

from .arguments import read_arguments
from .errors import ParseError
from .values import (
    EMPTY_FLAG,
    AbstractName,
    AddressOf,
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
    decode_c_string,
    read_decorated,
    read_number,
)

__all__ = ["is_arguments_prefix", "parse_arguments", "parse_arguments_with_lark", "parse_line_tree", "strace_parser"]

GRAMMAR_DIR = pathlib.Path(__file__).with_name("grammars")


class ArgumentTransformer(Transformer):
    """Builds :mod:`straceparse.values` objects from the ``arguments`` rule."""

    def arguments(self, items: list) -> Tuple[Any, ...]:
        return tuple(items)

    def member(self, items: list) -> Member:
        return Member(str(items[0]), items[1])

    def comment(self, items: list) -> Comment:
        return Comment(items[0][2:-2].strip())

    def commented(self, items: list) -> Commented:
        return Commented(items[0], items[1][2:-2].strip())

    def flags(self, items: list) -> Flags:
        return Flags(tuple(items))

    def flags_empty_first(self, items: list) -> Flags:
        return Flags((EMPTY_FLAG,) + tuple(items))

    def changed(self, items: list) -> Changed:
        return Changed(items[0], items[1], "->")

    def changed_spaced(self, items: list) -> Changed:
        return Changed(items[0], items[1], "=>")

    def shift(self, items: list) -> Operation:
        return Operation("<<", items[0], items[1])

    def product(self, items: list) -> Operation:
        return Operation("*", items[0], items[1])

    def equals(self, items: list) -> Operation:
        return Operation("==", items[0], items[1])

    def conjunction(self, items: list) -> Operation:
        result = items[0]
        for item in items[1:]:
            result = Operation("&&", result, item)
        return result

    def number(self, items: list) -> int:
        return read_number(items[0])

    def decorated_number(self, items: list) -> Decorated:
        return read_decorated(read_number(items[0]), items[1])

    def commented_number(self, items: list) -> Commented:
        number, _, comment = items[0].partition(" ")
        return Commented(read_number(number), comment[2:-2].strip())

    def decorated_commented_number(self, items: list) -> Decorated:
        return read_decorated(self.commented_number(items[:1]), items[1])

    def string(self, items: list) -> CString:
        return CString(decode_c_string(items[0]))

    def truncated_string(self, items: list) -> CString:
        return CString(decode_c_string(items[0]), truncated=True)

    def abstract_string(self, items: list) -> AbstractName:
        return AbstractName(CString(decode_c_string(items[0])))

    def resuming(self, items: list) -> Resuming:
        return Resuming(items[0].split()[3])

    def symbol(self, items: list) -> Symbol:
        return Symbol(str(items[0]))

    def decorated_symbol(self, items: list) -> Decorated:
        return read_decorated(Symbol(str(items[0])), items[1])

    def null(self, items: list) -> None:
        return None

    def ellipsis(self, items: list) -> Any:
        return Ellipsis

    def address_of(self, items: list) -> AddressOf:
        return AddressOf(str(items[0]))

    def call(self, items: list) -> Call:
        return Call(str(items[0]), items[1])

    def struct(self, items: list) -> Struct:
        return Struct(items[0])

    def array(self, items: list) -> Array:
        return Array(items[0])

    def bitset(self, items: list) -> BitSet:
        return BitSet(tuple(items))

    def negated_bitset(self, items: list) -> BitSet:
        return BitSet(tuple(items), negated=True)


@functools.lru_cache(maxsize=None)
def strace_parser() -> lark.Lark:
    """Return the strace grammar's LALR parser, built once per process."""
    return lark.Lark.open(
        str(GRAMMAR_DIR / "strace.lark"),
        parser="lalr",
        lexer="contextual",
        start=["line", "arguments"],
        transformer=ArgumentTransformer(),
        maybe_placeholders=False,
    )


def _terminal_text(name: str) -> str:
    """Show a terminal as the text it matches when that is a fixed string (``'('``)."""
    try:
        pattern = strace_parser().get_terminal(name).pattern
    except (KeyError, AttributeError):
        return name
    if isinstance(pattern, lark.lexer.PatternStr):
        return repr(pattern.value)
    return name


def _parse_error(error: lark.exceptions.LarkError, text: str, file: str, line: int | None) -> ParseError:
    column = getattr(error, "column", None)
    if isinstance(error, lark.exceptions.UnexpectedInput) and column is not None and column > 0:
        expected = sorted(
            _terminal_text(name)
            for name in (getattr(error, "expected", None) or getattr(error, "allowed", None) or ())
        )
        if isinstance(error, lark.exceptions.UnexpectedEOF) or column > len(text):
            found = "end of text"
        else:
            found = repr(text[column - 1 : column + 9])
        reason = "unexpected %s at column %d" % (found, column)
        if expected:
            reason += "; expected %s" % ", ".join(expected[:8])
            if len(expected) > 8:
                reason += " (or %d more)" % (len(expected) - 8)
        return ParseError(reason, file=file, line=line, column=column, text=text, expected=tuple(expected))
    if isinstance(error, lark.exceptions.UnexpectedEOF):
        expected = tuple(sorted(_terminal_text(name) for name in error.expected or ()))
        return ParseError(
            "unexpected end of text; expected %s" % ", ".join(expected[:8]),
            file=file,
            line=line,
            column=len(text) + 1,
            text=text,
            expected=expected,
        )
    return ParseError(str(error).splitlines()[0], file=file, line=line, text=text)


# Argument texts repeat (``close(3)``, one fstat per file), and the values
# are frozen, so equal texts can share one result.  On 200k lines of
# `strace -f -tt -T` of `find | xargs md5sum`, about 62% of the texts hit a
# cache of this size, and peak RSS grew by about 6 MB.
ARGUMENT_CACHE_SIZE = 8192


def _parse_with_lark(text: str) -> Tuple[Any, ...]:
    return strace_parser().parse(text, start="arguments")


@functools.lru_cache(maxsize=ARGUMENT_CACHE_SIZE)
def _read_or_parse(text: str) -> Tuple[Any, ...]:
    """Read ``text`` with the hand-written reader, or with lark when the reader declines.

    Raises lark's exceptions, and an error is never cached.
    """
    values = read_arguments(text)
    if values is None:
        values = _parse_with_lark(text)
    return values


def _arguments_or_parse_error(parse: Any, text: str, file: str, line: int | None) -> Tuple[Any, ...]:
    try:
        return parse(text)
    except lark.exceptions.LarkError as error:
        raise _parse_error(error, text, file, line) from None
    except RecursionError:
        raise ParseError("arguments nested too deeply", file=file, line=line, text=text) from None


def parse_arguments(text: str, *, file: str = "<string>", line: int | None = None) -> Tuple[Any, ...]:
    """Parse a syscall's argument text (``6, "QUIT\\r\\n", 8191``) into a tuple of values.

    Raises :class:`ParseError` with the column where the text stops making sense.
    """
    return _arguments_or_parse_error(_read_or_parse, text, file, line)


def parse_arguments_with_lark(text: str, *, file: str = "<string>", line: int | None = None) -> Tuple[Any, ...]:
    """Parse argument text with the grammar alone, bypassing the cache and the hand-written reader.

    The tests use it as the reference that :func:`read_arguments` must match.
    """
    return _arguments_or_parse_error(_parse_with_lark, text, file, line)


def is_arguments_prefix(text: str) -> bool:
    """True when ``text`` is the start of an argument list the grammar could still finish.

    The parser checks it before a wrapped line waits for the line that ends
    the call.  The text so far must lex and parse up to its end, though it
    may lack the rest.  A token cut at the end, such as an open string or
    comment, makes it False.
    """
    try:
        interactive = strace_parser().parse_interactive(text, start="arguments")
        interactive.exhaust_lexer()
    except (lark.exceptions.LarkError, RecursionError):
        return False
    return True


def parse_line_tree(text: str, *, file: str = "<string>", line: int | None = None) -> Any:
    """Parse a whole strace line with the grammar's ``line`` rule and return its tree.

    The parser module uses this to explain lines its fast split rejects, and
    the tests use it to check that split against the grammar.
    """
    try:
        return strace_parser().parse(text, start="line")
    except lark.exceptions.LarkError as error:
        raise _parse_error(error, text, file, line) from None
    except RecursionError:
        raise ParseError("line nested too deeply", file=file, line=line, text=text) from None
