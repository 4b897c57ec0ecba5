"""The portal lives at the site root: job boards, status links, report cards.

Status URLs accept any non-slash text as the token so that malformed, tampered and unknown
tokens all reach the same view and get the same 404 (not Django's different one).
"""

from django.urls import URLPattern, URLResolver, path, re_path

from heardback.portal import views

app_name = "portal"
urlpatterns: list[URLPattern | URLResolver] = [
    path("jobs/<slug:org_slug>/", views.job_board, name="job_board"),
    path("jobs/<slug:org_slug>/<slug:job_slug>/", views.job_detail, name="job_detail"),
    path(
        "jobs/<slug:org_slug>/<slug:job_slug>/status-link/",
        views.status_link,
        name="status_link",
    ),
    re_path(r"^s/(?P<token>[^/]+)\.json$", views.status_json, name="status_json"),
    re_path(r"^s/(?P<token>[^/]+)\.ics$", views.status_ics, name="status_ics"),
    re_path(r"^s/(?P<token>[^/]+)/$", views.status_page, name="status"),
    path("employers/<slug:org_slug>/", views.report_card, name="report_card"),
    path("employers/<slug:org_slug>/badge.svg", views.badge, name="badge"),
    path("brand/<slug:org_slug>/style-<slug:version>.css", views.brand_style, name="brand_style"),
    path("brand/<slug:org_slug>/logo/<str:name>", views.brand_logo, name="brand_logo"),
]
