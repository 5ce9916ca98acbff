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

_TEXT = CONTRACT.read_text()
# A row of the "Errors" table: | 400 | `invalid_query` | `The query ...` | when |
_ERROR_ROW = re.compile(r"^\| (\d{3}) \| `([a-z_]+)` \| `([^`]+)` \|", re.MULTILINE)
# A row of the "Configuration" table: | `PORT` | `8000` | ... or | `DATABASE_URL` | required |
_VARIABLE_ROW = re.compile(r"^\| `([A-Z_]+)` \| (?:required|`)", re.MULTILINE)
# "Limits": Request lines up to 4,096 bytes (...) with up to 100 header fields
_LIMITS = re.compile(r"Request lines up to ([\d,]+) bytes[^.]*? with up to (\d+) header fields")


def _found[T](found: T | None, what: str) -> T:
    if not found:
        raise RuntimeError(f"no {what} found in {CONTRACT}")
    return found


@dataclass(frozen=True)
class Error:
    """One documented error: its status and its exact JSON body."""

    status: int
    code: str
    detail: str

    @property
    def body(self) -> dict[str, str]:
        return {"error": self.code, "detail": self.detail}


ERRORS = {
    code: Error(int(status), code, detail)
    for status, code, detail in _found(_ERROR_ROW.findall(_TEXT), "error table")
}
# Every variable the contract defines: the kit passes a service none of the caller's own.
VARIABLES: tuple[str, ...] = tuple(_found(_VARIABLE_ROW.findall(_TEXT), "configuration table"))
_limits = _found(_LIMITS.search(" ".join(_TEXT.split())), "request limits")
# The largest request every service must answer: its request line (CRLF included), its fields.
MAX_REQUEST_LINE, MAX_HEADER_FIELDS = int(_limits[1].replace(",", "")), int(_limits[2])
