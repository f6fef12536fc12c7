"""Circulation pages (under /c/)."""

from django.urls import include, path

from circulation.views import (
    follow_up,
    home,
    inbound,
    links,
    material_links,
    materials,
    member,
    secretariat,
    staff_mail,
    tracking,
)

urlpatterns = [
    # The member's side
    path("mine/", home.my_circulations, name="my_circulations"),
    path("<int:circulation_id>/", member.circulation_detail, name="circulation_detail"),
    path("<int:circulation_id>/reply/", member.circulation_reply, name="circulation_reply"),
    path(
        "<int:circulation_id>/reply/done/",
        member.circulation_reply_done,
        name="circulation_reply_done",
    ),
    path("<int:circulation_id>/questions/ask/", member.question_ask, name="question_ask"),
    # Materials
    path(
        "<int:circulation_id>/materials/<int:material_id>/download/",
        materials.material_download,
        name="material_download",
    ),
    path(
        "<int:circulation_id>/materials/<int:material_id>/view/",
        materials.material_view,
        name="material_view",
    ),
    # The secretariat's drafts
    path(
        "committees/<int:committee_id>/",
        secretariat.committee_circulations_page,
        name="committee_circulations",
    ),
    path(
        "committees/<int:committee_id>/new/",
        secretariat.circulation_create,
        name="circulation_create",
    ),
    path("<int:circulation_id>/edit/", secretariat.circulation_edit, name="circulation_edit"),
    path(
        "<int:circulation_id>/preview/",
        secretariat.circulation_preview,
        name="circulation_preview",
    ),
    path("<int:circulation_id>/send/", secretariat.circulation_send, name="circulation_send"),
    path(
        "<int:circulation_id>/discard/",
        secretariat.circulation_discard,
        name="circulation_discard",
    ),
    # After sending
    path(
        "<int:circulation_id>/tracking/",
        tracking.circulation_tracking,
        name="circulation_tracking",
    ),
    path("<int:circulation_id>/extend/", tracking.circulation_extend, name="circulation_extend"),
    path(
        "<int:circulation_id>/materials/<int:material_id>/correct/",
        tracking.material_correct,
        name="material_correct",
    ),
    # Following up (issue 19)
    path(
        "<int:circulation_id>/duplicate/",
        follow_up.circulation_duplicate,
        name="circulation_duplicate",
    ),
    path(
        "<int:circulation_id>/remind/",
        follow_up.circulation_remind_now,
        name="circulation_remind_now",
    ),
    path(
        "<int:circulation_id>/tracking.csv",
        follow_up.circulation_tracking_download,
        {"fmt": "csv"},
        name="circulation_tracking_csv",
    ),
    path(
        "<int:circulation_id>/tracking.xlsx",
        follow_up.circulation_tracking_download,
        {"fmt": "xlsx"},
        name="circulation_tracking_xlsx",
    ),
    path(
        "<int:circulation_id>/tracking/<int:recipient_id>/mail/",
        follow_up.circulation_recipient_mail,
        name="circulation_recipient_mail",
    ),
    path(
        "<int:circulation_id>/questions/",
        tracking.circulation_questions,
        name="circulation_questions",
    ),
    path(
        "<int:circulation_id>/questions/<int:question_id>/answer/",
        tracking.question_answer,
        name="question_answer",
    ),
    path("", include("circulation.urls.decisions")),
    path("", include("circulation.urls.meetings")),
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
    # Mail that belongs to no council: the site's staff only.
    path("mail/no-council/", staff_mail.staff_mail_list, name="staff_mail_list"),
    path(
        "mail/no-council/<int:message_id>/",
        staff_mail.staff_mail_detail,
        name="staff_mail_detail",
    ),
    path(
        "mail/no-council/<int:message_id>/hand-over/",
        staff_mail.staff_mail_hand_over,
        name="staff_mail_hand_over",
    ),
    path(
        "mail/no-council/<int:message_id>/discard/",
        staff_mail.staff_mail_discard,
        name="staff_mail_discard",
    ),
    path(
        "mail/no-council/attachment/<int:attachment_id>/",
        staff_mail.staff_mail_attachment,
        name="staff_mail_attachment",
    ),
    # Members who only use mail: a material, by the signed link in their notice.
    path("m/<str:token>/", material_links.material_link, name="material_link"),
]
