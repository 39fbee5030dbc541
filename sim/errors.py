"""Errors a user can cause, reported as one line and exit code 2 by the command line."""

from typing import Any

EXCERPT_CHARS = 60  # longest value a message shows (a 10 MB bad value is shown as 60 chars)
KEY_CHARS = 120  # longest key or file name a message shows
MESSAGE_CHARS = 2000  # longest "what was expected" (long lists of keys are cut)


def _cut(text: str, limit: int) -> str:
    """``text`` on one line, at most ``limit`` characters (then "…")."""
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit] + "…"


def excerpt(value: Any, limit: int = EXCERPT_CHARS) -> str:
    """A short ``repr`` of a value for a message: at most ``limit`` characters and "…"."""
    try:
        text = repr(value)
    except (RecursionError, ValueError):  # a very deep list, a 4,300+ digit integer
        text = f"<{type(value).__name__}>"
    return _cut(text, limit)


class UserError(Exception):
    """A mistake in user input: a scenario file, an override, a flag or an experiment file.

    The message is one line of the form ``FILE: key: what was expected``; long keys, file
    names and messages are cut so that a huge bad value never floods the terminal.
    """

    def __init__(self, source: str, key: str | None, expected: str) -> None:
        self.source = source
        self.key = key
        self.expected = expected
        src = _cut(str(source), KEY_CHARS)
        where = f"{src}: {_cut(str(key), KEY_CHARS)}" if key else src
        super().__init__(f"{where}: {_cut(str(expected), MESSAGE_CHARS)}")
