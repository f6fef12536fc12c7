"""Minutes written in Kairan (会議録) and their public life: the council's list, the
minutes' page (the version, its passages with withheld ones marked, the versions, the
attendees' check), editing, sending for check, checking, the chair's approval, and the
publication steps. Views parse, ask portal/permissions_records.py (or the committee's and
circulation's gates) once and call one service; a refused form keeps what was typed."""

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

from circulation.forms.base import japan_moment
from circulation.forms.records import (
    CheckForm,
    MinutesHeaderForm,
    PartFormSet,
    ReasonForm,
    SendForCheckForm,
    content_of,
    initial_of,
)
from circulation.models import Meeting, Minutes, Publication
from circulation.reads.minutes import MinutesContent, checker_candidates, minutes_page
from circulation.reads.minutes_lists import council_minutes
from circulation.reads.public_records import build_public_record
from circulation.services.minutes_drafts import (
    MinutesInvalid,
    MinutesRefused,
    approve_minutes,
    check_minutes,
    revise_minutes,
    send_for_check,
    start_session_minutes,
    start_written_record,
)
from circulation.services.publication import (
    confirm_publication,
    request_correction,
    request_publication,
    request_withdrawal,
)
from portal.permissions import Action, circulation_or_404, committee_or_404, object_or_404
from portal.permissions_records import (
    RecordAction,
    may_on_minutes,
    minutes_or_404,
    publication_or_404,
)

T = "circulation/records/"


def _refused(request: HttpRequest, error: MinutesRefused | MinutesInvalid, to: str) -> HttpResponse:
    messages.error(request, str(error.message))
    return redirect(to)


@login_required
def council_minutes_list(request: HttpRequest, committee_id: int) -> HttpResponse:
    committee = committee_or_404(request.user, committee_id, Action.MANAGE_CIRCULATIONS)
    context = {"committee": committee, **council_minutes(committee, timezone.now())}
    return render(request, T + "list.html", context)


@login_required
@require_POST
def minutes_start_session(request: HttpRequest, committee_id: int, meeting_id: int) -> HttpResponse:
    committee = committee_or_404(request.user, committee_id, Action.MANAGE_CIRCULATIONS)
    meeting = object_or_404(
        request.user, Meeting.objects.filter(committee=committee), meeting_id,
        Action.MANAGE_CIRCULATIONS,
    )  # fmt: skip
    try:
        minutes = start_session_minutes(meeting.pk, by=request.user)
    except MinutesRefused as error:
        return _refused(request, error, reverse("council_minutes", args=[committee.pk]))
    return redirect("minutes_edit", minutes.pk)


