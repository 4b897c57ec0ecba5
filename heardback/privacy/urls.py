"""The candidate's data rights, next to their status page (the token is the key)."""

from django.urls import URLPattern, re_path

from heardback.privacy import views

app_name = "privacy_portal"
urlpatterns: list[URLPattern] = [
    re_path(r"^s/(?P<token>[^/]+)/my-data\.json$", views.my_data, name="my_data"),
    re_path(
        r"^s/(?P<token>[^/]+)/my-data/files/(?P<attachment_id>[0-9]+)/$",
        views.my_file,
        name="my_file",
    ),
    re_path(r"^s/(?P<token>[^/]+)/my-data/cv/$", views.my_cv, name="my_cv"),
    re_path(r"^s/(?P<token>[^/]+)/erase/$", views.erasure, name="erasure"),
]
