"""The public records (公開記録): pages for everybody, no login. Only published records
answer; anything else is a 404 (portal/permissions_records.py). The pages load their one
stylesheet and nothing else (no script, nothing from elsewhere)."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from circulation.models import Minutes
from circulation.reads.public_export import live_links
from circulation.reads.public_records import (
    build_public_record,
    council_records,
    last_change,
    public_councils,
)
from portal.models import Committee
from portal.permissions_records import public_committee_or_404, public_record_or_404


def public_index(request: HttpRequest) -> HttpResponse:
    links = live_links()
    councils = public_councils()
    for council in councils:
        council.href = links.council(council.pk)
    return render(request, "records/public/index.html", {"links": links, "councils": councils})


def public_council(request: HttpRequest, committee_id: int) -> HttpResponse:
    committee = public_committee_or_404(request.user, committee_id)
    links = live_links()
    records = council_records(committee)
    for record in records:
        record.href = links.record(committee.pk, record.pk)
    context = {"links": links, "committee": committee, "records": records,
               "feed_href": links.feed(committee.pk)}  # fmt: skip
    return render(request, "records/public/council.html", context)


def public_record(request: HttpRequest, committee_id: int, minutes_id: int) -> HttpResponse:
    minutes = public_record_or_404(request.user, committee_id, minutes_id)
    links = live_links()
    context = {
        "links": links,
        "record": build_public_record(minutes),
        "council_href": links.council(committee_id),
        "feed_href": links.feed(committee_id),
    }
    return render(request, "records/public/record.html", context)


class CouncilFeed(Feed):
    """Atom: the council's published records, newest first; an entry is updated when the
    record is corrected. Titles and dates only: no passage of a record is in the feed."""

    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, committee_id: int) -> Committee:
        return public_committee_or_404(request.user, committee_id)

    def title(self, obj: Committee) -> str:
        return _("%(name)s の公開記録") % {"name": obj.name}

    def link(self, obj: Committee) -> str:
        return reverse("public_council", args=[obj.pk])

    def subtitle(self, obj: Committee) -> str:
        return _("審議会の会議と書面開催の記録(会議録)です。")

    def items(self, obj: Committee) -> list[Minutes]:
        return council_records(obj)[:50]

    def item_title(self, item: Minutes) -> str:
        return item.public_title

    def item_description(self, item: Minutes) -> str:
        return _("日時: %(held)s") % {"held": item.public_held}

    def item_link(self, item: Minutes) -> str:
        return reverse("public_record", args=[item.committee_id, item.pk])

    def item_pubdate(self, item: Minutes):
        return item.first_published_at

    def item_updateddate(self, item: Minutes):
        return last_change(item)


public_feed = CouncilFeed()
