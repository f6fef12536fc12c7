"""Download benchmark: a member downloads a 200 MB material through gunicorn (one sync
worker, so the worker is known), with sendfile (gunicorn's default) and without it (the file
then goes through Python in blocks). Reported: throughput, and the worker's peak resident
memory (VmHWM in /proc) before and after: streamed, it must stay flat.

    python -m bench.download
"""

from __future__ import annotations

import hashlib
import http.client
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.common import ROOT, Environment, Skip, bench_environment, machine, table, write_result

SIZE_MB = 200
CHUNK = 1024 * 1024


def add_big_material(environment: Environment, circulation_id: int) -> int:
    """A 200 MB material on the circulation (the bytes are not a real PDF: the download
    does not look inside)."""
    from circulation.models import Circulation, Material

    folder = environment.var_dir / "media" / "materials" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "big.pdf"
    block = hashlib.sha512(b"kairan").digest() * (CHUNK // 64)
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for _ in range(SIZE_MB):
            out.write(block)
            digest.update(block)
    circulation = Circulation.objects.get(pk=circulation_id)
    material = Material.objects.create(
        circulation=circulation,
        title="大きな資料(200 MB)",
        order=99,
        file="materials/bench/big.pdf",
        original_name="大きな資料.pdf",
        content_type="application/pdf",
        size=SIZE_MB * CHUNK,
        sha256=digest.hexdigest(),
        uploaded_by=circulation.created_by,
    )
    return material.pk


def download(base: str, path: str, session: str) -> dict[str, Any]:
    """GET `path` as the session's person, reading the body in 1 MB pieces."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    started = time.monotonic()
    connection.request("GET", path, headers={"Cookie": f"sessionid={session}"})
    response = connection.getresponse()
    if response.status != 200:
        raise RuntimeError(f"download answered {response.status}")
    received = 0
    while chunk := response.read(CHUNK):
        received += len(chunk)
    seconds = time.monotonic() - started
    connection.close()
    return {
        "bytes": received,
        "seconds": round(seconds, 3),
        "mb_per_second": round(received / CHUNK / seconds, 1),
    }


def measure(
    environment: Environment, page: str, path: str, session: str, sendfile: bool
) -> dict[str, Any]:
    from bench.server import gunicorn, memory_kb, worker_pids

    with gunicorn(environment.env, workers=1, sendfile=sendfile) as (base, process):
        (worker,) = worker_pids(process.pid)
        # Warm up on the circulation page: the worker imports everything on its first request.
        download(base, page, session)
        before = memory_kb(worker)
        download_result = download(base, path, session)
        after = memory_kb(worker)
    return {
        "sendfile": sendfile,
        **download_result,
        "worker_peak_rss_before_mb": round(before["VmHWM"] / 1024, 1),
        "worker_peak_rss_after_mb": round(after["VmHWM"] / 1024, 1),
        "worker_peak_rss_growth_mb": round((after["VmHWM"] - before["VmHWM"]) / 1024, 1),
        "worker_rss_after_mb": round(after["VmRSS"] / 1024, 1),
    }


def run(environment: Environment, bench: Any = None) -> dict[str, Any]:
    from bench.sessions import session_for
    from bench.web import seed
    from portal.models import User

    if not Path("/proc/self/status").exists():
        raise Skip("needs /proc to read the worker's memory (Linux)")
    bench = bench or seed(environment, recipients=10)
    material_id = add_big_material(environment, bench.circulation_id)
    member = User.objects.filter(receipts__circulation_id=bench.circulation_id).first()
    session = session_for(member)
    path = f"/c/{bench.circulation_id}/materials/{material_id}/download/"
    page = f"/c/{bench.circulation_id}/"
    runs = [measure(environment, page, path, session, sendfile) for sendfile in (True, False)]
    flat = all(r["worker_peak_rss_growth_mb"] < 10 for r in runs)
    result = {"machine": machine(), "size_mb": SIZE_MB, "runs": runs, "memory_flat": flat}
    out = write_result("download", result)
    print(f"Material download of {SIZE_MB} MB (one gunicorn sync worker)")
    print(report(runs))
    print(f"memory flat (peak grows < 10 MB): {'yes' if flat else 'NO'}")
    print(f"-> {out.relative_to(ROOT)}")
    return result


def report(runs: list[dict[str, Any]]) -> str:
    rows = [
        [
            "sendfile" if r["sendfile"] else "Python blocks",
            r["seconds"],
            r["mb_per_second"],
            r["worker_peak_rss_before_mb"],
            r["worker_peak_rss_after_mb"],
            r["worker_peak_rss_growth_mb"],
        ]
        for r in runs
    ]
    headers = ["served by", "seconds", "MB/s", "peak RSS before MB", "peak RSS after MB",
               "growth MB"]  # fmt: skip
    return table(headers, rows)


def main() -> int:
    try:
        with bench_environment() as environment:
            run(environment)
    except Skip as skip:
        print(f"download benchmark skipped: {skip}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
