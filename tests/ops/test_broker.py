"""The embedded broker carries every message whole while another process writes, and a
damaged message file never stops the worker. (kombu's own filesystem transport, run the
same way, hands the reader half-written files: about one in ten in this test.)"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from kombu import Connection

ROOT = Path(__file__).resolve().parents[2]
TRANSPORT = "portal.broker:Transport"
COUNT = 1500


def options(folder: Path) -> dict[str, str]:
    (folder / "control").mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(folder / "control"),
    }


def connection(folder: Path) -> Connection:
    return Connection(
        "filesystem://localhost//", transport=TRANSPORT, transport_options=options(folder)
    )


def test_the_settings_use_this_transport_for_the_embedded_broker(settings):
    if settings.REDIS_URL:  # CI: Redis is the broker, and no transport is forced on it
        assert settings.CELERY_BROKER_URL == settings.REDIS_URL
        assert not hasattr(settings, "CELERY_BROKER_TRANSPORT")
    else:
        assert settings.CELERY_BROKER_URL.startswith("filesystem://")
        assert settings.CELERY_BROKER_TRANSPORT == TRANSPORT


def publisher(folder: Path, count: int) -> subprocess.Popen[bytes]:
    """Another process (as web and beat are) publishing `count` messages to queue "mail"."""
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from kombu import Connection\n"
            f"with Connection('filesystem://localhost//', transport={TRANSPORT!r},"
            f" transport_options={options(folder)!r}) as conn:\n"
            "    queue = conn.SimpleQueue('mail')\n"
            f"    for number in range({count}):\n"
            "        queue.put({'number': number, 'padding': 'x' * 2000})\n",
        ],
        cwd=ROOT,
    )


@pytest.mark.slow
def test_a_reader_gets_every_message_whole_while_another_process_writes(tmp_path):
    writer = publisher(tmp_path, COUNT)
    received: set[int] = set()
    with connection(tmp_path) as conn:
        queue = conn.SimpleQueue("mail")
        deadline = time.monotonic() + 60
        while len(received) < COUNT and time.monotonic() < deadline:
            try:
                message = queue.get(block=True, timeout=0.05)
            except queue.Empty:
                continue
            received.add(message.payload["number"])
            message.ack()
    assert writer.wait(timeout=30) == 0
    assert received == set(range(COUNT))


def test_a_damaged_message_file_is_skipped_and_the_next_one_delivered(tmp_path, caplog):
    (tmp_path / "0_damaged.mail.msg").write_bytes(b"")  # sorts before the real one
    assert publisher(tmp_path, 1).wait(timeout=30) == 0

    with connection(tmp_path) as conn:
        message = conn.SimpleQueue("mail").get(block=True, timeout=5)

    assert message.payload["number"] == 0
    assert not (tmp_path / "0_damaged.mail.msg").exists()
    assert "skipped an unreadable message in queue mail" in caplog.text
