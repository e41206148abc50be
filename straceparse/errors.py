"""The one exception tree of straceparse.

Every error the library raises for bad input is a :class:`StraceparseError`,
which is a ``ValueError``; lark's own exceptions never leave the package.
"""

from __future__ import annotations

from typing import Optional

__all__ = ["StraceparseError", "ParseError", "InputError"]


class StraceparseError(ValueError):
    """Base of every error straceparse raises for bad input or bad usage."""


class ParseError(StraceparseError):
    """A piece of trace text that the grammar does not accept.

    Carries where it happened (``file``, ``line``, ``column``, 1-based), the
    text, and what the grammar expected there; ``str()`` shows a caret view.
    """

    def __init__(
        self,
        reason: str,
        *,
        file: str = "<string>",
        line: Optional[int] = None,
        column: Optional[int] = None,
        text: str = "",
        expected: tuple = (),
    ) -> None:
        self.reason = reason
        self.file = file
        self.line = line
        self.column = column
        self.text = text
        self.expected = tuple(expected)
        super().__init__(self._message())

    def _message(self) -> str:
        where = self.file
        if self.line is not None:
            where += ":%d" % self.line
            if self.column is not None:
                where += ":%d" % self.column
        message = "%s: %s" % (where, self.reason)
        if self.text and self.column is not None:
            shown = self.text if len(self.text) <= 200 else self.text[: max(200, self.column + 20)]
            message += "\n    %s\n    %s^" % (shown, " " * (self.column - 1))
        return message


class InputError(StraceparseError):
    """A trace that cannot be read at all: a missing file, an unknown format."""
