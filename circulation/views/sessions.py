"""Sessions (会議) by their own id: a council's list, scheduling one on its own, its page
(agenda, materials, attendance, quorum, elections) and the secretariat's steps. Views
parse, ask portal.permissions_session once and call one service; a form that comes back
keeps what was typed (and an accepted file)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from circulation.forms.meetings import CancelMeetingForm, ChangeMeetingForm
from circulation.forms.sessions import (
    AgendaForm,
    AnswerForm,
    ElectionForm,
    RecordAttendanceForm,
    SessionForm,
    SessionMaterialForm,
)
from circulation.mail.ical import meeting_calendar
from circulation.models import Circulation, Consultation, Minutes, SessionMaterial
from circulation.reads.markdown import render_markdown
from circulation.reads.sessions import session_page, sessions_of
from circulation.services.attendance import (
    AttendanceRefused,
    answer_attendance,
    answer_refusal,
    record_attendance,
)
from circulation.services.elections import election_refusal, record_election
from circulation.services.meetings import (
    MeetingInvalid,
    MeetingRefused,
    cancel_meeting,
    change_meeting,
    change_refusal,
)
from circulation.services.sessions import (
    add_session_material,
    record_material_download,
    schedule_session,
    set_agenda,
)
from circulation.views.materials import open_or_404, private_download
from portal.models import SITTING_ROLES, Membership
from portal.permissions import object_or_404
from portal.permissions_session import (
    SessionAction,
    may_on_session,
    may_on_session_committee,
    session_committee_or_404,
    session_or_404,
)
from portal.services.errors import Refused

TEMPLATES = "circulation/session/"


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _status(refusal: Refused | None) -> int:
    if refusal is None:
        return 200
    return 403 if getattr(refusal, "code", "") in ("not_secretariat", "not_invited") else 409


def _apply_error(form: Any, error: Refused) -> None:
    form.add_field_error(error.field if error.field in form.fields else None, str(error.message))


@login_required
def session_list(request: HttpRequest, committee_id: int) -> HttpResponse:
    committee = session_committee_or_404(request.user, committee_id, SessionAction.VIEW)
    return render(
        request,
        TEMPLATES + "list.html",
        {
            "committee": committee,
            "sessions": sessions_of(committee),
            "manages": may_on_session_committee(request.user, SessionAction.MANAGE, committee),
            "now": timezone.now(),
        },
    )


@login_required
def session_schedule(request: HttpRequest, committee_id: int) -> HttpResponse:
    committee = session_committee_or_404(request.user, committee_id, SessionAction.MANAGE)
    form = SessionForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            meeting = schedule_session(
                committee.pk,
                by=request.user,
                details=form.details,
                number=form.cleaned_data["number"],
                title=form.cleaned_data["title"],
                agenda=form.agenda_lines(),
            )
        except MeetingInvalid as invalid:
            _apply_error(form, invalid)
        else:
            messages.success(
                request,
                _("会議を設定し、委員と事務局に開催通知(カレンダーのファイル付き)を送ります。"),
            )
            return redirect("session_detail", meeting.pk)
    return render(request, TEMPLATES + "schedule.html", {"committee": committee, "form": form})


@login_required
def session_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = session_or_404(request.user, meeting_id, SessionAction.VIEW)
    return _detail(request, meeting)


def _detail(
    request: HttpRequest, meeting: Any, form: AnswerForm | None = None, status: int = 200
) -> HttpResponse:
    page = session_page(meeting, request.user.pk)
    now = timezone.now()
    manages = may_on_session(request.user, SessionAction.MANAGE, meeting)
    may_answer = page.mine is not None and answer_refusal(page.mine, now) is None
    if form is None and may_answer:
        form = AnswerForm(initial={"answer": page.mine.answer or None})
    context = {
        "committee": meeting.committee,
        "meeting": meeting,
        "page": page,
        "note_html": render_markdown(meeting.note),
        "manages": manages,
        "started": meeting.has_started(now),
        "may_answer": may_answer,
        "answer_form": form if may_answer else None,
        "may_cancel": manages and change_refusal(meeting, request.user, now) is None,
        "may_record": manages and meeting.has_started(now) and not meeting.is_cancelled,
        # The minutes written in Kairan (会議録), for the secretariat's link to them.
        "minutes": Minutes.objects.filter(meeting=meeting).only("pk").first() if manages else None,
    }
    return render(request, TEMPLATES + "detail.html", context, status=status)


@login_required
@require_POST
def session_answer(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = session_or_404(request.user, meeting_id, SessionAction.ANSWER)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return _detail(request, meeting, form, status=400)
    try:
        answer_attendance(meeting.pk, by=request.user, answer=form.cleaned_data["answer"])
    except AttendanceRefused as refused:
        messages.error(request, str(refused.message))
        return redirect("session_detail", meeting.pk)
    messages.success(request, _("出欠の回答を受け付けました。会議の開始までは変更できます。"))
    return redirect("session_detail", meeting.pk)


@login_required
def session_agenda(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = session_or_404(request.user, meeting_id, SessionAction.MANAGE)
    items = list(meeting.agenda_items.order_by("position"))
    form = AgendaForm(_posted(request), items=items, links=_links(meeting.committee_id))
    if request.method == "POST" and form.is_valid():
        try:
            set_agenda(meeting.pk, by=request.user, agenda=form.lines())
        except MeetingInvalid as invalid:
            _apply_error(form, invalid)
        except MeetingRefused as refused:
            messages.error(request, str(refused.message))
            return redirect("session_detail", meeting.pk)
        else:
            messages.success(request, _("議題を保存しました。"))
            return redirect("session_detail", meeting.pk)
    return render(request, TEMPLATES + "agenda.html", {"meeting": meeting, "form": form})


def _links(committee_id: int) -> list[tuple[str, str]]:
    """The circulations and consultations of the council an item may be about."""
    consultations = set(
        Consultation.objects.filter(committee_id=committee_id).values_list("pk", flat=True)
    )
    circulations = (
        Circulation.objects.filter(committee_id=committee_id)
        .exclude(state=Circulation.State.DRAFT)
        .order_by("-pk")
        .values_list("pk", "title")
    )
    return [
        (f"k{pk}", _("諮問: %(title)s") % {"title": title})
        if pk in consultations
        else (f"c{pk}", _("書面照会: %(title)s") % {"title": title})
        for pk, title in circulations
    ]


@login_required
def session_material_add(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = session_or_404(request.user, meeting_id, SessionAction.MANAGE)
    form = SessionMaterialForm(_posted(request), request.FILES or None, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                material = add_session_material(
                    meeting.pk,
                    by=request.user,
                    upload=form.upload(),
                    title=form.cleaned_data["title"],
                )
            except MeetingInvalid as invalid:
                _apply_error(form, invalid)
            except MeetingRefused as refused:
                messages.error(request, str(refused.message))
                return redirect("session_detail", meeting.pk)
            else:
                messages.success(
                    request,
                    _("資料%(n)d「%(title)s」を登録しました。")
                    % {"n": material.position, "title": material.title},
                )
                return redirect("session_detail", meeting.pk)
        if not form.errors.get("file"):
            form.keep()
    return render(request, TEMPLATES + "material.html", {"meeting": meeting, "form": form})


@login_required
def session_material_download(
    request: HttpRequest, meeting_id: int, material_id: int
) -> FileResponse:
    meeting = session_or_404(request.user, meeting_id, SessionAction.VIEW)
    reachable = SessionMaterial.objects.filter(meeting=meeting)
    material = object_or_404(request.user, reachable, material_id, SessionAction.VIEW)
    handle = open_or_404(material.file)
    material.meeting = meeting
    record_material_download(material, user=request.user)
    return private_download(handle, material.content_type, material.original_name)


@login_required
def session_record(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = session_or_404(request.user, meeting_id, SessionAction.MANAGE)
    attendances = list(meeting.attendances.select_related("user").order_by("user__full_name"))
    initial = {"observers": meeting.observers}
    form = RecordAttendanceForm(_posted(request), attendances=attendances, initial=initial)
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            record_attendance(
                meeting.pk,
                by=request.user,
                attended=form.attended(),
                observers=form.cleaned_data["observers"],
            )
        except AttendanceRefused as refused:
            refusal = refused
        except Refused as invalid:
            _apply_error(form, invalid)
        else:
            messages.success(request, _("出席者と傍聴者数を記録しました。"))
            return redirect("session_detail", meeting.pk)
    return render(
        request,
        TEMPLATES + "record.html",
        {"meeting": meeting, "form": form, "refusal": refusal},
        status=_status(refusal),
    )


@login_required
def session_election(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = session_or_404(request.user, meeting_id, SessionAction.MANAGE)
    refusal = election_refusal(meeting, request.user, timezone.now())
    day = timezone.localdate(meeting.starts_at)
    seats = (
        Membership.objects.on(day)
        .filter(committee_id=meeting.committee_id, role__in=SITTING_ROLES)
        .select_related("user")
        .order_by("user__full_name")
    )
    form = ElectionForm(_posted(request), candidates=[seat.user for seat in seats])
    if refusal is None and request.method == "POST" and form.is_valid():
        try:
            election = record_election(
                meeting.pk,
                by=request.user,
                role=form.cleaned_data["role"],
                elected_id=form.cleaned_data["elected"],
            )
        except MeetingRefused as refused:
            refusal = refused
        except Refused as invalid:
            _apply_error(form, invalid)
        else:
            messages.success(
                request,
                _("%(name)sさんの%(role)sへの選任を記録し、役割を変更しました。")
                % {"name": election.elected.full_name, "role": election.get_role_display()},
            )
            return redirect("session_detail", meeting.pk)
    return render(
        request,
        TEMPLATES + "election.html",
        {"meeting": meeting, "form": form, "refusal": refusal},
        status=_status(refusal),
    )


@login_required
def session_change(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = session_or_404(request.user, meeting_id, SessionAction.MANAGE)
    refusal = change_refusal(meeting, request.user, timezone.now())
    form = None if refusal is not None else ChangeMeetingForm(_posted(request), meeting=meeting)
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            change_meeting(
                None,
                meeting_id=meeting.pk,
                by=request.user,
                details=form.details,
                base_version=form.cleaned_data["version"] or 0,
                reason=form.cleaned_data["reason"],
            )
        except MeetingInvalid as invalid:
            _apply_error(form, invalid)
        except MeetingRefused as refused:
            refusal = refused
        else:
            messages.success(request, _("会議を変更し、変更のお知らせを送ります。"))
            return redirect("session_detail", meeting.pk)
    if refusal is not None and refusal.code == "conflict":
        meeting.refresh_from_db()
    return render(
        request,
        TEMPLATES + "change.html",
        {"meeting": meeting, "form": form, "refusal": refusal},
        status=_status(refusal),
    )


@login_required
def session_cancel(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = session_or_404(request.user, meeting_id, SessionAction.MANAGE)
    refusal = change_refusal(meeting, request.user, timezone.now(), verb="cancel")
    form = None
    if refusal is None:
        form = CancelMeetingForm(_posted(request), initial={"version": meeting.version})
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            cancel_meeting(
                None,
                meeting_id=meeting.pk,
                by=request.user,
                reason=form.cleaned_data["reason"],
                base_version=form.cleaned_data["version"],
            )
        except MeetingInvalid as invalid:
            _apply_error(form, invalid)
        except MeetingRefused as refused:
            refusal = refused
        else:
            messages.success(request, _("会議を中止し、中止のお知らせを送ります。"))
            return redirect("session_detail", meeting.pk)
    return render(
        request,
        TEMPLATES + "cancel.html",
        {"meeting": meeting, "form": form, "refusal": refusal},
        status=_status(refusal),
    )


@login_required
def session_ics(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The calendar file, for the person who asks (named as the attendee)."""
    meeting = session_or_404(request.user, meeting_id, SessionAction.VIEW)
    method = "CANCEL" if meeting.is_cancelled else "REQUEST"
    response = HttpResponse(
        meeting_calendar(meeting, attendee=request.user),
        content_type=f"text/calendar; charset=utf-8; method={method}",
    )
    response["Content-Disposition"] = f'attachment; filename="session-{meeting.pk}.ics"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
