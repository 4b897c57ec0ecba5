from django.urls import URLPattern, URLResolver

app_name = "promises"
urlpatterns: list[URLPattern | URLResolver] = []
