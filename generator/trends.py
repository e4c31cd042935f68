"""Trends: papers per month and the top topics month by month, as static SVG charts and tables.

The charts are drawn here, at build time, and inlined in the page: no JavaScript. They paint
with `currentColor` and Material's colour variables, so they follow the light and dark
palettes. Every number in a chart is also in a table below it. Touches no disk.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass

import jinja2
from markupsafe import Markup

from generator import markup
from generator.model import Archive, Topic

TOP_TOPICS = 8
WIDTH = 720
AXIS_FONT = 11


@dataclass(frozen=True)
class Month:
    """One calendar month: how many distinct papers its digests listed, and per topic."""

    first: dt.date
    papers: int
    topics: dict[str, int]

    @property
    def label(self) -> str:
        """The month as YYYY-MM."""
        return self.first.strftime("%Y-%m")


def months(archive: Archive) -> list[Month]:
    """Every month from the first dated digest to the last, oldest first, empty months included."""
    ids: dict[dt.date, set[str]] = {}
    for paper in archive.papers:
        for appearance in paper.appearances:
            if appearance.date is not None:
                ids.setdefault(appearance.date.replace(day=1), set()).add(paper.id)
    if not ids:
        return []
    out = []
    first, last = min(ids), max(ids)
    for index in range(first.year * 12 + first.month - 1, last.year * 12 + last.month):
        month = dt.date(index // 12, index % 12 + 1, 1)  # stepping by number: no date past the last
        members = ids.get(month, set())
        counts = Counter(name for pid in members for name in archive.by_id[pid].tags)
        out.append(Month(first=month, papers=len(members), topics=dict(counts)))
    return out


def top_topics(archive: Archive, limit: int = TOP_TOPICS) -> list[Topic]:
    """The topics with the most papers, largest first (ties by name)."""
    counts = Counter(name for paper in archive.papers for name in paper.tags)
    ranked = sorted(archive.topics, key=lambda t: (-counts[t.name], t.name))
    return [t for t in ranked if counts[t.name]][:limit]


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 times a power of ten that is at least `value` (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(int(step * power) for step in (1, 2, 5, 10) if step * power >= value)


def _label_every(count: int, room: float, chars: int = 7) -> int:
    """Label every n-th column so that labels of `chars` characters do not overlap."""
    return max(1, math.ceil(chars * AXIS_FONT * 0.62 / max(room, 1.0)))


def _svg(chart_id: str, height: int, title: str, description: str, body: list[str]) -> Markup:
    """An accessible SVG element: its title and description name it for screen readers."""
    x = markup.xml
    return Markup(
        f'<svg class="pa-chart__svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg" '
        f'font-size="{AXIS_FONT}" fill="currentColor">'
        f'<title id="{chart_id}-title">{x(title)}</title><desc id="{chart_id}-desc">{x(description)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def papers_chart(rows: list[Month]) -> Markup:
    """A bar chart of papers per month, with a labelled vertical scale."""
    left, right, top, bottom, height = 48, 12, 12, 34, 240
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    peak = max(rows, key=lambda m: (m.papers, m.first))
    scale = nice_ceiling(peak.papers)
    body = []
    for step in range(5):
        value = scale * step / 4
        y = top + plot_h - plot_h * step / 4
        body.append(f'<line class="pa-chart__grid" x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        label = f"{value:g}"
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
    slot = plot_w / len(rows)
    every = _label_every(len(rows), slot)
    for index, month in enumerate(rows):
        x0 = left + index * slot
        bar_h = plot_h * month.papers / scale
        tip = f"{month.label}: {month.papers} papers"
        body.append(
            f'<rect class="pa-chart__bar" x="{x0 + slot * 0.1:.1f}" y="{top + plot_h - bar_h:.1f}" '
            f'width="{slot * 0.8:.1f}" height="{bar_h:.1f}"><title>{markup.xml(tip)}</title></rect>'
        )
        if index % every == 0:
            body.append(
                f'<text x="{x0 + slot / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle">{month.label}</text>'
            )
    span = f"{len(rows)} months from {rows[0].label} to {rows[-1].label}" if len(rows) > 1 else f"{rows[0].label}"
    description = f"{span}; the busiest, {peak.label}, has {peak.papers} papers. The table below gives every month."
    return _svg("pa-papers", height, "Papers per month", description, body)


def topics_chart(rows: list[Month], topics: list[Topic]) -> Markup:
    """A heat map: one row per topic, one column per month, stronger where more of the month's papers have it."""
    left, right, top, row_h = 210, 12, 8, 24
    height = top + row_h * len(topics) + 30
    plot_w = WIDTH - left - right
    slot = plot_w / len(rows)
    shares = {(t.name, m.first): m.topics.get(t.name, 0) / m.papers if m.papers else 0.0 for t in topics for m in rows}
    strongest = max(shares.values(), default=0.0) or 1.0
    body = []
    for row, topic in enumerate(topics):
        y = top + row * row_h
        name = topic.name if len(topic.name) <= 30 else topic.name[:29] + "…"
        body.append(f'<text x="{left - 8}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end">{markup.xml(name)}</text>')
        for index, month in enumerate(rows):
            share = shares[(topic.name, month.first)]
            count = month.topics.get(topic.name, 0)
            tip = f"{topic.name}, {month.label}: {count} of {month.papers} papers ({share:.0%})"
            body.append(
                f'<rect class="pa-chart__cell" x="{left + index * slot + 1:.1f}" y="{y + 1}" '
                f'width="{max(slot - 2, 1):.1f}" height="{row_h - 2}" fill-opacity="{share / strongest:.3f}">'
                f"<title>{markup.xml(tip)}</title></rect>"
            )
    every = _label_every(len(rows), slot)
    for index, month in enumerate(rows):
        if index % every == 0:
            x = left + index * slot + slot / 2
            body.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle">{month.label}</text>')
    description = (
        f"The {len(topics)} largest topics, month by month from {rows[0].label} to {rows[-1].label}: the stronger a "
        "cell's colour, the larger the share of that month's papers on the topic. The table below gives the numbers."
    )
    return _svg("pa-topics", height, "Top topics over time", description, body)


def trends_page(env: jinja2.Environment, archive: Archive) -> str:
    """The trends page: both charts, each followed by its numbers as a table."""
    rows = months(archive)
    topics = top_topics(archive)
    return env.get_template("trends.md.j2").render(
        months=list(reversed(rows)),
        topics=topics,
        papers_chart=papers_chart(rows) if rows else None,
        topics_chart=topics_chart(rows, topics) if rows and topics else None,
        undated=sum(1 for p in archive.papers if p.first_date is None),
    )
