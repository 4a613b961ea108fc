"""The import tests' copies of public data (tests/data/) are the files as published: each
matches its recorded SHA-256, and the original in ``shared/`` byte for byte where CI lays
``shared/`` out beside the checkout."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(__file__).resolve().parents[2] / "shared/data"
# `sha256sum` lines: digest, two spaces, path.
RECORDED = {
    path: digest
    for digest, path in (
        line.split("  ", 1) for line in (DATA / "SHA256SUMS").read_text().splitlines()
    )
}


def test_every_copy_is_recorded() -> None:
    copies = {
        str(p.relative_to(DATA))
        for p in DATA.rglob("*")
        if p.is_file() and p.name not in ("SHA256SUMS", "README.md")
    }
    assert copies == set(RECORDED)
    assert len(copies) == 4


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_a_copy_is_unmodified(name: str) -> None:
    copy = DATA / name
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == RECORDED[name]
    original = SHARED / name
    if original.exists():
        assert copy.read_bytes() == original.read_bytes()
