"""A hand-written reader for syscall argument text, tried before the lark grammar.

:func:`read_arguments` returns the same values as the ``arguments`` rule of
``grammars/strace.lark``, which stays the specification.  It returns None for
any text it does not handle, and the caller then runs lark, which also
reports the errors.
"""

from __future__ import annotations

import re
from typing import Any, List, Optional, Tuple

from .values import (
    DECORATION_PATTERN,
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

__all__ = ["read_arguments"]

# One token per match, in the order lark's lexer tries the grammar's terminals
# (priority first, then unbounded regexes, then longer literals).  The last
# alternative takes any other character, so the tokens cover the whole text
# and a character the grammar has no terminal for becomes a token the reader
# declines.  Spaces and tabs between tokens are skipped, as WS_INLINE is.
_TOKEN = re.compile(
    r"[ \t]*("
    + "|".join(
        (
            r"<\.\.\. resuming interrupted [A-Za-z0-9_]+ \.\.\.>",  # RESUMING (priority 3)
            r"<unfinished \.\.\.>",  # UNFINISHED (priority 2)
            # STRING, written as "(?:[^"\\]|\\.)*" unrolled: the same strings, but
            # the tokenizer ran 1.4x faster on the 24k distinct argument texts
            # of a 100k-line `strace -f -tt -T` log.
            r'"[^"\\]*(?:\\.[^"\\]*)*"',
            r"/\*.*?\*/",  # COMMENT
            DECORATION_PATTERN,
            r"-?(?:0x[0-9a-fA-F]+|[0-9]+)",  # NUMBER
            r"[A-Za-z_][A-Za-z0-9_]*",  # NAME, or the keyword NULL
            r"\.\.\.|==|=>|->|&&|<<",
            r"[^ \t]",
        )
    )
    + ")"
)
_RESUMING = re.compile(r"<\.\.\. resuming interrupted ([A-Za-z0-9_]+) \.\.\.>\Z")
_UNFINISHED = "<unfinished ...>"

# The tokens that may follow a term and make it part of a larger expression.
_OPERATORS = frozenset(("|", "->", "=>", "==", "&&"))

_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_NUMBER_START = frozenset("-0123456789")

# Marks the end of the token list.  The reader looks at most two tokens past
# its position, so three of them keep every look-ahead inside the list.
_END = ""
_ENDS = (_END, _END, _END)


class _Decline(Exception):
    """Raised when the text contains a shape the reader does not handle, so lark reads it."""


def _is_name(token: str) -> bool:
    return token[:1] in _NAME_START and token != "NULL"


def _is_number(token: str) -> bool:
    # A token opening with "-" is a NUMBER only when a digit follows: "->" and
    # a lone "-" are not.
    return token[:1] in _NUMBER_START and token[-1:].isalnum()


def _is_decoration(token: str) -> bool:
    # UNFINISHED and RESUMING text also fits the DECORATION pattern; lark's
    # lexer then picks by parser state, which this reader does not model.
    return (
        len(token) > 1
        and token[0] == "<"
        and token[1] != "<"
        and token != _UNFINISHED
        and not token.startswith("<... resuming interrupted ")
    )


class _Reader:
    """Recursive descent over the token list, one method per grammar rule."""

    __slots__ = ("tokens", "at")

    def __init__(self, tokens: List[str]) -> None:
        self.tokens = tokens
        self.at = 0

    def arguments(self, closer: str) -> Tuple[Any, ...]:
        # arguments: ","? argument ("," argument)* ","? | ","?
        # argument: value | NAME "=" value
        tokens = self.tokens
        if tokens[self.at] == ",":
            self.at += 1
        items = []
        while tokens[self.at] != closer:
            token = tokens[self.at]
            if tokens[self.at + 1] == "=" and _is_name(token):
                self.at += 2
                items.append(Member(token, self.lone_or_value(closer)))
            else:
                items.append(self.lone_or_value(closer))
            token = tokens[self.at]
            if token == ",":
                self.at += 1
            elif token != closer:
                raise _Decline
        self.at += 1
        return tuple(items)

    def lone_or_value(self, closer: str) -> Any:
        # Most values are one token (3, "/etc/passwd", O_RDONLY) before a ","
        # or the closer.  Reading those here, without the chain of rule
        # methods, made the reader about 10% faster on the same texts.
        tokens = self.tokens
        following = tokens[self.at + 1]
        if following == "," or following == closer:
            read_lone = _LONE_READERS.get(tokens[self.at][:1])
            if read_lone is not None:
                self.at += 1
                return read_lone(tokens[self.at - 1])
        return self.value()

    def value(self) -> Any:
        token = self.tokens[self.at]
        if token.startswith("/*"):
            self.at += 1
            return Comment(token[2:-2].strip())
        if token == "|":
            # -X raw: |0x900, a flag set whose zero first part strace printed as nothing.
            return self.condition(self.compared(self.flags(EMPTY_FLAG)))
        first = self.term()
        if self.tokens[self.at] in _OPERATORS:
            return self.condition(self.comparison(first))
        return first

    def condition(self, result: Any) -> Any:
        while self.tokens[self.at] == "&&":
            self.at += 1
            result = Operation("&&", result, self.comparison(self.term()))
        return result

    def comparison(self, first: Any) -> Any:
        return self.compared(self.expression(first))

    def compared(self, left: Any) -> Any:
        if self.tokens[self.at] == "==":
            self.at += 1
            return Operation("==", left, self.expression(self.term()))
        return left

    def flags(self, first: Any) -> Flags:
        items = [first]
        while self.tokens[self.at] == "|":
            self.at += 1
            items.append(self.term())
        return Flags(tuple(items))

    def expression(self, first: Any) -> Any:
        token = self.tokens[self.at]
        if token == "|":
            return self.flags(first)
        if token == "->" or token == "=>":
            self.at += 1
            return Changed(first, self.term(), token)
        return first

    def term(self) -> Any:
        value = self.atom()
        token = self.tokens[self.at]
        if token.startswith("/*"):
            self.at += 1
            if isinstance(value, int):
                # -X verbose: -100 /* AT_FDCWD */</tmp>, a number's comment before its -y decoration.
                return self.decorated(Commented(value, token[2:-2].strip()))
            return Commented(value, token[2:-2].strip())
        if token == "<<" or token == "*":
            self.at += 1
            return Operation(token, value, self.atom())
        return value

    def atom(self) -> Any:
        token = self.tokens[self.at]
        self.at += 1
        start = token[:1]
        if start == '"':
            if self.tokens[self.at] == "...":
                self.at += 1
                return CString(decode_c_string(token), truncated=True)
            return CString(decode_c_string(token))
        if _is_number(token):
            return self.decorated(read_number(token))
        if start in _NAME_START:
            if token == "NULL":
                return None
            following = self.tokens[self.at]
            if following == "(":
                self.at += 1
                return Call(token, self.arguments(")"))
            return self.decorated(Symbol(token))
        reader = _ATOMS.get(token)
        if reader is not None:
            return reader(self)
        match = _RESUMING.match(token)
        if match is not None:
            return Resuming(match.group(1))
        raise _Decline

    def decorated(self, value: Any) -> Any:
        token = self.tokens[self.at]
        if token[:1] != "<" or not _is_decoration(token):
            return value
        self.at += 1
        return read_decorated(value, token)

    def struct(self) -> Struct:
        return Struct(self.arguments("}"))

    def array(self) -> Any:
        # "[3 4]" is a bit set; "[3]", "[3, 4]" and "[]" are arrays.
        tokens = self.tokens
        first = tokens[self.at]
        if _is_name(first) or _is_number(first):
            after = self.at + 1
            if _is_number(first) and (_is_decoration(tokens[after]) or tokens[after].startswith("/*")):
                after += 1
            if _is_name(tokens[after]) or _is_number(tokens[after]):
                return BitSet(self.bits())
        return Array(self.arguments("]"))

    def negated_bitset(self) -> BitSet:
        if self.tokens[self.at] != "[":
            raise _Decline
        self.at += 1
        return BitSet(self.bits(), negated=True)

    def bits(self) -> Tuple[Any, ...]:
        tokens = self.tokens
        items = []
        while True:
            token = tokens[self.at]
            if _is_number(token):
                self.at += 1
                comment = tokens[self.at]
                if comment.startswith("/*"):
                    # -X verbose: ~[32 /* RTMIN */ 33 /* RT_1 */]
                    self.at += 1
                    items.append(Commented(read_number(token), comment[2:-2].strip()))
                else:
                    items.append(self.decorated(read_number(token)))
            elif _is_name(token):
                self.at += 1
                items.append(Symbol(token))
            elif token == "]":
                self.at += 1
                return tuple(items)
            else:
                raise _Decline

    def address_of(self) -> AddressOf:
        token = self.tokens[self.at]
        if not _is_name(token):
            raise _Decline
        self.at += 1
        return AddressOf(token)

    def abstract_name(self) -> AbstractName:
        token = self.tokens[self.at]
        if token[:1] != '"':
            raise _Decline
        self.at += 1
        return AbstractName(CString(decode_c_string(token)))

    def ellipsis(self) -> Any:
        return Ellipsis


def _lone_string(token: str) -> CString:
    return CString(decode_c_string(token))


def _lone_name(token: str) -> Any:
    return None if token == "NULL" else Symbol(token)


# Readers of a value that is one token alone, by the token's first character.
# A leading "-" is left out because "->" and a lone "-" open with it too.
_LONE_READERS = {'"': _lone_string}
_LONE_READERS.update(dict.fromkeys("0123456789", read_number))
_LONE_READERS.update(dict.fromkeys(_NAME_START, _lone_name))

# Atoms that open with a fixed token, read after that token.
_ATOMS = {
    "{": _Reader.struct,
    "[": _Reader.array,
    "~": _Reader.negated_bitset,
    "&": _Reader.address_of,
    "@": _Reader.abstract_name,
    "...": _Reader.ellipsis,
}


def read_arguments(text: str) -> Optional[Tuple[Any, ...]]:
    """Read a syscall's argument text into the values the grammar would give, or return None.

    None means the text contains a shape that this reader leaves to lark, or
    is not valid at all.  Bad input gives None, not an exception.
    """
    tokens = _TOKEN.findall(text)
    tokens.extend(_ENDS)
    try:
        return _Reader(tokens).arguments(_END)
    except (_Decline, RecursionError):
        return None
