"""The strict query-string parser and the random names of requests that give none."""

from __future__ import annotations

import pytest

from app.query import ALPHABET, InvalidName, InvalidQuery, parse_name, random_name


@pytest.mark.parametrize(
    ("query", "name"),
    [
        (b"", None),
        (b"page=2", None),
        (b"name=dup", "dup"),
        (b"name=space+inside", "space inside"),
        (b"name=a%2Bb", "a+b"),
        (b"name=%F0%9F%98%80", "\U0001f600"),
        (b"NAME=x&name_=y&name=z", "z"),
        (b"name=" + "é".encode(), "é"),  # raw UTF-8 bytes are fine too
    ],
)
def test_valid(query: bytes, name: str | None) -> None:
    assert parse_name(query) == name


@pytest.mark.parametrize("query", [b"name=%zz", b"name=%4", b"x=%ff&name=a", b"name=\xff"])
def test_invalid_query(query: bytes) -> None:
    with pytest.raises(InvalidQuery):
        parse_name(query)


@pytest.mark.parametrize("query", [b"name=", b"name", b"name=a&name=a", b"name=%00"])
def test_invalid_name(query: bytes) -> None:
    with pytest.raises(InvalidName):
        parse_name(query)


def test_random_names() -> None:
    names = [random_name() for _ in range(2000)]
    assert len(ALPHABET) == 76
    assert all(1 <= len(name) <= 253 and set(name) <= set(ALPHABET) for name in names)
