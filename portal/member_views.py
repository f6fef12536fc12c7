"""The secretariat's member pages under /committees/<id>/members/.

Only the committee's secretariat (Action.MANAGE_MEMBERS): a member of the committee gets
403, anyone else 404. Each view parses, authorises and calls one service; a refusal is
shown next to the field with everything the secretariat typed kept.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.forms import (
    ChairAbsenceForm,
    ChangeRoleForm,
    CommitteeSettingsForm,
    EndTermForm,
    InviteMemberForm,
    ReappointForm,
    show_refusal,
)
from portal.models import Committee, Membership, User
from portal.permissions import Action, acting_decider_role, committee_or_404, object_or_404
from portal.queries import member_rows, person_history, term_status
from portal.services import invitations
from portal.services import membership as membership_services
from portal.services.committees import SETTINGS, update_committee_settings
from portal.services.errors import Refused


def _committee(request: HttpRequest, committee_id: int) -> Committee:
    return committee_or_404(request.user, committee_id, Action.MANAGE_MEMBERS)


def _membership(request: HttpRequest, committee: Committee, membership_id: int) -> Membership:
    # Another committee's membership is a 404 (logged), like everything of another committee.
    memberships = Membership.objects.select_related("user", "committee").filter(committee=committee)
    return object_or_404(request.user, memberships, membership_id, Action.MANAGE_MEMBERS)


def _actor(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
def member_list(request: HttpRequest, committee_id: int) -> HttpResponse:
    committee = _committee(request, committee_id)
    today = timezone.localdate()
    return render(
        request,
        "portal/members/list.html",
        {
            "committee": committee,
            "groups": member_rows(committee, today),
            "today": today,
            "decider_role": acting_decider_role(committee, today),
        },
    )


@login_required
def member_add(request: HttpRequest, committee_id: int) -> HttpResponse:
    committee = _committee(request, committee_id)
    form = InviteMemberForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            membership = membership_services.invite_member(
                committee,
                data["full_name"],
                data["email"],
                data["role"],
                data["term_start"],
                data["term_end"],
                by=_actor(request),
            )
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            messages.success(
                request,
                _("%(name)sさんを%(role)sとして登録し、招待メールを送りました。")
                % {"name": membership.user.full_name, "role": membership.get_role_display()},
            )
            return redirect("committee_members", committee.pk)
    return render(
        request,
        "portal/members/add.html",
        {"committee": committee, "form": form},
        status=400 if form.is_bound else 200,
    )


def _detail(
    request: HttpRequest,
    committee: Committee,
    membership: Membership,
    bound: forms.Form | None = None,
) -> HttpResponse:
    """The membership page; `bound` is a form that failed, shown with the data typed."""
    page_forms: dict[str, Any] = {
        "role_form": ChangeRoleForm(membership=membership),
        "end_form": EndTermForm(membership=membership),
        "reappoint_form": ReappointForm(membership=membership),
    }
    for name, form in page_forms.items():
        if bound is not None and type(bound) is type(form):
            page_forms[name] = bound
    today = timezone.localdate()
    return render(
        request,
        "portal/members/detail.html",
        {
            "committee": committee,
            "membership": membership,
            "status": term_status(membership, today),
            "accepted": invitations.has_verified_address(membership.user),
            "history": person_history(membership),
            **page_forms,
        },
        status=200 if bound is None else 400,
    )


@login_required
def member_detail(request: HttpRequest, committee_id: int, membership_id: int) -> HttpResponse:
    committee = _committee(request, committee_id)
    return _detail(request, committee, _membership(request, committee, membership_id))


@login_required
@require_POST
def member_change_role(request: HttpRequest, committee_id: int, membership_id: int) -> HttpResponse:
    committee = _committee(request, committee_id)
    membership = _membership(request, committee, membership_id)
    form = ChangeRoleForm(request.POST, membership=membership)
    if form.is_valid():
        try:
            changed = membership_services.change_role(
                membership,
                form.cleaned_data["role"],
                _actor(request),
                effective=form.cleaned_data["effective"],
            )
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            messages.success(
                request,
                _("%(name)sさんの役割を%(role)sに変更しました。")
                % {"name": changed.user.full_name, "role": changed.get_role_display()},
            )
            return redirect("committee_member_detail", committee.pk, changed.pk)
    return _detail(request, committee, membership, form)


@login_required
@require_POST
def member_end_term(request: HttpRequest, committee_id: int, membership_id: int) -> HttpResponse:
    committee = _committee(request, committee_id)
    membership = _membership(request, committee, membership_id)
    form = EndTermForm(request.POST, membership=membership)
    if form.is_valid():
        try:
            ended = membership_services.end_term(
                membership, _actor(request), on=form.cleaned_data["term_end"]
            )
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            messages.success(
                request,
                _("%(name)sさんの任期を%(day)sで終了しました。")
                % {"name": ended.user.full_name, "day": _date(ended.term_end)},
            )
            return redirect("committee_member_detail", committee.pk, ended.pk)
    return _detail(request, committee, membership, form)


@login_required
@require_POST
def member_reappoint(request: HttpRequest, committee_id: int, membership_id: int) -> HttpResponse:
    committee = _committee(request, committee_id)
    membership = _membership(request, committee, membership_id)
    form = ReappointForm(request.POST, membership=membership)
    if form.is_valid():
        try:
            new = membership_services.reappoint(
                membership,
                _actor(request),
                term_start=form.cleaned_data["term_start"],
                term_end=form.cleaned_data["term_end"],
                role=form.cleaned_data["role"],
            )
        except Refused as refusal:
            show_refusal(form, refusal)
        else:
            messages.success(
                request,
                _("%(name)sさんを再任しました(任期 %(start)s〜%(end)s)。")
                % {
                    "name": new.user.full_name,
                    "start": _date(new.term_start),
                    "end": _date(new.term_end),
                },
            )
            return redirect("committee_member_detail", committee.pk, new.pk)
    return _detail(request, committee, membership, form)


@login_required
@require_POST
def member_resend_invitation(
    request: HttpRequest, committee_id: int, membership_id: int
) -> HttpResponse:
    committee = _committee(request, committee_id)
    membership = _membership(request, committee, membership_id)
    try:
        invitations.resend_invitation(membership, _actor(request))
    except Refused as refusal:
        messages.error(request, str(refusal.message))
    else:
        messages.success(
            request,
            _("%(name)sさんに招待メールを再送しました。") % {"name": membership.user.full_name},
        )
    return redirect("committee_member_detail", committee.pk, membership.pk)


@login_required
@require_POST
def chair_absence(request: HttpRequest, committee_id: int) -> HttpResponse:
    committee = _committee(request, committee_id)
    form = ChairAbsenceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("会長の在・不在を選んでください。"))
        return redirect("committee_members", committee.pk)
    absent = form.cleaned_data["absent"]
    membership_services.set_chair_absent(committee, absent, _actor(request))
    messages.success(
        request,
        _("会長を不在としました。開催の要否は職務代理者が判断します。")
        if absent
        else _("会長の不在を解除しました。開催の要否は会長が判断します。"),
    )
    return redirect("committee_members", committee.pk)


@login_required
def committee_settings(request: HttpRequest, committee_id: int) -> HttpResponse:
    committee = _committee(request, committee_id)
    current = list(committee.reminder_offsets_hours or [])
    if request.method == "POST":
        form = CommitteeSettingsForm(request.POST, current=current)
        if form.is_valid():
            update_committee_settings(committee, by=_actor(request), **form.cleaned_data)
            messages.success(request, _("審議会の設定を保存しました。"))
            return redirect("committee_settings", committee.pk)
    else:
        form = CommitteeSettingsForm(
            current=current,
            initial={
                "reminder_offsets_hours": current,
                **{name: getattr(committee, name) for name in SETTINGS[1:]},
            },
        )
    return render(request, "portal/members/settings.html", {"committee": committee, "form": form})


def _date(day: Any) -> str:
    return formats.date_format(day) if day else _("定めなし")
