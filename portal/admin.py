"""The Django admin: usable for people, committees and memberships; the audit log can be
read there but never added to, changed or deleted. Admin changes are audited too."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from portal import audit
from portal.models import AuditEntry, Committee, Membership, User
from portal.services.errors import Refused
from portal.services.membership import check_membership_allowed


class AuditedAdmin(admin.ModelAdmin):
    """Every add, change and delete through the admin leaves an audit entry. The admin's
    own LogEntry hooks are where all of them pass: a form saved, a password set on the
    user's page, the bulk "delete selected" action."""

    def _audit(self, request: HttpRequest, obj: Model, verb: str, message: Any = "") -> None:
        audit.record(
            f"admin.{obj._meta.model_name}.{verb}",
            actor=request.user,  # type: ignore[arg-type]
            obj=obj,
            data={"change": message} if message else {},
        )

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        self._audit(request, obj, "added", message)
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        self._audit(request, obj, "changed", message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:  # called before the deletion
            self._audit(request, obj, "deleted")
        return super().log_deletions(request, queryset)


class KairanUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class KairanUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    form = KairanUserChangeForm
    add_form = KairanUserCreationForm
    ordering = ("full_name",)
    list_display = ("full_name", "email", "language", "is_active", "is_staff", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser", "language")
    search_fields = ("full_name", "email")
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("本人"), {"fields": ("full_name", "language")}),
        (
            _("権限"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("日時"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "usable_password", "password1", "password2"),
            },
        ),
    )


@admin.register(Committee)
class CommitteeAdmin(AuditedAdmin):
    list_display = ("name", "chair_absent", "chair_reminder_days", "created_at")
    search_fields = ("name",)


class MembershipAdminForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("user", "committee", "role", "term_start", "term_end")

    def clean(self) -> dict[str, Any]:
        """The same rules as the secretariat's pages: one chair and one acting chair at a
        time, one seat per person."""
        data = super().clean()
        committee, start = data.get("committee"), data.get("term_start")
        if committee is None or start is None or not data.get("role"):
            return data
        exclude = (self.instance.pk,) if self.instance.pk else ()
        try:
            check_membership_allowed(
                committee,
                data.get("user"),
                data["role"],
                start,
                data.get("term_end"),
                exclude=exclude,
            )
        except Refused as refusal:
            raise forms.ValidationError(str(refusal.message)) from None
        return data


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    form = MembershipAdminForm
    list_display = ("user", "committee", "role", "term_start", "term_end")
    list_filter = ("committee", "role")
    search_fields = ("user__full_name", "user__email", "committee__name")
    autocomplete_fields = ("user", "committee")
    date_hierarchy = "term_start"

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # A membership is history: end its term instead of deleting it.
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "action", "actor_label", "committee", "object_repr", "result", "ip")
    list_filter = ("result", "action", "committee")
    search_fields = ("action", "actor_label", "object_repr", "ip")
    date_hierarchy = "at"
    readonly_fields = [field.name for field in AuditEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


def audit_every_admin(site: admin.AdminSite = admin.site) -> None:
    """The admins of other apps (allauth's e-mail addresses and authenticators, Django's
    groups) are audited too: resetting someone's MFA in the admin must leave a trace.
    Apps listed before `portal` in INSTALLED_APPS have registered theirs by now."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, AuditedAdmin):
            continue
        audited = type(
            f"Audited{type(model_admin).__name__}", (AuditedAdmin, type(model_admin)), {}
        )
        site.unregister(model)
        site.register(model, audited)


audit_every_admin()
