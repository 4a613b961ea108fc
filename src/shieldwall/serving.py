"""Several worker processes answering on one port, each accepting connections of its own.

uvicorn's supervisor (``uvicorn.supervisors.Multiprocess``) starts the workers, replaces one
that dies or stops answering its health check, and stops them all on SIGINT or SIGTERM; it is
used here as it is, with one difference: uvicorn gives every worker the same listening
socket, and a burst of connections is then accepted by whichever worker wakes first (16/0,
14/2 or 9/7 of 16 kept-alive connections: one process served them all, the others idled;
benchmarks/api_load.py, findings 18 and 21). Here each worker listens on a socket of its own,
all bound to the one address with ``SO_REUSEPORT``: the kernel hashes each new connection to
one of them, so each worker receives its share whoever is awake. libuv's old remedy for a
shared socket, ``UV_TCP_SINGLE_ACCEPT``, is gone from the libuv that uvloop bundles (1.45
removed it: it accepts one connection per turn of the loop, which does not help a worker that
is not running).

The sockets are opened here, in the parent, and stay open there: a worker that dies leaves its
socket listening, the connections the kernel gives it wait in its queue, and its replacement
listens on the same socket and answers them (none is refused)."""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from uvicorn import Config
from uvicorn.supervisors import Multiprocess

logger = logging.getLogger("uvicorn.error")

# Linux spreads the connections over sockets sharing a port with SO_REUSEPORT; BSD and macOS
# give them all to one of the sockets, and Windows has no such option: there, the workers
# share uvicorn's one socket as before.
SOCKET_PER_WORKER = sys.platform.startswith("linux")


def listening_sockets(host: str, port: int, count: int, backlog: int) -> list[socket.socket]:
    """``count`` sockets listening on ``host``:``port`` (0: a free port, the same for all), each
    for one worker. They listen from here on, before the workers start: a worker that started
    sooner than the others would otherwise take every connection made meanwhile (the kernel
    spreads connections over the sockets that listen), and keep them. Raises ``OSError`` if the
    address is taken, also by another server using ``SO_REUSEPORT`` (which would otherwise share
    the port with this one unnoticed)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # The probe: a plain bind fails if anything listens on the port (SO_REUSEADDR only lets a
    # port in TIME_WAIT be reused, as uvicorn binds).
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        port = probe.getsockname()[1]
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            sock.listen(backlog)
            sock.set_inheritable(True)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class SocketPerWorker(Multiprocess):
    """uvicorn's supervisor, worker ``i`` listening on ``sockets[i]`` (and its replacements
    too). uvicorn's own code starts, checks and restarts the workers, run for one worker and its
    socket at a time; changing the number of workers while serving (SIGTTIN, SIGTTOU) is
    refused: the sockets are bound for ``--workers`` at the start."""

    def __init__(self, config: Config, sockets: list[socket.socket]) -> None:
        super().__init__(config, sockets)
        self.own_sockets = sockets

    @contextmanager
    def _one_worker(self, index: int) -> Iterator[None]:
        """uvicorn's supervisor, for the length of the block, supervising worker ``index``
        alone, on its socket alone (the worker it starts or restarts is put in its place)."""
        every = self.processes
        self.processes, self.sockets, self.processes_num = (
            every[index : index + 1],
            [self.own_sockets[index]],
            1,
        )
        try:
            yield
        finally:
            every[index : index + 1] = self.processes
            self.processes, self.sockets = every, self.own_sockets
            self.processes_num = len(self.own_sockets)

    def init_processes(self) -> None:
        for index in range(len(self.own_sockets)):
            with self._one_worker(index):
                super().init_processes()

    def _each_worker(self, supervise: Callable[[], None]) -> None:
        """uvicorn's ``supervise`` run for each worker in turn, until the supervisor stops."""
        for index in range(len(self.own_sockets)):
            if self.should_exit.is_set():
                return
            with self._one_worker(index):
                supervise()

    def keep_subprocess_alive(self) -> None:
        self._each_worker(super().keep_subprocess_alive)

    def restart_all(self) -> None:
        self._each_worker(super().restart_all)

    def handle_ttin(self) -> None:
        logger.warning("Received SIGTTIN: the number of workers is set by --workers at the start.")

    def handle_ttou(self) -> None:
        logger.warning("Received SIGTTOU: the number of workers is set by --workers at the start.")


def serve_workers(
    target: str,
    host: str,
    port: int,
    workers: int,
    sockets: list[socket.socket],
    healthcheck_seconds: int,
    backlog: int,
) -> None:
    """Serve the app factory ``target`` in ``workers`` processes under uvicorn's supervisor,
    each on its socket of ``sockets`` (``listening_sockets``; none: uvicorn's one shared
    socket, where ``SO_REUSEPORT`` does not spread connections), until SIGINT or SIGTERM."""
    config = Config(
        target,
        host=host,
        port=port,
        workers=workers,
        factory=True,
        # How long a worker may take to answer the parent's health check before it is killed
        # and replaced: uvicorn's 5 s killed busy workers under load (their requests' threads
        # held the interpreter), dropping every connection they served.
        timeout_worker_healthcheck=healthcheck_seconds,
        backlog=backlog,
        log_level="warning",
        access_log=False,
    )
    try:
        if sockets:
            SocketPerWorker(config, sockets).run()
        else:
            Multiprocess(config, [config.bind_socket()]).run()
    finally:
        for sock in sockets:
            sock.close()
