"""The whole build, stage by stage: read, date, merge, tag, relate, render, write.

Each stage is a pure function of what the stages before it made (see the modules named
below); only reading the inputs and writing the pages touch the disk. The build cache
(cache.py) is applied here, around the stages whose results depend on one input each: a
digest's parse by its file's bytes, a paper's tags and terms by its text (and the
taxonomy), a paper page's text by its inputs. So a build after a new digest parses, tags
and renders only what the digest changed, and gives byte for byte what a build from
scratch gives.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generator.archive import build_archive, with_topics
from generator.cache import Cache, key, open_cache
from generator.config import CONFIG_NAME, load_site
from generator.dates import MANIFEST_NAME, load_manifest, resolve_dates
from generator.enrich import ENRICHMENT_NAME, enrich_digests, load_enrichment
from generator.errors import GeneratorError, printable
from generator.exports import export_files, export_lines
from generator.model import Archive, Digest, Site
from generator.parse import find_digest_files, parse_digest_bytes
from generator.related import find_related, related_papers
from generator.render import GENERATED_ROOTS, paper_pages, paper_renderer, render_listings
from generator.search import paper_weights, search_index
from generator.tags import Matcher, choose_tags, unknown_topics
from generator.taxonomy import TAXONOMY_NAME, load_taxonomy
from generator.terms import paper_terms
from generator.urls import REGISTRY_NAME, format_registry, load_registry
from generator.write import WriteReport, digest, unchanged, write_if_changed, write_site

log = logging.getLogger("generator")


@dataclass(frozen=True)
class BuildResult:
    """What a build produced."""

    archive: Archive
    report: WriteReport


def build(
    digests_dir: Path,
    docs_dir: Path,
    taxonomy_path: Path = Path(TAXONOMY_NAME),
    registry_path: Path | None = None,
    config_path: Path = Path(CONFIG_NAME),
    cache_dir: Path | None = None,
    lenient: bool = False,
    registry: bool = True,
    on_stage: Callable[[str], None] = lambda stage: None,
) -> BuildResult:
    """Generate the site's pages from the digests; on any error nothing has been written.

    New papers' URLs are recorded in the registry unless `registry` is false (the preview
    leaves that to builds). `on_stage` is called with each stage's name as it ends (the
    benchmark times them).
    """
    registry_path = registry_path or digests_dir / REGISTRY_NAME
    site = load_site(config_path)
    taxonomy = load_taxonomy(taxonomy_path)
    with open_cache(cache_dir) as cache:
        digests, origins = read_digests(digests_dir, cache, lenient)
        digests = enrich_digests(digests, load_enrichment(digests_dir / ENRICHMENT_NAME))
        on_stage("read")
        digests = resolve_dates(digests, load_manifest(digests_dir / MANIFEST_NAME), origins)
        archive, urls = build_archive(digests, load_registry(registry_path), origins)
        for entry, name in unknown_topics(archive.digests, taxonomy):
            where = digests_dir / entry.source
            log.warning("%s:%d: topic %r is not in %s; ignored", where, entry.line, name, taxonomy_path)
        on_stage("date and merge")
        texts = {p.id: (p.title, p.abstract, p.details.tags, p.details.ai_keywords) for p in archive.papers}
        tags = choose_tags(cache.map("tags", texts, Matcher(taxonomy).rank, depends_on=(taxonomy,)), taxonomy)
        on_stage("tag")
        terms = cache.map("terms", {p.id: (p.title, p.abstract) for p in archive.papers}, paper_terms)
        archive = with_topics(archive, taxonomy.topics(), tags, related_papers(find_related(archive.papers, terms)))
        on_stage("relate")
        pages, kept = render_paper_pages(archive, site, cache, docs_dir)
        pages.update(render_listings(archive, site))
        lines = cache.map("export lines", {p.id: (p, site) for p in archive.papers}, export_lines)
        pages.update(export_files(archive, site, lines))
        weights = {p.id: (p.title, p.abstract, p.tags, p.details.authors) for p in archive.papers}
        pages.update(search_index(archive, cache.map("search weights", weights, paper_weights)))
        on_stage("render")
        report = write_site(pages, docs_dir, GENERATED_ROOTS, kept)
        if registry:
            write_if_changed(registry_path, format_registry(urls).encode("utf-8"))
        on_stage("write")
    return BuildResult(archive=archive, report=report)


def render_paper_pages(archive: Archive, site: Site, cache: Cache, docs_dir: Path) -> tuple[dict[str, str], set[str]]:
    """The text of each paper page whose inputs changed since its file was written, and the
    paths of the others: the cache knows what text each page's inputs gave (by its hash), and
    the docs folder which of its files still hold it."""
    pages = paper_pages(archive, site)
    keys = {path: key("paper page", page) for path, page in pages.items()}
    known = cache.get_many(keys.values())
    kept = unchanged(docs_dir, {path: known[k] for path, k in keys.items() if k in known})
    render = paper_renderer()
    texts = {path: render(page) for path, page in pages.items() if path not in kept}
    cache.put_many({keys[path]: digest(text.encode("utf-8")) for path, text in texts.items()})
    return texts, kept


def read_digests(
    digests_dir: Path, cache: Cache | None = None, lenient: bool = False
) -> tuple[list[Digest], dict[str, str]]:
    """Parse every digest file (the cache's parse where the file's bytes are the same); also their paths by name.

    A digest that cannot be read stops everything, unless `lenient`: then it is reported as a
    warning and left out (a structured digest leaves out only the items it cannot read).
    """
    files = find_digest_files(digests_dir)
    origins = {name: printable(str(path)) for name, path in files}  # for messages, on one line
    inputs = {name: (path.read_bytes(), name, origins[name], lenient) for name, path in files}
    parsed = (cache or Cache(None)).map("digest", inputs, _parse)
    return [digest for digest in parsed.values() if digest is not None], origins


def _parse(data: bytes, name: str, origin: str, lenient: bool) -> Digest | None:
    """A digest file's parse; with `lenient`, None (and a warning) when it cannot be read."""
    try:
        return parse_digest_bytes(data, name, origin, lenient)
    except GeneratorError as err:
        if not lenient:
            raise
        log.warning("%s; digest left out (lenient mode)", err.location_message())
        return None


def load_archive(
    digests_dir: Path, registry_path: Path | None = None, lenient: bool = False
) -> tuple[Archive, dict[str, str]]:
    """A digests folder read, dated and merged into an archive (not tagged or related), and the
    URL registry extended with its new papers; nothing is written (for scripts and tests)."""
    digests, origins = read_digests(digests_dir, lenient=lenient)
    digests = enrich_digests(digests, load_enrichment(digests_dir / ENRICHMENT_NAME))
    digests = resolve_dates(digests, load_manifest(digests_dir / MANIFEST_NAME), origins)
    return build_archive(digests, load_registry(registry_path or digests_dir / REGISTRY_NAME), origins)
