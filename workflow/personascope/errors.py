"""The errors a user can cause, in families; anything else escaping a step is a bug.

`python -m personascope` prints a `PersonascopeError` as one message (what, where, what was
expected, what to do) with exit status 2 and no traceback; any other exception keeps its
traceback, because it means the code is wrong, not the input.

Each family is also a subclass of the built-in exception it replaces (`ValueError`, `LookupError`,
`RuntimeError`), so callers that caught those before still catch them.
"""

from __future__ import annotations

from pathlib import Path


class PersonascopeError(Exception):
    """Base of every user-facing failure. `where` names the file, config key or request."""

    family = "error"

    def __init__(self, message: str, *, where: str | Path | None = None, hint: str | None = None):
        self.where = str(where) if where is not None else None
        self.hint = hint
        super().__init__(message)

    def __str__(self) -> str:
        text = super().__str__()
        if self.where and not text.startswith(self.where):
            text = f"{self.where}: {text}"
        if self.hint:
            text = f"{text} ({self.hint})"
        return text

    def user_message(self) -> str:
        return f"personascope {self.family} error: {self}"


class ConfigError(PersonascopeError, ValueError):
    """A config key or a step parameter is missing, unknown or meaningless."""

    family = "config"


class InputDataError(PersonascopeError, ValueError):
    """An input file is missing, unreadable, tampered with or not in its documented format."""

    family = "input"


class ProtocolError(PersonascopeError, ValueError):
    """A protocol text is missing from its pack, or differs from its committed sha256."""

    family = "protocol"


class EngineError(PersonascopeError, RuntimeError):
    """A model engine failed: an API error, a malformed response, an ignored constraint."""

    family = "engine"


class ReplayMissError(EngineError, LookupError):
    """A replayed request has no recorded answer (never a live call instead)."""


class ParseError(PersonascopeError, ValueError):
    """A model's text does not hold what its format asks for (a judge verdict, a list)."""

    family = "parse"


class BundleError(PersonascopeError, ValueError):
    """A reproduction bundle is altered, incomplete or does not rebuild."""

    family = "bundle"
