"""Fetch Daily Papers from Hugging Face into digests: `digests/YYYY-MM-DD.json`, one a day.

A digest keeps the API's answer as it came (the JSON list of items, every page of the day
joined), written readably so that a refresh shows as a small diff. A day is written only
when the archive can read its answer, and only in whole (a temporary file, then a rename);
a failed or empty answer never replaces a digest that is there. A digest already there is
left alone unless `refresh` is asked: then it is rewritten only if the answer changed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import GeneratorError, HubError, captured_warnings
from generator.hub import Hub
from generator.structured import parse_json_digest
from generator.write import replace_file

DEFAULT_DAYS = 3  # without dates: today and the two days before


@dataclass
class FetchReport:
    """What a fetch did, day by day."""

    written: list[tuple[dt.date, int]] = field(default_factory=list)  # (day, papers)
    unchanged: list[dt.date] = field(default_factory=list)  # refreshed, and the same
    present: list[dt.date] = field(default_factory=list)  # a digest is there: not asked again
    empty: list[dt.date] = field(default_factory=list)  # no papers that day
    failed: list[tuple[dt.date, str]] = field(default_factory=list)  # (day, why)


def days_to_fetch(date: dt.date | None, since: dt.date | None, until: dt.date | None, today: dt.date) -> list[dt.date]:
    """The days a fetch covers, oldest first: one `date`, or `since` to `until` (default today;
    without `since`, the DEFAULT_DAYS days up to `until`)."""
    if date is not None:
        if since is not None or until is not None:
            raise GeneratorError("give either --date, or --since and --until, not both")
        return [date]
    last = until or today
    first = since or last - dt.timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise GeneratorError(f"--since {first.isoformat()} is after {last.isoformat()}")
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def digest_text(items: list[Any]) -> str:
    """A day's items as a digest file: the API's JSON, one field a line, keys in the API's order."""
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


def fetch_day(hub: Hub, day: dt.date, folder: Path, refresh: bool, report: FetchReport) -> None:
    """Fetch one day into `folder`, adding what happened to `report`."""
    path = folder / f"{day.isoformat()}.json"
    if path.exists() and not refresh:
        report.present.append(day)
        return
    try:
        items = hub.daily_papers(day)
    except HubError as err:
        report.failed.append((day, str(err)))
        return
    if not items:
        report.empty.append(day)
        return
    text = digest_text(items)
    try:
        with captured_warnings():  # what the build will say of the digest, it says then
            parse_json_digest(text, path.name, str(path))
    except GeneratorError as err:
        report.failed.append((day, f"the answer cannot be read: {err.message}"))
        return
    data = text.encode("utf-8")
    if path.is_file() and path.read_bytes() == data:
        report.unchanged.append(day)
        return
    folder.mkdir(parents=True, exist_ok=True)
    replace_file(path, data)
    report.written.append((day, len(items)))


def fetch(
    hub: Hub,
    days: list[dt.date],
    folder: Path,
    refresh: bool = False,
    progress: Callable[[list[dt.date]], Any] = iter,
) -> FetchReport:
    """Fetch each day in turn; a failed day is reported and the others go on. `progress`
    wraps the list of days (a progress bar)."""
    report = FetchReport()
    for day in progress(days):
        fetch_day(hub, day, folder, refresh, report)
    return report
