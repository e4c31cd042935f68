"""Command line: a thin layer over generator.pipeline (build), generator.fetch (fetch) and
generator.enrich (enrich)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click

from generator.dates import MANIFEST_NAME, load_manifest, resolve_dates, with_digest_date
from generator.enrich import (
    ENRICHMENT_NAME,
    Enrichment,
    Found,
    enrich_digests,
    load_enrichment,
    look_up_all,
    propose_dates,
    titles_to_look_up,
)
from generator.errors import GeneratorError, captured_warnings
from generator.model import Digest, title_key
from generator.pipeline import build as run_build
from generator.pipeline import read_digests
from generator.write import replace_file

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


class _CountingHandler(logging.Handler):
    """Print warnings as one line each on stderr and count them for --strict."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        click.echo(f"Warning: {record.getMessage()}", err=True)


def _path_option(name: str, default: str, help: str) -> Callable[[F], F]:
    path = click.Path(path_type=Path)
    return click.option(f"--{name}", f"{name}_path", type=path, default=Path(default), show_default=True, help=help)


def build_options(command: F) -> F:
    """The options that say where the generator reads and writes."""
    for option in reversed(
        [
            _path_option("digests", "digests", "Folder of digest files (and digests.yaml, urls.tsv)."),
            _path_option("docs", "site_src", "MkDocs docs_dir to write the generated pages into."),
            _path_option("taxonomy", "taxonomy.yaml", "Topic taxonomy (YAML); without it the site has no topics."),
            _path_option("config", "mkdocs.yml", "MkDocs configuration: the site's name and site_url come from it."),
            _path_option("cache", ".cache", "Build cache folder: it makes rebuilds after a new digest fast."),
            click.option("--no-cache", is_flag=True, help="Build from scratch, without reading or writing the cache."),
            click.option(
                "--lenient",
                is_flag=True,
                help="Leave out digests (and JSON/YAML items) that cannot be read, with a warning; do not stop.",
            ),
        ]
    ):
        command = option(command)
    return command


def generate(options: dict[str, Any]) -> int:
    """Run the generator once and print what it did; the number of warnings. Errors become ClickException."""
    handler = _CountingHandler()
    logger = logging.getLogger("generator")
    logger.addHandler(handler)
    logger.propagate = False
    started = time.perf_counter()
    try:
        result = run_build(
            options["digests_path"],
            options["docs_path"],
            options["taxonomy_path"],
            config_path=options["config_path"],
            cache_dir=None if options["no_cache"] else options["cache_path"],
            lenient=options["lenient"],
        )
    except GeneratorError as err:
        raise click.ClickException(err.location_message()) from None
    except OSError as err:  # reading an input: the stages name what they write
        raise click.ClickException(f"{err.filename}: {err.strerror}" if err.filename else str(err)) from None
    finally:
        logger.removeHandler(handler)
    archive, report = result.archive, result.report
    seconds = time.perf_counter() - started
    click.echo(
        f"{len(archive.papers)} papers from {len(archive.digests)} digests: "
        f"{len(report.written)} files written, {report.unchanged} unchanged, "
        f"{len(report.removed)} removed, in {seconds:.2f} s"
    )
    return handler.count


@click.group()
@click.version_option(package_name="daily-papers-archive")
def main() -> None:
    """Build a browsable archive of Hugging Face Daily Papers digests."""


@main.command()
@build_options
@click.option("--strict", is_flag=True, help="Fail (exit 1) if there were warnings.")
def build(strict: bool, **options: Any) -> None:
    """Generate the site's pages from the digests."""
    warnings = generate(options)
    if strict and warnings:
        raise click.ClickException(f"{warnings} warning(s) and --strict was given")


