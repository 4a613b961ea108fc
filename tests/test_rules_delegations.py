"""Rules of seating (``delegations.model``), with the answers written out by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from shieldwall.delegations.model import is_seated, valid_code, valid_imported_code

# "An ISO 3166 alpha-3 code, or a short code such as SEC: letters only, 2 to 8 of them."
CODES: list[tuple[str, bool]] = [
    ("DEU", True),
    ("SEC", True),
    ("ukr", True),
    ("EU", True),  # two letters: the fewest
    ("ABCDEFGH", True),  # eight letters: the most
    ("D", False),
    ("ABCDEFGHI", False),
    ("", False),
    ("DE1", False),
    ("D-U", False),
    ("DE U", False),
]


@pytest.mark.parametrize(("code", "valid"), CODES)
def test_valid_code(code: str, valid: bool) -> None:
    assert valid_code(code) is valid


# Issue 11: an imported delegation's code is an ISO code or a letter and the source's id
# (FTS organisation 2924: F2924): capitals and digits, a letter first, 2 to 8 of them.
IMPORTED_CODES: list[tuple[str, bool]] = [
    ("DEU", True),
    ("EU", True),
    ("F2924", True),
    ("F1234567", True),  # eight: the most
    ("F12345678", False),
    ("F", False),
    ("2924", False),  # a letter first
    ("f2924", False),  # capitals
    ("F-292", False),
    ("FÉ12", False),
    ("", False),
]


@pytest.mark.parametrize(("code", "valid"), IMPORTED_CODES)
def test_valid_imported_code(code: str, valid: bool) -> None:
    assert valid_imported_code(code) is valid


D = dt.date
# (joined on, left on, day) → seated? A delegation sits from the day it joins and no longer
# sits from the day it leaves (Sweden joined on 7 March 2024).
SEATED: list[tuple[D | None, D | None, D, bool]] = [
    (None, None, D(2023, 7, 11), True),
    (D(2024, 3, 7), None, D(2024, 3, 6), False),
    (D(2024, 3, 7), None, D(2024, 3, 7), True),
    (D(2024, 3, 7), None, D(2024, 3, 8), True),
    (None, D(2024, 6, 1), D(2024, 5, 31), True),
    (None, D(2024, 6, 1), D(2024, 6, 1), False),
    (None, D(2024, 6, 1), D(2024, 6, 2), False),
    (D(2024, 3, 7), D(2024, 6, 1), D(2024, 4, 1), True),
    (D(2024, 3, 7), D(2024, 6, 1), D(2024, 3, 1), False),
    (D(2024, 3, 7), D(2024, 6, 1), D(2024, 7, 1), False),
]


@pytest.mark.parametrize(("joined", "left", "on", "seated"), SEATED)
def test_is_seated(joined: D | None, left: D | None, on: D, seated: bool) -> None:
    assert is_seated(joined, left, on) is seated
