"""The whole build: read digests, date them, merge papers, render, write."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from generator.archive import build_archive, with_topics
from generator.config import CONFIG_NAME, load_site
from generator.dates import MANIFEST_NAME, load_manifest, resolve_dates
from generator.model import Archive
from generator.parse import find_digest_files, read_digest_file
from generator.related import find_related
from generator.render import render_site
from generator.tags import TAXONOMY_NAME, assign_tags, load_taxonomy
from generator.urls import REGISTRY_NAME, format_registry, load_registry
from generator.write import WriteReport, write_if_changed, write_site

log = logging.getLogger("generator")


@dataclass(frozen=True)
class BuildResult:
    """What a build produced."""

    archive: Archive
    report: WriteReport


def load_archive(digests_dir: Path, registry_path: Path | None = None) -> tuple[Archive, dict[str, str]]:
    """Read every digest and its metadata into an archive; nothing is written."""
    files = find_digest_files(digests_dir)
    origins = {name: str(path) for name, path in files}
    digests = [read_digest_file(path, name) for name, path in files]
    manifest = load_manifest(digests_dir / MANIFEST_NAME)
    dated = resolve_dates(digests, manifest, origins)
    registry = load_registry(registry_path or digests_dir / REGISTRY_NAME)
    return build_archive(dated, registry, origins)


def build(
    digests_dir: Path,
    docs_dir: Path,
    taxonomy_path: Path = Path(TAXONOMY_NAME),
    registry_path: Path | None = None,
    config_path: Path = Path(CONFIG_NAME),
) -> BuildResult:
    """Generate the site's pages from the digests; on any error nothing has been written."""
    registry_path = registry_path or digests_dir / REGISTRY_NAME
    site = load_site(config_path)
    taxonomy = load_taxonomy(taxonomy_path)
    archive, registry = load_archive(digests_dir, registry_path)
    archive = with_topics(
        archive, taxonomy.topics(), assign_tags(archive.papers, taxonomy), find_related(archive.papers)
    )
    pages = render_site(archive, site)
    report = write_site(pages, docs_dir)
    write_if_changed(registry_path, format_registry(registry).encode("utf-8"))
    return BuildResult(archive=archive, report=report)
