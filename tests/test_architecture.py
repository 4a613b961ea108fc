"""The house rules: dependencies point one way, and the tool that says so notices a breach."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(source: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=source,
        env={"PYTHONPATH": str(source), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_layers_are_kept() -> None:
    result = _lint_imports(ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def _with_import(tmp_path: Path, module: str, statement: str) -> Path:
    """A copy of the package in which ``module`` (a path under shieldwall/) also imports."""
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT / "src" / "shieldwall",
        copy / "shieldwall",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    source = copy / "shieldwall" / module
    source.write_text(source.read_text() + f"\n{statement}  # noqa: E402\n")
    return copy


def test_access_importing_a_feature_breaks_the_layers(tmp_path: Path) -> None:
    """Access knows no feature: an import of assistance from access fails the lint."""
    copy = _with_import(tmp_path, "access/model.py", "import shieldwall.assistance")
    result = _lint_imports(copy)
    assert result.returncode != 0
    assert "shieldwall.access is not allowed to import shieldwall.assistance" in result.stdout


def test_a_feature_importing_another_feature_breaks_the_layers(tmp_path: Path) -> None:
    copy = _with_import(tmp_path, "importers/kiel.py", "import shieldwall.assistance.model")
    result = _lint_imports(copy)
    assert result.returncode != 0
    assert "shieldwall.importers is not allowed to import shieldwall.assistance" in result.stdout
