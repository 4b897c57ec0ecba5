from django.urls import URLPattern, URLResolver

app_name = "sim"
urlpatterns: list[URLPattern | URLResolver] = []
