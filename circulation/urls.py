"""Circulation pages."""

from django.urls import path

from .views import inbound, links, member

urlpatterns = [
    path("<int:circulation_id>/", member.circulation_detail, name="circulation_detail"),
    # Replies by link and by mail (issue: mail replies).
    path("l/<str:token>/", links.reply_link, name="reply_link"),
    path("<int:circulation_id>/links/", links.circulation_links, name="circulation_links"),
    path(
        "<int:circulation_id>/links/<int:recipient_id>/revoke/",
        links.revoke_links,
        name="revoke_links",
    ),
    path("committee/<int:committee_id>/mail/", inbound.inbound_list, name="inbound_list"),
    path(
        "committee/<int:committee_id>/mail/<int:message_id>/",
        inbound.inbound_detail,
        name="inbound_detail",
    ),
    path(
        "committee/<int:committee_id>/mail/<int:message_id>/assign/",
        inbound.inbound_assign,
        name="inbound_assign",
    ),
    path(
        "committee/<int:committee_id>/mail/<int:message_id>/discard/",
        inbound.inbound_discard,
        name="inbound_discard",
    ),
    path(
        "committee/<int:committee_id>/mail/attachment/<int:attachment_id>/",
        inbound.inbound_attachment,
        name="inbound_attachment",
    ),
]
