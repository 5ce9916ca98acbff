"""The strict query-string parser on its own."""

import pytest

from demo.query import InvalidName, InvalidQuery, parse_name


@pytest.mark.parametrize(
    ("query", "name"),
    [
        (b"", None),
        (b"other=1", None),
        (b"name=dup", "dup"),
        (b"name=a+b", "a b"),
        (b"name=a%2Bb", "a+b"),
        (b"name=100%25", "100%"),
        (b"name=%F0%9F%98%80", "\U0001f600"),
        (b"name=\xf0\x9f\x98\x80", "\U0001f600"),  # raw UTF-8 bytes are fine too
        (b"name=a;b", "a;b"),  # only & separates pairs
        (b"x=&name=%20", " "),
    ],
)
def test_valid(query: bytes, name: str | None) -> None:
    assert parse_name(query) == name


@pytest.mark.parametrize("query", [b"name=%", b"name=%a", b"%%", b"name=%FE", b"name=\xc3("])
def test_invalid_query(query: bytes) -> None:
    with pytest.raises(InvalidQuery):
        parse_name(query)


@pytest.mark.parametrize("query", [b"name=", b"name&x=1", b"name=a&name=a", b"name=%00"])
def test_invalid_name(query: bytes) -> None:
    with pytest.raises(InvalidName):
        parse_name(query)


def test_length_counts_code_points() -> None:
    assert parse_name(b"name=" + b"%C3%A9" * 255) == "\xe9" * 255
    with pytest.raises(InvalidName):
        parse_name(b"name=" + b"%C3%A9" * 256)
