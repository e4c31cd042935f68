"""What the generator reports: exceptions that become one-line messages (bad input, failed
requests), and warnings, which go through the "generator" logger."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

log = logging.getLogger("generator")


class GeneratorError(Exception):
    """A problem with the input that stops the build; its text names the file and line."""

    def __init__(self, message: str, source: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.source = source
        self.line = line
        super().__init__(self.location_message())

    def location_message(self) -> str:
        """Return the message prefixed with `file:line:` where they are known; on one line, whatever
        the file's name holds."""
        if self.source is None:
            return printable(self.message)
        if self.line is None:
            return printable(f"{self.source}: {self.message}")
        return printable(f"{self.source}:{self.line}: {self.message}")


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """Text for a one-line message: control characters (a line break in a file's name, say)
    written as escapes, `\\n`, `\\x07`, as Python writes them."""
    return _CONTROL.sub(lambda match: repr(match.group())[1:-1], text)


def is_text(value: str) -> bool:
    """Whether a string can be written as UTF-8: no lone surrogate (half a character, which
    JSON and YAML escapes such as \\ud800 can make)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def decode(data: bytes, source: str) -> str:
    """A file's bytes as text (UTF-8, a byte-order mark dropped); bytes that are not UTF-8 are
    an error naming the file and line."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        raise GeneratorError("not valid UTF-8 text", source, data[: err.start].count(b"\n") + 1) from None


def read_text(path: Path) -> str:
    """A text file's contents (see decode)."""
    return decode(path.read_bytes(), str(path))


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
