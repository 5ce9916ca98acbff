"""The blog's names: what the seeder stores and what the ``demo-hit`` scenario asks for.

The services draw a random name per request exactly like this (CONTRACT.md); the seeder uses the
same expression with a seeded ``random.Random``, so the i-th row (in id order) holds the i-th
name of the stream and any process can regenerate the names that exist from the seed alone, with no
database access (the load generator's workers never need credentials).
"""

from __future__ import annotations

import random
from itertools import islice
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

ALPHABET = "1234567890abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()_+=-"
MAX_LENGTH = 253  # random.randrange(1, 254): 1 to 253 characters
DEFAULT_SEED = 20240820  # the blog's date

# The seeder writes names into a tab-separated file unescaped; this keeps that safe.
assert not set(ALPHABET) & set("\\\t\n\r"), "ALPHABET must stay free of TSV special characters"


def random_name(rng: random.Random) -> str:
    """One name, drawn exactly as the blog's services draw theirs."""
    return "".join(rng.choices(ALPHABET, k=rng.randrange(1, MAX_LENGTH + 1)))


def seeded_names(seed: int = DEFAULT_SEED) -> Iterator[str]:
    """The endless stream of names for ``seed``, in the order the seeder stores them."""
    rng = random.Random(seed)
    while True:
        yield random_name(rng)


def first_names(count: int, seed: int = DEFAULT_SEED) -> list[str]:
    """The names of the first ``count`` seeded rows."""
    return list(islice(seeded_names(seed), count))
