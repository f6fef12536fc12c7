"""The secretariat's draft form: 件名, 説明, 回答期限, 送付先 and the materials (資料)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from circulation.forms.base import AccessibleForm, date_field, japan_moment, japan_parts, time_field
from circulation.forms.stashed_upload import KeptUploadMixin
from circulation.models import Circulation, Material
from circulation.services.drafts import DraftContent, MaterialEdit, sitting_memberships
from circulation.services.materials import NewMaterial
from circulation.uploads.checks import clean_original_name
from portal.models import Committee, User


class RecipientChoiceField(forms.ModelMultipleChoiceField):
    def __init__(self, *args: Any, role_labels: dict[int, str], **kwargs: Any) -> None:
        self.role_labels = role_labels
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: User) -> str:
        role = self.role_labels.get(obj.pk)
        return f"{obj.full_name}({role})" if role else obj.full_name


class DraftForm(AccessibleForm):
    title = forms.CharField(label=_("件名"), max_length=200)
    explanation = forms.CharField(
        label=_("説明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Markdown 形式で書けます(段落、箇条書き、表、リンク)。"),
    )
    deadline_date = date_field()
    deadline_time = time_field()
    recipients = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False
    )  # replaced in __init__ with the sitting members
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(
        self,
        *args: Any,
        committee: Committee,
        circulation: Circulation | None = None,
        **kwargs: Any,
    ) -> None:
        if circulation is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_for(circulation)
        super().__init__(*args, **kwargs)
        seats = sitting_memberships(committee, timezone.localdate())
        self.fields["recipients"] = RecipientChoiceField(
            label=_("送付先"),
            queryset=User.objects.filter(pk__in=[m.user_id for m in seats]),
            widget=forms.CheckboxSelectMultiple,
            required=False,
            role_labels={m.user_id: m.get_role_display() for m in seats},
            help_text=_("本日時点で任期中の委員です。送付するまで変更できます。"),
        )
        if circulation is None and not self.is_bound:
            self.initial.setdefault("recipients", [m.user_id for m in seats])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        day, time = data.get("deadline_date"), data.get("deadline_time")
        if day and time:
            deadline = japan_moment(day, time)
            if deadline <= timezone.now():
                self.add_error("deadline_date", _("回答期限は現在より後の日時にしてください。"))
            data["deadline"] = deadline
        return data

    def content(self) -> DraftContent:
        data = self.cleaned_data
        return DraftContent(
            title=data["title"],
            explanation=data["explanation"],
            deadline=data["deadline"],
            recipient_ids=[user.pk for user in data["recipients"]],
        )


def initial_for(circulation: Circulation) -> dict[str, Any]:
    day, time = japan_parts(circulation.deadline)
    return {
        "title": circulation.title,
        "explanation": circulation.explanation,
        "deadline_date": day,
        "deadline_time": time,
        "recipients": list(circulation.recipients.values_list("user_id", flat=True)),
        "revision": circulation.revision,
    }


class NewMaterialForm(KeptUploadMixin, AccessibleForm):
    """One row for a new material. An accepted file is kept between submissions."""

    file = forms.FileField(label=_("資料ファイル"), required=False)
    title = forms.CharField(
        label=_("資料名"),
        max_length=200,
        required=False,
        help_text=_("空欄ならファイル名を使います。"),
    )
    order = forms.IntegerField(label=_("表示順"), required=False, min_value=0, max_value=999)
    stash = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start_stashing(user)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # A row with only a title asks for its file; an empty row is no material at all.
        missing = _("「%(title)s」のファイルを選んでください。") % data if data.get("title") else ""
        self.clean_stashed_file(data, missing)
        return data

    def new_material(self, position: int) -> NewMaterial:
        upload = self.upload()
        title = self.cleaned_data.get("title") or _stem(upload.original_name)
        order = self.cleaned_data.get("order")
        return NewMaterial(title=title, order=position if order is None else order, upload=upload)


class ExistingMaterialForm(AccessibleForm):
    material_id = forms.IntegerField(widget=forms.HiddenInput)
    # Blank title or order keeps what is stored.
    title = forms.CharField(label=_("資料名"), max_length=200, required=False)
    order = forms.IntegerField(label=_("表示順"), min_value=0, max_value=999, required=False)
    remove = forms.BooleanField(label=_("この資料を外す"), required=False)

    material: Material | None = None

    def edit(self) -> MaterialEdit:
        data = self.cleaned_data
        return MaterialEdit(
            material_id=data["material_id"],
            title=data["title"],
            order=data["order"],
            remove=data["remove"],
        )


class NewMaterialFormSetBase(forms.BaseFormSet):
    # Django's own wording ("submit at most 2 forms") means nothing to the secretariat.
    default_error_messages = {"too_many_forms": _("資料は1件の書面照会につき%(num)d件までです。")}

    def full_clean(self) -> None:
        """Rows beyond the cap are never read as forms: name their files in the message,
        so that nobody believes they were attached."""
        super().full_clean()
        if any(e.code == "too_many_forms" for e in self._non_form_errors.as_data()):
            dropped = sorted(
                (int(match[1]), clean_original_name(upload.name))
                for key, upload in (self.files or {}).items()
                if (match := re.fullmatch(rf"{self.prefix}-(\d+)-file", key))
                and int(match[1]) >= self.absolute_max
            )
            if dropped:
                names = "、".join(f"「{name}」" for _i, name in dropped)
                self._non_form_errors.append(
                    _("次のファイルは添付されていません: %(names)s") % {"names": names}
                )

    def keep_accepted_files(self) -> None:
        for form in self.forms:
            if not form.errors.get("file"):
                form.keep()

    def new_materials(self, first_position: int) -> list[NewMaterial]:
        rows = [form for form in self.forms if form.has_file]
        return [form.new_material(first_position + i) for i, form in enumerate(rows)]

    def count(self) -> int:
        return sum(1 for form in self.forms if form.has_file)


def new_material_formset(
    data: Any = None, files: Any = None, *, user: User, extra: int = 3
) -> NewMaterialFormSetBase:
    limit = settings.KAIRAN_MAX_MATERIALS
    formset_class = forms.formset_factory(
        NewMaterialForm,
        formset=NewMaterialFormSetBase,
        extra=extra,
        max_num=limit,
        absolute_max=limit,
        validate_max=True,
    )
    return formset_class(data, files, prefix="new", form_kwargs={"user": user})


def existing_material_formset(circulation: Circulation, data: Any = None) -> forms.BaseFormSet:
    materials = list(circulation.materials.filter(is_current=True))
    formset_class = forms.formset_factory(ExistingMaterialForm, extra=0, max_num=len(materials))
    formset = formset_class(
        data,
        prefix="existing",
        initial=[{"material_id": m.pk, "title": m.title, "order": m.order} for m in materials],
    )
    # Rows are matched by the posted id: the draft may have changed since the page loaded.
    by_id = {m.pk: m for m in circulation.materials.all()}
    for form, material in zip(formset.forms, materials, strict=False):
        form.material = by_id.get(_posted_id(form)) or material
    return formset


def _posted_id(form: forms.Form) -> int | None:
    raw = form.data.get(form.add_prefix("material_id")) if form.is_bound else None
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def _stem(name: str) -> str:
    name = clean_original_name(name)
    stem, dot, _ext = name.rpartition(".")
    return stem if dot and stem else name


def upcoming_default_deadline() -> dt.datetime:
    """A week from today at 17:00 Japan time: the usual deadline, offered on a new draft."""
    day = timezone.localdate() + dt.timedelta(days=7)
    return japan_moment(day, dt.time(17, 0))
