"""House rule: no function in src/ is longer than 60 lines, so each reads on one screen.

A function is measured from its ``def`` line to its last line; decorators are not counted.
Nested functions and methods are measured on their own (and count in their parent's length).
Alembic's generated revisions are left out: they are written once and never read as code.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "shieldwall"
SKIPPED = Path("migrations", "versions")  # relative to the package
LIMIT = 60


def function_lengths(source: str) -> Iterator[tuple[int, str, int]]:
    """(def line, name, length in lines) of every function and method in ``source``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            end = node.end_lineno or node.lineno
            yield node.lineno, node.name, end - node.lineno + 1


def too_long(package: Path, limit: int = LIMIT) -> list[str]:
    """One line per function under ``package`` longer than ``limit``: file:line name length."""
    found = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if relative.is_relative_to(SKIPPED):
            continue
        for line, name, length in function_lengths(path.read_text(encoding="utf-8")):
            if length > limit:
                found.append(f"{relative}:{line} {name} {length} lines")
    return found


def test_no_function_in_src_is_longer_than_the_limit() -> None:
    offenders = too_long(SOURCE)
    assert not offenders, f"functions longer than {LIMIT} lines:\n" + "\n".join(offenders)


def test_length_runs_from_def_to_last_line_without_decorators() -> None:
    source = (
        "@decorator\n"
        "@another(1)\n"
        "def outer() -> None:\n"
        "    async def inner() -> None:\n"
        "        pass\n"
        "\n"
        "    return None\n"
        "class Holder:\n"
        "    def method(self) -> int:\n"
        "        return 1\n"
    )
    assert sorted(function_lengths(source)) == [(3, "outer", 5), (4, "inner", 2), (9, "method", 2)]


def test_the_rule_names_each_offender(tmp_path: Path) -> None:
    body = "".join(f"    x{n} = {n}\n" for n in range(LIMIT))  # def line + LIMIT = one too many
    (tmp_path / "long.py").write_text(
        f"def long_one() -> None:\n{body}\ndef short() -> None: ...\n"
    )
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (versions / "0001_generated.py").write_text(f"def upgrade() -> None:\n{body}")
    assert too_long(tmp_path) == [f"long.py:1 long_one {LIMIT + 1} lines"]