def _day(value: str | None) -> dt.date | None:
    """A --date, --since or --until value."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date written YYYY-MM-DD") from None


def _progress(items: list[T], unit: str) -> Iterable[T]:
    """A progress bar on stderr over more than a few items, when stderr is a terminal."""
    from huggingface_hub.utils import tqdm

    bar: Iterable[T] = tqdm(items, unit=f" {unit}", disable=True if len(items) <= PROGRESS_FROM else None)  # type: ignore[no-untyped-call]
    return bar


PROGRESS_FROM = 3  # a backfill of more days (or a first enrichment) shows a progress bar
_digests_option = _path_option("digests", "digests", "Folder of digest files.")
_retries_option = click.option(
    "--retries", type=click.IntRange(0, 20), default=5, show_default=True, help="Retries of a request that fails."
)


@main.command()
@click.option("--date", "date", help="The one day to fetch (YYYY-MM-DD).")
@click.option("--since", help="The first day to fetch (YYYY-MM-DD).")
@click.option("--until", help="The last day to fetch (YYYY-MM-DD); default: today (UTC).")
@_digests_option
@click.option("--refresh", is_flag=True, help="Fetch days whose digest is there too; rewrite those that changed.")
@_retries_option
def fetch(
    date: str | None, since: str | None, until: str | None, digests_path: Path, refresh: bool, retries: int
) -> None:
    """Fetch Hugging Face Daily Papers into digests/YYYY-MM-DD.json (default: today and the 2 days before, UTC).

    The endpoint is HF_ENDPOINT (default https://huggingface.co); HF_TOKEN, when set, is sent as the token.
    """
    from generator.fetch import days_to_fetch
    from generator.fetch import fetch as fetch_days
    from generator.hub import Hub

    today = dt.datetime.now(dt.timezone.utc).date()
    try:
        days = days_to_fetch(_day(date), _day(since), _day(until), today)
    except GeneratorError as err:
        raise click.UsageError(err.message) from None
    report = fetch_days(Hub.from_environment(retries), days, digests_path, refresh, lambda days: _progress(days, "day"))
    for day, count in report.written:
        click.echo(f"{digests_path / f'{day.isoformat()}.json'}: {count} {'paper' if count == 1 else 'papers'}")
    click.echo(
        f"{len(days)} {'day' if len(days) == 1 else 'days'}: {len(report.written)} written, "
        f"{len(report.unchanged)} unchanged, {len(report.present)} already there, "
        f"{len(report.empty)} without papers, {len(report.failed)} failed"
    )
    for day, why in report.failed:
        click.echo(f"Error: {day.isoformat()}: {why}", err=True)
    if report.failed:
        raise click.exceptions.Exit(1)


@main.command()
@_digests_option
@click.option("--write-dates", is_flag=True, help="Date each undated digest the lookups date, in digests/digests.yaml.")
@_retries_option
def enrich(digests_path: Path, write_dates: bool, retries: int) -> None:
    """Find the arXiv id, authors and links of papers whose digests lack them, by exact title on Hugging Face.

    What is found goes into digests/enrichment.json, which the build reads. Undated digests whose
    papers Daily Papers listed on one day are given that day (with --write-dates).
    """
    from generator.hub import Hub

    today = dt.datetime.now(dt.timezone.utc).date()
    path = digests_path / ENRICHMENT_NAME
    try:
        with captured_warnings():  # the build's warnings are the build's to give
            digests, origins = read_digests(digests_path)
        enrichment = load_enrichment(path)
    except GeneratorError as err:
        raise click.ClickException(err.location_message()) from None
    titles = titles_to_look_up(digests, enrichment, today)
    failed = look_up_all(
        Hub.from_environment(retries), titles, enrichment, path, today, lambda titles: _progress(titles, "title")
    )
    found = sum(1 for title in titles if isinstance(enrichment.get(title_key(title)), Found))
    click.echo(
        f"Looked up {len(titles)} {'title' if len(titles) == 1 else 'titles'}: {found} found, "
        f"{len(titles) - found - len(failed)} not found, {len(failed)} failed"
    )
    try:
        _propose_dates(digests_path, digests, origins, enrichment, write_dates)
    except GeneratorError as err:
        raise click.ClickException(err.location_message()) from None
    for title, why in failed:
        click.echo(f"Error: search for {title!r}: {why}", err=True)
    if failed:
        raise click.exceptions.Exit(1)


def _propose_dates(
    digests_path: Path, digests: list[Digest], origins: dict[str, str], enrichment: Enrichment, write: bool
) -> None:
    """Print the date each undated digest's papers point to; with `write`, record it in the manifest."""
    manifest_path = digests_path / MANIFEST_NAME
    with captured_warnings():
        manifest = load_manifest(manifest_path)
        dated = resolve_dates(enrich_digests(digests, enrichment), manifest, origins)
    undated = [digest for digest in dated if digest.date is None]
    proposed = {proposal.digest: proposal for proposal in propose_dates(undated, enrichment)}
    for digest in undated:
        origin = origins[digest.name]
        proposal = proposed.get(digest.name)
        if proposal is None:
            click.echo(f"{origin}: undated; too few of its papers have a known Daily Papers date to date it")
            continue
        if not write:
            click.echo(f"{origin}: {proposal.evidence()} (--write-dates dates it so)")
            continue
        text = manifest_path.read_text(encoding="utf-8-sig") if manifest_path.is_file() else ""
        comment = f"python -m generator enrich, {dt.datetime.now(dt.timezone.utc).date()}: {proposal.evidence()}"
        new = with_digest_date(text, str(manifest_path), digest.name, proposal.date, comment)
        replace_file(manifest_path, new.encode("utf-8"))
        click.echo(f"{origin}: {proposal.evidence()}; dated {proposal.date.isoformat()} in {manifest_path}")
