"""The whole build: read digests, date them, merge papers, tag and relate them, render, write.

With a cache folder the build is incremental: digests, tags and terms computed by an earlier
build for the same input are reused, and a paper page whose inputs did not change is neither
rendered nor written (its file keeps its bytes and modification time). The output is the same
as a build from scratch; only the time differs.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from generator.archive import KnownPapers, build_archive, with_topics
from generator.cache import (
    LISTINGS_MEMO_FILE,
    BuildCache,
    Memo,
    captured_warnings,
    load_cache,
    load_memo,
    repeat_warnings,
    save_cache,
    save_memo,
    save_pages,
    text_key,
)
from generator.config import CONFIG_NAME, load_site
from generator.dates import MANIFEST_NAME, load_manifest, resolve_dates
from generator.enrich import ENRICHMENT_NAME, enrich_digests, load_enrichment
from generator.errors import GeneratorError
from generator.exports import papers_json
from generator.model import Archive, Digest, Paper, Site
from generator.parallel import Tickets, in_background, steps_in_background
from generator.parse import find_digest_files, parse_digest_bytes
from generator.related import find_related
from generator.render import listing_keys, paper_hash, paper_pages, paper_path, paper_renderer, render_listings
from generator.search import search_index
from generator.tags import TAXONOMY_NAME, Taxonomy, assign_tags, load_taxonomy, unknown_topics
from generator.terms import TermStore
from generator.urls import REGISTRY_NAME, format_registry, load_registry
from generator.write import WriteReport, read_manifest, split_unchanged, write_if_changed, write_site

log = logging.getLogger("generator")
P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class BuildResult:
    """What a build produced."""

    archive: Archive
    report: WriteReport


def read_digests(
    digests_dir: Path, cache: BuildCache | None = None, lenient: bool = False
) -> tuple[list[Digest], dict[str, str]]:
    """Parse every digest file (reusing the cache's parse of unchanged files); also their paths by name.

    A digest that cannot be read stops everything, unless `lenient`: then it is reported as a
    warning and left out (a structured digest leaves out only the items it cannot read). The
    warnings a parse gave are given again when the cache's copy is used.
    """
    files = find_digest_files(digests_dir)
    known = cache.digests if cache is not None else {}
    parsed: dict[str, tuple[str, Digest, tuple[str, ...]]] = {}
    for name, path in files:
        data = path.read_bytes()
        key = hashlib.sha256(data).hexdigest() + (" lenient" if lenient else "")
        hit = known.get(name)
        if hit is not None and hit[0] == key:
            repeat_warnings(hit[2])
            parsed[name] = hit
            continue
        with captured_warnings() as messages:
            try:
                digest = parse_digest_bytes(data, name, str(path), lenient)
            except GeneratorError as err:
                if not lenient:
                    raise
                log.warning("%s; digest left out (lenient mode)", err.location_message())
                continue
        parsed[name] = (key, digest, tuple(messages))
    if cache is not None:
        cache.digests = parsed
    return [digest for _, digest, _ in parsed.values()], {name: str(path) for name, path in files}


def load_archive(
    digests_dir: Path,
    registry_path: Path | None = None,
    cache: BuildCache | None = None,
    memo: Memo | None = None,
    lenient: bool = False,
) -> tuple[Archive, dict[str, str]]:
    """Read every digest and its metadata into an archive; nothing is written.

    With a cache, unchanged digests are not parsed again and unchanged papers not built again.
    """
    digests, origins = read_digests(digests_dir, cache, lenient)
    enrichment_path = digests_dir / ENRICHMENT_NAME
    digests = enrich_digests(digests, load_enrichment(enrichment_path))
    manifest = load_manifest(digests_dir / MANIFEST_NAME)
    dated = resolve_dates(digests, manifest, origins)
    registry = load_registry(registry_path or digests_dir / REGISTRY_NAME)
    if cache is None:
        return build_archive(dated, registry, origins, memo)
    # A paper made from a digest is the same only under the same enrichment.
    enriched = hashlib.sha256(enrichment_path.read_bytes()).hexdigest() if enrichment_path.is_file() else ""
    known = KnownPapers({name: version + enriched for name, (version, _, _) in cache.digests.items()}, cache.papers)
    built = build_archive(dated, registry, origins, memo, known)
    cache.papers = known.papers
    return built


def paper_keys(
    papers: tuple[Paper, ...], known: dict[str, tuple[Paper, str, str, str]]
) -> dict[str, tuple[Paper, str, str, str]]:
    """Each paper's keys, by id: of its title and abstract (text_key), of what its tags depend on
    (the text, and the topics and keywords a structured digest gives), and of all it shows but
    its tags and related papers (paper_hash). Those `known` for an equal paper are reused.
    """
    keys = {}
    for paper in papers:
        hit = known.get(paper.id)
        if hit is None or hit[0] != paper:
            text = text_key(paper.title, paper.abstract)
            tags = text_key(text, *paper.details.tags, "\x01", *paper.details.ai_keywords)
            hit = (paper, text, tags, paper_hash(paper, text))
        keys[paper.id] = hit
    return keys


def _stat(path: str) -> tuple[int, int] | None:
    """A file's size and modification time, or None if it is not there."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return (found.st_size, found.st_mtime_ns)


def _side_stage(
    archive: Archive,
    taxonomy: Taxonomy,
    tag_memo: dict[str, tuple[str, ...]],
    keys: dict[str, str],
    tag_keys: dict[str, str],
    site: Site,
    owns: dict[str, str],
    docs_dir: Path,
    previous: set[str],
    cache_dir: Path | None,
) -> Iterator[Any]:
    """What needs no related papers, made while they are computed (in a second process).

    Yields each paper's tags with the tag memo as they left it; then every file but the paper
    pages and papers.json (render_listings and the search index): those whose bytes differ from
    the file the previous run (`previous`) wrote in `docs_dir`, as UTF-8 bytes, and the names of
    the others; then, once it has saved its memo (LISTINGS_MEMO_FILE in `cache_dir`, which only
    this stage reads and writes), None.
    """
    tags = assign_tags(archive.papers, taxonomy, tag_memo, tag_keys)
    yield tags, tag_memo
    entries, state = load_memo(cache_dir, LISTINGS_MEMO_FILE)  # beside related papers (unless serial)
    memo = Memo(entries)
    listed = with_topics(archive, taxonomy.topics(), tags, {})
    files = render_listings(listed, site, listing_keys(paper_pages(listed, site, owns)), memo)
    files.update(search_index(listed, memo, keys))
    yield split_unchanged(files, docs_dir, previous)
    save_memo(cache_dir, LISTINGS_MEMO_FILE, memo, state)  # while the first process writes the pages
    yield None


PAPER_CHUNK = 64  # paper pages a process takes at a time


@dataclass(frozen=True)
class PaperWork:
    """The paper pages one process made: by path, their inputs' keys, their files' size and time
    (when an earlier build wrote them), those left as they are, and the others rendered."""

    keys: dict[str, str]
    stats: dict[str, tuple[int, int] | None]
    kept: set[str]
    pages: dict[str, str]
    asked: tuple[list[str], dict[str, Any]] | None  # what a forked memo was asked (Memo.report)


def _paper_work(
    archive: Archive,
    site: Site,
    owns: dict[str, str],
    chunks: Tickets,
    stored: dict[str, tuple[str, int, int]],
    root: str,
    previous: set[str],
    memo: Memo,
    forked: bool,
) -> PaperWork:
    """The paper pages of each chunk of PAPER_CHUNK papers this process takes, until none is left.

    A page whose inputs' key, size and modification time are those `stored` (the cache's page
    list) for a file the previous run wrote (`previous`, in the docs folder `root`) is kept;
    the others are rendered. A `forked` process reports what it asked of its memo.
    """
    mark = memo.mark()
    render = paper_renderer(memo)
    keys: dict[str, str] = {}
    stats: dict[str, tuple[int, int] | None] = {}
    kept: set[str] = set()
    pages: dict[str, str] = {}
    while (start := chunks.take() * PAPER_CHUNK) < len(archive.papers):
        for path, page in paper_pages(archive, site, owns, archive.papers[start : start + PAPER_CHUNK]).items():
            keys[path] = page.key
            if path in previous and path in stored:
                stats[path] = found = _stat(os.path.join(root, path))
                if found and stored[path] == (page.key, *found):
                    kept.add(path)
                    continue
            pages[path] = render(page)
    return PaperWork(keys, stats, kept, pages, memo.report(mark) if forked else None)


def _frozen_heap(function: Callable[P, R]) -> Callable[P, R]:
    """Let `function` freeze the heap (gc.freeze) as it goes; unfreeze it when it returns.

    A build holds millions of long-lived objects (the cache, the archive). Frozen, the cycle
    collector stops walking them each time new objects pile up, and a forked child does not
    copy the memory pages it would touch walking them. Whatever is frozen is unfrozen at the
    end, a caller's frozen objects too, so that a process building again and again (`serve`)
    never keeps an earlier build's garbage.
    """

    @functools.wraps(function)
    def frozen(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        finally:
            gc.unfreeze()

    return frozen


@_frozen_heap
def build(
    digests_dir: Path,
    docs_dir: Path,
    taxonomy_path: Path = Path(TAXONOMY_NAME),
    registry_path: Path | None = None,
    config_path: Path = Path(CONFIG_NAME),
    cache_dir: Path | None = None,
    on_stage: Callable[[str], None] = lambda stage: None,
    lenient: bool = False,
) -> BuildResult:
    """Generate the site's pages from the digests; on any error nothing has been written.

    `on_stage` is called with each stage's name as it ends (the benchmark times them).
    """
    registry_path = registry_path or digests_dir / REGISTRY_NAME
    site = load_site(config_path)
    taxonomy = load_taxonomy(taxonomy_path)
    cache = load_cache(cache_dir)
    gc.freeze()  # the cache lives as long as the build (see _frozen_heap)
    memo = Memo(cache.memo)
    archive, registry = load_archive(digests_dir, registry_path, cache, memo, lenient)
    for entry, name in unknown_topics(archive.digests, taxonomy):
        log.warning(
            "%s:%d: topic %r is not in %s; ignored", digests_dir / entry.source, entry.line, name, taxonomy_path
        )
    on_stage("parse")
    cache.keys = paper_keys(archive.papers, cache.keys)
    keys = {paper_id: text for paper_id, (_, text, _, _) in cache.keys.items()}
    tag_keys = {paper_id: tags for paper_id, (_, _, tags, _) in cache.keys.items()}
    owns = {paper_id: own for paper_id, (_, _, _, own) in cache.keys.items()}  # for page keys
    taxonomy_key = text_key(repr(taxonomy))
    tag_memo = cache.tags.get(taxonomy_key, {})
    store = cache.terms if isinstance(cache.terms, TermStore) else TermStore()
    # Tags, then every page that shows no related papers, in a second process; related papers here.
    previous = read_manifest(docs_dir)
    gc.freeze()  # and so does the archive; the child then shares its memory pages untouched
    side = steps_in_background(
        _side_stage, archive, taxonomy, tag_memo, keys, tag_keys, site, owns, docs_dir, previous, cache_dir, steps=3
    )
    related = find_related(archive.papers, store=store, keys=keys)
    tags, tag_memo = side()
    on_stage("tags and related")
    archive = with_topics(archive, taxonomy.topics(), tags, related)

    # The paper pages, PAPER_CHUNK at a time, here and in a third process at the lowest
    # priority: it takes chunks only while a core is idle, which after a new digest is as soon
    # as the second process is done (in a build from scratch that process works till the end).
    root = str(docs_dir)
    chunks = Tickets()
    gc.freeze()
    helper = in_background(_paper_work, archive, site, owns, chunks, cache.pages, root, previous, memo, True, idle=True)
    work = [_paper_work(archive, site, owns, chunks, cache.pages, root, previous, memo, False), helper()]
    for done in work:
        if done.asked is not None:
            memo.adopt(done.asked)
    page_keys = dict(sorted((path, key) for done in work for path, key in done.keys.items()))
    stats = {path: found for done in work for path, found in done.stats.items()}
    kept = {path for done in work for path in done.kept}
    pages = {path: text for done in work for path, text in done.pages.items()}
    pages["papers.json"] = papers_json(archive, memo, {p.id: page_keys[paper_path(p)] for p in archive.papers})
    listings, same = side()
    pages = dict(sorted({**pages, **listings}.items()))
    on_stage("render")
    # Remember this build's results for the papers it has, and nothing else; saved (in a
    # third process) while the pages are written.
    cache.tags = {taxonomy_key: {key: tag_memo[key] for key in tag_keys.values()}}
    store.keep_only(set(keys.values()))
    cache.terms = store
    cache.memo = memo.used
    saved = in_background(save_cache, cache, cache_dir, memo)
    try:
        report = write_site(pages, docs_dir, kept | same)
        write_if_changed(registry_path, format_registry(registry).encode("utf-8"))
    finally:
        try:
            saved()
        finally:
            side()  # its memo saved
    on_stage("write")

    cache.pages = {}
    for path, key in page_keys.items():
        found = stats.get(path) if path in kept else _stat(os.path.join(root, path))
        if found is not None:
            cache.pages[path] = (key, *found)
    save_pages(cache, cache_dir)
    on_stage("cache")
    return BuildResult(archive=archive, report=report)
