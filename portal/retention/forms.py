from django import forms
from django.utils.translation import gettext_lazy as _

from .models import RetentionPolicy


class PolicyForm(forms.ModelForm):
    class Meta:
        model = RetentionPolicy
        fields = [
            "circulation_years",
            "consultation_years",
            "meeting_years",
            "mail_years",
            "audit_years",
        ]
        help_texts = {name: _("年度末から数えた年数(1〜100)") for name in fields}

    def clean(self) -> dict:
        data = super().clean()
        for name in self.Meta.fields:
            value = data.get(name)
            if value is not None and not 1 <= value <= 100:
                self.add_error(name, _("1から100までの年数を入力してください。"))
        return data
