"""Turn Hugging Face Daily Papers digests into a browsable MkDocs archive."""

from __future__ import annotations

__version__ = "0.1.0"
