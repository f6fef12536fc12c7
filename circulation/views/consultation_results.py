"""A consultation after the vote: who voted what (secretariat, chair), the chair's result
page (the tally per item, every opinion and proposed rider, the result the rules propose;
confirm, or deliberate at a meeting instead, or extend when quorum was missed), the
meeting's result and statements, the report (答申) and its issue, the decision record, and
the riders afterwards."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from circulation.forms.consultations import (
    IssueForm,
    MeetingResultForm,
    ReopenForm,
    ReportEditForm,
    ResultForm,
    RiderResponseForm,
    statement_formset,
)
from circulation.models import Circulation, Consultation, ConsultationRules, Decision, Rider
from circulation.reads.consultation_tally import tally_items
from circulation.reads.consultations import build_consultation_record, open_riders
from circulation.services.consultation_results import (
    ResultInvalid,
    ResultRefused,
    add_statements,
    confirm_written_result,
    record_meeting_result,
)
from circulation.services.consultations import ConsultationRefused, reopen_voting
from circulation.services.decisions import DecisionInvalid, DecisionRefused, decide
from circulation.services.reports import ReportConflict, edit_report, issue_report
from circulation.services.riders import ResponseRefused, record_rider_response
from circulation.services.viewing import record_circulation_view
from portal.models import SITTING_ROLES, Membership, Role
from portal.permissions import (
    Action,
    committee_or_404,
    decider_of,
    may_see_member_names,
    object_or_404,
    refuse,
    roles_on,
)
from portal.permissions_consultation import (
    ConsultationAction,
    consultation_or_404,
    may_on_consultation,
)

A = ConsultationAction


def _add_error(form: Any, error: ResultInvalid | ConsultationRefused | ResponseRefused) -> None:
    field = getattr(error, "field", None)
    form.add_field_error(field if field in form.fields else None, error.message)


# --- Who voted what ---------------------------------------------------------------------------


@login_required
def consultation_votes(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = consultation_or_404(request.user, circulation_id, A.VIEW_VOTES)
    record_circulation_view(circulation, user=request.user, page="consultation_votes")
    consultation = circulation.consultation
    tallies = tally_items(circulation, consultation)
    # One row a member (every tally lists the members in the same order): a vote an item.
    members = tallies[0].rows if tallies else []
    rows = [(row.recipient, [t.rows[i].vote for t in tallies]) for i, row in enumerate(members)]
    return render(
        request,
        "circulation/consultation/votes.html",
        {
            "circulation": circulation,
            "consultation": consultation,
            "tallies": tallies,
            "rows": rows,
            "may_manage": may_on_consultation(request.user, A.MANAGE, circulation),
        },
    )


# --- The chair's result page ------------------------------------------------------------------


def _result_context(request: HttpRequest, circulation: Circulation, **extra: Any) -> dict:
    consultation = circulation.consultation
    tallies = tally_items(circulation, consultation) if circulation.sent_at else []
    decider_role, decider = decider_of(circulation.committee)
    may_confirm = may_on_consultation(request.user, A.CONFIRM_RESULT, circulation)
    form = extra.pop("form", None)
    if form is None and may_confirm:
        form = ResultForm(tallies=tallies)
    return {
        "circulation": circulation,
        "consultation": consultation,
        "items": list(consultation.items.all()),
        "tallies": tallies,
        "rules": ConsultationRules.rules_of(circulation.committee),
        "quorum_missed": any(not t.proposal.quorum_met for t in tallies),
        "form": form if may_confirm else None,
        "may_confirm": may_confirm,
        "may_extend": circulation.state == Circulation.State.CLOSED
        and may_on_consultation(request.user, A.EXTEND_VOTING, circulation),
        "reopen_form": extra.pop("reopen_form", None) or ReopenForm(),
        "decision": Decision.objects.filter(circulation=circulation).first(),
        "decider_role_label": Role(decider_role).label,
        "decider": decider,
        "is_secretariat": Role.SECRETARIAT in roles_on(request.user, circulation.committee),
        **extra,
    }


@login_required
def consultation_result(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = consultation_or_404(request.user, circulation_id, A.VIEW_VOTES)
    status = 200
    form = None
    if request.method == "POST":
        # Whether this person may confirm now is the service's to say (and to log).
        tallies = tally_items(circulation, circulation.consultation)
        form = ResultForm(request.POST, tallies=tallies)
        if form.is_valid():
            try:
                confirm_written_result(
                    circulation.pk,
                    by=request.user,
                    results=form.results(),
                    riders=form.riders(),
                    reasons=form.cleaned_data["reasons"],
                )
            except ResultInvalid as invalid:
                _add_error(form, invalid)
            except ResultRefused as refused:
                messages.error(request, refused.message)
                status = 403 if refused.code == "not_allowed" else 409
                form = None
            else:
                messages.success(request, _("結果を確定しました。委員と事務局に通知します。"))
                return redirect("consultation_result", circulation.pk)
        status = status if status != 200 else 400
        circulation = Circulation.objects.select_related("committee").get(pk=circulation.pk)
    else:
        record_circulation_view(circulation, user=request.user, page="consultation_result")
    return render(
        request,
        "circulation/consultation/result.html",
        _result_context(request, circulation, form=form),
        status=status,
    )


@login_required
@require_POST
def consultation_convene(request: HttpRequest, circulation_id: int) -> HttpResponse:
    """The chair decides to deliberate at a meeting instead: the circulation's decision."""
    circulation = consultation_or_404(request.user, circulation_id, A.CONVENE)
    reason = request.POST.get("reason", "")
    try:
        decide(circulation.pk, convene=True, reason=reason, by=request.user)
    except (DecisionInvalid, DecisionRefused) as problem:
        messages.error(request, getattr(problem, "message", str(problem)))
        status = 400
        if isinstance(problem, DecisionRefused):
            status = 403 if problem.code == "not_decider" else 409
        context = _result_context(request, circulation, typed_reason=reason)
        return render(request, "circulation/consultation/result.html", context, status=status)
    messages.success(request, _("会議で審議することに決定しました。委員と事務局に通知します。"))
    return redirect("consultation_result", circulation.pk)


