"""Material downloads: only for those who may see the circulation; every opening is
recorded by the service; files go out as attachments with their original (Japanese) name."""

from __future__ import annotations

import re
import unicodedata
from typing import IO
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest

from circulation.models import Circulation, Material
from circulation.services.materials import record_material_opening
from circulation.uploads.checks import extension_of, is_viewable
from portal.models import Role
from portal.permissions import Action, circulation_or_404, object_or_404, refuse, roles_on

# Shown inline, a text file or image must not run anything (PDF viewers need no CSP help
# and break inside a sandbox).
_INLINE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def content_disposition(name: str, *, inline: bool) -> str:
    """RFC 6266 with an ASCII fallback and the real name RFC 5987-encoded (UTF-8)."""
    kind = "inline" if inline else "attachment"
    ext = extension_of(name)
    stem = name[: len(name) - len(ext)] if ext else name
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    ascii_stem = re.sub(r"[^A-Za-z0-9._ -]+", "_", ascii_stem).strip(" ._")
    ascii_name = f"{ascii_stem or 'material'}{re.sub(r'[^a-z0-9.]', '', ext)}"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _material(request: HttpRequest, circulation_id: int, material_id: int) -> Material:
    circulation = circulation_or_404(request.user, circulation_id, Action.DOWNLOAD_MATERIAL)
    materials = Material.objects.filter(circulation=circulation)
    material = object_or_404(request.user, materials, material_id, Action.DOWNLOAD_MATERIAL)
    if not _part_of_circulation(material, circulation, request):
        refuse(request.user, Action.DOWNLOAD_MATERIAL, 404, obj=material)
    return material


def _part_of_circulation(
    material: Material, circulation: Circulation, request: HttpRequest
) -> bool:
    """A material taken out of a draft before sending was never circulated: only the
    secretariat sees it. Earlier versions of corrected materials stay available."""
    if material.is_current or Material.objects.filter(replaces=material).exists():
        return True
    return Role.SECRETARIAT in roles_on(request.user, circulation.committee)


def open_or_404(file: FieldFile) -> IO[bytes]:
    """A stored file opened for reading; a file missing from storage is a 404 (opened
    before anything is recorded, so a failed download leaves no trace of one)."""
    try:
        return file.open("rb")
    except FileNotFoundError:
        raise Http404 from None


def private_download(
    handle: IO[bytes], content_type: str, name: str, *, inline: bool = False
) -> FileResponse:
    """A council's file as one person's download: under its own name, never sniffed or
    cached on the way."""
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition(name, inline=inline)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _serve(request: HttpRequest, material: Material, *, inline: bool) -> FileResponse:
    inline = inline and is_viewable(material.content_type)
    handle = open_or_404(material.file)
    record_material_opening(material, user=request.user, inline=inline)
    response = private_download(
        handle, material.content_type, material.original_name, inline=inline
    )
    if inline and not material.content_type.startswith("application/pdf"):
        response["Content-Security-Policy"] = _INLINE_CSP
    return response


@login_required
def material_download(request: HttpRequest, circulation_id: int, material_id: int):
    return _serve(request, _material(request, circulation_id, material_id), inline=False)


@login_required
def material_view(request: HttpRequest, circulation_id: int, material_id: int):
    """'View in the browser' for PDF, images and text; anything else is downloaded."""
    return _serve(request, _material(request, circulation_id, material_id), inline=True)
