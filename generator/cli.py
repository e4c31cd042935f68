"""Command line: a thin layer over generator.pipeline."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import click

from generator.errors import GeneratorError
from generator.pipeline import build as run_build


class _CountingHandler(logging.Handler):
    """Print warnings as one line each on stderr and count them for --strict."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        click.echo(f"Warning: {record.getMessage()}", err=True)


@click.group()
@click.version_option(package_name="daily-papers-archive")
def main() -> None:
    """Build a browsable archive of Hugging Face Daily Papers digests."""


@main.command()
@click.option(
    "--digests",
    "digests_dir",
    type=click.Path(path_type=Path),
    default=Path("digests"),
    show_default=True,
    help="Folder of digest files (and digests.yaml, urls.tsv).",
)
@click.option(
    "--docs",
    "docs_dir",
    type=click.Path(path_type=Path),
    default=Path("site_src"),
    show_default=True,
    help="MkDocs docs_dir to write the generated pages into.",
)
@click.option(
    "--taxonomy",
    "taxonomy_path",
    type=click.Path(path_type=Path),
    default=Path("taxonomy.yaml"),
    show_default=True,
    help="Topic taxonomy (YAML); without it the site has no topics.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=Path("mkdocs.yml"),
    show_default=True,
    help="MkDocs configuration to read the site's name and site_url (for feeds and exports) from.",
)
@click.option("--strict", is_flag=True, help="Fail (exit 1) if there were warnings.")
def build(digests_dir: Path, docs_dir: Path, taxonomy_path: Path, config_path: Path, strict: bool) -> None:
    """Generate the site's pages from the digests."""
    handler = _CountingHandler()
    logger = logging.getLogger("generator")
    logger.addHandler(handler)
    logger.propagate = False
    started = time.perf_counter()
    try:
        result = run_build(digests_dir, docs_dir, taxonomy_path, config_path=config_path)
    except GeneratorError as err:
        raise click.ClickException(err.location_message()) from None
    except OSError as err:
        raise click.ClickException(f"{err.filename or ''}: {err.strerror or err}") from None
    finally:
        logger.removeHandler(handler)
    archive, report = result.archive, result.report
    seconds = time.perf_counter() - started
    click.echo(
        f"{len(archive.papers)} papers from {len(archive.digests)} digests: "
        f"{len(report.written)} files written, {report.unchanged} unchanged, "
        f"{len(report.removed)} removed, in {seconds:.2f} s"
    )
    if strict and handler.count:
        raise click.ClickException(f"{handler.count} warning(s) and --strict was given")
