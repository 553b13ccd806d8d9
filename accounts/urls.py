from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import school_admin, views

app_patterns = [
    path("login/verify/", views.two_factor_verify, name="2fa_verify"),
    path("login/two-factor/", views.two_factor_setup, name="2fa_setup"),
    path("invite/<str:token>/", views.invitation, name="invitation"),
    path("join/", views.join, name="join"),
    path("join/password/", views.join_password, name="join_password"),
    path("school/", school_admin.home, name="school_home"),
    path("school/people/", school_admin.people, name="school_people"),
    path("school/people/<int:user_id>/", school_admin.person, name="school_person"),
    path("school/people/<int:user_id>/link", school_admin.person_link, name="school_person_link"),
    path("school/people/<int:user_id>/leave", school_admin.person_leave,
         name="school_person_leave"),
    path("school/people/<int:user_id>/reset-2fa", school_admin.person_reset_2fa,
         name="school_person_reset_2fa"),
    path("school/invitations/", school_admin.invitations, name="school_invitations"),
    path("school/invitations/letters", school_admin.letters, name="school_letters"),
    path("school/invitations/<int:invitation_id>/revoke", school_admin.invitation_revoke,
         name="school_invitation_revoke"),
    path("school/classes/", school_admin.classes, name="school_classes"),
    path("school/classes/<int:class_id>/", school_admin.school_class, name="school_class"),
    path("school/pupils/<int:pupil_id>/", school_admin.pupil, name="school_pupil"),
    path("school/roster/", school_admin.roster, name="school_roster"),
    path("school/roster/template.csv", school_admin.roster_template,
         name="school_roster_template"),
    path("school/roster/imports/<int:import_id>/", school_admin.roster_import,
         name="school_roster_import"),
    path("school/roster/imports/<int:import_id>/status", school_admin.roster_import_status,
         name="school_roster_import_status"),
    path("school/leavers/", school_admin.leavers, name="school_leavers"),
    path("school/policies/", school_admin.policies, name="school_policies"),
]

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include((app_patterns, "accounts"))),
]
