"""Committee, membership and audit pages (the secretariat's side of the foundation)."""

from django.urls import path

from portal import member_views, views

urlpatterns = [
    path("<int:committee_id>/", views.committee_detail, name="committee_detail"),
    path("<int:committee_id>/members/", member_views.member_list, name="committee_members"),
    path("<int:committee_id>/members/add/", member_views.member_add, name="committee_member_add"),
    path(
        "<int:committee_id>/settings/", member_views.committee_settings, name="committee_settings"
    ),
    path(
        "<int:committee_id>/members/chair-absence/",
        member_views.chair_absence,
        name="committee_chair_absence",
    ),
    path(
        "<int:committee_id>/members/<int:membership_id>/",
        member_views.member_detail,
        name="committee_member_detail",
    ),
    path(
        "<int:committee_id>/members/<int:membership_id>/role/",
        member_views.member_change_role,
        name="committee_member_change_role",
    ),
    path(
        "<int:committee_id>/members/<int:membership_id>/end-term/",
        member_views.member_end_term,
        name="committee_member_end_term",
    ),
    path(
        "<int:committee_id>/members/<int:membership_id>/reappoint/",
        member_views.member_reappoint,
        name="committee_member_reappoint",
    ),
    path(
        "<int:committee_id>/members/<int:membership_id>/resend-invitation/",
        member_views.member_resend_invitation,
        name="committee_member_resend_invitation",
    ),
]
