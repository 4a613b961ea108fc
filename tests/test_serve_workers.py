"""``shieldwall serve --workers 2``: two worker processes under one parent, answering on
127.0.0.1 from the database named on the command line, and gone when the parent is stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import TLS
from tests.platform import TestPlatform as Context
from tests.smtpserver import free_port

SHIELDWALL = [sys.executable, "-m", "shieldwall"]


def workers_of(pid: int) -> list[int]:
    """The worker processes ``pid`` started (Linux's /proc): multiprocessing's spawned
    children, not its resource tracker."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            command = Path(f"/proc/{child}/cmdline").read_bytes()
            if b"spawn_main" in command:
                found.append(int(child))
    return found


def answering(url: str, deadline: float) -> httpx.Response:
    while True:
        try:
            return httpx.get(url, timeout=5, verify=TLS)
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_serve_with_two_workers_answers_and_stops(seeded: Context) -> None:
    url = seeded.engine.url.render_as_string(hide_password=False)
    port = free_port()
    server = subprocess.Popen(
        [*SHIELDWALL, "serve", "--db", url, "--port", str(port), "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200", "SHIELDWALL_RUN_SCHEDULER": "false"},
    )
    workers: list[int] = []
    try:
        base = f"http://127.0.0.1:{port}"
        health = answering(f"{base}/healthz", time.monotonic() + 90)
        assert health.status_code == 200
        assert health.json()["database"]["backend"] == seeded.engine.dialect.name
        workers = workers_of(server.pid)
        assert len(workers) == 2
        # The workers read the test's database: the seeded council's public figures.
        for _ in range(4):
            public = httpx.get(f"{base}/api/v1/public/summary", timeout=10, verify=TLS)
            assert public.status_code == 200
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=60)
    assert server.returncode == 0, err
    assert f"Serving Shieldwall on http://127.0.0.1:{port}/  (2 worker processes;" in out
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
