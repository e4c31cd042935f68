"""What the generator reports: exceptions that become one-line messages (bad input, failed
requests), and warnings, which go through the "generator" logger."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator

log = logging.getLogger("generator")


class GeneratorError(Exception):
    """A problem with the input that stops the build; its text names the file and line."""

    def __init__(self, message: str, source: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.source = source
        self.line = line
        super().__init__(self.location_message())

    def location_message(self) -> str:
        """Return the message prefixed with `file:line:` where they are known."""
        if self.source is None:
            return self.message
        if self.line is None:
            return f"{self.source}: {self.message}"
        return f"{self.source}:{self.line}: {self.message}"


class HubError(Exception):
    """A request to Hugging Face that failed for good, or an answer the archive cannot read; its
    text is one line saying why (never the token)."""


class _Captured(logging.Handler):
    """Keeps the messages of the warnings logged while it is attached."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def captured_warnings() -> Iterator[list[str]]:
    """The messages of the warnings logged inside the block, kept instead of shown: work whose
    result is cached keeps them, so that reusing the result gives them again (`repeat_warnings`)."""
    captured = _Captured()
    propagate = log.propagate
    saved, log.handlers = log.handlers, [captured]
    log.propagate = False
    try:
        yield captured.messages
    finally:
        log.handlers = saved
        log.propagate = propagate


def repeat_warnings(messages: Iterable[str]) -> None:
    """Give warnings again (see `captured_warnings`)."""
    for message in messages:
        log.warning("%s", message)
