"""Data requests, legal holds and the retention policy, in the console."""

from django.urls import URLPattern, path

from heardback.privacy import views

app_name = "privacy"
urlpatterns: list[URLPattern] = [
    path("", views.requests, name="requests"),
    path("requests/<int:request_id>/erase/", views.erase, name="erase"),
    path("requests/<int:request_id>/refuse/", views.refuse, name="refuse"),
    path("holds/", views.hold, name="hold"),
    path("holds/<int:hold_id>/release/", views.release, name="release"),
    path("policy/", views.policy, name="policy"),
]
