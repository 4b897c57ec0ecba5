from django.urls import path

from heardback.bridges import views

app_name = "bridges"
urlpatterns = [
    path("<str:provider>/<int:connection_id>/", views.receive, name="receive"),
]
