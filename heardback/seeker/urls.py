from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "seeker"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.today, name="today"),
    path("signup/", views.signup, name="signup"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("profile/", views.profile, name="profile"),
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
    path("export.csv", views.export_view, name="export"),
    path("stats/", views.stats, name="stats"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
