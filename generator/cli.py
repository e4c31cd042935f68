"""Command line: a thin layer over generator.pipeline (build) and generator.serve (preview)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from generator.errors import GeneratorError
from generator.pipeline import build as run_build
from generator.serve import Inputs
from generator.serve import serve as run_serve

F = TypeVar("F", bound=Callable[..., Any])


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
    """The options that say where the generator reads and writes, shared by `build` and `serve`."""
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


@main.command()
@build_options
@click.option(
    "--dev-addr", default="127.0.0.1:8000", show_default=True, help="Address and port `mkdocs serve` listens on."
)
def serve(dev_addr: str, **options: Any) -> None:
    """Preview the site with live reload, regenerating the pages when digests or the taxonomy change."""

    def regenerate() -> None:
        try:
            generate(options)
        except click.ClickException as err:
            err.show()  # the pages of the last good build stay served

    regenerate()
    inputs = Inputs(options["digests_path"], options["taxonomy_path"], options["config_path"])
    code = run_serve(inputs, regenerate, dev_addr)
    if code:
        raise click.exceptions.Exit(code)