@login_required
@require_POST
def minutes_start_written(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = circulation_or_404(request.user, circulation_id, Action.MANAGE_CIRCULATIONS)
    try:
        minutes = start_written_record(circulation.pk, by=request.user)
    except MinutesRefused as error:
        return _refused(request, error, reverse("council_minutes", args=[circulation.committee_id]))
    return redirect("minutes_edit", minutes.pk)


@login_required
def minutes_detail(request: HttpRequest, minutes_id: int) -> HttpResponse:
    minutes = minutes_or_404(request.user, minutes_id, RecordAction.VIEW)
    number = _version_asked(request, minutes)
    page = minutes_page(minutes, number)
    user = request.user
    may = {action.name.lower(): may_on_minutes(user, action, minutes) for action in RecordAction
           if action != RecordAction.VIEW_PUBLIC}  # fmt: skip
    pending = minutes.publications.filter(state=Publication.State.PENDING).first()
    context = {
        "minutes": minutes,
        "committee": minutes.committee,
        "page": page,
        "may": may,
        "pending": pending,
        "history": list(minutes.publications.select_related("requested_by", "confirmed_by")),
        "check_form": CheckForm(initial={"version": minutes.check_version}),
        "my_checks": [c for c in page.checks if c.user_id == user.pk],
        "public_url": reverse("public_record", args=[minutes.committee_id, minutes.pk])
        if minutes.is_public else "",
    }  # fmt: skip
    return render(request, T + "detail.html", context)


def _version_asked(request: HttpRequest, minutes: Minutes) -> int | None:
    try:
        number = int(request.GET.get("v", ""))
    except ValueError:
        return None
    return number if 1 <= number <= minutes.latest_version else None


@login_required
def minutes_preview(request: HttpRequest, minutes_id: int) -> HttpResponse:
    """The latest version as the public would read it (withheld passages as notes)."""
    minutes = minutes_or_404(request.user, minutes_id, RecordAction.VIEW)
    number = _version_asked(request, minutes) or minutes.latest_version
    record = build_public_record(minutes, number)
    return render(request, T + "preview.html", {"minutes": minutes, "record": record,
                                                "committee": minutes.committee})  # fmt: skip


@login_required
def minutes_edit(request: HttpRequest, minutes_id: int) -> HttpResponse:
    minutes = minutes_or_404(request.user, minutes_id, RecordAction.MANAGE)
    latest = minutes.versions.get(number=minutes.latest_version)
    header_initial, parts_initial = initial_of(MinutesContent.of(latest), latest.number)
    if request.method == "POST":
        header = MinutesHeaderForm(request.POST)
        parts = PartFormSet(request.POST, prefix="parts")
        if header.is_valid() and parts.is_valid():
            try:
                revise_minutes(minutes.pk, by=request.user, content=content_of(header, parts),
                               base_version=header.cleaned_data["base_version"])  # fmt: skip
            except MinutesInvalid as error:
                header.add_field_error(error.field if error.field in header.fields else None,
                                       str(error.message))  # fmt: skip
            except MinutesRefused as error:
                header.add_field_error(None, str(error.message))
            else:
                messages.success(request, _("会議録を保存しました(新しい版)。"))
                return redirect("minutes_detail", minutes.pk)
    else:
        header = MinutesHeaderForm(initial=header_initial)
        parts = PartFormSet(initial=parts_initial, prefix="parts")
    context = {"minutes": minutes, "committee": minutes.committee, "form": header,
               "parts": parts, "latest": latest}  # fmt: skip
    # After a POST, only a refused form comes back.
    return render(
        request, T + "edit.html", context, status=400 if request.method == "POST" else 200
    )


@login_required
def minutes_send_check(request: HttpRequest, minutes_id: int) -> HttpResponse:
    minutes = minutes_or_404(request.user, minutes_id, RecordAction.MANAGE)
    candidates = checker_candidates(minutes)
    form = SendForCheckForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            send_for_check(
                minutes.pk,
                by=request.user,
                checker_ids=data["checkers"],
                deadline=japan_moment(data["deadline_date"], data["deadline_time"]),
            )
        except MinutesInvalid as error:  # fmt: skip
            field = {"deadline": "deadline_date"}.get(error.field or "", error.field)
            form.add_field_error(field if field in form.fields else None, str(error.message))
        except MinutesRefused as error:
            form.add_field_error(None, str(error.message))
        else:
            messages.success(request, _("出席者に会議録の確認を依頼しました。"))
            return redirect("minutes_detail", minutes.pk)
    context = {"minutes": minutes, "committee": minutes.committee, "form": form}
    return render(request, T + "send_check.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def minutes_check(request: HttpRequest, minutes_id: int) -> HttpResponse:
    minutes = minutes_or_404(request.user, minutes_id, RecordAction.CHECK)
    form = CheckForm(request.POST)
    approved = "approve" in request.POST
    if form.is_valid():
        try:
            check_minutes(minutes.pk, by=request.user, version=form.cleaned_data["version"],
                          approved=approved, comment=form.cleaned_data["comment"])  # fmt: skip
        except MinutesInvalid as error:
            form.add_field_error("comment", str(error.message))
        except MinutesRefused as error:
            form.add_field_error(None, str(error.message))
        else:
            messages.success(request, _("確認の結果を事務局に送りました。") if approved
                             else _("ご意見を事務局に送りました。"))  # fmt: skip
            return redirect("minutes_detail", minutes.pk)
    page = minutes_page(minutes)
    context = {
        "minutes": minutes,
        "committee": minutes.committee,
        "page": page,
        "check_form": form,
        "may": {"check": True},
        "history": [],
        "my_checks": [],
    }
    return render(request, T + "detail.html", context, status=400)  # fmt: skip


def _post_step(request: HttpRequest, minutes: Minutes, step: Any, done: str) -> HttpResponse:
    try:
        step()
    except (MinutesRefused, MinutesInvalid) as error:
        return _refused(request, error, reverse("minutes_detail", args=[minutes.pk]))
    messages.success(request, done)
    return redirect("minutes_detail", minutes.pk)


def _posted_version(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return 0


@login_required
@require_POST
def minutes_approve(request: HttpRequest, minutes_id: int) -> HttpResponse:
    minutes = minutes_or_404(request.user, minutes_id, RecordAction.APPROVE)
    version = _posted_version(request)
    return _post_step(request, minutes,
                      lambda: approve_minutes(minutes.pk, by=request.user, version=version),
                      _("会議録を承認しました。"))  # fmt: skip


@login_required
@require_POST
def minutes_publish(request: HttpRequest, minutes_id: int) -> HttpResponse:
    minutes = minutes_or_404(request.user, minutes_id, RecordAction.MANAGE)
    version = _posted_version(request)
    return _post_step(request, minutes,
                      lambda: request_publication(minutes.pk, by=request.user, version=version),
                      _("公開の手続をしました。"))  # fmt: skip


@login_required
def minutes_reasoned(request: HttpRequest, minutes_id: int, step: str) -> HttpResponse:
    """訂正 (correct) and 公開を取り下げる (withdraw): a reason, then the step."""
    minutes = minutes_or_404(request.user, minutes_id, RecordAction.MANAGE)
    form = ReasonForm(request.POST or None, initial={"version": minutes.latest_version})
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        try:
            if step == "correct":
                request_correction(minutes.pk, by=request.user, reason=reason,
                                   version=form.cleaned_data.get("version") or 0)  # fmt: skip
            else:
                request_withdrawal(minutes.pk, by=request.user, reason=reason)
        except MinutesInvalid as error:
            form.add_field_error("reason", str(error.message))
        except MinutesRefused as error:
            form.add_field_error(None, str(error.message))
        else:
            messages.success(request, _("手続をしました。"))
            return redirect("minutes_detail", minutes.pk)
    context = {"minutes": minutes, "committee": minutes.committee, "form": form, "step": step}
    return render(request, T + "reasoned.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def publication_confirm(request: HttpRequest, minutes_id: int, publication_id: int) -> HttpResponse:
    minutes, publication = publication_or_404(request.user, minutes_id, publication_id)
    accept = "decline" not in request.POST
    return _post_step(
        request, minutes,
        lambda: confirm_publication(publication.pk, by=request.user, accept=accept),
        _("確認しました。") if accept else _("差し戻しました。"),
    )  # fmt: skip
