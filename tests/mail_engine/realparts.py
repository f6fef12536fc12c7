"""Real parts for the mail engine's integration tests and benchmarks: an SMTP server
(aiosmtpd) that records what it accepts and can refuse on demand, a relay that accepts
connections and never answers, and a Celery worker run as a subprocess (optionally with
embedded beat) against the same database and Redis (or the embedded filesystem broker)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    at: float  # time.time() when the server accepted it
    to: list[str]
    message: email.message.EmailMessage


class SinkHandler:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.refuse: dict[str, str] = {}  # address -> reply to RCPT (e.g. a 550)
        self.tempfail_until = 0.0  # monotonic: answer 451 to DATA until then
        self.tempfailed = 0
        self.parse = True
        # Seconds to wait before answering DATA: a relay across a network, not on loopback.
        self.delay = 0.0
        # Offer PIPELINING, as production relays do (aiosmtpd answers pipelined commands in
        # order but does not say so by itself).
        self.pipelining = True
        self.refuse_sender = ""  # reply to MAIL (e.g. a 550), when set

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.refuse_sender:
            return self.refuse_sender
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self.refuse.get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if time.monotonic() < self.tempfail_until:
            with self.lock:
                self.tempfailed += 1
            return "451 4.7.1 Greylisted, please try again later"
        message = (
            email.message_from_bytes(envelope.content, policy=email.policy.default)
            if self.parse
            else None
        )
        with self.lock:
            self.received.append(Received(time.time(), list(envelope.rcpt_tos), message))
        return "250 2.0.0 Accepted"


class SmtpSink:
    """A real SMTP server on 127.0.0.1 in a thread of this process."""

    def __init__(self) -> None:
        self.handler = SinkHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def messages(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def count(self) -> int:
        with self.handler.lock:
            return len(self.handler.received)

    def per_recipient(self, references: str = "") -> Counter[str]:
        """Messages accepted per recipient (only those of one thread, given its root)."""
        counts: Counter[str] = Counter()
        for item in self.messages():
            if not references or (item.message and item.message["References"] == references):
                counts.update(address.lower() for address in item.to)
        return counts

    def wait_for(self, predicate: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def worker_env(database_url: str, smtp_port: int, var_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        KAIRAN_TESTING="1",
        KAIRAN_VAR_DIR=str(var_dir),
        DATABASE_URL=database_url,
        REDIS_URL=os.environ["REDIS_URL"],
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_USE_TLS="0",
        EMAIL_TIMEOUT="10",
        DEFAULT_FROM_EMAIL="Kairan <kairan@city.example.jp>",
        SITE_URL="https://kairan.city.example.jp",
        KAIRAN_DUE_WORK_SECONDS="1",
        KAIRAN_SWEEP_SECONDS="1",
        KAIRAN_MAIL_REQUEUE_AFTER_SECONDS="3",
        KAIRAN_MAIL_RETRY_BASE_SECONDS="1",
        KAIRAN_MAIL_RETRY_CAP_SECONDS="2",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def default_env(
    database_url: str, smtp_port: int, var_dir: Path, *, redis: bool = True
) -> dict[str, str]:
    """A worker's environment with the production defaults of every mail engine setting
    (lease, sweep period, SMTP timeout, retries): only where the database, the broker (Redis,
    or without it the embedded filesystem broker under `var_dir`) and the relay are."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("KAIRAN_", "EMAIL_", "REDIS_", "DATABASE_"))
    }
    env.update(
        KAIRAN_TESTING="1",
        KAIRAN_VAR_DIR=str(var_dir),
        DATABASE_URL=database_url,
        REDIS_URL=os.environ["REDIS_URL"] if redis else "",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_USE_TLS="0",
        DEFAULT_FROM_EMAIL="Kairan <kairan@city.example.jp>",
        SITE_URL="https://kairan.city.example.jp",
        LOG_LEVEL="INFO",
        PYTHONPATH=str(ROOT),
    )
    return env


def publish(message_ids: list[int], env: dict[str, str]) -> None:
    """Hand outbox rows to the broker of `env` from another process, as a web process would
    after its commit (the test process may be on another broker)."""
    code = (
        "import sys, django; django.setup()\n"
        "from circulation.mail.outbox import enqueue_delivery_batch\n"
        "enqueue_delivery_batch([int(pk) for pk in sys.argv[1:]])\n"
    )
    subprocess.run(
        [sys.executable, "-c", code, *map(str, message_ids)],
        cwd=ROOT, env=env, check=True, timeout=60, capture_output=True,
    )  # fmt: skip


def add_members(council: Any, count: int) -> None:
    """`count` more members on the council (member000@example.jp, …), sitting today."""
    import datetime as dt

    from django.utils import timezone

    from portal.models import Membership, Role, User

    today = timezone.localdate()
    users = User.objects.bulk_create(
        User(email=f"member{i:03d}@example.jp", full_name=f"委員 {i:03d}") for i in range(count)
    )
    Membership.objects.bulk_create(
        Membership(
            user=user,
            committee=council.committee,
            role=Role.MEMBER,
            term_start=today - dt.timedelta(days=30),
            term_end=today + dt.timedelta(days=700),
        )
        for user in users
    )


class SilentRelay:
    """A relay on 127.0.0.1 that accepts every connection and never says a word (not even
    its greeting), as a hung MTA does; after `answer(port)` new connections are passed
    through to the SMTP server on that port."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.target: int | None = None
        self.accepted = 0
        self.sockets: list[socket.socket] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> SilentRelay:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join(5)
        for sock in [self.listener, *self.sockets]:
            sock.close()

    def answer(self, port: int) -> None:
        self.target = port

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            self.sockets.append(client)
            if self.target is not None:
                upstream = socket.create_connection(("127.0.0.1", self.target))
                self.sockets.append(upstream)
                for source, sink in ((client, upstream), (upstream, client)):
                    threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # either side closed: the conversation is over


class Worker:
    """`celery -A portal worker` as a subprocess in its own process group (so a SIGKILL
    takes the pool's children too, as a crashed host would)."""

    def __init__(
        self, env: dict[str, str], log: Path, *, concurrency: int = 2, beat: bool = True
    ) -> None:
        self.env = env
        self.log = log
        self.concurrency = concurrency
        self.beat = beat
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 30.0) -> Worker:
        self.starts += 1
        args = [
            sys.executable, "-m", "celery", "-A", "portal", "worker",
            "-l", "INFO", "-c", str(self.concurrency),
            # Unique per Worker and start: two workers of one test are two nodes.
            "-n", f"mailtest{id(self):x}-{self.starts}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        if self.beat:
            schedule = Path(self.env["KAIRAN_VAR_DIR"]) / f"beat-{self.starts}"
            args += ["-B", "-s", str(schedule)]
        out = self.log.open("ab")
        self.process = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited: see {self.log}")
            if self.log.read_bytes().count(b" ready.") >= self.starts:
                return self
            time.sleep(0.1)
        raise RuntimeError(f"worker not ready after {timeout}s: see {self.log}")

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool)."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def purge_celery_queue() -> None:
    """Drop tasks left in this Redis database by an earlier, interrupted run."""
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.delete("celery", "unacked", "unacked_index", "unacked_mutex")


def database_url_of(database: dict[str, Any]) -> str:
    user = database.get("USER") or "postgres"
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{database['NAME']}"
