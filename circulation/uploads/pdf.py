"""Finding active content in a PDF with a real PDF parser: qpdf, through pikepdf.

Kairan refuses PDFs that carry JavaScript, Launch actions, embedded files or XFA forms
(docs/security.md, "Uploads"): a council's materials are documents to read, and members open
them in whatever PDF reader they have. Printing the document to PDF again removes all four.

qpdf reads the file as a reader does — cross-reference streams, compressed object streams,
every filter and predictor, owner-password encryption — and the check walks **every** object
it finds, so nothing depends on how the bytes happen to look.

The parser runs in a child process (this file run as a script) under a memory and a time
limit: an object stream that inflates to gigabytes, or a file crafted to make the parser
work for minutes, costs the child, never a web worker, and is refused as "too large to
check". The child gets no environment (no database URL, no secret key). This module imports
nothing but the standard library and pikepdf, so that it runs as a plain script.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from typing import IO

# Limits of the child that reads one PDF. A genuine 50 MB material needs far less; the time
# stays under gunicorn's worker timeout (30 s), which would otherwise end the whole request.
MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024
TIME_LIMIT_SECONDS = 20


class PdfUninspectable(Exception):
    """The PDF cannot be checked. reason: "password" (it cannot be opened without one),
    "unreadable" (the parser cannot read it) or "bomb" (it needs more memory or time than
    the check allows)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def active_content(file: IO[bytes]) -> set[str]:
    """The kinds of active content in the PDF: a subset of {"javascript", "launch",
    "embedded", "xfa"}. Raises PdfUninspectable when the PDF cannot be checked."""
    with tempfile.NamedTemporaryFile(prefix="kairan-pdf-", suffix=".pdf") as copy:
        file.seek(0)
        for chunk in iter(lambda: file.read(1024 * 1024), b""):
            copy.write(chunk)
        copy.flush()
        file.seek(0)
        try:
            done = subprocess.run(
                [sys.executable, "-I", os.path.abspath(__file__), copy.name,
                 str(MEMORY_LIMIT_BYTES)],
                capture_output=True, timeout=TIME_LIMIT_SECONDS, env={}, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise PdfUninspectable("bomb") from None
    try:
        answer = json.loads(done.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        # Killed (out of memory) or crashed: nothing was checked.
        raise PdfUninspectable("bomb" if done.returncode < 0 else "unreadable") from None
    if "error" in answer:
        raise PdfUninspectable(answer["error"])
    return set(answer["found"])


# --- The child: run as `python -I pdfscan.py FILE MEMORY_LIMIT` ------------------------------


def _kinds_in(obj, pikepdf) -> set[str]:  # (a pikepdf dictionary; the module)
    """The active content one dictionary (or stream dictionary) declares."""
    name = pikepdf.Name
    keys = set(obj.keys())
    action = obj.get(name.S)
    found = set()
    if "/JS" in keys or "/JavaScript" in keys or action == name.JavaScript:
        found.add("javascript")  # a script action, a Rendition's script, the name tree
    if action == name.Launch:
        found.add("launch")
    if (
        keys & {"/EmbeddedFiles", "/EF"}
        or obj.get(name.Type) == name.EmbeddedFile
        or obj.get(name.Subtype) == name.FileAttachment
        or action == name.GoToE
    ):
        found.add("embedded")
    if "/XFA" in keys:
        found.add("xfa")
    return found


def _walk(top, pikepdf) -> set[str]:
    """One object and the dictionaries and arrays written inside it (an /OpenAction is
    often a direct dictionary in the catalog); indirect ones are walked on their own."""
    found: set[str] = set()
    stack = [top]
    while stack:
        obj = stack.pop()
        if isinstance(obj, pikepdf.Stream):
            if obj.get(pikepdf.Name.Type) == pikepdf.Name.ObjStm:
                # qpdf skips an object stream it cannot decode (and its objects with it):
                # decode each one here, so that none goes unseen.
                obj.read_bytes()
            found |= _kinds_in(obj.stream_dict, pikepdf)
            children = obj.stream_dict.values()
        elif isinstance(obj, pikepdf.Dictionary):
            found |= _kinds_in(obj, pikepdf)
            children = obj.values()
        elif isinstance(obj, pikepdf.Array):
            children = list(obj)
        else:
            continue
        stack.extend(
            child
            for child in children
            if isinstance(child, pikepdf.Dictionary | pikepdf.Array) and not child.is_indirect
        )
    return found


def _inspect(path: str) -> dict:
    import pikepdf  # only the child needs it

    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        return {"error": "password"}
    except (pikepdf.PdfError, ValueError, OSError):
        return {"error": "unreadable"}
    found: set[str] = set()
    with pdf:
        try:
            for obj in pdf.objects:  # every object, those inside object streams included
                found |= _walk(obj, pikepdf)
        except MemoryError:
            return {"error": "bomb"}
        except pikepdf.DataDecodingError as exc:
            # qpdf reports running out of memory while inflating as a decoding error.
            return {"error": "bomb" if "bad_alloc" in str(exc) else "unreadable"}
        except (pikepdf.PdfError, ValueError, RecursionError):
            return {"error": "unreadable"}
    return {"found": sorted(found)}


def _child(path: str, memory_limit: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    try:
        answer = _inspect(path)
    except MemoryError:
        answer = {"error": "bomb"}
    print(json.dumps(answer))


if __name__ == "__main__":
    _child(sys.argv[1], int(sys.argv[2]))
