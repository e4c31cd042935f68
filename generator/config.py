"""The site's name and public URL, read from mkdocs.yml so that MkDocs and the generator agree.

mkdocs.yml is the one source of truth: its `site_url` is usually `!ENV [SITE_URL, ...]`, so the
publish workflow sets the environment variable and both MkDocs (canonical links, sitemap) and
the generator (feeds, exports) see the same value. `!ENV` is resolved exactly as MkDocs does it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from yaml_env_tag import construct_env_tag

from generator.errors import GeneratorError, read_text
from generator.model import Site

CONFIG_NAME = "mkdocs.yml"


class _Loader(yaml.SafeLoader):
    """Safe YAML plus MkDocs' `!ENV`; any other tag (`!relative`, `!!python/name:`) reads as None."""


_Loader.add_constructor("!ENV", construct_env_tag)
_Loader.add_multi_constructor("", lambda loader, suffix, node: None)


def load_site(path: Path) -> Site:
    """Read the site's settings; without a config file the site has its default name and no URL."""
    if not path.is_file():
        return Site()
    try:
        data = yaml.load(read_text(path), Loader=_Loader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise GeneratorError(f"invalid YAML: {getattr(err, 'problem', None) or err}", str(path), line) from None
    if not isinstance(data, dict):
        raise GeneratorError("expected a mapping of settings", str(path))
    return site_from(data, str(path))


def site_from(data: dict[str, Any], source: str) -> Site:
    """Check `site_name` and `site_url` and normalise the URL to end with a slash."""
    name = data.get("site_name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise GeneratorError(f"site_name must be text, got {name!r}", source)
    url = data.get("site_url")
    if url is None or url == "":
        return Site(name=name or Site.name)
    parts = urlsplit(str(url))
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise GeneratorError(
            f"site_url must be an absolute http(s) URL such as https://you.github.io/repo/, got {url!r}", source
        )
    if any(c.isspace() or c in "\"'<>\\{}|^`" for c in str(url)):
        raise GeneratorError(f"site_url has characters a URL cannot hold: {url!r}", source)
    return Site(name=name or Site.name, url=str(url).rstrip("/") + "/")
