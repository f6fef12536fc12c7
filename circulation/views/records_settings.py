"""The council's settings for its public records (names shown or 「委員」, the chair's
confirmation, 担当所属名) and the static export: the secretariat's."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from circulation.forms.records import RecordSettingsForm
from circulation.models import RecordSettings
from circulation.services.minutes_drafts import MinutesInvalid
from circulation.services.publication import export_records, update_record_settings
from portal.permissions import Action, committee_or_404


@login_required
def record_settings(request: HttpRequest, committee_id: int) -> HttpResponse:
    committee = committee_or_404(request.user, committee_id, Action.MANAGE_CIRCULATIONS)
    current = RecordSettings.settings_of(committee)
    initial = {"public_names": current.public_names, "chair_confirms": current.chair_confirms,
               "department": current.department}  # fmt: skip
    form = RecordSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            update_record_settings(committee, by=request.user, **form.cleaned_data)
        except MinutesInvalid as error:
            form.add_field_error(error.field, str(error.message))
        else:
            messages.success(request, _("公開記録の設定を保存しました。"))
            return redirect("council_minutes", committee.pk)
    context = {"committee": committee, "form": form}
    status = 400 if form.errors else 200
    return render(request, "circulation/records/settings.html", context, status=status)


@login_required
def record_export(request: HttpRequest, committee_id: int) -> HttpResponse:
    committee = committee_or_404(request.user, committee_id, Action.MANAGE_CIRCULATIONS)
    data = export_records(committee, by=request.user)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="records-{committee.pk}.zip"'
    return response
