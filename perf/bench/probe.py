"""Before any load: does ``/demo`` send the database's rows? (Seven names, one request each.)"""

from __future__ import annotations

import time
from urllib.parse import quote

import httpx

from contract.database import Database
from perf.bench.checks import answer_problem
from perf.bench.targets import Target

# Names whose answer is compared with the database's own (contract.fixtures loads them):
# several rows in id order, a NULL timestamp, collation matches, multibyte, no match.
PROBE_NAMES = ("dup", "nullable", "fixed", "CASE", "emoji 😀", "a", "missing")


def check_rows(target: Target, url: str, database: Database, deadline_s: float = 20.0) -> str:
    """``"ok"``, ``"ok (shape)"`` (the blog's apps), or what is wrong with the rows sent."""
    with httpx.Client(base_url=url, timeout=5.0) as client:
        if target.takes_name:
            for name in PROBE_NAMES:
                response = client.get(f"/demo?name={quote(name, safe='')}")
                if problem := _problem(response):
                    return f"wrong: {name!r}: {problem}"
                if response.json() != database.lookup(name):
                    return f"wrong: {name!r}: not the database's rows"
            return "ok"
        # The blog's apps draw their own random name: ask until one answers with rows (a
        # one-letter name, about one request in 250), then check their shape.
        stop = time.monotonic() + deadline_s
        while time.monotonic() < stop:
            response = client.get("/demo")
            if problem := _problem(response):
                return f"wrong: {problem}"
            if response.json():
                return "ok (shape)"
        return "unknown: no row drawn in time"


def _problem(response: httpx.Response) -> str | None:
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    return answer_problem("/demo", response.headers.get("content-type", ""), response.content)
