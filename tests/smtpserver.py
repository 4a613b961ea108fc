"""A real SMTP server on 127.0.0.1 (aiosmtpd), in a thread of the test process: it keeps every
message it accepts, and can be told to refuse them (a 451, "try again later") or to take its
time over each (so that two workers overlap)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: list[str]
    message: Message

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


class Collector:
    """The server's handler: accepts (or refuses) each message and keeps what it accepted."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refused = 0
        self.refuse = False
        self.delay_seconds = 0.0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        with self.lock:
            if self.refuse:
                self.refused += 1
                return "451 4.3.0 try again later"
            self.received.append(
                Received(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    message_from_bytes(envelope.original_content or envelope.content),
                )
            )
        return "250 OK"

    def messages(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def per_message_id(self) -> Counter[str]:
        return Counter(r.message_id for r in self.messages())


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.collector = Collector()
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
