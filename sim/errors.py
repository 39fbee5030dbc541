"""Errors a user can cause, reported as one line and exit code 2 by the command line."""


class UserError(Exception):
    """A mistake in user input: a scenario file, an override, a flag or an experiment file.

    The message is one line of the form ``FILE: key: what was expected``.
    """

    def __init__(self, source: str, key: str | None, expected: str) -> None:
        self.source = source
        self.key = key
        self.expected = expected
        where = f"{source}: {key}" if key else source
        super().__init__(f"{where}: {expected}")
