"""Values the tests need from CONTRACT.md, read from CONTRACT.md itself so they cannot drift."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CONTRACT = Path(__file__).with_name("CONTRACT.md")
ENDPOINTS = ("/demo", "/idle", "/healthz", "/readyz")
ALLOW = "GET, HEAD"
JSON = "application/json"
MAX_NAME = 255

# A row of the "Errors" table: | 400 | `invalid_query` | `The query ...` | when |
_ERROR_ROW = re.compile(r"^\| (\d{3}) \| `([a-z_]+)` \| `([^`]+)` \|", re.MULTILINE)
# "Limits": Request lines up to 4,096 bytes (...) with up to 100 header fields
_LIMITS = re.compile(r"Request lines up to ([\d,]+) bytes[^.]*? with up to (\d+) header fields")


@dataclass(frozen=True)
class Error:
    """One documented error: its status and its exact JSON body."""

    status: int
    code: str
    detail: str

    @property
    def body(self) -> dict[str, str]:
        return {"error": self.code, "detail": self.detail}


def _errors() -> dict[str, Error]:
    found = {
        code: Error(int(status), code, detail)
        for status, code, detail in _ERROR_ROW.findall(CONTRACT.read_text())
    }
    if not found:
        raise RuntimeError(f"no error table found in {CONTRACT}")
    return found


ERRORS = _errors()


def _limits() -> tuple[int, int]:
    found = _LIMITS.search(" ".join(CONTRACT.read_text().split()))
    if found is None:
        raise RuntimeError(f"no request limits found in {CONTRACT}")
    return int(found[1].replace(",", "")), int(found[2])


# The largest request every service must answer: its request line (CRLF included), its fields.
MAX_REQUEST_LINE, MAX_HEADER_FIELDS = _limits()
