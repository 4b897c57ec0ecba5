from django.urls import path

from heardback.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.index, name="index"),
    path("example.csv", views.example, name="example"),
    path("<int:run_id>/", views.detail, name="detail"),
    path("<int:run_id>/start/", views.start, name="start"),
    path("<int:run_id>/undo/", views.undo, name="undo"),
    path("<int:run_id>/problems.csv", views.problems, name="problems"),
]
