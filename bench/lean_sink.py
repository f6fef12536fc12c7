"""A lean SMTP sink for the fan-out benchmark: a process of its own that answers every
command with success and counts the messages, doing nothing else.

aiosmtpd (the sink of the tests, tests/mail_engine/realparts.py) parses every command and
line in Python; at ~1,000 messages a second it takes most of a core, so on a 2-core machine it
measured itself more than the client: raw smtplib and the workers ran into its ceiling, and a
second worker mostly took CPU from it. A production relay (Postfix and the like) costs a small
fraction of that per message. This sink answers like such a relay would, cheaply: 220, EHLO
with 8BITMIME/SMTPUTF8, 250 to MAIL and RCPT, 354 to DATA, 250 after the final dot (after
`delay` seconds, to model a relay across a network), 221 to QUIT.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import time
from typing import Any

_EHLO = b"250-lean-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 52428800\r\n"


class _Session(asyncio.Protocol):
    def __init__(self, counter: Any, delay: Any) -> None:
        self.counter, self.delay = counter, delay
        self.buffer = b""
        self.replies: list[bytes] = []
        self.in_data = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.replies = []
        self._send_now(b"220 lean-sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        # Replies to what arrived together leave together (as a relay that supports
        # PIPELINING does), not one small segment each.
        self.replies: list[bytes] = []
        self.buffer += data
        self._consume()
        if self.replies and self.transport and not self.transport.is_closing():
            self.transport.write(b"".join(self.replies))

    def _consume(self) -> None:
        while self.buffer:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    # Keep only what could hold the start of the final dot line.
                    return
                self.buffer = self.buffer[end + 5 :]
                self.in_data = False
                with self.counter.get_lock():
                    self.counter.value += 1
                delay = self.delay.value
                if delay:
                    asyncio.get_running_loop().call_later(delay, self._send_now, b"250 OK\r\n")
                else:
                    self._reply(b"250 OK\r\n")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                return
            line, self.buffer = self.buffer[:end], self.buffer[end + 2 :]
            self._command(line[:4].upper())

    def _command(self, verb: bytes) -> None:
        if verb in (b"EHLO", b"HELO"):
            self._reply(_EHLO if verb == b"EHLO" else b"250 lean-sink\r\n")
        elif verb == b"DATA":
            self.in_data = True
            # The dot line may follow at once: DATA's reply comes first, then the data's.
            self.buffer = b"\r\n" + self.buffer
            self._reply(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        elif verb == b"QUIT":
            self._send_now(b"221 Bye\r\n")
            if self.transport:
                self.transport.close()
        else:  # MAIL, RCPT, RSET, NOOP
            self._reply(b"250 OK\r\n")

    def _reply(self, answer: bytes) -> None:
        self.replies.append(answer)

    def _send_now(self, answer: bytes) -> None:
        if self.transport and not self.transport.is_closing():
            self.transport.write(answer)


def _serve(listener: socket.socket, counter: Any, delay: Any) -> None:
    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(
            lambda: _Session(counter, delay), sock=listener
        )
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    """Poll `predicate` every 10 ms (cheap next to the deliveries it watches)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class LeanSink:
    """`with LeanSink() as sink:` … `sink.port`, `sink.count()`, `sink.delay = 0.002`."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._counter = context.Value("q", 0)
        self._delay = context.Value("d", 0.0, lock=False)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._process = context.Process(
            target=_serve, args=(self._listener, self._counter, self._delay), daemon=True
        )

    @property
    def delay(self) -> float:
        return self._delay.value

    @delay.setter
    def delay(self, seconds: float) -> None:
        self._delay.value = seconds

    def count(self) -> int:
        return self._counter.value

    def wait_for(self, predicate: Any, timeout: float, what: str) -> None:
        wait_for(predicate, timeout, what)

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def __enter__(self) -> LeanSink:
        self._process.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._process.terminate()
        self._process.join(5)
        self._listener.close()
