"""Stable paper URLs: slugs from titles, remembered in a registry so they never change."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from slugify import slugify

from generator.errors import GeneratorError, read_text

REGISTRY_NAME = "urls.tsv"
SLUG_MAX_LENGTH = 100
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Slugs that would shadow a folder's own index page.
RESERVED = frozenset({"index"})
REGISTRY_HEADER = (
    "# Published paper URLs: slug<TAB>normalised title. Written by the generator.\n"
    "# Keep it under version control: it is what keeps a paper's URL the same forever.\n"
)


def base_slug(title: str) -> str:
    """The slug a title asks for; empty when the title has no letters or digits to use."""
    return slugify(title, max_length=SLUG_MAX_LENGTH, word_boundary=True)


def page_name(number: int) -> str:
    """The file of page `number` of a paginated listing, beside its first: index.md, page-2.md, ..."""
    return "index.md" if number == 1 else f"page-{number}.md"


def key_hash(key: str, length: int = 8) -> str:
    """A short, stable hash of a normalised title."""
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:length]


def assign_slugs(titles: dict[str, str], registry: dict[str, str]) -> dict[str, str]:
    """Give every title key a slug: its registered one, else its own, else one with a hash suffix.

    New keys are handled in sorted order, so the result never depends on input order,
    and a registered slug is never given to another paper.
    """
    taken = set(registry.values()) | RESERVED
    assigned: dict[str, str] = {}
    for key in sorted(titles):
        if key in registry:
            assigned[key] = registry[key]
            continue
        base = base_slug(titles[key])
        candidates = [base] if base else []
        prefix = f"{base}-" if base else "paper-"
        candidates += [prefix + key_hash(key, length) for length in (8, 12, 16, 40)]
        slug = next((c for c in candidates if c not in taken), None)
        if slug is None:  # pragma: no cover - needs a SHA-1 collision
            raise GeneratorError(f"cannot find a free URL for the paper titled {titles[key]!r}")
        taken.add(slug)
        assigned[key] = slug
    return assigned


def parse_registry(text: str, source: str) -> dict[str, str]:
    """Read `slug<TAB>key` lines; a malformed or contradictory line is an error naming it."""
    registry: dict[str, str] = {}
    owners: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        if not line.strip() or line.startswith("#"):
            continue
        slug, tab, key = line.partition("\t")
        if not tab or not slug or not key or slug != slug.strip():
            raise GeneratorError("expected 'slug<TAB>normalised title'", source, number)
        if not _SLUG.fullmatch(slug):
            raise GeneratorError(
                f"{slug!r} is not a slug (lower-case letters and digits between hyphens)", source, number
            )
        if key in registry and registry[key] != slug:
            raise GeneratorError(f"title listed twice, as {registry[key]!r} and {slug!r}", source, number)
        if slug in owners and owners[slug] != key:
            raise GeneratorError(f"URL {slug!r} is given to two different titles", source, number)
        registry[key] = slug
        owners[slug] = key
    return registry


def load_registry(path: Path) -> dict[str, str]:
    """Read the registry, or start an empty one."""
    if not path.is_file():
        return {}
    return parse_registry(read_text(path), str(path))


def format_registry(registry: dict[str, str]) -> str:
    """Write the registry sorted by slug, one paper a line."""
    lines = [f"{slug}\t{key}\n" for key, slug in sorted(registry.items(), key=lambda item: item[1])]
    return REGISTRY_HEADER + "".join(lines)
