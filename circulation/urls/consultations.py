"""Consultation pages (諮問, under /c/): a consultation is a circulation of another kind, so
its pages are named by the circulation's id, next to the circulation's own (materials,
questions, extending an open vote and the meeting are the circulation's pages)."""

from django.urls import path

from circulation.views import consultation_results as results
from circulation.views import consultation_votes as votes
from circulation.views import consultations

urlpatterns = [
    # The council's consultations, rules and open riders
    path(
        "committees/<int:committee_id>/consultations/",
        consultations.consultation_list_page,
        name="consultation_list",
    ),
    path(
        "committees/<int:committee_id>/consultations/new/",
        consultations.consultation_create,
        name="consultation_create",
    ),
    path(
        "committees/<int:committee_id>/consultations/rules/",
        consultations.consultation_rules,
        name="consultation_rules",
    ),
    path(
        "committees/<int:committee_id>/riders/",
        results.committee_riders,
        name="committee_riders",
    ),
    # One consultation
    path(
        "<int:circulation_id>/consultation/",
        consultations.consultation_detail,
        name="consultation_detail",
    ),
    path(
        "<int:circulation_id>/consultation/edit/",
        consultations.consultation_edit,
        name="consultation_edit",
    ),
    path(
        "<int:circulation_id>/consultation/send/",
        consultations.consultation_send,
        name="consultation_send",
    ),
    path(
        "<int:circulation_id>/consultation/questions/ask/",
        consultations.consultation_ask,
        name="consultation_ask",
    ),
    path(
        "<int:circulation_id>/consultation/materials/add/",
        consultations.consultation_add_material,
        name="consultation_add_material",
    ),
    # Votes
    path(
        "<int:circulation_id>/consultation/vote/", votes.consultation_vote, name="consultation_vote"
    ),
    path(
        "v/<str:token>/",  # ?item=<order>&vote=<approve|disapprove|abstain>
        votes.consultation_vote_link,
        name="consultation_vote_link",
    ),
    path(
        "<int:circulation_id>/consultation/votes/",
        results.consultation_votes,
        name="consultation_votes",
    ),
    path(
        "<int:circulation_id>/consultation/votes/<int:recipient_id>/record/",
        votes.consultation_vote_for,
        name="consultation_vote_for",
    ),
    # The result
    path(
        "<int:circulation_id>/consultation/result/",
        results.consultation_result,
        name="consultation_result",
    ),
    path(
        "<int:circulation_id>/consultation/result/convene/",
        results.consultation_convene,
        name="consultation_convene",
    ),
    path(
        "<int:circulation_id>/consultation/result/extend/",
        results.consultation_reopen,
        name="consultation_reopen",
    ),
    path(
        "<int:circulation_id>/consultation/meeting-result/",
        results.consultation_meeting_result,
        name="consultation_meeting_result",
    ),
    path(
        "<int:circulation_id>/consultation/statements/",
        results.consultation_statements,
        name="consultation_statements",
    ),
    # The report and the record
    path(
        "<int:circulation_id>/consultation/report/",
        results.consultation_report,
        name="consultation_report",
    ),
    path(
        "<int:circulation_id>/consultation/report/edit/",
        results.consultation_report_edit,
        name="consultation_report_edit",
    ),
    path(
        "<int:circulation_id>/consultation/report/issue/",
        results.consultation_issue,
        name="consultation_issue",
    ),
    path(
        "<int:circulation_id>/consultation/record/",
        results.consultation_record,
        name="consultation_record",
    ),
    # Riders afterwards
    path(
        "<int:circulation_id>/consultation/riders/<int:rider_id>/respond/",
        results.rider_respond,
        name="rider_respond",
    ),
]
