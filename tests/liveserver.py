"""The app served by a real uvicorn on 127.0.0.1, in a thread of the test process."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI


class LiveServer:
    def __init__(self, app: Any) -> None:
        self.socket = socket.socket()
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


class Mounted:
    """An ASGI app that hands each request to the app mounted at the time, so that one uvicorn
    serves test after test: uvicorn takes 0.2 s to stop (its loop ticks every 0.1 s, then it
    waits 0.1 s for connections), which paid once per test added minutes to the suite."""

    def __init__(self) -> None:
        self.app: FastAPI | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.app is None:  # between two tests: nothing is served
            if scope["type"] == "http":
                await send({"type": "http.response.start", "status": 503, "headers": []})
                await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)


class SharedServer:
    """One uvicorn for a whole test session (of one xdist worker); ``serving(app)`` mounts an
    app on it for one test."""

    def __init__(self) -> None:
        self.mounted = Mounted()
        self.live = LiveServer(self.mounted)

    def __enter__(self) -> SharedServer:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.__exit__(*exc)

    @contextmanager
    def serving(self, app: FastAPI) -> Iterator[LiveServer]:
        self.mounted.app = app
        try:
            yield self.live
        finally:
            self.mounted.app = None
