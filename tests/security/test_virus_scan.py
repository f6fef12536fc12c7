"""Optional virus scanning: with CLAMD_SOCKET (or CLAMD_HOST/CLAMD_PORT) set, every upload
goes to ClamAV's daemon before it is accepted. A fake clamd, started by the test on a local
socket, speaks the INSTREAM protocol: it finds the EICAR test string and passes the rest.
A scanner that cannot be reached refuses the file (fail closed), with the form kept."""

from __future__ import annotations

import socket
import socketserver
import struct
import threading

import pytest
from django.utils import translation

from circulation.models import Material
from circulation.uploads.checks import UploadRefused, check_upload
from tests.circulation import files
from tests.circulation.conftest import clock  # noqa: F401  (the same frozen Japan time)
from tests.circulation.helpers import PDF_BYTES
from tests.security.test_uploads_security import GOOD, assert_refused_and_kept, post_draft

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class FakeClamd(socketserver.StreamRequestHandler):
    """clamd's INSTREAM: `zINSTREAM\\0`, length-prefixed chunks, a zero length, one answer."""

    seen: list[bytes]

    def handle(self) -> None:
        command = b""
        while not command.endswith(b"\0"):
            command += self.rfile.read(1)
        assert command == b"zINSTREAM\0"
        data = b""
        while size := struct.unpack(">I", self.rfile.read(4))[0]:
            data += self.rfile.read(size)
        self.server.seen.append(data)
        verdict = b"Win.Test.EICAR_HDB-1 FOUND" if EICAR in data else b"OK"
        self.wfile.write(b"stream: " + verdict + b"\0")


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class TcpServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True


def serving(server):
    server.seen = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def clamd(settings, tmp_path):
    server = serving(UnixServer(str(tmp_path / "clamd.sock"), FakeClamd))
    settings.KAIRAN_CLAMD_SOCKET = server.server_address
    yield server
    server.shutdown()
    server.server_close()


def eicar_pdf() -> bytes:
    """A readable PDF that carries the antivirus test string (in a comment)."""
    return PDF_BYTES.replace(b"%PDF-1.7\n", b"%PDF-1.7\n%" + EICAR + b"\n", 1)


def test_a_clean_file_is_scanned_and_accepted(client, council, clamd):
    response = post_draft(client, council, ("資料2.pdf", PDF_BYTES + b"%2"))
    assert response.status_code == 302
    assert sorted(Material.objects.values_list("original_name", flat=True)) == [GOOD, "資料2.pdf"]
    assert clamd.seen == [PDF_BYTES, PDF_BYTES + b"%2"]  # every upload, whole


def test_an_infected_file_is_refused_by_name_and_the_form_is_kept(client, council, clamd):
    response = post_draft(client, council, ("請求書.pdf", eicar_pdf()))
    assert_refused_and_kept(response, council, "請求書.pdf", "ウイルスが見つかりました")
    assert "Win.Test.EICAR_HDB-1" in response.content.decode()


def test_an_unreachable_scanner_refuses_every_file_with_the_form_kept(
    client, council, settings, tmp_path
):
    settings.KAIRAN_CLAMD_SOCKET = str(tmp_path / "nobody-listens.sock")
    response = post_draft(client, council)
    body = response.content.decode()
    assert response.status_code == 200
    assert f"「{GOOD}」" in body and "ウイルス検査のサーバーに接続できない" in body
    assert 'value="第12回 管理運用会議 議事録の確認"' in body  # what was typed is kept
    assert Material.objects.count() == 0


def test_the_refusal_is_in_english_for_an_english_reader(settings, tmp_path):
    settings.KAIRAN_CLAMD_SOCKET = str(tmp_path / "nobody-listens.sock")
    with translation.override("en"), pytest.raises(UploadRefused) as refused:
        check_upload(files.upload("minutes.pdf", PDF_BYTES))
    assert "virus" in str(refused.value).lower()


def test_a_scanner_that_never_answers_is_unreachable_too(settings, tmp_path):
    silent = socket.socket(socket.AF_UNIX)
    silent.bind(str(tmp_path / "silent.sock"))
    silent.listen()
    settings.KAIRAN_CLAMD_SOCKET = str(tmp_path / "silent.sock")
    settings.KAIRAN_CLAMD_TIMEOUT_SECONDS = 0.2
    try:
        with pytest.raises(UploadRefused, match="ウイルス検査のサーバーに接続できない"):
            check_upload(files.upload("議事録.pdf", PDF_BYTES))
    finally:
        silent.close()


def test_clamd_over_tcp_with_host_and_port(settings):
    server = serving(TcpServer(("127.0.0.1", 0), FakeClamd))
    settings.KAIRAN_CLAMD_HOST, settings.KAIRAN_CLAMD_PORT = server.server_address
    try:
        assert check_upload(files.upload("議事録.pdf", PDF_BYTES)).original_name == "議事録.pdf"
        with pytest.raises(UploadRefused, match="ウイルスが見つかりました"):
            check_upload(files.upload("写し.pdf", eicar_pdf()))
    finally:
        server.shutdown()
        server.server_close()
    assert len(server.seen) == 2


def test_without_a_scanner_configured_nothing_is_sent_anywhere(settings, monkeypatch):
    assert not settings.KAIRAN_CLAMD_SOCKET and not settings.KAIRAN_CLAMD_HOST

    def no_network(*args, **kwargs):
        raise AssertionError("no scanner is configured")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    assert check_upload(files.upload("議事録.pdf", PDF_BYTES)).size == len(PDF_BYTES)