@login_required
@require_POST
def consultation_reopen(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = consultation_or_404(request.user, circulation_id, A.EXTEND_VOTING)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            reopen_voting(
                circulation.pk,
                by=request.user,
                new_deadline=form.deadline(),
                reason=form.cleaned_data["reason"],
            )
        except ConsultationRefused as refused:
            _add_error(form, refused)
        else:
            messages.success(request, _("回答期限を延長し、賛否の受付を再開しました。"))
            return redirect("consultation_detail", circulation.pk)
    context = _result_context(request, circulation, reopen_form=form)
    return render(request, "circulation/consultation/result.html", context, status=400)


# --- A meeting's result and statements ---------------------------------------------------------


def _people(circulation: Circulation) -> list[tuple[int, str]]:
    """Who may be named as a speaker: the council's members and its implementing body."""
    seats = (
        Membership.objects.filter(
            committee=circulation.committee,
            role__in=[*SITTING_ROLES, Role.IMPLEMENTING_BODY, Role.SECRETARIAT],
        )
        .select_related("user")
        .order_by("user__full_name")
    )
    return list({m.user_id: (m.user_id, m.user.full_name) for m in seats}.values())


@login_required
def consultation_meeting_result(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = consultation_or_404(request.user, circulation_id, A.RECORD_MEETING)
    consultation = circulation.consultation
    items = list(consultation.items.all())
    form = MeetingResultForm(request.POST or None, items=items)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                record_meeting_result(
                    circulation.pk,
                    by=request.user,
                    results=form.results(),
                    riders=form.riders(),
                    reasons=form.cleaned_data["reasons"],
                )
            except ResultInvalid as invalid:
                _add_error(form, invalid)
            except ResultRefused as refused:
                form.add_field_error(None, refused.message)
            else:
                messages.success(request, _("会議の結果を登録しました。"))
                return redirect("consultation_report", circulation.pk)
        status = 400
    context = {
        "circulation": circulation,
        "consultation": consultation,
        "form": form,
        "convened": Decision.objects.filter(circulation=circulation, convene=True).exists(),
    }
    return render(request, "circulation/consultation/meeting_result.html", context, status=status)


@login_required
def consultation_statements(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = consultation_or_404(request.user, circulation_id, A.RECORD_MEETING)
    people = _people(circulation)
    formset = statement_formset(request.POST or None, people=people)
    status = 200
    error = ""
    if request.method == "POST":
        if formset.is_valid():
            drafts = [d for form in formset.forms if (d := form.draft()) is not None]
            try:
                add_statements(circulation.pk, by=request.user, statements=drafts)
            except (ResultInvalid, ResultRefused) as problem:
                error = problem.message
            else:
                messages.success(request, _("発言を%(n)s件登録しました。") % {"n": len(drafts)})
                return redirect("consultation_statements", circulation.pk)
        status = 400
    record = build_consultation_record(circulation, masked=False)
    context = {
        "circulation": circulation,
        "consultation": circulation.consultation,
        "formset": formset,
        "error": error,
        "record": record,
    }
    return render(request, "circulation/consultation/statements.html", context, status=status)


# --- The report (答申) -------------------------------------------------------------------------


@login_required
def consultation_report(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = consultation_or_404(request.user, circulation_id, A.VIEW_REPORT)
    record_circulation_view(circulation, user=request.user, page="consultation_report")
    consultation = Consultation.objects.prefetch_related("items", "riders").get(pk=circulation.pk)
    return render(
        request,
        "circulation/consultation/report.html",
        {
            "circulation": circulation,
            "consultation": consultation,
            "may_edit": not consultation.is_issued
            and consultation.is_decided
            and may_on_consultation(request.user, A.EDIT_REPORT, circulation),
            "may_issue": not consultation.is_issued
            and consultation.is_decided
            and may_on_consultation(request.user, A.ISSUE_REPORT, circulation),
            "issue_form": IssueForm(
                initial={
                    "report_date": timezone.localdate(),
                    "version": consultation.report_version,
                }
            ),
            "addressee": consultation.report_addressee
            or ConsultationRules.rules_of(circulation.committee).report_addressee,
        },
    )


@login_required
def consultation_report_edit(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = consultation_or_404(request.user, circulation_id, A.EDIT_REPORT)
    consultation = circulation.consultation
    initial = {"reasons": consultation.council_reasons, "version": consultation.report_version}
    form = ReportEditForm(request.POST or None, consultation=consultation, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                edit_report(
                    circulation.pk,
                    by=request.user,
                    version=form.cleaned_data["version"],
                    reasons=form.cleaned_data["reasons"],
                    riders=form.edits(),
                )
            except ResultInvalid as invalid:
                _add_error(form, invalid)
            except (ResultRefused, ReportConflict) as problem:
                form.add_field_error(None, getattr(problem, "message", str(problem)))
            else:
                messages.success(request, _("答申を保存しました。"))
                return redirect("consultation_report", circulation.pk)
        status = 400
    context = {"circulation": circulation, "consultation": consultation, "form": form}
    return render(request, "circulation/consultation/report_edit.html", context, status=status)


@login_required
@require_POST
def consultation_issue(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = consultation_or_404(request.user, circulation_id, A.ISSUE_REPORT)
    form = IssueForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("答申日を 2026-09-10 の形で入力してください。"))
        return redirect("consultation_report", circulation.pk)
    try:
        issue_report(
            circulation.pk,
            by=request.user,
            report_date=form.cleaned_data["report_date"],
            version=form.cleaned_data["version"],
        )
    except ResultRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("答申しました。実施機関と委員にお知らせします。"))
    return redirect("consultation_report", circulation.pk)


# --- The decision record ----------------------------------------------------------------------


@login_required
def consultation_record(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = consultation_or_404(request.user, circulation_id, A.VIEW_RECORD)
    may_unmask = may_see_member_names(request.user, circulation)
    masked = request.GET.get("masked", "") in ("1", "true", "on", "yes") or not may_unmask
    record_circulation_view(circulation, user=request.user, page="consultation_record")
    return render(
        request,
        "circulation/consultation/record.html",
        {
            "circulation": circulation,
            "record": build_consultation_record(circulation, masked=masked),
            "may_unmask": may_unmask,
        },
    )


# --- Riders afterwards ------------------------------------------------------------------------


@login_required
def committee_riders(request: HttpRequest, committee_id: int) -> HttpResponse:
    """The council's open riders: the secretariat and the sitting members (the session's
    agenda takes them from `open_riders`)."""
    committee = committee_or_404(request.user, committee_id, Action.VIEW_COMMITTEE)
    roles = roles_on(request.user, committee)
    if not roles & {Role.SECRETARIAT, *SITTING_ROLES}:
        refuse(request.user, "view_open_riders", 403, obj=committee)
    return render(
        request,
        "circulation/consultation/riders.html",
        {"committee": committee, "riders": open_riders(committee)},
    )


@login_required
def rider_respond(request: HttpRequest, circulation_id: int, rider_id: int) -> HttpResponse:
    circulation = consultation_or_404(request.user, circulation_id, A.RESPOND_RIDER)
    riders = Rider.objects.filter(consultation_id=circulation.pk)
    rider = object_or_404(request.user, riders, rider_id, A.RESPOND_RIDER)
    form = RiderResponseForm(request.POST or None, initial={"responded_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                record_rider_response(
                    rider.pk,
                    by=request.user,
                    text=form.cleaned_data["text"],
                    responded_on=form.cleaned_data["responded_on"],
                    done=form.cleaned_data["done"],
                )
            except ResponseRefused as refused:
                _add_error(form, refused)
            else:
                messages.success(request, _("対応状況を登録しました。"))
                return redirect(reverse("consultation_detail", args=[circulation.pk]) + "#riders")
        status = 400
    context = {
        "circulation": circulation,
        "consultation": circulation.consultation,
        "rider": rider,
        "responses": list(rider.responses.select_related("recorded_by")),
        "form": form,
    }
    return render(request, "circulation/consultation/rider_respond.html", context, status=status)
