"""The meeting (会議) of a circulation decided 開催する: its page and calendar file for
everyone it concerns; scheduling, changing, cancelling and the minutes (会議録) for the
secretariat. Views parse, ask portal.permissions and call one service; a form that comes
back keeps what was typed (and an accepted minutes file)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from circulation.forms.meetings import (
    CancelMeetingForm,
    ChangeMeetingForm,
    MeetingForm,
    MinutesForm,
)
from circulation.mail.ical import meeting_calendar
from circulation.models import Circulation, Meeting, MeetingMinutes
from circulation.reads.markdown import render_markdown
from circulation.services.meetings import (
    MeetingInvalid,
    MeetingRefused,
    cancel_meeting,
    change_meeting,
    change_refusal,
    schedule_meeting,
    schedule_refusal,
)
from circulation.services.minutes import (
    minutes_refusal,
    publish_minutes,
    record_minutes_download,
    upload_minutes,
)
from circulation.services.viewing import record_circulation_view
from circulation.views.materials import open_or_404, private_download
from portal.permissions import (
    Action,
    circulation_or_404,
    may_on_circulation,
    meeting_or_404,
    object_or_404,
)

TEMPLATES = "circulation/meeting/"


def _status(refusal: MeetingRefused | None) -> int:
    if refusal is None:
        return 200
    return 403 if refusal.code == "not_secretariat" else 409


def _posted(request: HttpRequest) -> Any:
    """The posted data (a bound form, even when empty), or None for a GET."""
    return request.POST if request.method == "POST" else None


def _apply_error(form: Any, error: MeetingInvalid) -> None:
    form.add_field_error(error.field if error.field in form.fields else None, str(error.message))


@login_required
def meeting_detail(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation, meeting = meeting_or_404(request.user, circulation_id, Action.VIEW_MEETING)
    record_circulation_view(circulation, user=request.user, page="meeting")
    manages = may_on_circulation(request.user, Action.MANAGE_MEETING, circulation)
    now = timezone.now()
    versions = list(meeting.minutes_versions.select_related("uploaded_by")) if manages else []
    context = {
        "circulation": circulation,
        "committee": circulation.committee,
        "meeting": meeting,
        "note_html": render_markdown(meeting.note),
        "manages": manages,
        "started": meeting.has_started(now),
        "may_change": manages and change_refusal(meeting, request.user, now) is None,
        "may_add_minutes": manages and minutes_refusal(meeting, request.user, now) is None,
        "minutes_versions": versions,
        "latest_minutes": versions[-1] if versions else None,
        "published_minutes": _published(meeting),
    }
    return render(request, TEMPLATES + "detail.html", context)


def _published(meeting: Meeting) -> MeetingMinutes | None:
    if meeting.published_minutes_id is None:
        return None
    return MeetingMinutes.objects.get(pk=meeting.published_minutes_id)


@login_required
def meeting_ics(request: HttpRequest, circulation_id: int) -> HttpResponse:
    """The calendar file, for the person who asks (named as the attendee)."""
    _circulation, meeting = meeting_or_404(request.user, circulation_id, Action.VIEW_MEETING)
    method = "CANCEL" if meeting.is_cancelled else "REQUEST"
    response = HttpResponse(
        meeting_calendar(meeting, attendee=request.user),
        content_type=f"text/calendar; charset=utf-8; method={method}",
    )
    response["Content-Disposition"] = f'attachment; filename="meeting-{circulation_id}.ics"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def meeting_schedule(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = circulation_or_404(request.user, circulation_id, Action.MANAGE_MEETING)
    refusal = schedule_refusal(circulation, request.user)
    if refusal is not None and refusal.code == "already_scheduled":
        return redirect("meeting_detail", circulation.pk)
    form = MeetingForm(_posted(request)) if refusal is None else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            schedule_meeting(circulation.pk, by=request.user, details=form.details)
        except MeetingInvalid as invalid:
            _apply_error(form, invalid)
        except MeetingRefused as refused:
            refusal = refused
        else:
            messages.success(
                request, _("会議を設定し、委員・会長・職務代理者・事務局に開催通知を送ります。")
            )
            return redirect("meeting_detail", circulation.pk)
    previous = Meeting.objects.filter(circulation=circulation).first()
    return render(
        request,
        TEMPLATES + "schedule.html",
        {
            "circulation": circulation,
            "form": form,
            "refusal": refusal,
            "cancelled_meeting": previous,
        },
        status=_status(refusal),
    )


@login_required
def meeting_change(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation, meeting = meeting_or_404(request.user, circulation_id, Action.MANAGE_MEETING)
    refusal = change_refusal(meeting, request.user, timezone.now())
    form = None
    if refusal is None:
        form = ChangeMeetingForm(_posted(request), meeting=meeting)
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            change_meeting(
                circulation.pk,
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
            return redirect("meeting_detail", circulation.pk)
    return _manage_page(request, "change.html", circulation, meeting, form, refusal)


@login_required
def meeting_cancel(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation, meeting = meeting_or_404(request.user, circulation_id, Action.MANAGE_MEETING)
    refusal = change_refusal(meeting, request.user, timezone.now(), verb="cancel")
    form = None
    if refusal is None:
        initial = {"version": meeting.version}
        form = CancelMeetingForm(_posted(request), initial=initial)
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            cancel_meeting(
                circulation.pk,
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
            return redirect("meeting_detail", circulation.pk)
    return _manage_page(request, "cancel.html", circulation, meeting, form, refusal)


def _manage_page(
    request: HttpRequest,
    template: str,
    circulation: Circulation,
    meeting: Meeting,
    form: Any,
    refusal: MeetingRefused | None,
) -> HttpResponse:
    if refusal is not None and refusal.code == "conflict":
        meeting.refresh_from_db()  # show what is there now, beside what was typed
    return render(
        request,
        TEMPLATES + template,
        {"circulation": circulation, "meeting": meeting, "form": form, "refusal": refusal},
        status=_status(refusal),
    )


@login_required
def minutes_upload(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation, meeting = meeting_or_404(request.user, circulation_id, Action.MANAGE_MEETING)
    refusal = minutes_refusal(meeting, request.user, timezone.now())
    form = None
    if refusal is None:
        form = MinutesForm(_posted(request), request.FILES or None, user=request.user)
    if form is not None and request.method == "POST":
        if form.is_valid():
            try:
                minutes = upload_minutes(
                    circulation.pk,
                    by=request.user,
                    upload=form.upload(),
                    title=form.cleaned_data["title"],
                )
            except MeetingInvalid as invalid:
                _apply_error(form, invalid)
            except MeetingRefused as refused:
                refusal = refused
            else:
                messages.success(
                    request,
                    _(
                        "「%(title)s」を登録しました。内容を確かめてから「公開する」を押してください。"
                    )
                    % {"title": minutes.title},
                )
                return redirect("meeting_detail", circulation.pk)
        if not form.errors.get("file"):
            form.keep()
    return render(
        request,
        TEMPLATES + "minutes_upload.html",
        {"circulation": circulation, "meeting": meeting, "form": form, "refusal": refusal},
        status=_status(refusal),
    )


@login_required
@require_POST
def minutes_publish(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation, _meeting = meeting_or_404(request.user, circulation_id, Action.MANAGE_MEETING)
    try:
        minutes_id = int(request.POST.get("minutes", ""))
    except ValueError:
        minutes_id = 0
    try:
        minutes = publish_minutes(circulation.pk, by=request.user, minutes_id=minutes_id)
    except (MeetingInvalid, MeetingRefused) as refused:
        messages.error(request, str(refused.message))
    else:
        messages.success(
            request,
            _("「%(title)s」を公開し、委員にお知らせしました。書面照会は完了になりました。")
            % {"title": minutes.title},
        )
    return redirect("meeting_detail", circulation.pk)


@login_required
def minutes_download(request: HttpRequest, circulation_id: int, minutes_id: int) -> FileResponse:
    """The secretariat opens every version; everyone else only the published one (any
    other id is a logged 404: unpublished minutes do not exist for them)."""
    circulation, meeting = meeting_or_404(request.user, circulation_id, Action.VIEW_MEETING)
    if may_on_circulation(request.user, Action.MANAGE_MEETING, circulation):
        reachable = MeetingMinutes.objects.filter(meeting=meeting)
    else:
        reachable = MeetingMinutes.objects.filter(pk=meeting.published_minutes_id or 0)
    minutes = object_or_404(request.user, reachable, minutes_id, Action.VIEW_MEETING)
    handle = open_or_404(minutes.file)
    minutes.meeting = meeting
    record_minutes_download(minutes, user=request.user)
    return private_download(handle, minutes.content_type, minutes.original_name)
