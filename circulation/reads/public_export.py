"""The static export of a council's public records: one zip of HTML pages (index.html and
one page per record) and one stylesheet (style.css), no scripts, links relative, so that
the city's web team can put the folder on its own site as it is. The pages are the public
pages' own templates, read through reads/public_records.py (withheld text is never read)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation

from circulation.reads.public_records import build_public_record, council_records
from portal.models import Committee

STYLESHEET = "css/records.css"


@dataclass(frozen=True)
class Links:
    """Where the public pages point: the live site's URLs, or the export's files."""

    css: str
    index: str
    exported: bool = False

    def council(self, committee_id: int) -> str:
        return "index.html" if self.exported else reverse("public_council", args=[committee_id])

    def record(self, committee_id: int, minutes_id: int) -> str:
        if self.exported:
            return f"record-{minutes_id}.html"
        return reverse("public_record", args=[committee_id, minutes_id])

    def feed(self, committee_id: int) -> str:
        return "" if self.exported else reverse("public_feed", args=[committee_id])


def live_links() -> Links:
    return Links(css=static(STYLESHEET), index=reverse("public_index"))


def export_zip(committee: Committee) -> tuple[bytes, int]:
    """The zip's bytes and the number of records in it."""
    links = Links(css="style.css", index="index.html", exported=True)
    records = council_records(committee)
    for record in records:
        record.href = links.record(committee.pk, record.pk)
    buffer = io.BytesIO()
    with translation.override("ja"), zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        context = {"links": links, "committee": committee, "records": records, "lang": "ja"}
        zf.writestr("index.html", render_to_string("records/public/council.html", context))
        for record in records:
            page = {
                "links": links,
                "record": build_public_record(record),
                "council_href": links.council(committee.pk),
                "lang": "ja",
            }
            zf.writestr(links.record(committee.pk, record.pk),
                        render_to_string("records/public/record.html", page))  # fmt: skip
        with open(finders.find(STYLESHEET), "rb") as css:
            zf.writestr("style.css", css.read())
    return buffer.getvalue(), len(records)
