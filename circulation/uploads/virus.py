"""Optional virus scanning of every upload by ClamAV's daemon (clamd).

Off unless CLAMD_SOCKET (a Unix socket) or CLAMD_HOST (with CLAMD_PORT, default 3310) is
set. When on, a file is accepted only after clamd has answered "OK" for it; a virus, an
error or a scanner that cannot be reached refuses the upload (fail closed) with a message,
and the form comes back with everything typed and every file already accepted kept.

The client speaks clamd's documented INSTREAM command (clamd(8)): `zINSTREAM\\0`, then
chunks each preceded by its length as a 4-byte big-endian number, then a zero length; the
answer is `stream: OK`, `stream: <name> FOUND` or `… ERROR`, ended by a NUL. The maintained
client on PyPI (clamav-client) is published under GPL-2.0 without "or later", which does
not combine with Kairan's AGPL-3.0-or-later; the protocol is a few lines.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from typing import IO

from django.conf import settings

CHUNK = 64 * 1024


class ScannerUnavailable(Exception):
    """clamd could not be reached or did not give an answer."""


class ScanError(Exception):
    """clamd answered with an error (e.g. the file is over its StreamMaxLength)."""


@dataclass(frozen=True)
class Verdict:
    clean: bool
    virus: str = ""


def enabled() -> bool:
    return bool(settings.KAIRAN_CLAMD_SOCKET or settings.KAIRAN_CLAMD_HOST)


def _connect() -> socket.socket:
    timeout = settings.KAIRAN_CLAMD_TIMEOUT_SECONDS
    if settings.KAIRAN_CLAMD_SOCKET:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(timeout)
        conn.connect(settings.KAIRAN_CLAMD_SOCKET)
        return conn
    return socket.create_connection(
        (settings.KAIRAN_CLAMD_HOST, settings.KAIRAN_CLAMD_PORT), timeout=timeout
    )


def scan(file: IO[bytes]) -> Verdict:
    """Send the whole file to clamd. Raises ScannerUnavailable or ScanError."""
    try:
        with _connect() as conn:
            conn.sendall(b"zINSTREAM\0")
            file.seek(0)
            for chunk in iter(lambda: file.read(CHUNK), b""):
                conn.sendall(struct.pack(">I", len(chunk)) + chunk)
            conn.sendall(struct.pack(">I", 0))
            answer = b""
            while not answer.endswith(b"\0"):
                part = conn.recv(4096)
                if not part:
                    break
                answer += part
    except OSError as exc:  # refused, missing socket, timeout, reset
        raise ScannerUnavailable(str(exc)) from exc
    finally:
        file.seek(0)
    text = answer.rstrip(b"\0").decode("utf-8", "replace").strip()
    if not text:
        raise ScannerUnavailable("no answer")
    result = text.partition(": ")[2] or text
    if result == "OK":
        return Verdict(clean=True)
    if result.endswith(" FOUND"):
        return Verdict(clean=False, virus=result.removesuffix(" FOUND"))
    raise ScanError(result)
