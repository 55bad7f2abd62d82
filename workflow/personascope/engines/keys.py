"""API keys: read from the environment only, and never written to logs, outputs or errors."""

from __future__ import annotations

import logging
import os
import threading

from ..errors import EngineError

REDACTED = "[REDACTED]"

_lock = threading.Lock()
_secrets: set[str] = set()


def redact(text: str) -> str:
    """`text` with every key this process has read replaced."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    """Scrubs keys from every record a handler emits, including SDK and third-party records."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            # Formatted tracebacks include the exception text: format once here, scrubbed.
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, None
            record.msg = f"{record.msg}\n{redact(text)}"
        return True


def _guard_handlers() -> None:
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


def register_secret(secret: str) -> None:
    if secret:
        with _lock:
            _secrets.add(secret)
        _guard_handlers()


def key_from_env(var: str, *, model: str, engine: str, required: bool = True) -> str | None:
    """The API key in environment variable `var`; a key never comes from a config file."""
    value = os.environ.get(var, "")
    if not value:
        if required:
            raise EngineError(
                f"model {model} (engine {engine}): environment variable {var} is not set; "
                f"export the API key there (keys are never read from config files)"
            )
        return None
    register_secret(value)
    return value


class EngineCallError(EngineError):
    """A call that failed for good; its message is scrubbed of keys."""

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))
