from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from heardback import views
from heardback.portal import views as portal_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("", include("heardback.portal.urls")),
    path("", include("heardback.privacy.urls")),
    path("app/import/", include("heardback.imports.urls")),
    path("app/privacy/", include("heardback.privacy.console_urls")),
    path("app/postings/", include("heardback.postings.urls")),
    path("app/", include("heardback.console.urls")),
    path("api/", include("heardback.api.urls")),
    path("hooks/", include("heardback.bridges.urls")),
    path("seeker/", include("heardback.seeker.urls")),
    path("engine/", include("heardback.promises.urls")),
]

if settings.DEVMAIL_ENABLED:
    urlpatterns.append(path("dev/mailbox/", include("heardback.devmail.urls")))

# The public side's own error pages, in the employer's colours where the address names one.
handler404 = portal_views.not_found
handler500 = portal_views.server_error
