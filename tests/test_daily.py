"""The daily loop: `fetch` and `enrich` against a local server that answers like Hugging Face.

The server (pytest-httpserver) serves /api/daily_papers by date and page and
/api/papers/search by text, and records every request; HF_ENDPOINT points the commands at it.
Nothing here reaches the network.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import SAMPLES, Project, make_project
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from generator.cli import main
from generator.model import title_key
from generator.parse import find_digest_files, read_digest_file

TODAY = dt.datetime.now(dt.timezone.utc).date()


def item(number: int, title: str, day: dt.date, upvotes: int = 3, **paper: Any) -> dict[str, Any]:
    """A daily_papers item shaped like shared/examples/hf_daily_papers_item.json."""
    identifier = f"2503.{number:05d}"
    return {
        "paper": {
            "id": identifier,
            "authors": [{"_id": f"a{number}", "name": f"Author {number}", "hidden": False}],
            "publishedAt": f"{day - dt.timedelta(days=2)}T21:26:31.000Z",
            "submittedOnDailyAt": f"{day}T02:44:20.973Z",
            "title": title,
            "summary": f"The abstract of paper {number}, which\nspans two lines.",
            "upvotes": upvotes,
            "githubRepo": f"https://github.com/example/repo-{number}",
            **paper,
        },
        "publishedAt": f"{day - dt.timedelta(days=2)}T21:26:31.000Z",
        "title": title,
        "numComments": 1,
    }


@dataclass
class FakeHub:
    """What the stand-in server knows and what it was asked."""

    url: str
    days: dict[str, list[Any]] = field(default_factory=dict)  # date -> items
    papers: list[Any] = field(default_factory=list)  # what a search may find
    # Answers to give before the real one, by date (or by "search"): (status, headers, body)
    trouble: dict[str, list[tuple[int, dict[str, str], str]]] = field(default_factory=dict)
    requests: list[tuple[float, str, dict[str, str], str | None]] = field(default_factory=list)

    def asked(self, path: str = "/api/daily_papers") -> list[dict[str, str]]:
        """The query parameters of every request to `path`, in order."""
        return [args for _, where, args, _ in self.requests if where == path]

    def handle(self, request: Request) -> Response:
        args = dict(request.args)
        self.requests.append((time.monotonic(), request.path, args, request.headers.get("Authorization")))
        key = args.get("date", "search") if request.path == "/api/daily_papers" else "search"
        if self.trouble.get(key):
            status, headers, body = self.trouble[key].pop(0)
            return Response(body, status=status, headers=headers)
        if request.path == "/api/daily_papers":
            page, limit = int(args.get("p", 0)), int(args.get("limit", 50))
            answer = self.days.get(args["date"], [])[page * limit : (page + 1) * limit]
        else:
            words = set(title_key(args["q"]).split())
            # Like a real search: everything that shares most of the query's words, best first.
            scored = [
                (len(words & set(title_key(i["paper"]["title"]).split())), n, i) for n, i in enumerate(self.papers)
            ]
            answer = [i for score, _, i in sorted(scored, key=lambda s: (-s[0], s[1])) if score >= len(words) // 2][:5]
        return Response(json.dumps(answer), status=200, content_type="application/json")


@pytest.fixture
def hub(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    fake = FakeHub(url=httpserver.url_for("/").rstrip("/"))
    httpserver.expect_request("/api/daily_papers").respond_with_handler(fake.handle)
    httpserver.expect_request("/api/papers/search").respond_with_handler(fake.handle)
    monkeypatch.setenv("HF_ENDPOINT", fake.url)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    yield fake


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    """The command line, in this process, as a user would type it."""
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def files(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of a folder, with its bytes and modification time."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir()) if p.is_file()}


DAY = dt.date(2025, 3, 11)


# ---- fetch


def test_a_day_of_many_pages_is_one_digest_in_the_apis_order(hub: FakeHub, project: Project) -> None:
    hub.days[str(DAY)] = [item(n, f"Paper number {n}", DAY) for n in range(230)]
    result = run("fetch", "--date", str(DAY), "--digests", str(project.digests))
    assert result.exit_code == 0, result.output
    assert [(a["p"], a["limit"]) for a in hub.asked()] == [("0", "100"), ("1", "100"), ("2", "100")]
    written = json.loads((project.digests / f"{DAY}.json").read_text(encoding="utf-8"))
    assert written == hub.days[str(DAY)]  # every item, exactly as the API gave it
    assert f"{DAY}.json: 230 papers" in result.stdout
    assert "1 day: 1 written, 0 unchanged, 0 already there, 0 without papers, 0 failed" in result.stdout
    digest = read_digest_file(project.digests / f"{DAY}.json", f"{DAY}.json")
    assert len(digest.entries) == 230 and digest.own_date == DAY


def test_without_dates_it_fetches_today_and_the_two_days_before(hub: FakeHub, project: Project) -> None:
    result = run("fetch", "--digests", str(project.digests))
    assert result.exit_code == 0
    assert [a["date"] for a in hub.asked()] == [str(TODAY - dt.timedelta(days=n)) for n in (2, 1, 0)]
    assert "3 days: 0 written, 0 unchanged, 0 already there, 3 without papers, 0 failed" in result.stdout


def test_a_day_without_papers_writes_nothing_and_is_no_error(hub: FakeHub, project: Project) -> None:
    hub.days["2025-03-14"] = [item(1, "Friday's paper", dt.date(2025, 3, 14))]
    result = run("fetch", "--since", "2025-03-14", "--until", "2025-03-16", "--digests", str(project.digests))
    assert result.exit_code == 0
    assert sorted(files(project.digests)) == ["2025-03-14.json"]
    assert "3 days: 1 written, 0 unchanged, 0 already there, 2 without papers, 0 failed" in result.stdout


def test_rate_limited_it_waits_what_retry_after_asks_then_succeeds(hub: FakeHub, project: Project) -> None:
    hub.days[str(DAY)] = [item(1, "A paper", DAY)]
    hub.trouble[str(DAY)] = [(429, {"Retry-After": "1"}, "Too many requests")]
    result = run("fetch", "--date", str(DAY), "--digests", str(project.digests))
    assert result.exit_code == 0, result.output
    (first, *_), (second, *_) = hub.requests
    assert second - first >= 1.0
    assert (project.digests / f"{DAY}.json").is_file()


def test_server_errors_until_the_retries_run_out_fail_that_day_only(hub: FakeHub, project: Project) -> None:
    other = DAY + dt.timedelta(days=1)
    hub.days[str(DAY)] = [item(1, "Lost today", DAY)]
    hub.days[str(other)] = [item(2, "Fetched anyway", other)]
    hub.trouble[str(DAY)] = [(503, {"Retry-After": "0"}, "busy")] * 10
    before = project.write_digest(f"{DAY}.json", json.dumps([item(9, "Kept", DAY)]))
    kept = before.read_bytes()
    result = run(
        "fetch",
        "--since",
        str(DAY),
        "--until",
        str(other),
        "--refresh",
        "--retries",
        "2",
        "--digests",
        str(project.digests),
    )
    assert result.exit_code == 1
    assert result.stderr == f"Error: {DAY}: HTTP 503 SERVICE UNAVAILABLE; gave up after 2 retries\n"
    assert len([a for a in hub.asked() if a["date"] == str(DAY)]) == 3
    assert before.read_bytes() == kept  # a failed answer never replaces a digest
    assert json.loads((project.digests / f"{other}.json").read_text(encoding="utf-8"))[0]["title"] == "Fetched anyway"
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        ("<!doctype html><html><body>Maintenance</body></html>", "text/html", "the answer is an HTML page, not JSON"),
        ('[{"paper": {"id": "2503.00001", "title": "Cut', "application/json", "the answer is not JSON, or cut short"),
        ('{"error": "Invalid date"}', "application/json", "expected a JSON list of papers, got an object"),
    ],
)
def test_an_answer_that_is_not_a_list_of_papers_fails_its_day(
    hub: FakeHub, project: Project, body: str, content_type: str, message: str
) -> None:
    hub.trouble[str(DAY)] = [(200, {"Content-Type": content_type}, body)]
    existing = project.write_digest(f"{DAY}.json", json.dumps([item(9, "Kept", DAY)]))
    kept = existing.read_bytes()
    result = run("fetch", "--date", str(DAY), "--refresh", "--digests", str(project.digests))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {DAY}: {message}")
    assert result.stderr.count("\n") == 1
    assert existing.read_bytes() == kept
    assert sorted(p.name for p in project.digests.iterdir()) == [f"{DAY}.json"]  # no temporary file left


def test_items_without_a_paper_object_are_read_from_the_item(hub: FakeHub, project: Project) -> None:
    flat = {"id": "2503.00007", "title": "A flat item", "summary": "Fields on the item itself.", "upvotes": 4}
    hub.days[str(DAY)] = [item(1, "A nested item", DAY), flat]
    assert run("fetch", "--date", str(DAY), "--digests", str(project.digests)).exit_code == 0
    entries = read_digest_file(project.digests / f"{DAY}.json", f"{DAY}.json").entries
    assert [(e.title, e.details.arxiv_id, e.details.upvotes) for e in entries] == [
        ("A nested item", "2503.00001", 3),
        ("A flat item", "2503.00007", 4),
    ]


def test_an_item_the_archive_cannot_read_fails_its_day(hub: FakeHub, project: Project) -> None:
    hub.days[str(DAY)] = [item(1, "Fine", DAY), {"numComments": 2, "thumbnail": "x.png"}]
    result = run("fetch", "--date", str(DAY), "--digests", str(project.digests))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {DAY}: the answer cannot be read: item 2: no title\n"
    assert not (project.digests / f"{DAY}.json").exists()


def test_the_same_paper_on_two_days_is_one_paper_listed_twice(hub: FakeHub, project: Project) -> None:
    later = DAY + dt.timedelta(days=1)
    hub.days[str(DAY)] = [item(1, "Listed twice", DAY), item(2, "Once", DAY)]
    hub.days[str(later)] = [item(1, "Listed twice", later, upvotes=40)]
    assert run("fetch", "--since", str(DAY), "--until", str(later), "--digests", str(project.digests)).exit_code == 0
    project.generate()
    papers = {p["title"]: p for p in json.loads((project.docs / "papers.json").read_text(encoding="utf-8"))["papers"]}
    assert sorted(papers) == ["Listed twice", "Once"]
    assert [a["date"] for a in papers["Listed twice"]["appearances"]] == [str(later), str(DAY)]
    assert papers["Listed twice"]["upvotes"] == 40


def test_a_second_run_asks_and_writes_nothing(hub: FakeHub, project: Project) -> None:
    hub.days[str(DAY)] = [item(1, "A paper", DAY)]
    assert run("fetch", "--date", str(DAY), "--digests", str(project.digests)).exit_code == 0
    before, asked = files(project.digests), len(hub.requests)
    result = run("fetch", "--date", str(DAY), "--digests", str(project.digests))
    assert result.exit_code == 0
    assert "1 day: 0 written, 0 unchanged, 1 already there" in result.stdout
    assert len(hub.requests) == asked
    assert files(project.digests) == before


def test_refresh_rewrites_only_the_days_whose_answer_changed(hub: FakeHub, project: Project) -> None:
    later = DAY + dt.timedelta(days=1)
    hub.days[str(DAY)] = [item(1, "Growing", DAY, upvotes=3)]
    hub.days[str(later)] = [item(2, "Steady", later, upvotes=5)]
    args = ("fetch", "--since", str(DAY), "--until", str(later), "--refresh", "--digests", str(project.digests))
    assert run(*args).exit_code == 0
    before = files(project.digests)
    time.sleep(0.01)
    hub.days[str(DAY)] = [item(1, "Growing", DAY, upvotes=30)]
    result = run(*args)
    assert "2 days: 1 written, 1 unchanged, 0 already there" in result.stdout
    after = files(project.digests)
    assert after[f"{later}.json"] == before[f"{later}.json"]  # bytes and modification time
    assert json.loads(after[f"{DAY}.json"][0])[0]["paper"]["upvotes"] == 30


def test_the_token_is_sent_when_set_and_never_printed(hub: FakeHub, project: Project) -> None:
    secret = "hf_secretsecretsecret"
    hub.days[str(DAY)] = [item(1, "A paper", DAY)]
    hub.trouble[str(DAY + dt.timedelta(days=1))] = [(401, {}, f"Invalid token {secret}")]
    result = run(
        "fetch",
        "--since",
        str(DAY),
        "--until",
        str(DAY + dt.timedelta(days=1)),
        "--digests",
        str(project.digests),
        env={"HF_TOKEN": secret},
    )
    assert result.exit_code == 1
    assert [auth for *_, auth in hub.requests] == [f"Bearer {secret}"] * 2
    assert secret not in result.output
    assert result.stderr == f"Error: {DAY + dt.timedelta(days=1)}: HTTP 401 UNAUTHORIZED\n"
    run("fetch", "--date", str(DAY), "--refresh", "--digests", str(project.digests))
    assert hub.requests[-1][3] is None  # no HF_TOKEN: no token, not even one saved on disk


def test_dates_that_make_no_range_are_refused(hub: FakeHub, project: Project) -> None:
    result = run("fetch", "--since", "2025-03-12", "--until", "2025-03-11", "--digests", str(project.digests))
    assert result.exit_code == 2 and "--since 2025-03-12 is after 2025-03-11" in result.stderr
    result = run("fetch", "--date", "2025-3-1", "--digests", str(project.digests))
    assert result.exit_code == 2 and "'2025-3-1' is not a date written YYYY-MM-DD" in result.stderr
    assert hub.requests == []


# ---- enrich


def sample_titles() -> dict[str, list[str]]:
    """The titles of each sample digest, by its name."""
    return {name: [e.title for e in read_digest_file(path, name).entries] for name, path in find_digest_files(SAMPLES)}


def test_enrich_accepts_exact_titles_only(hub: FakeHub, project: Project) -> None:
    project.write_digest(
        "2025-03-11.txt",
        "Exact Match: A Paper\nIts abstract.\nNear Match For Scaling Laws\nIts abstract.\nUnknown To The Hub\nIts abstract.\n",
    )
    project.write_digest("hand.yaml", "papers:\n  - title: Known id\n    abstract: An abstract.\n    id: 2501.00001\n")
    hub.papers = [
        item(1, "exact   match:  a paper", DAY, authors=[{"name": "Ada Lovelace"}, {"name": "Alan Turing"}]),
        item(2, "Near Match For Scaling Laws Revisited", DAY),
        item(3, "Near Match For Scaling", DAY),
    ]
    result = run("enrich", "--digests", str(project.digests))
    assert result.exit_code == 0, result.output
    assert "Looked up 3 titles: 1 found, 2 not found, 0 failed" in result.stdout
    assert sorted(a["q"] for a in hub.asked("/api/papers/search")) == [
        "Exact Match: A Paper",
        "Near Match For Scaling Laws",
        "Unknown To The Hub",
    ]  # never the paper whose digest gives its id
    saved = json.loads((project.digests / "enrichment.json").read_text(encoding="utf-8"))["papers"]
    assert saved == {
        "exact match: a paper": {
            "arxiv_id": "2503.00001",
            "authors": ["Ada Lovelace", "Alan Turing"],
            "github": "https://github.com/example/repo-1",
            "listed": str(DAY),
            "published": str(DAY - dt.timedelta(days=2)),
            "title": "exact   match:  a paper",  # as Hugging Face writes it
            "upvotes": 3,
        },
        "near match for scaling laws": {"not_found": str(TODAY)},
        "unknown to the hub": {"not_found": str(TODAY)},
    }
    # Not found is asked again only after 30 days: not on the next run.
    again = run("enrich", "--digests", str(project.digests))
    assert "Looked up 0 titles" in again.stdout
    path = project.digests / "enrichment.json"
    path.write_text(path.read_text(encoding="utf-8").replace(str(TODAY), "2020-01-01"), encoding="utf-8")
    assert "Looked up 2 titles: 0 found, 2 not found" in run("enrich", "--digests", str(project.digests)).stdout


def test_two_papers_with_the_same_title_are_not_guessed_between(hub: FakeHub, project: Project) -> None:
    project.write_digest("2025-03-11.txt", "Attention Is All You Need\nIts abstract.\n")
    hub.papers = [item(1, "Attention Is All You Need", DAY), item(2, "Attention is all you need", DAY)]
    assert "0 found, 1 not found" in run("enrich", "--digests", str(project.digests)).stdout


def test_a_failed_search_is_named_and_tried_again_next_run(hub: FakeHub, project: Project) -> None:
    project.write_digest("2025-03-11.txt", "Exact Match: A Paper\nIts abstract.\n")
    hub.papers = [item(1, "Exact Match: A Paper", DAY)]
    hub.trouble["search"] = [(500, {"Retry-After": "0"}, "oops")] * 2
    result = run("enrich", "--retries", "1", "--digests", str(project.digests))
    assert result.exit_code == 1
    assert (
        result.stderr
        == "Error: search for 'Exact Match: A Paper': HTTP 500 INTERNAL SERVER ERROR; gave up after 1 retry\n"
    )
    assert json.loads((project.digests / "enrichment.json").read_text(encoding="utf-8"))["papers"] == {}
    assert "1 found" in run("enrich", "--digests", str(project.digests)).stdout


@pytest.fixture
def samples_on_the_hub(hub: FakeHub) -> Callable[[dict[str, list[str]]], dict[str, str]]:
    """Put every sample paper on the stand-in hub once, listed on a day its first digest in
    `days` gives (cycling through that digest's list; 2025-03-10 for digests not in it); return
    the days by normalised title."""

    def put(days: dict[str, list[str]]) -> dict[str, str]:
        titles = sample_titles()
        listed: dict[str, str] = {}
        for name in [*days, *sorted(set(titles) - set(days))]:
            cycle = days.get(name, ["2025-03-10"])
            for title in titles[name]:
                if title_key(title) not in listed:
                    listed[title_key(title)] = cycle[len(listed) % len(cycle)]
                    hub.papers.append(item(len(listed), title, dt.date.fromisoformat(listed[title_key(title)])))
        return listed

    return put


def test_enrich_proposes_the_date_of_an_undated_digest_and_writes_it_when_asked(
    hub: FakeHub, samples_on_the_hub: Callable[[dict[str, list[str]]], dict[str, str]], tmp_path: Path
) -> None:
    project = make_project(tmp_path / "project", with_samples=True)
    undated, mixed = "001_c01efbc168af1d01.txt", "004_f019b22ff51ba297.txt"
    listed = samples_on_the_hub({undated: ["2025-03-12"], mixed: ["2025-03-05", "2025-03-06", "2025-03-07"]})
    keys = {title_key(t) for t in sample_titles()[undated]}
    unknown = sample_titles()[undated][0]
    hub.papers = [p for p in hub.papers if p["paper"]["title"] != unknown]
    on_the_day = sum(1 for key in keys if listed[key] == "2025-03-12" and key != title_key(unknown))
    assert len(keys) - 3 < on_the_day < len(keys)  # most, not all, of its papers
    manifest = project.digests / "digests.yaml"
    before = manifest.read_text(encoding="utf-8")
    result = run("enrich", "--digests", str(project.digests))
    assert result.exit_code == 0, result.output
    evidence = f"{on_the_day} of {len(keys)} papers were listed on 2025-03-12"
    assert f"{project.digests}/{undated}: {evidence} (--write-dates dates it so)" in result.stdout
    assert (
        f"{project.digests}/{mixed}: undated; too few of its papers have a known Daily Papers date to date it"
        in result.stdout
    )
    assert manifest.read_text(encoding="utf-8") == before  # never dated silently
    result = run("enrich", "--write-dates", "--digests", str(project.digests))
    assert f"dated 2025-03-12 in {manifest}" in result.stdout
    after = manifest.read_text(encoding="utf-8")
    assert after.startswith(before.split("digests:\n")[0])  # its comments stay
    assert f"# python -m generator enrich, {TODAY}: {evidence}\n" in after
    meta = yaml.safe_load(after)["digests"]
    assert meta[undated] == {"date": dt.date(2025, 3, 12)}
    assert mixed not in meta and meta["000_5680ee61c9326170.txt"] == {"year": 2025}
    project.generate()
    assert (project.docs / "archive" / "2025-03-12.md").is_file()


def test_after_fetch_and_enrich_the_site_builds_offline_with_arxiv_and_author_links(
    hub: FakeHub, httpserver: HTTPServer, project: Project
) -> None:
    project.write_digest("2025-03-10.txt", "Exact Match: A Paper\nIts abstract.\n")
    hub.papers = [item(1, "Exact Match: A Paper", DAY, authors=[{"name": "Ada Lovelace"}])]
    hub.days[str(DAY)] = [item(2, "Fetched Paper", DAY)]
    assert run("fetch", "--date", str(DAY), "--digests", str(project.digests)).exit_code == 0
    assert run("enrich", "--digests", str(project.digests)).exit_code == 0
    httpserver.stop()  # the network is gone: the build needs none
    project.generate()
    project.mkdocs()
    page = project.page("papers/exact-match-a-paper/")
    assert 'href="https://arxiv.org/abs/2503.00001"' in page
    assert 'href="https://arxiv.org/pdf/2503.00001"' in page
    assert 'href="https://huggingface.co/papers/2503.00001"' in page
    assert 'href="../../authors/ada-lovelace/"' in page
    assert "eprint = {2503.00001}" in html.unescape(page) and "archivePrefix = {arXiv}" in html.unescape(page)
    assert "Ada Lovelace" in project.page("authors/ada-lovelace/")
    assert 'href="https://arxiv.org/abs/2503.00002"' in project.page("papers/fetched-paper/")
