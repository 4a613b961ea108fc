"""The ``shieldwall`` command line run inside the test's process (typer's CliRunner), answered as
a subprocess answers: exit code, standard output and standard error apart, and an exception that
escapes a command printed as Python prints it (a traceback on standard error, exit 1), so that
"one line, no stack trace" is checked as before. A Python process per command spent 0.6–1.6 s
importing before it did anything, paid by every command of the CLI tests; the installed command
in a process of its own is still run, by ``tests/test_cli.py``'s subprocess tests."""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from pathlib import Path

from typer.testing import CliRunner

from shieldwall.cli import app
from shieldwall.cli_common import err, out
from shieldwall.kit.settings import get_settings

# The two ways a user starts the command in a process of its own: the module, and the
# installed script (pyproject's [project.scripts]).
SHIELDWALL = (sys.executable, "-m", "shieldwall")
INSTALLED = (str(Path(sys.executable).with_name("shieldwall")),)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``shieldwall *args`` with the environment's ``env`` added, as a fresh process sees it."""
    environment = {"COLUMNS": "200", **(env or {})}
    # A process sizes the CLI's consoles from COLUMNS when it imports them; this one imported
    # them under its own (xdist's workers have COLUMNS=80), so they are sized here as a process
    # given ``environment`` would size them.
    for console in (out, err):
        console.width = int(environment["COLUMNS"])
    get_settings.cache_clear()  # a process reads its settings from the environment it is given
    try:
        result = CliRunner().invoke(app, list(args), env=environment, catch_exceptions=True)
    finally:
        get_settings.cache_clear()
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    command = [*SHIELDWALL, *args]
    return subprocess.CompletedProcess(command, result.exit_code, result.stdout, stderr)


def run_process(
    *args: str, env: dict[str, str] | None = None, command: tuple[str, ...] = SHIELDWALL
) -> subprocess.CompletedProcess[str]:
    """``shieldwall *args`` in a process of its own, as a user runs it."""
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )
