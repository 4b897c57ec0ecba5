from django.urls import URLPattern, path

from heardback.postings import views

app_name = "postings"
urlpatterns: list[URLPattern] = [
    path("jobs/<int:job_id>/", views.posting, name="posting"),
    path("jobs/<int:job_id>/versions/<int:version>/", views.version, name="version"),
]
