"""The names follow the blog's distribution and are reproducible from the seed."""

from __future__ import annotations

import hashlib
import statistics
from collections import Counter

from loadtest.names import ALPHABET, DEFAULT_SEED, MAX_LENGTH, first_names, seeded_names


def test_alphabet_is_the_blogs() -> None:
    assert (
        ALPHABET == "1234567890abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()_+=-"
    )
    assert len(ALPHABET) == len(set(ALPHABET)) == 76


# Computed once outside this package, by the blog's own expression on Python's module-level
# generator (``random.seed(SEED)``, then ``"".join(random.choices(TEMP, k=random.randrange(1,
# 254)))`` per name, TEMP the blog's alphabet; CPython 3.12): the seeder must store these.
BLOG_SEED = 20240820
FIRST_LENGTHS = [88, 140, 90, 207, 144]
FIRST_STARTS = ["nIg++pNtt2eL8c_R)=)DyZ9Q", "iiMdq)uZz40V0GH&08PkO6H_"]
FIRST_1000_SHA256 = "c0e75aee52845ad5cad90ec17a36bb044329170d77e9c9e3bf4f17f650edaa9b"


def test_the_seeded_names_are_the_blogs_for_that_seed() -> None:
    names = first_names(1000, seed=BLOG_SEED)
    assert [len(name) for name in names[:5]] == FIRST_LENGTHS
    assert [name[:24] for name in names[:2]] == FIRST_STARTS
    assert hashlib.sha256("\n".join(names).encode()).hexdigest() == FIRST_1000_SHA256
    assert BLOG_SEED == DEFAULT_SEED


def test_another_seed_another_stream() -> None:
    other = first_names(3, seed=1)  # the blog's expression after random.seed(1)
    assert [len(name) for name in other] == [35, 107, 49]
    assert other[0].startswith("HY59VzsfB^tKWQkY")
    stream = seeded_names(1)
    assert [next(stream) for _ in range(3)] == other


def test_lengths_and_characters_are_uniform() -> None:
    names = first_names(20_000, seed=3)
    lengths = [len(name) for name in names]
    assert min(lengths) == 1
    assert max(lengths) == MAX_LENGTH
    # Uniform on 1..253: mean 127, standard deviation about 73.
    assert abs(statistics.mean(lengths) - 127) < 2
    assert abs(statistics.pstdev(lengths) - 73) < 2
    counts = Counter("".join(names))
    assert set(counts) == set(ALPHABET)
    expected = sum(counts.values()) / len(ALPHABET)
    assert all(abs(count / expected - 1) < 0.03 for count in counts.values())
