from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "seeker"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.today, name="today"),
    path("signup/", views.signup, name="signup"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("profile/", views.profile, name="profile"),
    path("email/confirm/<str:token>/", views.email_confirm, name="email_confirm"),
    path("email/resend/", views.email_resend, name="email_resend"),
    path("applications/", views.application_list, name="list"),
    path("board/", views.board, name="board"),
    path("applications/new/", views.application_new, name="application_new"),
    path("applications/<int:application_id>/", views.application_detail, name="application"),
    path(
        "applications/<int:application_id>/edit/",
        views.application_edit,
        name="application_edit",
    ),
    path(
        "applications/<int:application_id>/status/",
        views.application_status,
        name="application_status",
    ),
    path(
        "applications/<int:application_id>/heard-back/",
        views.application_news,
        name="application_news",
    ),
    path(
        "applications/<int:application_id>/refresh/",
        views.application_refresh,
        name="application_refresh",
    ),
    path(
        "applications/<int:application_id>/paste/",
        views.application_paste,
        name="application_paste",
    ),
    path(
        "applications/<int:application_id>/interviews/new/",
        views.interview_new,
        name="interview_new",
    ),
    path(
        "applications/<int:application_id>/follow-ups/new/",
        views.follow_up_new,
        name="follow_up_new",
    ),
    path("interviews/<int:interview_id>/edit/", views.interview_edit, name="interview_edit"),
    path("interviews/<int:interview_id>/thank-you/", views.thank_you, name="thank_you"),
    path(
        "interviews/<int:interview_id>/thank-you/sent/",
        views.thank_you_sent,
        name="thank_you_sent",
    ),
    path("follow-ups/<int:follow_up_id>/", views.follow_up, name="follow_up"),
    path("follow-ups/<int:follow_up_id>/sent/", views.follow_up_sent, name="follow_up_sent"),
    path("import/", views.import_view, name="import"),
    path("save/", views.save_view, name="save"),
    path("save/bookmarklet/", views.bookmarklet_view, name="bookmarklet"),
    path("save/api/", views.save_api, name="save_api"),
    path("saved/<int:saved_id>/applied/", views.saved_applied, name="saved_applied"),
    path("saved/<int:saved_id>/delete/", views.saved_delete, name="saved_delete"),
    path("mail/", views.mail_view, name="mail"),
    path("mail/import/", views.mail_import, name="mail_import"),
    path("mail/account/", views.mail_account, name="mail_account"),
    path("mail/account/remove/", views.mail_account_remove, name="mail_account_remove"),
    path("mail/proposals/<int:proposal_id>/accept/", views.proposal_accept, name="proposal_accept"),
    path(
        "mail/proposals/<int:proposal_id>/dismiss/",
        views.proposal_dismiss,
        name="proposal_dismiss",
    ),
    path("export.csv", views.export_view, name="export"),
    path("stats/", views.stats, name="stats"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("unsubscribe/<str:token>/", views.unsubscribe_view, name="unsubscribe"),
]
