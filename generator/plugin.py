"""The generator as a MkDocs plugin: `mkdocs build` and `mkdocs serve` generate the pages first.

mkdocs.yml names it (`plugins: [papers-archive]`; the `mkdocs.plugins` entry point in
pyproject.toml registers it, for MkDocs and ProperDocs alike). Before each build it runs the
pipeline that `python -m generator build` runs, into the docs folder. `mkdocs serve` also
watches the digests folder and the taxonomy: a new digest regenerates the pages it changes,
and the browser reloads. A digest that cannot be read stops `mkdocs build` with its one-line
error; while serving, the error is printed and the last good pages stay served.

While serving, MkDocs watches the hand-written files and folders at the top of the docs folder
(those there when it started), not the generated ones, and the preview does not record new
papers' URLs in `digests/urls.tsv` (a build does): so the generator's own writes never start
another rebuild.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Literal

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin

from generator.errors import GeneratorError
from generator.pipeline import build
from generator.render import GENERATED_ROOTS

log = logging.getLogger("mkdocs.plugins.papers_archive")


class ArchiveConfig(base.Config):
    """The plugin's options in mkdocs.yml; paths are relative to mkdocs.yml."""

    digests = c.Type(str, default="digests")
    taxonomy = c.Type(str, default="taxonomy.yaml")
    cache = c.Type(str, default=".cache")
    lenient = c.Type(bool, default=False)


class _Forward(logging.Handler):
    """Shows the generator's warnings in MkDocs' log, as information: they are about digests,
    and must not fail `mkdocs build --strict`, which is about the site."""

    def emit(self, record: logging.LogRecord) -> None:
        log.info("Generator warning: %s", record.getMessage())


class ArchivePlugin(BasePlugin[ArchiveConfig]):
    """Generate the archive's pages before MkDocs reads the docs folder."""

    serving = False

    def on_startup(self, *, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
        """Remember whether this is a preview."""
        self.serving = command == "serve"

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        """Run the generator into the docs folder."""
        root = _relative(Path(config.config_file_path).parent)
        generator_log = logging.getLogger("generator")
        handler = _Forward(level=logging.WARNING)
        generator_log.addHandler(handler)
        propagate, generator_log.propagate = generator_log.propagate, False
        try:
            result = build(
                root / self.config.digests,
                Path(config.docs_dir),
                root / self.config.taxonomy,
                config_path=Path(config.config_file_path),
                cache_dir=root / self.config.cache,
                lenient=self.config.lenient,
                registry=not self.serving,
            )
        except GeneratorError as err:
            if not self.serving:
                raise PluginError(err.location_message()) from None
            log.error("%s (the pages of the last good build stay)", err.location_message())
            return
        finally:
            generator_log.removeHandler(handler)
            generator_log.propagate = propagate
        report = result.report
        log.info(
            "Generated %d papers from %d digests: %d files written, %d unchanged, %d removed",
            len(result.archive.papers),
            len(result.archive.digests),
            len(report.written),
            report.unchanged,
            len(report.removed),
        )

    def on_serve(self, server: LiveReloadServer, *, config: MkDocsConfig, builder: Any) -> LiveReloadServer:
        """Watch the generator's inputs, and the docs folder's hand-written files only."""
        root = Path(config.config_file_path).parent
        docs = Path(config.docs_dir)
        try:
            server.unwatch(str(docs))
        except KeyError:  # not watched: serving without live reload
            return server
        for name in sorted(os.listdir(docs)):
            if name not in GENERATED_ROOTS and not name.startswith("."):
                server.watch(str(docs / name))
        for path in (root / self.config.digests, root / self.config.taxonomy):
            if path.exists():
                server.watch(str(path))
        return server


def _relative(path: Path) -> Path:
    """A path relative to the working folder when it lies inside it (messages name files so)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path
