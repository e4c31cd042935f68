"""The Hugging Face API as the archive uses it: the Daily Papers of a day, and papers by title.

Requests go through huggingface_hub's shared HTTP session with its headers (its user agent, and
the token from HF_TOKEN when that is set); the endpoint is HF_ENDPOINT (default
https://huggingface.co). Every request has a timeout. A 429 or 5xx answer, a timeout or a
dropped connection is retried after a wait that doubles each time, or after what the answer's
Retry-After asks; a request is retried at most `retries` times, and a run at most RUN_RETRIES
times in all, so that a backfill against a failing server ends instead of waiting for hours.
An answer that is not a JSON list is an error, never half read.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import os
import time
from typing import Any

import httpx2
from huggingface_hub.utils import build_hf_headers, get_session

from generator.errors import HubError

DEFAULT_ENDPOINT = "https://huggingface.co"
PAGE_SIZE = 100  # the most the API gives a page
MAX_PAGES = 100  # 10,000 papers is no real day
TIMEOUT = 30.0  # seconds, for each request
RETRIES = 5  # retries of one request
RUN_RETRIES = 50  # retries in one run, all requests together
FIRST_WAIT = 1.0  # seconds before the first retry; doubled for each next one
LONGEST_WAIT = 120.0  # a server that asks for a longer wait is given up on, for this run
RETRIED = frozenset({429, 500, 502, 503, 504})


class Hub:
    """A client of the API, with a budget of retries for the whole run."""

    def __init__(self, endpoint: str, token: str | None = None, retries: int = RETRIES) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._headers = build_hf_headers(token=token or False)  # False: never a token saved on disk
        self.retries = retries
        self.budget = RUN_RETRIES

    @classmethod
    def from_environment(cls, retries: int = RETRIES) -> Hub:
        """A client for HF_ENDPOINT, with HF_TOKEN when it is set."""
        endpoint = os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT
        return cls(endpoint, os.environ.get("HF_TOKEN") or None, retries)

    def daily_papers(self, day: dt.date) -> list[Any]:
        """Every item Daily Papers lists for a day, all pages joined in the API's order.

        A paper that a later page repeats (the list moved while it was read) is kept once.
        """
        items: list[Any] = []
        seen: set[str] = set()
        for page in range(MAX_PAGES):
            batch = self.get_list("/api/daily_papers", {"date": day.isoformat(), "p": page, "limit": PAGE_SIZE})
            new = [item for item in batch if _paper_id(item) is None or _paper_id(item) not in seen]
            if len(batch) == PAGE_SIZE and not new:
                raise HubError(f"page {page + 1} repeats the papers of the pages before it")
            seen.update(identifier for item in new if (identifier := _paper_id(item)) is not None)
            items += new
            if len(batch) < PAGE_SIZE:
                return items
        raise HubError(f"more than {MAX_PAGES} pages of {PAGE_SIZE} papers")

    def search(self, query: str) -> list[Any]:
        """The items the paper search answers for a text."""
        return self.get_list("/api/papers/search", {"q": query})

    def get_list(self, path: str, params: dict[str, Any]) -> list[Any]:
        """The JSON list an API path answers; anything else is a HubError."""
        response = self._get(path, params)
        try:
            document = json.loads(response.content)
        except (ValueError, RecursionError) as err:
            kind = response.headers.get("content-type", "").split(";")[0].strip()
            if kind == "text/html" or response.content.lstrip()[:1] == b"<":
                raise HubError("the answer is an HTML page, not JSON") from None
            raise HubError(f"the answer is not JSON, or cut short ({err})") from None
        if not isinstance(document, list):
            raise HubError(f"expected a JSON list of papers, got {_kind(document)}")
        return document

    def _get(self, path: str, params: dict[str, Any]) -> httpx2.Response:
        """A successful answer to a GET, retried as the module docstring says."""
        url = self.endpoint + path
        wait, tries = FIRST_WAIT, 0
        while True:
            try:
                response = get_session().get(url, params=params, headers=self._headers, timeout=TIMEOUT)
            except httpx2.TransportError as err:
                problem, asked = f"no answer ({type(err).__name__})", None
            else:
                if response.status_code < 400:
                    return response
                problem = f"HTTP {response.status_code} {response.reason_phrase}".strip()
                if response.status_code not in RETRIED:
                    raise HubError(problem)
                asked = retry_after(response.headers.get("retry-after"))
            if tries >= self.retries or self.budget <= 0:
                raise HubError(f"{problem}; gave up after {tries} {'retry' if tries == 1 else 'retries'}")
            pause = wait if asked is None else asked
            if pause > LONGEST_WAIT:
                raise HubError(f"{problem}; the server asks to wait {pause:.0f} s, longer than {LONGEST_WAIT:.0f} s")
            time.sleep(pause)
            tries += 1
            self.budget -= 1
            wait *= 2


def retry_after(value: str | None) -> float | None:
    """The seconds a Retry-After header asks to wait (a number, or an HTTP date), or None."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, (when - dt.datetime.now(dt.timezone.utc)).total_seconds())


def _paper_id(item: Any) -> str | None:
    """The paper id of an item (in its `paper` object, or on the item itself), if it has one."""
    if not isinstance(item, dict):
        return None
    paper = item.get("paper")
    found = paper.get("id") if isinstance(paper, dict) else item.get("id")
    return found if isinstance(found, str) else None


def _kind(value: Any) -> str:
    """How an error names a JSON value's kind."""
    return {dict: "an object", str: "a string", bool: "true or false", type(None): "null"}.get(type(value), "a number")
