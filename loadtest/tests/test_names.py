"""The names follow the blog's distribution and are reproducible from the seed."""

from __future__ import annotations

import random
import statistics
from collections import Counter

from loadtest.names import ALPHABET, MAX_LENGTH, first_names, random_name, seeded_names


def test_alphabet_is_the_blogs() -> None:
    assert (
        ALPHABET == "1234567890abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()_+=-"
    )
    assert len(ALPHABET) == len(set(ALPHABET)) == 76


def test_a_name_is_the_blogs_expression() -> None:
    ours, theirs = random.Random(7), random.Random(7)
    for _ in range(100):
        expected = "".join(theirs.choices(ALPHABET, k=theirs.randrange(1, 254)))
        assert random_name(ours) == expected


def test_same_seed_same_names_other_seed_other_names() -> None:
    assert first_names(50, seed=1) == first_names(50, seed=1)
    assert first_names(50, seed=1) != first_names(50, seed=2)
    stream = seeded_names(1)
    assert [next(stream) for _ in range(50)] == first_names(50, seed=1)


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
