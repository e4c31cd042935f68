"""The exceptions the generator turns into one-line messages: bad input, and failed requests."""

from __future__ import annotations


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
