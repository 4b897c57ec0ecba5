from django.urls import URLPattern, URLResolver

app_name = "seeker"
urlpatterns: list[URLPattern | URLResolver] = []
