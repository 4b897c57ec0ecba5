from django.urls import URLPattern, URLResolver, path, re_path
from django.views.decorators.csrf import csrf_exempt

from heardback.api.api import api
from heardback.api.problems import not_found

# No app_name here: the API carries its own namespace ("api").
urlpatterns: list[URLPattern | URLResolver] = [
    path("v1/", api.urls),
    re_path(r"^v1/", csrf_exempt(not_found)),  # any other path under the API: a problem document
]
