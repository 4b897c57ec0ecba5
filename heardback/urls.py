from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from heardback import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("heardback.portal.urls")),
    path("app/", include("heardback.console.urls")),
    path("api/", include("heardback.api.urls")),
    path("seeker/", include("heardback.seeker.urls")),
    path("engine/", include("heardback.promises.urls")),
]

if settings.DEVMAIL_ENABLED:
    urlpatterns.append(path("dev/mailbox/", include("heardback.devmail.urls")))
