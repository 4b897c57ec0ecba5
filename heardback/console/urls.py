from django.urls import path

from heardback.console.views import applications, auth, board, bulk, dashboard, jobs, templates

app_name = "console"
urlpatterns = [
    # Signing in and out, password reset, invitations (the only pages open to strangers).
    path("login/", auth.sign_in, name="login"),
    path("logout/", auth.sign_out, name="logout"),
    path("password-reset/", auth.password_reset, name="password_reset"),
    path("password-reset/sent/", auth.password_reset_done, name="password_reset_done"),
    path("reset/<uidb64>/<token>/", auth.password_reset_confirm, name="password_reset_confirm"),
    path("reset/done/", auth.password_reset_complete, name="password_reset_complete"),
    path("invite/<str:token>/", auth.accept_invite, name="accept_invite"),
    # Everything below requires a signed-in member.
    path("", dashboard.dashboard, name="dashboard"),
    path("org/", auth.switch_org, name="switch_org"),
    path("members/", auth.members, name="members"),
    path("members/<int:member_id>/role/", auth.member_role, name="member_role"),
    path("policy/", dashboard.policy, name="policy"),
    path("policy/report-card/", dashboard.report_card, name="report_card"),
    path("jobs/", jobs.job_list, name="jobs"),
    path("jobs/new/", jobs.job_new, name="job_new"),
    path("jobs/<int:job_id>/", board.board, name="board"),
    path("jobs/<int:job_id>/edit/", jobs.job_edit, name="job_edit"),
    path("jobs/<int:job_id>/team/", jobs.job_team, name="job_team"),
    path("jobs/<int:job_id>/hold/", jobs.job_hold, name="job_hold"),
    path("jobs/<int:job_id>/close/", jobs.job_close, name="job_close"),
    path("jobs/<int:job_id>/reopen/", jobs.job_reopen, name="job_reopen"),
    path("jobs/<int:job_id>/bulk/", bulk.bulk_new, name="bulk_new"),
    path("bulk/<int:bulk_id>/", bulk.bulk_detail, name="bulk"),
    path("bulk/<int:bulk_id>/stop/", bulk.bulk_cancel, name="bulk_stop"),
    path("applications/<int:application_id>/", applications.detail, name="application"),
    path("applications/<int:application_id>/move/", board.move, name="move"),
    path("applications/<int:application_id>/decline/", applications.decline, name="decline"),
    path(
        "applications/<int:application_id>/decline/cancel/",
        applications.cancel_decline,
        name="cancel_decline",
    ),
    path("applications/<int:application_id>/hire/", applications.hire, name="hire"),
    path("applications/<int:application_id>/extend/", applications.extend, name="extend"),
    path("applications/<int:application_id>/note/", applications.note, name="note"),
    path(
        "applications/<int:application_id>/files/<int:attachment_id>/",
        applications.attachment,
        name="attachment",
    ),
    path("templates/", templates.template_list, name="templates"),
    path("templates/preview/", templates.template_preview, name="template_preview"),
    path(
        "templates/decline/<str:reason>/<str:language>/",
        templates.decline_template,
        name="decline_template",
    ),
    path("templates/stage/<int:stage_id>/", templates.stage_template, name="stage_template"),
]
