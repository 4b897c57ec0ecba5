from django.urls import path

from heardback.promises import views

app_name = "promises"
urlpatterns = [path("act/<str:token>/", views.act, name="act")]
