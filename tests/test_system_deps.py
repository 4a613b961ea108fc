"""scripts/system-deps, which `make test` and `.ci/run` call first: silent when Debian's Chromium
and PostgreSQL are there; without them and without the rights to install, it stops at once
naming the one command to run; with the rights, it installs what is missing.

The script runs with a PATH holding only stubs of ``id``, ``sudo`` and ``apt-get`` that write
down how they were called: no test can reach the real apt-get or sudo."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "system-deps"
BASH = shutil.which("bash") or "/bin/bash"
ENV = shutil.which("env") or "/usr/bin/env"
CHMOD = shutil.which("chmod") or "/bin/chmod"


@dataclass
class Machine:
    """A machine as the script sees it: which binaries exist, who runs it, what it may do."""

    root: Path

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    @property
    def chromium(self) -> Path:
        return self.root / "usr/bin/chromium"

    @property
    def pg_bindir(self) -> Path:
        return self.root / "usr/lib/postgresql/15/bin"

    @property
    def log(self) -> Path:
        return self.root / "calls.log"

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def stub(self, name: str, body: str) -> None:
        path = self.bin / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)

    def binary(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)

    def run(self) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": str(self.bin),
            "SHIELDWALL_CHROMIUM": str(self.chromium),
            "SHIELDWALL_PG_BINDIR": str(self.pg_bindir),
        }
        return subprocess.run(
            [BASH, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30
        )


def machine_with(
    tmp_path: Path,
    *,
    installed: tuple[str, ...],
    uid: int,
    sudo: str | None = None,
    apt_installs: bool = True,
) -> Machine:
    """``sudo``: None (no sudo), "password" (sudo -n refuses) or "nopasswd"."""
    machine = Machine(tmp_path)
    machine.bin.mkdir()
    machine.pg_bindir.mkdir(parents=True)
    machine.chromium.parent.mkdir(parents=True)
    if "chromium" in installed:
        machine.binary(machine.chromium)
    if "postgresql" in installed:
        machine.binary(machine.pg_bindir / "initdb")
    machine.stub("id", f'[ "$1" = -u ] && echo {uid}')
    log = machine.log
    provide = (
        f": > {machine.chromium} && : > {machine.pg_bindir}/initdb && "
        f"{CHMOD} 755 {machine.chromium} {machine.pg_bindir}/initdb"
    )
    machine.stub(
        "apt-get",
        f'echo "apt-get $* DEBIAN_FRONTEND=$DEBIAN_FRONTEND" >> {log}\n'
        + (f'[ "$1" = install ] && {provide}\n' if apt_installs else "")
        + "exit 0",
    )
    if sudo == "password":
        machine.stub("sudo", f'echo "sudo $*" >> {log}\necho "a password is required" >&2\nexit 1')
    elif sudo == "nopasswd":
        # sudo -n true → yes; sudo -n env VAR=value apt-get … → run it as root.
        machine.stub(
            "sudo",
            f'echo "sudo $*" >> {log}\n[ "$*" = "-n true" ] && exit 0\nshift 2\nexec {ENV} "$@"',
        )
    return machine


def test_silent_when_chromium_and_postgresql_are_there(tmp_path: Path) -> None:
    machine = machine_with(tmp_path, installed=("chromium", "postgresql"), uid=1000)
    done = machine.run()
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert machine.calls() == []


@pytest.mark.parametrize(
    ("installed", "missing"),
    [
        (("postgresql",), "chromium"),
        (("chromium",), "postgresql"),
        ((), "chromium postgresql"),
    ],
)
@pytest.mark.parametrize("sudo", [None, "password"])
def test_without_the_rights_to_install_stops_at_once_naming_the_command(
    tmp_path: Path, installed: tuple[str, ...], missing: str, sudo: str | None
) -> None:
    machine = machine_with(tmp_path, installed=installed, uid=1000, sudo=sudo)
    done = machine.run()
    assert done.returncode != 0
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.rstrip().endswith(f"run: sudo apt-get install -y {missing}")
    assert not [call for call in machine.calls() if call.startswith("apt-get")]


@pytest.mark.parametrize(("uid", "sudo"), [(0, None), (1000, "nopasswd")])
def test_with_the_rights_installs_what_is_missing(
    tmp_path: Path, uid: int, sudo: str | None
) -> None:
    machine = machine_with(tmp_path, installed=("postgresql",), uid=uid, sudo=sudo)
    done = machine.run()
    assert done.returncode == 0, done.stderr
    assert [call for call in machine.calls() if call.startswith("apt-get")] == [
        "apt-get update -qq DEBIAN_FRONTEND=noninteractive",
        "apt-get install -y -qq chromium DEBIAN_FRONTEND=noninteractive",
    ]


def test_fails_when_the_install_does_not_provide_them(tmp_path: Path) -> None:
    machine = machine_with(tmp_path, installed=("postgresql",), uid=0, apt_installs=False)
    done = machine.run()
    assert done.returncode != 0
    assert "apt-get install did not provide them" in done.stderr
