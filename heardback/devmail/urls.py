from django.urls import path

from heardback.devmail import views

app_name = "devmail"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<str:key>/", views.detail, name="detail"),
    path("<str:key>/html/", views.html_part, name="html"),
]
