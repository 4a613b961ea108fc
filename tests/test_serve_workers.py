"""``shieldwall serve --workers 2``: two worker processes under one parent, answering on
127.0.0.1 from the database named on the command line, and gone when the parent is stopped."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import TLS, run_async
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


def serving_two_workers(url: str, port: int) -> subprocess.Popen[str]:
    """``shieldwall serve --workers 2`` on ``url``'s database, in a process of its own."""
    return subprocess.Popen(
        [*SHIELDWALL, "serve", "--db", url, "--port", str(port), "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200", "SHIELDWALL_RUN_SCHEDULER": "false"},
    )


def test_serve_with_two_workers_answers_and_stops(seeded: Context) -> None:
    url = seeded.engine.url.render_as_string(hide_password=False)
    port = free_port()
    server = serving_two_workers(url, port)
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


# ---- connections spread over the workers ----------------------------------------------------

CONNECTIONS = 64
# Each connection goes to a worker by a hash of its addresses: with 2 workers, each holds
# 32 on average, and fewer than 16 of 64 happens once in ~40,000 bursts. With one socket shared
# by the workers, a burst of connections went to whichever woke first (16/0 of 16: finding 18).
FAIR_SHARE = CONNECTIONS // 4


def held_by(pids: list[int], server_port: int, client_ports: set[int]) -> dict[int, int]:
    """How many of the client connections (by their local ports) each process holds: the
    server side of each in Linux's /proc/net/tcp (its socket's inode), found among the open
    files of each process."""
    inodes: set[str] = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], fields[9]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) in (
            client_ports
        ):
            inodes.add(f"socket:[{inode}]")
    held: dict[int, int] = {}
    for pid in pids:
        links = []
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                links.append(os.readlink(fd))
            except OSError:  # closed meanwhile
                continue
        held[pid] = len(inodes.intersection(links))
    return held


def burst(port: int, server: int) -> dict[int, int]:
    """``CONNECTIONS`` clients connecting at once and asking for /healthz on their kept-alive
    connection (each answered 200), as a load's clients do (opened one after another, the
    workers took turns even on one shared socket): how many of them each worker of ``server``
    holds, once all are answered."""

    async def one() -> asyncio.StreamWriter:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 "), head
        length = re.search(rb"(?i)content-length: *(\d+)", head)
        assert length is not None
        await reader.readexactly(int(length[1]))
        return writer

    async def clients() -> dict[int, int]:
        writers = await asyncio.wait_for(asyncio.gather(*(one() for _ in range(CONNECTIONS))), 90)
        try:
            ports = {writer.get_extra_info("sockname")[1] for writer in writers}
            return held_by(workers_of(server), port, ports)
        finally:
            for writer in writers:
                writer.close()

    return run_async(clients)


def test_serve_with_two_workers_spreads_connections_and_replaces_a_dead_worker(
    sqlite_url: str,
) -> None:
    port = free_port()
    server = serving_two_workers(sqlite_url, port)
    workers: list[int] = []
    try:
        answering(f"http://127.0.0.1:{port}/healthz", time.monotonic() + 90)
        workers = workers_of(server.pid)
        assert len(workers) == 2
        for _ in range(5):  # five bursts, not one lucky one
            held = burst(port, server.pid)
            assert sorted(held) == sorted(workers), held
            assert sum(held.values()) == CONNECTIONS, held
            assert min(held.values()) >= FAIR_SHARE, held
        # A worker killed: its socket stays open in the parent, the connections the kernel
        # gives it meanwhile wait, and its replacement (on the same socket) answers them.
        os.kill(workers[0], signal.SIGKILL)
        burst(port, server.pid)  # every connection answered, those waiting for the new worker too
        replaced = workers_of(server.pid)
        assert len(replaced) == 2 and workers[0] not in replaced and workers[1] in replaced
        workers = replaced
        held = burst(port, server.pid)
        assert sorted(held) == sorted(workers), held
        assert min(held.values()) >= FAIR_SHARE, held
    finally:
        server.send_signal(signal.SIGTERM)
        _out, err = server.communicate(timeout=60)
    assert server.returncode == 0, err
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]


def test_serve_with_two_workers_refuses_a_port_in_use(sqlite_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*SHIELDWALL, "serve", "--db", sqlite_url, "--port", str(port), "--workers", "2"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "COLUMNS": "200", "SHIELDWALL_RUN_SCHEDULER": "false"},
        )
    assert done.returncode == 1
    assert f"error: cannot listen on 127.0.0.1:{port}: Address already in use" in done.stderr
    assert "Traceback" not in done.stderr
